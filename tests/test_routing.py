"""Free text outside a question opens the dialogue it is about, in the user's language; anything else
gets a short answer with the commands and the emergency numbers."""

from __future__ import annotations

import pytest

from bot.core.actions import DataSets
from bot.core.dialogue import Content
from bot.core.engine import Ask, Command, Notice, SecretRefused, State, Text, Unrouted, step
from bot.core.i18n import Translator
from bot.core.profile import Profile
from bot.core.render import Reply, render
from bot.core.routing import Route, build_routes, normalise, routes_of
from bot.service import Gaffe
from bot.storage import Store


def test_normalise_ignores_case_accents_and_punctuation() -> None:
    assert normalise("Je crois qu'on m'A PIRATÉ !!") == "je crois qu on m a pirate"
    assert normalise("  Mot-de-passe…  fuité ?") == "mot de passe fuite"
    assert normalise("l’espion") == "l espion"


def test_the_most_specific_phrase_wins_on_word_boundaries() -> None:
    index = build_routes(
        [
            Route("piraté", "fr", "incident"),
            Route("compte piraté", "fr", "account"),
            Route("pirat*", "fr", "prefix"),
            Route("mspy", "fr", "spy"),
            Route("hacked", "en", "incident"),
        ]
    )
    assert index.route("mon compte piraté", "fr") == "account"  # two words beat one
    assert index.route("on m'a PIRATE", "fr") == "incident"  # an exact word beats a prefix
    assert index.route("un piratage ?", "fr") == "prefix"
    assert index.route("j'ai trouvé mSpy", "fr") == "spy"
    assert index.route("mspyware", "fr") is None and index.route("unhacked", "en") is None
    assert index.route("I got hacked", "fr") == "incident"  # the other language's phrases come next
    assert index.route("rien à voir", "fr") is None


def test_the_issue_examples_open_the_incident_dialogue_in_the_right_language(
    mini: Content, mini_translators: dict[str, Translator]
) -> None:
    for language, text, question in (
        ("fr", "je crois qu'on m'a piraté mon compte", "Aïe. C'est quel compte ?"),
        ("en", "I think I got hacked", "Ouch. Which account?"),
    ):
        result = step(mini, State(Profile(language)), Text(text))
        assert result.state.dialogue == "incident" and result.state.language == language and result.changed
        assert render(mini, mini_translators[language], result.outputs).text == question


def test_routing_never_takes_an_answer_nor_a_secret(mini: Content) -> None:
    asking_name = step(mini, State(), Command("quiz")).state
    named = step(mini, asking_name, Text("Arnaque"))  # a free-text answer is an answer
    assert named.state.dialogue == "quiz" and named.state.answers["name"] == "Arnaque"
    refused = step(mini, State(), Text("on m'a piraté, mon mot de passe c'était soleil123"))
    assert refused.outputs == (SecretRefused("password"),) and refused.state == State()


def test_at_buttons_a_new_topic_opens_its_dialogue_and_the_same_one_asks_again(mini: Content) -> None:
    at_quiz_buttons = step(mini, step(mini, State(), Command("quiz")).state, Text("Ada")).state
    moved = step(mini, at_quiz_buttons, Text("attends, je crois que c'est une arnaque"))
    assert moved.state.dialogue == "incident" and moved.state.answers == {}
    again = step(mini, moved.state, Text("piraté"))
    assert again.outputs[0] == Notice("use_buttons") and isinstance(again.outputs[1], Ask)
    assert again.state == moved.state


async def test_anything_else_gets_the_commands_and_the_emergency_numbers(
    shipped: Content, translators: dict[str, Translator], store: Store
) -> None:
    result = step(shipped, State(), Text("blablabla"))
    assert result.effects == (Unrouted("blablabla"),) and not result.changed  # a feature may still answer it
    gaffe = Gaffe(shipped, translators, store, data=DataSets())
    for language, help_command in (("fr", "/aide"), ("en", "/help")):
        text = (await gaffe.handle({"fr": 1, "en": 2}[language], Text("blablabla"), _ignore, language)).text
        assert "/checkup" in text and help_command in text and "112" in text
        assert "17 " not in text and "114" not in text  # the country is not known yet: no French number
    # The numbers follow the user's country (their profile), in their language.
    for user, country, language, number in ((3, "fr", "fr", "le 17"), (4, "ca", "en", "911"), (5, "gb", "en", "999")):
        await store.save(user, State(Profile(language, country)))
        text = (await gaffe.handle(user, Text("blablabla"), _ignore)).text
        assert number in text
        assert country == "fr" or "112" not in text  # 112 is for the EU (and France): not Canada's, not the UK's


async def _ignore(reply: Reply) -> None:
    pass


def test_the_shipped_dialogues_have_routes(shipped: Content) -> None:
    assert shipped.routes.route("je veux refaire mon check-up", "fr") == "checkup"
    assert shipped.routes.route("what can you do?", "en") == "aide"
    assert shipped.routes.route("Parle-moi en anglais", "fr") == "langue"


@pytest.mark.parametrize(
    ("text", "language", "dialogue", "opening"),
    [
        ("je crois qu'on m'a piraté mon compte", "fr", "piratage", "Ok, on respire"),
        ("I think I got hacked", "en", "piratage", "Okay, deep breath"),
        ("mon copain lit mes messages", "fr", "espion", "cette personne peut aussi voir cette conversation"),
        ("j'ai reçu un SMS bizarre pour un colis", "fr", "arnaque", "Un message louche"),
        ("rappelle-moi de changer mon mot de passe", "fr", "rappels", "Les rappels"),
        ("how do passkeys work", "en", "motsdepasse", "way too many passwords"),
    ],
)
def test_free_text_opens_the_right_shipped_dialogue_in_the_users_language(
    shipped: Content, translators: dict[str, Translator], text: str, language: str, dialogue: str, opening: str
) -> None:
    result = step(shipped, State(Profile(language)), Text(text))
    assert result.state.dialogue == dialogue
    shown = render(shipped, translators[language], result.outputs).text
    assert opening.lower() in shown.lower(), shown


def test_a_lone_identifier_is_left_for_the_look_ups(shipped: Content) -> None:
    for identifier in ("com.mspy.lite", "mspy.com", "https://www.mspy.com/"):
        result = step(shipped, State(), Text(identifier))
        assert result.state.dialogue is None and result.effects == (Unrouted(identifier),) and not result.outputs


def test_the_users_language_is_searched_first_then_the_others() -> None:
    """A phrase in the user's language wins over a more specific one in another; a language with no routes
    of its own falls back to the others."""
    index = build_routes(
        [*routes_of("passwords", {"fr": ["mot de passe"]}), *routes_of("stolen", {"en": ["mot de passe vole"]})]
    )
    assert index.route("mon mot de passe volé", "fr") == "passwords"
    assert index.route("mon mot de passe volé", "en") == "stolen"
    assert index.route("mon mot de passe volé", "de") == "stolen"  # no German routes: English, then French
