"""The stalkerware look-up: in /espion and at any time (text no route claims), its three answers (found, "not in
the list, which proves nothing", unavailable without data), Echap's credit, nothing typed kept or logged; then
end to end through the fake Bot API with Echap's real file when this machine has it."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.actions import DataSets
from bot.core.dialogue import Content
from bot.core.engine import Command, Pick, State, Text, Unrouted, step
from bot.core.i18n import Translator
from bot.core.render import Reply
from bot.lookups.stalkerware import Indicators
from bot.service import Gaffe
from bot.storage import Store
from tests.support.bot_harness import next_message, press, running_bot, settings_for
from tests.support.fake_bot_api import FakeBotApi
from tests.support.paths import ROOT

SAMPLE = ROOT / "tests" / "fixtures" / "data" / "ioc-sample.yaml"
REAL = Path("/work/shared/data/stalkerware-indicators/ioc.yaml")
needs_real = pytest.mark.skipif(not REAL.exists(), reason="Echap's ioc.yaml is not on this machine")
USER = 77


async def _ignore(reply: Reply) -> None:
    pass


@pytest.fixture
def gaffe(shipped: Content, translators: dict[str, Translator], store: Store) -> Gaffe:
    return Gaffe(shipped, translators, store, data=DataSets({Indicators: Indicators.parse(SAMPLE.read_bytes())}))


async def at_lookup(gaffe: Gaffe, language: str = "fr") -> Reply:
    """/espion → "this device is safe" → the country (asked before the help lines: the first one offered) →
    "look up an app's name"."""
    reply = await gaffe.handle(USER, Command("espion"), _ignore, language)
    reply = await gaffe.handle(USER, Pick(reply.step or 0, 0), _ignore, language)
    reply = await gaffe.handle(USER, Pick(reply.step or 0, 0), _ignore, language)
    lookup = "Chercher le nom d'une appli" if language == "fr" else "Look up an app's name"
    return await gaffe.handle(USER, Pick(reply.step or 0, reply.labels.index(lookup)), _ignore, language)


def test_unrouted_text_is_an_effect_and_routed_text_is_not(shipped: Content) -> None:
    assert step(shipped, State(), Text("com.mspy.lite")).effects == (Unrouted("com.mspy.lite"),)
    assert step(shipped, State(), Text("aide")).effects == ()  # a route claims it: no look-up


@pytest.mark.parametrize("typed", ["com.mspy.lite", "https://www.mspy.com/buy", "eyeZy", "KidSecured"])
async def test_an_app_typed_at_any_time_gets_the_look_up(gaffe: Gaffe, typed: str) -> None:
    """("mSpy" itself opens /mspy, the story and its lessons: a route claims the word; the look-up is also in
    /espion, where a typed name is always looked up.)"""
    reply = await gaffe.handle(USER, Text(typed), _ignore)
    assert "<b>mSpy</b> est dans la liste des logiciels espions connus" in reply.text, reply.text
    assert "pas qu'elle est sur ton téléphone" in reply.text and "Echap" in reply.text and "CC BY 4.0" in reply.text


@pytest.mark.parametrize("typed", ["com.whatsapp", "org.telegram.messenger", "WhatsApp", "c'est quoi com.whatsapp ?"])
async def test_an_unlisted_app_typed_at_any_time_is_not_in_the_list_which_proves_nothing(
    gaffe: Gaffe, typed: str
) -> None:
    reply = await gaffe.handle(USER, Text(typed), _ignore)
    assert "cherché dans la liste des logiciels espions connus" in reply.text, reply.text
    assert "Pas dans la liste, ce qui ne prouve rien" in reply.text and "Echap" in reply.text
    assert "/checkup" not in reply.text and typed not in reply.text  # never "I don't understand"; never echoed


async def test_a_listed_name_inside_a_sentence_is_looked_up_but_not_a_plain_word(gaffe: Gaffe) -> None:
    reply = await gaffe.handle(USER, Text("mon copain a installé eyezy je crois"), _ignore)
    assert "<b>mSpy</b> est dans la liste" in reply.text, reply.text
    reply = await gaffe.handle(USER, Text("j'ai trouvé android.helper.system dans mes applis"), _ignore)
    assert "<b>mSpy</b> est dans la liste" in reply.text, reply.text
    reply = await gaffe.handle(USER, Text("mon chien s'appelle cerberus"), _ignore)  # a listed name, a plain word
    assert "Echap" not in reply.text and "/checkup" in reply.text


async def test_anything_else_at_any_time_keeps_the_short_answer(gaffe: Gaffe) -> None:
    for typed in ("salut", "", "bonne journée à toi", "www", "iPhone", "j'ai un iPad"):
        reply = await gaffe.handle(USER, Text(typed), _ignore)
        assert "/checkup" in reply.text and "112" in reply.text and "Echap" not in reply.text
    gaffe.data = DataSets()  # without data: "unavailable" for an app, never "not found"
    for typed in ("com.mspy.lite", "eyeZy"):
        reply = await gaffe.handle(USER, Text(typed), _ignore)
        assert "La recherche est indisponible" in reply.text and "Pas dans la liste" not in reply.text
    assert "/checkup" in (await gaffe.handle(USER, Text("salut"), _ignore)).text


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_an_app_typed_at_a_question_gets_the_look_up_then_the_question_again(gaffe: Gaffe, language: str) -> None:
    asked = await gaffe.handle(USER, Command("checkup"), _ignore, language)
    for typed, expected in (("eyeZy", ("mSpy", "Echap")), ("com.whatsapp", ("Echap",))):
        reply = await gaffe.handle(USER, Text(typed), _ignore, language)
        assert all(part in reply.text for part in expected), reply.text
        assert reply.labels == asked.labels  # the same question, its buttons again
    other = await gaffe.handle(USER, Text("bof"), _ignore, language)
    assert "Echap" not in other.text and other.labels == asked.labels
    assert ("boutons" if language == "fr" else "buttons") in other.text


async def test_content_without_the_look_up_keeps_the_short_answer(
    mini: Content, mini_translators: dict[str, Translator], store: Store
) -> None:
    gaffe = Gaffe(mini, mini_translators, store, data=DataSets({Indicators: Indicators.parse(SAMPLE.read_bytes())}))
    reply = await gaffe.handle(USER, Text("com.mspy.lite"), _ignore)
    assert reply.text == "Tape /quiz."


async def test_the_three_answers_in_espion(gaffe: Gaffe) -> None:
    await at_lookup(gaffe)
    found = await gaffe.handle(USER, Text("TheTruthSpy"), _ignore)
    assert "<b>TheTruthSpy</b> est dans la liste" in found.text and "Copy9, InoSPy" in found.text
    assert "Chercher un autre nom" in found.labels
    again = await gaffe.handle(USER, Pick(found.step or 0, 0), _ignore)
    missing = await gaffe.handle(USER, Text("com.whatsapp"), _ignore)
    assert again.text and "Pas dans la liste, ce qui ne prouve rien" in missing.text and "Echap" in missing.text
    gaffe.data = DataSets()
    await gaffe.handle(USER, Pick(missing.step or 0, 0), _ignore)
    unavailable = await gaffe.handle(USER, Text("com.whatsapp"), _ignore)
    assert "La recherche est indisponible" in unavailable.text and "Pas dans la liste" not in unavailable.text


async def test_the_english_answers(gaffe: Gaffe) -> None:
    await at_lookup(gaffe, "en")
    missing = await gaffe.handle(USER, Text("com.whatsapp"), _ignore)
    assert "Not in the list, which proves nothing" in missing.text and "Echap" in missing.text
    assert missing.labels[0] == "Look up another name"
    await gaffe.handle(USER, Pick(missing.step or 0, 0), _ignore)
    found = await gaffe.handle(USER, Text("mspy.com"), _ignore)
    assert "<b>mSpy</b> is on the list of known spyware" in found.text and "Other names: FakeSys" in found.text
    assert "eyeZy" in found.text and "not that it's on your phone" in found.text and "CC BY 4.0" in found.text


async def test_nothing_typed_is_stored_or_logged(
    gaffe: Gaffe, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await at_lookup(gaffe)
    await gaffe.handle(USER, Text("com.secret.app"), _ignore)
    await gaffe.handle(USER + 1, Text("com.mspy.lite"), _ignore)
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as db:
        dumped = "\n".join(db.iterdump())
    assert "com.secret.app" not in dumped and "com.mspy.lite" not in dumped
    assert "com.secret.app" not in caplog.text and "com.mspy.lite" not in caplog.text


# --- end to end, with Echap's real file ------------------------------------------------------------------
@needs_real
@pytest.mark.parametrize(
    ("language", "found", "missing"),
    [
        ("fr", "est dans la liste des logiciels espions connus", "Pas dans la liste, ce qui ne prouve rien"),
        ("en", "is on the list of known spyware", "Not in the list, which proves nothing"),
    ],
)
async def test_the_real_list_end_to_end(
    fake: FakeBotApi, tmp_path: Path, language: str, found: str, missing: str
) -> None:
    db = tmp_path / "g.sqlite3"
    async with running_bot(fake, db, replace(settings_for(fake, db), stalkerware_ioc=REAL)):
        mark = len(fake.sent)
        fake.user_sends(USER, "com.mspy.lite", language_code=language)  # at any time
        answer, mark = await next_message(fake, USER, mark)
        assert "mSpy" in answer["text"] and found in answer["text"] and "Echap" in answer["text"]
        fake.user_sends(USER, "/espion" if language == "fr" else "/spyware", language_code=language)
        warn, mark = await next_message(fake, USER, mark)
        picker, mark = await press(fake, USER, warn, 0, mark)  # "this device is safe": the help needs a country
        help_lines, mark = await press(fake, USER, picker, 0, mark)  # the first country offered
        _, mark = await press(fake, USER, help_lines, 3, mark)  # "look up an app's name", the fourth button
        for typed, expected in (("mSpy", "<b>mSpy</b>"), ("eyeZy", "<b>mSpy</b>"), ("com.whatsapp", missing)):
            fake.user_sends(USER, typed, language_code=language)
            answer, mark = await next_message(fake, USER, mark)
            assert expected.replace("<b>", "").replace("</b>", "") in answer["text"], answer["text"]
            assert (found in answer["text"]) == (typed != "com.whatsapp")
            if typed != "com.whatsapp":
                _, mark = await press(fake, USER, answer, 0, mark)  # "look up another name"
