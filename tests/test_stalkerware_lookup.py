"""The stalkerware look-up: in /espion and at any time (text no route claims), its three answers (found, "not in
the list, which proves nothing", unavailable without data) word for word, Echap's credit and the list's date,
nothing typed kept or logged; the list loaded at start-up and downloaded by update-data. End to end through the
fake Bot API with Echap's real file: tests/test_stalkerware_telegram.py."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.actions import DataSets
from bot.core.dialogue import Content
from bot.core.engine import Command, Pick, State, Text, Unrouted, step
from bot.core.i18n import Translator
from bot.core.render import Reply, message
from bot.features.stalkerware import LookUpAnswer, download, local_indicators
from bot.lookups.stalkerware import Indicators, StalkerwareApp
from bot.service import Gaffe
from bot.storage import Store
from tests.support.data_server import data_server
from tests.support.paths import ROOT

SAMPLE = ROOT / "tests" / "fixtures" / "data" / "ioc-sample.yaml"
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


# --- the answers, word for word ---------------------------------------------------------------------------------
CREDIT = "<i>Source : la liste d'Echap (stalkerware-indicators), licence CC BY 4.0</i>"


def app(aliases: int) -> StalkerwareApp:
    return StalkerwareApp("SpyApp", tuple(f"Alias{i}" for i in range(1, aliases + 1)), ("com.spy.app",), ())


def answer(shipped: Content, translators: dict[str, Translator], looked_up: LookUpAnswer) -> str:
    text, files = looked_up.render(shipped, translators["fr"])
    assert files == ()
    return text.replace("\u00a0", " ")  # French typography: a no-break space before ":"


def said(shipped: Content, translators: dict[str, Translator], key: str) -> str:
    return message(shipped, translators["fr"], key).replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("aliases", "line"),
    [
        (0, ""),
        (1, "\nAutre nom : Alias1"),
        (12, "\nAutres noms : " + ", ".join(f"Alias{i}" for i in range(1, 13))),
        (13, "\nAutres noms : " + ", ".join(f"Alias{i}" for i in range(1, 13)) + ", …"),  # twelve shown at most
    ],
)
def test_found_names_the_app_its_aliases_the_warning_and_the_dated_credit(
    shipped: Content, translators: dict[str, Translator], aliases: int, line: str
) -> None:
    text = answer(shipped, translators, LookUpAnswer(app(aliases), as_of=date(2026, 6, 21)))
    assert text == "\n\n".join([
        f"<b>SpyApp</b> est dans la liste des logiciels espions connus.{line}",
        said(shipped, translators, "stalkerware_warning"),
        f"{CREDIT}\n<i>Données du 21 juin 2026.</i>",
    ])  # fmt: skip


def test_not_found_says_it_proves_nothing_and_what_was_looked_up_when_unasked(
    shipped: Content, translators: dict[str, Translator]
) -> None:
    not_found = said(shipped, translators, "stalkerware_not_found")
    assert not_found.startswith("Pas dans la liste, ce qui ne prouve rien")
    assert answer(shipped, translators, LookUpAnswer(None)) == f"{not_found}\n\n{CREDIT}"  # undated: no date line
    unasked = answer(shipped, translators, LookUpAnswer(None, as_of=date(2026, 6, 21), unasked=True))
    assert unasked == (
        "Ça ressemble à un nom d'appli, alors je l'ai cherché dans la liste des logiciels espions connus.\n"
        f"{not_found}\n\n{CREDIT}\n<i>Données du 21 juin 2026.</i>"
    )


def test_without_a_list_the_look_up_is_unavailable_never_not_found(
    shipped: Content, translators: dict[str, Translator]
) -> None:
    text = answer(shipped, translators, LookUpAnswer(None, available=False, as_of=date(2026, 6, 21), unasked=True))
    assert text == said(shipped, translators, "stalkerware_unavailable")
    assert text.startswith("La recherche est indisponible pour l'instant")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("org.telegram.messenger", "Ça ressemble à un nom d'appli"),  # a package: its first label is a known root
        ("zz.telegram.messenger", "/checkup"),  # not a package root: a sentence's "word.word", not an app
        ("Tele-Gram", "/checkup"),  # not written like an app
        ("iCloud", "/checkup"),  # written like an app, but a system
        ("TopSpy", "Ça ressemble à un nom d'appli"),  # an inner capital: written like an app, not in the list
        ("tu connais TopSpy?", "Ça ressemble à un nom d'appli"),  # punctuation around a word is not part of it
    ],
)
async def test_what_looks_like_an_app_at_any_time(gaffe: Gaffe, typed: str, expected: str) -> None:
    assert expected in (await gaffe.handle(USER, Text(typed), _ignore)).text


@pytest.mark.parametrize(
    ("sentence", "found"),
    [
        ("il m'a parlé de copy9 hier", True),  # an alias with a digit
        ("c'est peut-être inospy", True),  # an alias with "spy"
        ("mon fils joue à cerberus", False),  # a listed name, but also a plain word
        ("il a phonsee je crois", False),  # a name written like a plain word (alone, it is looked up)
        ("j'ai vu le site fonetracker.com ce matin", True),  # a domain
    ],
)
async def test_a_listed_name_in_a_sentence_only_when_it_can_only_be_an_app(
    gaffe: Gaffe, sentence: str, found: bool
) -> None:
    text = (await gaffe.handle(USER, Text(sentence), _ignore)).text
    assert ("est dans la liste des logiciels espions connus" in text) == found, text


async def test_a_name_that_holds_spy_is_an_app_even_without_capitals_or_digits(gaffe: Gaffe) -> None:
    gaffe.data = DataSets({Indicators: Indicators.parse(b"- name: Spyhide\n  type: stalkerware\n")})
    reply = await gaffe.handle(USER, Text("mon ex a mis spyhide sur mon tel"), _ignore)
    assert "<b>Spyhide</b> est dans la liste des logiciels espions connus" in reply.text, reply.text


# --- the list: loaded at start-up, downloaded by update-data ---------------------------------------------------------
def test_start_up_reads_the_list_the_settings_name(tmp_path: Path) -> None:
    loaded = local_indicators(replace(Settings.from_env(), stalkerware_ioc=SAMPLE, data_dir=tmp_path))
    assert loaded is not None and len(loaded) == 5
    assert local_indicators(replace(Settings.from_env(), stalkerware_ioc=None, data_dir=tmp_path)) is None


async def test_update_data_downloads_the_list_into_the_data_folder_and_credits_echap(tmp_path: Path) -> None:
    async with data_server() as server:
        server.serve("/ioc.yaml", SAMPLE.read_bytes())
        settings = replace(Settings.from_env(), stalkerware_url=f"{server.base_url}/ioc.yaml", data_dir=tmp_path)
        said = await download(replace(settings, stalkerware_ioc=None))
        assert (tmp_path / "ioc.yaml").read_bytes() == SAMPLE.read_bytes()
        assert said == [
            f"Stalkerware indicators: 5 apps in {tmp_path / 'ioc.yaml'}",
            "  Credit: Echap, stalkerware-indicators (https://github.com/AssoEchap/stalkerware-indicators), CC BY 4.0",
        ]
        elsewhere = await download(replace(settings, stalkerware_ioc=SAMPLE))
    assert elsewhere[2:] == [f"  GAFFE_STALKERWARE_IOC is set: Gaffe reads {SAMPLE}, not this copy"]
