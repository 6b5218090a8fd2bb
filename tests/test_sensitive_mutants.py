"""The secret filter's checksums and bounds, where mutation testing (bench/mutation.py) found no test that fails.

Why a file of its own: tests/test_sensitive.py and the corpora pin what the filter decides on real-looking lines;
these pin the arithmetic under some of those decisions (a check letter, a mod-97 key, a length bound), with a
valid number next to the same number made invalid, and no cue word, so that only the check decides.
"""

from __future__ import annotations

import pytest

from bot.core.sensitive import (
    _PASSWORD_WORD,
    SecretKind,
    _class_changes,
    _closes_its_question,
    _demanded,
    _describes,
    _describes_in_a_sentence,
    _gives_a_password,
    _gives_a_sentence,
    _joined_passphrase,
    _joined_words,
    _listed_words,
    _named_value,
    _names_it_at_the_end,
    _names_two_words,
    _plain_words_passphrase,
    _quoted_itself,
    _quoted_phrase_after,
    _quoted_phrase_then_role,
    _quoted_words,
    _reads_as_product,
    _spaced,
    _spells_a_password,
    _spelt_with_dashes,
    detect,
    name_problem,
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hola 48273915C", SecretKind.IDENTITY),  # a DNI: 48273915 mod 23 is C's place
        ("hola 48273915A", None),  # the same digits, the wrong letter
        ("hola X1234567L", SecretKind.IDENTITY),  # a NIE: X reads 0, 01234567 mod 23 gives L
        ("hola Y1234567X", SecretKind.IDENTITY),  # Y reads 1
        ("hola 1234567L", None),  # 7 digits and no X, Y or Z: not a DNI, whatever the letter
    ],
)
def test_a_spanish_id_is_found_by_its_check_letter(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("85.07.30-033.28", SecretKind.IDENTITY),  # 97 - 850730033 mod 97 = 28
        ("85.07.30-033.29", None),  # the key one off
        ("05.07.30-033.26", SecretKind.IDENTITY),  # born in 2005: 97 - 2050730033 mod 97 = 26
        ("05.07.30-033.94", SecretKind.IDENTITY),  # the same digits read as 1905: 97 - 50730033 mod 97 = 94
        ("05.07.30-033.27", None),
        ("85073003328", None),  # valid, but bare: 1 in 97 of any 11 digits passes, so it needs a cue
    ],
)
def test_a_belgian_national_number_is_found_by_its_key(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("12345678", SecretKind.CODE),  # 8 digits: the longest lone code
        ("123456789", None),
        ("4821 7390", SecretKind.CODE),  # the digits count, not the characters
    ],
)
def test_a_lone_number_is_a_code_from_4_to_8_digits(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "ma question secrète c'est Jules Ferry, c'est ça",  # the name ends its clause with a comma
        "ma question secrète c'est Jules Ferry (mon école)",  # or before a bracket
    ],
)
def test_an_answer_of_two_capitalised_words_is_refused_when_it_ends_its_clause(text: str) -> None:
    assert detect(text) == SecretKind.PASSWORD


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("appeler maman", None),
        ("facture 12345", None),  # a short number is an ordinary label's
        ("mon mot de passe de la box", None),  # a reminder to change it names it without giving it
        ("facture 1234567", "secret"),  # a long number, which `detect` alone lets through
        ("facture 123\u200b4567", "secret"),  # read normalised: a zero-width space splits nothing
        ("mon mot de passe c'est", "secret"),  # a password word and a frame that gives a value
        ("MDP C'EST", "secret"),  # in capitals
        ("mdp : quelque chose", "secret"),  # the frame a word of its own
        ("écrire à jean.dupont@example.org", "email"),
        ("jean.dupont@example.org mdp : chien", "secret"),  # a secret first, whatever else
    ],
)
def test_a_label_is_read_more_strictly_than_a_message(label: str, problem: str | None) -> None:
    assert name_problem(label) == problem


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("1 85 05 75 123 456 73", SecretKind.IDENTITY),  # 97 - 1850575123456 mod 97 = 73
        ("1 85 05 75 123 456 74", None),
        ("1 85 05 2A 123 456 33", SecretKind.IDENTITY),  # Corsica: 2A counts as 19
        ("1 85 05 2A 123 456 34", None),
        ("1 85 05 2B 123 456 60", SecretKind.IDENTITY),  # and 2B as 18
        ("1 85 05 2B 123 456 61", None),
    ],
)
def test_a_french_social_security_number_is_found_by_its_key(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("olá 123.456.789-09", SecretKind.IDENTITY),  # a CPF: both check digits right (the first from a remainder 10)
        ("olá 123.456.789-08", None),  # the second one off
        ("olá 123.456.789-19", None),  # the first one off
        ("olá 123.456.789-17", None),  # the first one off, the second right for it: both are checked
        ("olá 100.000.028-10", SecretKind.IDENTITY),  # the second from a remainder 10: it reads 0
        ("olá 000.022.202-02", SecretKind.IDENTITY),  # two different digits are enough to be a number
        ("olá 111.111.111-11", None),  # the checks pass, but one digit repeated is an example
    ],
)
def test_a_brazilian_cpf_is_found_by_its_two_check_digits(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("j, k, q, 4, 7", SecretKind.PASSWORD),  # five characters dictated: three letters and two digits
        ("j, k, 3, 4, 7", None),  # two letters only
        ("j, k, q, w, 7", None),  # one digit only
    ],
)
def test_characters_dictated_one_by_one_mix_three_letters_and_two_digits(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


def test_a_label_with_a_made_up_word_is_a_secret_even_when_detect_lets_it_through() -> None:
    assert detect("pain b4guette") is None  # no cue, two words: a message may say that
    assert name_problem("pain b4guette") == "secret"


@pytest.mark.parametrize(
    "text",
    [
        "il réclame le code de mon ordi, c'est malsain?",  # the question mark stuck to the word
        "il exige mon mot de passe, c'est",  # a frame with nothing after it
    ],
)
def test_a_question_about_a_demand_gives_no_password(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("le code a expiré le 31.12.24", None),  # a date: day 1 to 31, month 1 to 12
        ("le code a expiré le 01.12.24", None),
        ("le code a expiré le 14.01.24", None),
        ("le code a expiré le 14.12.24", None),
        ("le code a expiré le 32.12.24", SecretKind.CODE),  # no day 32: six digits after a code word
        ("le code a expiré le 00.12.24", SecretKind.CODE),
        ("le code a expiré le 14.13.24", SecretKind.CODE),  # no month 13
        ("le code a expiré le 14.00.24", SecretKind.CODE),
    ],
)
def test_a_date_after_a_code_word_is_a_date_only_within_the_calendar(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("1900", None),  # a year: 1900 to 2099
        ("2099", None),
        ("1899", SecretKind.CODE),
        ("2100", SecretKind.CODE),
        ("75011", None),  # a French postal code
        ("96123", SecretKind.CODE),  # five digits, but no département starts with 96
        ("12 345 678", SecretKind.CODE),  # 8 digits in groups
        ("123 456 789", None),  # 9: too long for a code
        ("le texto disait 2099", None),  # a year in a text message is no code either
        ("le texto disait 2100", SecretKind.CODE),
        ("le texto disait 1900", None),
        ("le texto disait 1899", SecretKind.CODE),
    ],
)
def test_a_lone_number_is_a_year_from_1900_to_2099_and_a_code_otherwise(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("banque → 5820391", SecretKind.PASSWORD),  # an account, an arrow, a long number
        ("banque → 582039, mutuelle → 771204", SecretKind.PASSWORD),  # a list of them
        ("commande → 4412, banque → 582039", SecretKind.PASSWORD),  # an order first, an account then
        ("commande → 12345678", None),  # an order number is no password
    ],
)
def test_accounts_listed_with_arrows_give_their_passwords(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


_PRODUCT_AND_DIGITS = "Mistral" * 8  # a product's name: made up only with its digits, 2 at least


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("gmail -> Mistral22", SecretKind.PASSWORD),  # after an account: a word and two digits is made up
        ("gmail -> Mistral2", None),  # one digit is a version
        ("gmail -> Qwen22", SecretKind.PASSWORD),  # 6 characters: the shortest
        ("gmail -> Phi22", None),
        (f"gmail -> {_PRODUCT_AND_DIGITS}12345678", SecretKind.PASSWORD),  # 64 characters: the longest
        (f"gmail -> {_PRODUCT_AND_DIGITS}123456789", None),
    ],
)
def test_a_word_with_digits_after_an_account_is_made_up_from_6_to_64_characters(
    text: str, kind: SecretKind | None
) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("mon IBAN FR76 3000 6000 0112 3456 7890 189", SecretKind.IBAN),
        ("mon IBAN FR76 3000 6000 0112 3456 7890 188", None),  # the same, one digit off: mod 97 is not 1
    ],
)
def test_an_iban_is_found_by_its_mod_97_check(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


_UNLISTED = "grenouille brouette chaussette moustache parapluie citrouille escargot trottinette sel poubelle chouquette"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"seed: {_UNLISTED} tabouret", SecretKind.RECOVERY_PHRASE),  # twelve plain words announced as a seed
        (f"seed: {_UNLISTED.replace(' ', ', ')}, tabouret", SecretKind.RECOVERY_PHRASE),  # commas between them
        (f"seed: {_UNLISTED} sel", SecretKind.RECOVERY_PHRASE),  # three letters are a word
        (f"seed: {_UNLISTED} ok", None),  # two are not
        (f"seed: {_UNLISTED} et", None),  # eleven and a word of grammar
        (f"seed: et {_UNLISTED}", None),
        (f"{_UNLISTED} tabouret : ma seed", SecretKind.RECOVERY_PHRASE),  # the cue after them
        (f"{_UNLISTED} : ma seed", None),  # eleven from the first word on
        (f"{_UNLISTED} tabouret", None),  # twelve words in no word list, not announced
    ],
)
def test_an_announced_seed_is_twelve_plain_words_in_a_row(text: str, kind: SecretKind | None) -> None:
    assert detect(text) == kind


def test_a_sentence_after_a_colon_that_describes_is_no_password() -> None:
    assert detect("password: it is weak") is None  # three words, one of them describing: talk, not a passphrase


@pytest.mark.parametrize(
    ("words", "listed"),
    [
        (["correct", "horse", "battery", "staple"], True),
        (["correct,", "horse,", "battery,", "staple"], False),  # commas: a list of words, not a passphrase
        (["the", "horse", "battery", "staple"], False),  # grammar
        (["correct", "horse"], False),  # three to six words
        (["a", "b", "c", "d", "e", "f", "g"], False),
    ],
)
def test_listed_words_are_three_to_six_plain_words_with_no_grammar_nor_comma(words: list[str], listed: bool) -> None:
    assert _listed_words(words, [word.strip(",").casefold() for word in words]) is listed


@pytest.mark.parametrize(
    ("words", "quotation"),
    [
        (['"', "chat", 'noir"', "et", "blanc"], ["chat", 'noir"']),  # a lone opening mark is no closing one
        (['"chat"', "noir"], ['"chat"']),  # one word quoted whole
        (["a»", "noir"], ["a»"]),  # two characters, the second closing
        (["«chat", "»", "noir"], ["«chat"]),  # the closing mark a word of its own
        (['"chat', 'noir",', "et"], ['"chat', 'noir",']),  # punctuation after the closing mark
        (['"chat', 'noir"X', "et"], ['"chat', 'noir"X', "et"]),  # a letter after it: not closed
    ],
)
def test_a_quotation_ends_at_its_closing_mark(words: list[str], quotation: list[str]) -> None:
    assert _quoted_words(words) == quotation


@pytest.mark.parametrize(
    ("spaced", "itself"),
    [
        ('the word "password" in French', True),
        ('"password" in French', True),  # the opening mark first in the message
        ('my password "soleil"', False),  # a quotation after the word is not the word quoted
        ('"my" password', False),  # nor one before it
    ],
)
def test_a_password_word_is_quoted_itself_between_two_marks(spaced: str, itself: bool) -> None:
    keyword = _PASSWORD_WORD.search(spaced)
    assert keyword is not None
    assert _quoted_itself(spaced, keyword) is itself


# What follows "c'est", "is" or ":" after a password word, word by word (as `_password_in_context` hands it over).
@pytest.mark.parametrize(
    ("words", "gives"),
    [
        ([], False),
        (["!"], False),  # nothing but punctuation
        (["the", "word", "kiwi"], True),  # "is the word kiwi": the naming words skipped, two of them
        (["une", "Twingo"], True),  # an article, then a name: the name is the value
        (["une"], False),  # an article alone
        (["une", "Twingo,", "je", "crois"], True),  # the name closing its clause with a comma
        (["une", "Twingo", "(rouge)"], True),  # or before a bracket
        (["une", "Twingo", "Xavier"], False),  # not before another name
        (["une", "twingo,", "Paris"], False),  # a name is capitalised
        (["nul", "Twingo"], False),  # only an article is skipped
        (['"', 'une"', "Twingo"], True),  # after a lone quotation mark too
        (["12", "34"], True),  # pairs of digits read as one number: 1234
        (["12", "ab", "34"], False),  # only the pair right after
        (['"trop', 'bien"'], True),  # two words quoted together, whatever they mean
        (["soleil", "brille"], False),  # a plain word that goes on
        (["soleil", "Xavier"], False),
        (["soleil", "Ferry"], False),  # two names need the first capitalised
        (["Soleil", "brille"], False),
        (['"bonjour"'], True),  # a greeting, quoted
        (["teddy-holly", "brille"], False),  # two words joined, the second ending in -ly, going on: it describes
        (["cheval-batterie-holly", "brille"], True),  # three joined are a passphrase whatever their ending
        (["300€"], False),  # an amount
        (["h0lly", "brille"], False),  # -ly going on describes, digits or not
        (["Cha@n"], True),  # a symbol inside and three letters
        (["Ch@t"], True),
        (["C@t"], False),  # two letters
        (["a1b"], True),  # letters and digits
        (["1234"], True),  # four digits
        (["123"], False),  # three
        (["o'brien"], False),  # an apostrophe or a dash inside: a name only when capitalised
        (["O'Brien"], True),
        (["Marie-Jo"], True),
        (["gribouille", "tout", "en", "des", "majuscules", "et"], False),  # a spelling note is three words at most
        (["girafe", "lampe", "nuage", "bateau"], True),  # plain words with no grammar
        (["chat-noir"], True),  # two words joined
        (["la", "Phrase"], True),  # "the word" skipped only when a value follows it
    ],
)
def test_the_words_after_a_frame_give_a_password_or_describe_one(words: list[str], gives: bool) -> None:
    assert _gives_a_password(words) is gives


_SUBMARINE = ["we", "love", "yellow", "submarines"]


@pytest.mark.parametrize(
    ("words", "shortest", "sentence"),
    [
        (_SUBMARINE, 4, True),  # as many words as the shortest
        (_SUBMARINE, 5, False),
        (_SUBMARINE[1:], 4, False),
        ([*_SUBMARINE[:3], "submarines?"], 4, False),  # a question
        (["elle", "n'aime", "que", "les", "chats"], 3, False),  # a negation
        (["simple", "correct", "horse", "battery"], 3, False),  # listed words, two of them describing
        (["the", "called", "named"], 3, True),  # no opening word but articles and fillers
        (["toujours", "chat", "noir", "dodu"], 3, True),  # the opening word is the first that is no filler
        ([*_SUBMARINE, *["-"] * 22], 4, True),  # 26 words: read
        ([*_SUBMARINE, *["-"] * 23], 4, False),  # 27: far too long to be one
        (
            ["we", "all", "live", "in", "a", "yellow", "submarine", "with", "my", "friends", "and", "dogs"],
            3,
            True,
        ),  # 12 words
        (
            ["we", "all", "live", "in", "a", "yellow", "submarine", "with", "my", "friends", "and", "two", "dogs"],
            3,
            False,
        ),  # 13
    ],
)
def test_a_sentence_after_a_colon_is_three_to_twelve_words_that_do_not_talk(
    words: list[str], shortest: int, sentence: bool
) -> None:
    assert _gives_a_sentence(words, shortest=shortest) is sentence


@pytest.mark.parametrize(
    ("value", "joined"),
    [
        ("chat-noir", True),  # two words of three letters or more
        ("chat-sel", True),
        ("chat-nul", False),  # one of them describes
        ("chat-les", False),  # or is grammar
        ("ab-cd-ef", True),  # three words or more: two letters each will do
        ("a-bcd-efg", False),  # or three of three letters
        ("a-bcd-efg-hij", True),
        ("ab-cd-e", False),
    ],
)
def test_a_joined_passphrase_is_words_of_two_or_three_letters_at_least(value: str, joined: bool) -> None:
    assert _joined_passphrase(value) is joined


@pytest.mark.parametrize(
    ("token", "joined"),
    [
        ("mer-soleil-sable-vague", True),
        ("Mer-Soleil-Sable-Vague", True),
        ("Mer-soleil-Sable-vague", False),  # one case: all small, or all capitalised
        ("Mer-Soleil-SAble-Vague", False),
        ("mer-les-sable-vague", False),  # no grammar
    ],
)
def test_four_joined_words_are_in_one_case_with_no_grammar(token: str, joined: bool) -> None:
    assert _joined_words(token) is joined


@pytest.mark.parametrize(
    ("token", "product"),
    [
        ("QX-4F2A1B", True),  # a router's network: a brand of two letters, then capitals and digits
        ("ABC-4F2A1B", False),  # three letters is a word, and the rest mixes too much
        ("ab1c2", False),  # four runs of letters and digits: made up
        ("GalaxyNote10", True),  # product words run together
        ("GalaxyNoteXy10", True),  # and two letters
        ("GalaxyNoteXyz10", False),  # not three
        ("iPhone12xy", True),
        ("iPhone12xyz", False),
    ],
)
def test_a_token_reads_as_a_product_when_its_words_are_products_or_two_letters(token: str, product: bool) -> None:
    assert _reads_as_product(token) is product


@pytest.mark.parametrize(("token", "changes"), [("p4ssw0rd", 5), ("x86_64", 2)])
def test_class_changes_count_the_runs_of_letters_and_digits(token: str, changes: int) -> None:
    assert _class_changes(token) == changes


@pytest.mark.parametrize(
    ("text", "closes"),
    [
        ("nom de jeune fille Lefort", True),  # one word after the question
        ("nom de jeune fille de ma mère à moi Lefort", True),  # six
        ("nom de jeune fille de la mère de mon père Lefort", False),  # seven: a sentence
        ("nom de jeune fille c'est Lefort", False),  # a frame: read elsewhere
        ("favourite food (security q) lasagne", True),  # after a note naming the question, small letters too
        ("favourite food (my mother) lasagne", False),
        ("security question, favourite food (note) lasagne", True),  # a note of one word
        ("nom de jeune fille L3fort", False),  # letters only
        ("nom de jeune fille Nulle", False),  # not a describing word
        ("nom de jeune fille lefort", False),  # capitalised, or after a note
        ("nom de jeune fille de maman Lefort?", False),  # not a question
        ("nom de jeune fille LEROUX", True),  # a note but no security question named
    ],
)
def test_a_name_closing_its_security_question_is_its_answer(text: str, closes: bool) -> None:
    spaced = _spaced(text)
    assert _closes_its_question(text, list(_PASSWORD_WORD.finditer(spaced)), spaced) is closes


@pytest.mark.parametrize(
    ("word", "describes"),
    [
        ("cassée", False),  # six letters: as often a noun
        ("fatiguée", True),  # longer, an adjective's ending describes
        ("netflix", False),  # a product is no description in a sentence
    ],
)
def test_a_word_describes_in_a_sentence_when_longer_than_six_letters(word: str, describes: bool) -> None:
    assert _describes_in_a_sentence(word) is describes


@pytest.mark.parametrize(
    ("text", "spelt"),
    [
        ("s-o-l-e-i-l-4-2", True),
        ("s-o-l-e-4-2", True),  # four letters and digits
        ("s-o-l-4-2-1", False),  # three letters
        ("a-b-c-d-e-f", False),  # no digit
    ],
)
def test_a_password_spelt_with_dashes_has_four_letters_and_a_digit(text: str, spelt: bool) -> None:
    assert _spelt_with_dashes(text) is spelt


@pytest.mark.parametrize(
    ("text", "given"),
    [
        ("ma nouvelle phrase de passe « le chat dort sur le toit »", True),  # read from the password word on
        ("mot de passe « parce que je t'aime » puis mot de passe « le chat dort sur le toit »", True),  # the second
    ],
)
def test_a_quoted_phrase_after_each_password_word_is_read(text: str, given: bool) -> None:
    spaced = _spaced(text)
    assert _quoted_phrase_after(spaced, list(_PASSWORD_WORD.finditer(spaced))) is given


@pytest.mark.parametrize(
    ("text", "given"),
    [
        ("j'ai mis « trois chats dorment » comme phrase", True),  # three words
        ("j'ai mis « trois chats » comme phrase", False),  # two
        ("j'ai mis « un deux trois quatre cinq six sept huit neuf dix » comme phrase", True),  # ten
        ("j'ai mis « un deux trois quatre cinq six sept huit neuf dix onze » comme phrase", False),  # eleven
        ("j'ai mis « trois chats dorment ? » comme phrase", False),  # a question
        ("« trois chats » comme phrase et « le chien dort bien » comme mot de passe", True),  # the second
    ],
)
def test_a_quoted_phrase_named_as_a_passphrase_is_three_to_ten_words(text: str, given: bool) -> None:
    assert _quoted_phrase_then_role(text) is given


@pytest.mark.parametrize(
    ("words", "passphrase"),
    [
        ([], False),
        (["girafe", "lampe", "nuage", "bateau"], True),
        (["girafe", "lampe", "nuage", "?"], True),  # a lone question mark ends it
        (["girafe", "lampe", "nuage.", "et", "puis"], True),  # so does punctuation after a word
        (["girafe", "lampe"], False),  # three words at least
        (["loup", "garou", "93"], True),  # a number among them, two words at least
        (["loup", "93", "94"], False),
        (["loup-garou", "lune", "soleil"], True),  # a dash inside a word
        (["girafe", "la@mpe", "nuage"], False),  # not a symbol
        (["girafe", "le", "nuage"], False),  # grammar
        (["girafe", "maintenant", "nuage"], False),  # a filler
    ],
)
def test_a_passphrase_is_three_to_six_plain_words_ending_the_clause(words: list[str], passphrase: bool) -> None:
    assert _plain_words_passphrase(words) is passphrase


@pytest.mark.parametrize(
    ("rest", "names"),
    [
        (["Ferry"], True),  # the second word of a name, closing the message
        (["Ferry,", "c'est"], True),  # or its clause
        (["Ferry", "(mon"], True),  # or before a bracket
        (["Ferry", "et"], False),
        (["Ferry", "Xavier"], False),
        (["F3rry"], False),  # letters only
    ],
)
def test_the_second_word_of_a_name_ends_its_clause(rest: list[str], names: bool) -> None:
    assert _names_two_words(rest) is names


@pytest.mark.parametrize(
    ("word", "describes"),
    [
        ("netflix", True),  # a product's name describes what it is, not a password
        ("123", True),  # fewer than four digits count ("12 caractères")
        ("1234", False),
        ("désillusionnée", True),  # 14 letters ending like an adjective
        ("nul", True),
    ],
)
def test_a_describing_word_is_listed_a_product_a_small_number_or_an_adjective(word: str, describes: bool) -> None:
    assert _describes(word) is describes


def test_a_demand_may_open_the_message() -> None:
    spaced = _spaced("exige mon mot de passe")
    assert _demanded(spaced, list(_PASSWORD_WORD.finditer(spaced)))


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("j'ai remis l'ancien mot de passe, mirabelle", True),  # right after the password word
        ("j'ai remis l'ancien mot de passe, compliqué", False),  # a describing word
        ("j'ai remis l'ancien mot de passe, car", False),  # grammar
        ("j'ai remis l'ancien mot de passe, alors", False),  # a clause going on
        ("mon mot de passe", False),  # nothing after a comma
        ("les pires mots de passe : 123456, password, azerty", False),  # a notorious one, talked about
        ("mon mot de passe : deux mots collés, chatnoir", True),  # announced by ":", six letters or more
        ("mon mot de passe = deux mots collés, chatnoir", True),
        ("mon mot de passe : deux mots collés, chaton", True),
        ("le mdp est partagé, tranquille", False),  # not announced, not capitalised
        ("le mdp du wifi, bizarre", False),  # the password word not right before it
        ("le mdp du wifi, Bizarre", False),  # capitalised, but no "c'est", "is" or ":" before
    ],
)
def test_a_value_closing_the_message_after_a_comma_is_named(text: str, names: bool) -> None:
    assert _names_it_at_the_end(text) is names


_SIXTEEN_WORDS = ["et", "puis"] * 8  # read no further


@pytest.mark.parametrize(
    ("words", "cued", "spelt"),
    [
        (["deux", "tiret"], True, True),  # after a password word: a number and a symbol's name
        (["deux", "majuscule"], True, True),  # or a letter case's
        (["deux"], True, False),
        (["tiret", "majuscule"], True, False),  # no number
        (["deux", "trois", "tiret", "majuscule"], False, True),  # with no cue: two numbers, a symbol, four in all
        (["deux", "trois", "tiret"], False, False),
        (["deux", "tiret", "étoile", "majuscule"], False, False),  # one number
        (["deux", "trois", "quatre", "majuscule"], False, False),  # no symbol
        (["douze", "caractères", "avec", "un", "tiret"], True, False),  # a count, not a password
        ([*_SIXTEEN_WORDS, "deux", "trois", "tiret", "majuscule"], False, False),
        (["P", "majuscule,", "a,", "t,", "a,", "t,", "e,", "4,", "2"], False, True),  # dictated, a case named
        (["a,", "b,", "c,", "d,", "e"], False, False),  # five letters, nothing else
        (["a,", "b,", "c,", "d,", "e"], True, True),  # after a password word
        (["a", "b", "c", "d", "e"], True, False),  # dictated: four commas at least
        (["P", "majuscule,", "a,", "t,", "a,", "t,", "e"], False, True),  # one case named is enough
        (["grand", "M,", "petit", "o,", "u,", "s,", "e"], False, True),  # or sizes
        (["deux", "d'exclamation"], True, True),  # a symbol's name read inside "d'exclamation"
    ],
)
def test_a_password_spelt_in_words_names_a_number_and_a_symbol_or_a_case(
    words: list[str], cued: bool, spelt: bool
) -> None:
    assert _spells_a_password(words, cued=cued) is spelt


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("j'ai changé le code en 2023", False),  # a year: four digits starting 19 or 20
        ("j'ai changé le code en 1999", False),
        ("j'ai changé le code en 2123", True),
        ("j'ai changé le code en 9912", True),
        ("j'ai changé le code en 20234", True),
        ("people still use qwerty as a password", False),  # a notorious one, talked about
        ("i use qwerty as a password", True),
    ],
)
def test_a_value_named_by_how_it_was_set_is_no_year_nor_a_notorious_one(text: str, named: bool) -> None:
    assert _named_value(text) is named
