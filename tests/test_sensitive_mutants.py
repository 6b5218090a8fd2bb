"""The secret filter's checksums and bounds, where mutation testing (bench/mutation.py) found no test that fails.

Why a file of its own: tests/test_sensitive.py and the corpora pin what the filter decides on real-looking lines;
these pin the arithmetic under some of those decisions (a check letter, a mod-97 key, a length bound), with a
valid number next to the same number made invalid, and no cue word, so that only the check decides.
"""

from __future__ import annotations

import pytest

from bot.core.sensitive import SecretKind, detect, name_problem


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
