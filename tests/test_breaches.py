"""Breach watch (/fuites, /breaches): what a watch keeps and shows (word for word), alerts from a newer catalogue
served over HTTP (once per watcher, none for others, none lost across a restart, in order, numbered, logged), the
alert's button, the watches exported, counted and erased, the data loaded at start-up and by update-data. The whole
feature end to end through the fake Bot API: tests/test_breaches_telegram.py."""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import load_data, open_gaffe
from bot.config import Settings
from bot.core.actions import DataSets
from bot.core.dialogue import Content
from bot.core.engine import Command, Input, Pick, Press, Push, Text
from bot.core.events import AccountPasswordChanged
from bot.core.i18n import Translator
from bot.core.render import Reply
from bot.features.breaches import BreachAlert, daily_refresh, download_catalogue, local_catalogue, refresh_breaches
from bot.lookups.breaches import CACHE_FILE, Catalogue, fetch_catalogue
from bot.lookups.download import modified_on
from bot.lookups.stalkerware import Indicators
from bot.scheduler import JobContext, PushTo
from bot.service import Gaffe
from bot.storage import Store
from tests.support.data_server import data_server
from tests.support.database import rows
from tests.support.paths import ROOT
from tests.support.screen import Screen

DATA = ROOT / "tests" / "fixtures" / "data"
SAMPLE = (DATA / "hibp-breaches-sample.json").read_bytes()
REAL_HIBP = Path("/work/shared/data/hibp/breaches-2024-11-22.json")
REAL_IOC = Path("/work/shared/data/stalkerware-indicators/ioc.yaml")
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ALICE, BOB, CAROL = 101, 102, 103


def without(raw: bytes, *names: str) -> bytes:
    """The catalogue as it was before these breaches were added."""
    return json.dumps([b for b in json.loads(raw) if b["Name"] not in names]).encode()


OLDER = without(SAMPLE, "mSpy2024")  # then mSpy2024 appears: one more breach of mSpy


class Screens:
    """Every reply each user was shown."""

    def __init__(self) -> None:
        self.phones: defaultdict[int, Screen] = defaultdict(Screen)

    def to(self, user_id: int) -> Screen:
        return self.phones[user_id]


async def say(gaffe: Gaffe, screens: Screens, user: int, received: Input, language: str = "fr") -> Reply:
    return await gaffe.handle(user, received, screens.to(user), language)


async def watch(gaffe: Gaffe, screens: Screens, user: int, *queries: str, language: str = "fr") -> Reply:
    reply = await say(gaffe, screens, user, Command("fuites"), language)
    for query in queries:
        reply = await say(gaffe, screens, user, Pick(reply.step or 0, 0), language)  # "add a (another) service"
        reply = await say(gaffe, screens, user, Text(query), language)
    return reply


def pusher(gaffe: Gaffe, screens: Screens):  # type: ignore[no-untyped-def]
    async def push(user_id: int, event: Push) -> bool:
        return await gaffe.push(user_id, event, screens.to(user_id))

    return push


def alerts(screens: Screens, user: int) -> list[Reply]:
    return [r for r in screens.to(user).replies if "nouvelle fuite connue" in r.text or "new known breach" in r.text]


def settings(tmp_path: Path, source: str) -> Settings:
    return replace(
        Settings.from_env(), database=tmp_path / "g.sqlite3", data_dir=tmp_path / "data", hibp_breaches=source,
        dialogues_dir=ROOT / "dialogues", locales_dir=ROOT / "locales",
    )  # fmt: skip


@pytest.fixture
def gaffe(shipped: Content, translators: dict[str, Translator], store: Store) -> Gaffe:
    return Gaffe(shipped, translators, store, data=DataSets({Catalogue: Catalogue.parse(SAMPLE)}))


# --- what a watch keeps ----------------------------------------------------------------------------------
async def test_a_watch_keeps_the_catalogues_key_never_what_was_typed(gaffe: Gaffe, tmp_path: Path) -> None:
    screens = Screens()
    reply = await watch(gaffe, screens, ALICE, " M Spy ", "https://www.mspy.com/pricing", "Adobe")
    assert "Adobe" in reply.text and "1 fuite connue" in reply.text
    assert "Tu surveilles déjà <b>mSpy</b>" in screens.to(ALICE).replies[-3].text  # the URL named the same service
    kept = rows(tmp_path / "gaffe.sqlite3", "SELECT user_id, service FROM watched_services ORDER BY id")
    assert kept == [(ALICE, "mspy"), (ALICE, "adobe")]
    everything = "\n".join(str(r) for r in rows(tmp_path / "gaffe.sqlite3", "SELECT * FROM watched_services"))
    everything += "\n".join(str(r) for r in rows(tmp_path / "gaffe.sqlite3", "SELECT * FROM users"))
    assert "M Spy" not in everything and "pricing" not in everything


async def test_an_unknown_service_or_an_email_address_is_not_watched(gaffe: Gaffe, tmp_path: Path) -> None:
    screens = Screens()
    unknown = await watch(gaffe, screens, ALICE, "Le club de pétanque")
    assert "aucune fuite connue" in unknown.text and "je garde que des noms de ce catalogue" in unknown.text
    email = await watch(gaffe, screens, ALICE, "alice@mspy.com")
    assert "Pas d'adresse mail ici" in email.text
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT * FROM watched_services") == []


async def test_without_a_catalogue_the_feature_says_it_is_unavailable(gaffe: Gaffe, tmp_path: Path) -> None:
    gaffe.data = DataSets()
    reply = await watch(gaffe, Screens(), ALICE, "mSpy")
    assert "pas encore le catalogue" in reply.text and "aucune fuite" not in reply.text
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT * FROM watched_services") == []


async def test_the_list_offers_one_remove_button_per_service_and_a_removal_counts_once(
    gaffe: Gaffe, tmp_path: Path
) -> None:
    screens = Screens()
    reply = await watch(gaffe, screens, ALICE, "mSpy", "zoosk.com")
    reply = await say(gaffe, screens, ALICE, Pick(reply.step or 0, 1))  # "Voir ma liste"
    assert reply.labels == ("✖ mSpy", "✖ Zoosk", "Ajouter un service", "C'est bon")  # and a way on: no dead end
    remove_zoosk = reply.buttons[1].press
    assert isinstance(remove_zoosk, Press) and remove_zoosk.kind == "breach"
    removed = await say(gaffe, screens, ALICE, remove_zoosk)
    assert "je surveille plus <b>Zoosk</b>" in removed.text
    again = await say(gaffe, screens, ALICE, remove_zoosk)
    assert again.toast == "Ce service est plus dans ta liste." and not again.text
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT service FROM watched_services") == [("mspy",)]
    stolen = await say(gaffe, screens, BOB, Press("breach", 1, 0, "remove"))  # another user's watch: not theirs
    assert stolen.toast and rows(tmp_path / "gaffe.sqlite3", "SELECT count(*) FROM watched_services") == [(1,)]


# --- alerts ----------------------------------------------------------------------------------------------
async def test_a_newer_catalogue_alerts_each_watcher_once_and_nobody_else(
    shipped: Content, translators: dict[str, Translator], tmp_path: Path
) -> None:
    async with data_server() as server:
        server.serve("/breaches", OLDER)
        config = settings(tmp_path, f"{server.base_url}/breaches")
        gaffe = await open_gaffe(config)
        try:
            screens = Screens()
            push = pusher(gaffe, screens)
            assert gaffe.data.get(Catalogue).as_of == date(2024, 11, 22)  # nothing cached yet: the shipped snapshot
            assert await refresh(gaffe, config, push, T0) == 0
            await watch(gaffe, screens, ALICE, "mSpy")
            await watch(gaffe, screens, BOB, "Adobe")
            await watch(gaffe, screens, CAROL, "mspy.com", language="en")
            known = screens.to(ALICE).replies[-1].text
            assert "1 fuite connue" in known and "2024" not in known

            server.serve("/breaches", SAMPLE)
            assert await refresh(gaffe, config, push, T0 + timedelta(hours=2)) == 0  # at most daily
            assert len(server.requests) == 1
            assert await refresh(gaffe, config, push, T0 + timedelta(days=1, hours=1)) == 2
            assert len(server.requests) == 2 and all(agent for _, agent in server.requests)
            assert [len(alerts(screens, user)) for user in (ALICE, BOB, CAROL)] == [1, 0, 1]
            alert = alerts(screens, ALICE)[0]
            assert "mSpy (2024)" in alert.text and "Have I Been Pwned" in alert.text and "2FA" in alert.text
            assert "Adresses e-mail" in alert.text and alert.labels == ("J'ai changé le mot de passe",)
            english = alerts(screens, CAROL)[0]
            assert "Email addresses" in english.text and english.labels == ("I changed the password",)
            assert await refresh(gaffe, config, push, T0 + timedelta(days=3)) == 0  # nothing twice
            assert [len(alerts(screens, user)) for user in (ALICE, BOB, CAROL)] == [1, 0, 1]
            assert rows(config.database, "SELECT count(*) FROM outbox") == [(0,)]
        finally:
            await gaffe.close()


async def test_a_restart_between_caching_the_catalogue_and_alerting_loses_no_alert(tmp_path: Path) -> None:
    async with data_server() as server:
        server.serve("/breaches", OLDER)
        config = settings(tmp_path, f"{server.base_url}/breaches")
        gaffe = await open_gaffe(config)
        screens = Screens()
        await refresh(gaffe, config, pusher(gaffe, screens), T0)
        await watch(gaffe, screens, ALICE, "mSpy")
        await watch(gaffe, screens, BOB, "Adobe")
        server.serve("/breaches", SAMPLE)
        # The refresh caches the newer catalogue… and the process dies before any alert is pushed.
        await fetch_catalogue(config.hibp_breaches, config.data_dir, now=T0 + timedelta(days=1))
        await gaffe.close()

        gaffe = await open_gaffe(config)
        try:
            screens = Screens()
            catalogue = gaffe.data.get(Catalogue)
            assert isinstance(catalogue, Catalogue) and "mSpy2024" in catalogue.breaches  # the cached, newer one
            assert await refresh(gaffe, config, pusher(gaffe, screens), T0 + timedelta(days=1, hours=1)) == 1
            assert len(alerts(screens, ALICE)) == 1 and alerts(screens, BOB) == []
            assert len(server.requests) == 2  # the cached copy served the alert: nothing downloaded again
        finally:
            await gaffe.close()


async def test_a_breach_known_when_the_watch_starts_is_shown_then_never_alerted(gaffe: Gaffe, tmp_path: Path) -> None:
    screens = Screens()
    await watch(gaffe, screens, ALICE, "mSpy")
    assert "2 fuites connues" in screens.to(ALICE).replies[-1].text
    assert await refresh(gaffe, settings_with(tmp_path, SAMPLE), pusher(gaffe, screens), T0) == 0


async def refresh(gaffe: Gaffe, settings: Settings, push: PushTo, now: datetime) -> int:
    """The daily refresh as the scheduler runs it, at `now`."""
    return await refresh_breaches(JobContext(gaffe, push, settings, now))


def settings_with(folder: Path, raw: bytes) -> Settings:
    """Settings whose catalogue is a local file holding `raw` (read at each refresh)."""
    path = folder / "catalogue.json"
    path.write_bytes(raw)
    return replace(Settings.from_env(), hibp_breaches=str(path), data_dir=path.parent)


async def test_fabricated_breaches_and_spam_lists_never_alert(gaffe: Gaffe, tmp_path: Path) -> None:
    screens = Screens()
    gaffe.data = DataSets({Catalogue: Catalogue.parse(without(SAMPLE, "Zoosk", "LinkedInScrape2023"))})
    await watch(gaffe, screens, ALICE, "Zoosk", "LinkedIn")
    assert await refresh(gaffe, settings_with(tmp_path, SAMPLE), pusher(gaffe, screens), T0) == 0
    assert alerts(screens, ALICE) == []


async def test_the_alerts_button_marks_the_change_once(gaffe: Gaffe, tmp_path: Path) -> None:
    screens = Screens()
    gaffe.data = DataSets({Catalogue: Catalogue.parse(OLDER)})
    await watch(gaffe, screens, ALICE, "mSpy")
    assert await refresh(gaffe, settings_with(tmp_path, SAMPLE), pusher(gaffe, screens), T0) == 1
    button = alerts(screens, ALICE)[0].buttons[0].press
    assert isinstance(button, Press) and (button.kind, button.verb) == ("breach", "changed")
    thanks = await say(gaffe, screens, ALICE, button)
    assert "Bien joué" in thanks.text and thanks.picked and "J'ai changé le mot de passe" in thanks.picked
    again = await say(gaffe, screens, ALICE, button)
    assert again.toast == "C'est déjà noté 👍" and not again.text
    (changed_at,) = rows(tmp_path / "gaffe.sqlite3", "SELECT changed_at FROM watched_services")[0]
    assert changed_at is not None
    forged = await say(gaffe, screens, BOB, button)  # Bob's press on Alice's watch changes nothing
    assert forged.toast == "Ce service est plus dans ta liste." and not forged.text


async def remind_of(gaffe: Gaffe, screens: Screens, user: int, label: str) -> None:
    """A reminder every 3 months of an account the user names."""
    reply = await say(gaffe, screens, user, Command("rappels"))
    for answer in ("Ajouter un rappel", "Un autre compte (je tape son nom)", label, "Tous les 3 mois"):
        if reply.buttons:
            reply = await say(gaffe, screens, user, Pick(reply.step or 0, reply.labels.index(answer)))
        else:
            reply = await say(gaffe, screens, user, Text(answer))


@pytest.mark.parametrize("listening", [True, False], ids=["with reminders", "without the reminders feature"])
async def test_a_password_changed_after_an_alert_counts_the_reminder_of_that_account_done(
    gaffe: Gaffe, tmp_path: Path, listening: bool
) -> None:
    """The breach watch raises the core's AccountPasswordChanged; the reminders feature, when installed, moves the
    reminder named like the service a full cadence from now. Without it, nobody listens and the thanks are the same."""
    if not listening:
        registry = gaffe.content.registry
        appliers = {kind: apply for kind, apply in registry.appliers.items() if kind is not AccountPasswordChanged}
        gaffe.content = replace(gaffe.content, registry=replace(registry, appliers=appliers))
    screens = Screens()
    gaffe.clock = lambda: T0
    gaffe.data = DataSets({Catalogue: Catalogue.parse(OLDER)})
    await remind_of(gaffe, screens, ALICE, "mSpy perso")
    await remind_of(gaffe, screens, ALICE, "Banque")
    before = rows(tmp_path / "gaffe.sqlite3", "SELECT label, next_due_at FROM reminders ORDER BY id")
    await watch(gaffe, screens, ALICE, "mSpy")
    assert await refresh(gaffe, settings_with(tmp_path, SAMPLE), pusher(gaffe, screens), T0) == 1
    gaffe.clock = lambda: T0 + timedelta(days=30)
    thanks = await say(gaffe, screens, ALICE, alerts(screens, ALICE)[0].buttons[0].press)
    assert "Bien joué" in thanks.text
    after = rows(tmp_path / "gaffe.sqlite3", "SELECT label, next_due_at FROM reminders ORDER BY id")
    moved = ("mSpy perso", "2026-06-29T08:00:00+00:00")  # 30 + 90 days after T0, at 10:00 in Paris
    assert after == ([moved, before[1]] if listening else before) and before[0] != moved


async def test_a_repeated_alert_push_shows_nothing(gaffe: Gaffe, tmp_path: Path) -> None:
    screens = Screens()
    gaffe.data = DataSets({Catalogue: Catalogue.parse(OLDER)})
    await watch(gaffe, screens, ALICE, "mSpy")
    config = settings_with(tmp_path, SAMPLE)
    await refresh(gaffe, config, pusher(gaffe, screens), T0)
    repeat = Push("breach_alert", BreachAlert("mspy", "mSpy2024", watch_id=1, stamp=1))
    shown = len(screens.to(ALICE).replies)
    assert await gaffe.push(ALICE, repeat, screens.to(ALICE))
    assert all(not r.text for r in screens.to(ALICE).replies[shown:])


# --- data at start-up ------------------------------------------------------------------------------------
def test_start_up_loads_a_local_catalogue_and_the_indicators(tmp_path: Path) -> None:
    catalogue = REAL_HIBP if REAL_HIBP.exists() else DATA / "hibp-breaches-sample.json"
    ioc = REAL_IOC if REAL_IOC.exists() else DATA / "ioc-sample.yaml"
    config = replace(settings(tmp_path, str(catalogue)), stalkerware_ioc=ioc)
    data = load_data(config)  # how long it takes: bench/lookups.py
    assert isinstance(data.get(Catalogue), Catalogue) and len(data.get(Catalogue).find("mSpy")) == 2
    assert isinstance(data.get(Indicators), Indicators)


def test_without_any_downloaded_data_start_up_uses_the_shipped_snapshots(tmp_path: Path) -> None:
    """A fresh install with no network still answers: the dated copies shipped in the package, nothing fetched."""
    data = load_data(settings(tmp_path, "https://haveibeenpwned.invalid/api/v3/breaches"))
    catalogue, indicators = data.get(Catalogue), data.get(Indicators)
    assert isinstance(catalogue, Catalogue) and catalogue.as_of == date(2024, 11, 22)
    assert {b.name for b in catalogue.find("mSpy")} == {"mSpy", "mSpy2024"}
    assert isinstance(indicators, Indicators) and indicators.as_of == date(2026, 6, 21)
    found = indicators.find("com.mspy.lite")
    assert found is not None and found.name == "mSpy"
    assert not any(tmp_path.iterdir())  # nothing downloaded, nothing written


def test_a_downloaded_copy_wins_over_the_shipped_snapshot(tmp_path: Path) -> None:
    config = replace(
        settings(tmp_path, str(DATA / "hibp-breaches-sample.json")), stalkerware_ioc=DATA / "ioc-sample.yaml"
    )
    data = load_data(config)
    catalogue, indicators = data.get(Catalogue), data.get(Indicators)
    assert isinstance(catalogue, Catalogue) and isinstance(indicators, Indicators)
    assert len(catalogue) == len(Catalogue.parse((DATA / "hibp-breaches-sample.json").read_bytes()))
    assert len(indicators) == len(Indicators.parse((DATA / "ioc-sample.yaml").read_bytes()))
    assert indicators.as_of == modified_on(DATA / "ioc-sample.yaml")


# --- alerts, continued-------------------------------------------------------------------------------------------------
async def test_one_users_failed_alert_does_not_stop_the_others(gaffe: Gaffe, tmp_path: Path) -> None:
    screens = Screens()
    gaffe.data = DataSets({Catalogue: Catalogue.parse(OLDER)})
    for user in (ALICE, BOB):
        await watch(gaffe, screens, user, "mSpy")
    deliver = pusher(gaffe, screens)

    async def flaky(user_id: int, event: Push) -> bool:
        if user_id == ALICE:
            raise ConnectionError("network down")
        return await deliver(user_id, event)

    assert await refresh(gaffe, settings_with(tmp_path, SAMPLE), flaky, T0) == 1
    assert len(alerts(screens, BOB)) == 1


# --- what a watch shows, word for word ---------------------------------------------------------------------------
CREDIT_EN = "<i>Source: Have I Been Pwned (haveibeenpwned.com), CC BY 4.0 licence</i>"
AS_OF_EN = "<i>Data as of November 22, 2024.</i>"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (  # two breaches, oldest first; at most eight data classes each, then "…"; the name without "(2011)"
            "Zoosk",
            "Got it, I'm watching <b>Zoosk</b>. If a new breach comes out, I'll tell you.\n\n2 known breaches:\n"
            "• <b>Zoosk (2011)</b>, on January 1, 2011 (52,578,183 accounts): Email addresses, Passwords\n"
            "• <b>Zoosk (2020)</b>, on January 12, 2020 (23,927,853 accounts): Dates of birth, Drinking habits, "
            "Education levels, Email addresses, Ethnicities, Family structure, Genders, Geographic locations, …",
        ),
        (  # exactly eight data classes: all shown, no "…"
            "Acuity",
            "Got it, I'm watching <b>Acuity</b>. If a new breach comes out, I'll tell you.\n\n1 known breach:\n"
            "• <b>Acuity</b>, on June 18, 2020 (14,055,729 accounts): Dates of birth, Email addresses, Genders, "
            "IP addresses, Names, Phone numbers, Physical addresses, Salutations",
        ),
        (  # a name of two words stays whole
            "Sport 2000",
            "Got it, I'm watching <b>Sport 2000</b>. If a new breach comes out, I'll tell you.\n\n1 known breach:\n"
            "• <b>Sport 2000</b>, on April 18, 2024 (3,189,643 accounts): Dates of birth, Email addresses, Names, "
            "Phone numbers, Physical addresses, Purchases, Salutations",
        ),
    ],
)
async def test_watching_shows_each_known_breach_and_the_dated_credit(gaffe: Gaffe, typed: str, expected: str) -> None:
    gaffe.data = DataSets({Catalogue: Catalogue.parse(SAMPLE).dated(date(2024, 11, 22))})
    reply = await watch(gaffe, Screens(), ALICE, typed, language="en")
    assert reply.text.startswith(f"{expected}\n\n{CREDIT_EN}\n{AS_OF_EN}\n\n")  # then the question: another one?


async def test_watching_again_recalls_the_breaches_and_the_list_names_each_service(gaffe: Gaffe) -> None:
    screens = Screens()
    again = await watch(gaffe, screens, ALICE, "Sport 2000", "sport 2000", language="en")
    assert again.text.startswith("You're already watching <b>Sport 2000</b>. As a reminder:\n\n1 known breach:\n")
    assert f"Salutations\n\n{CREDIT_EN}\n\n" in again.text  # a catalogue without a date: no date line
    listed = await say(gaffe, screens, ALICE, Pick(again.step or 0, 1), "en")
    assert listed.labels[0] == "✖ Sport 2000"


async def test_the_alert_shows_the_new_breach_the_credit_and_what_to_do(gaffe: Gaffe, tmp_path: Path) -> None:
    screens = Screens()
    gaffe.data = DataSets({Catalogue: Catalogue.parse(OLDER)})
    await watch(gaffe, screens, CAROL, "mSpy", language="en")
    assert await refresh(gaffe, settings_with(tmp_path, SAMPLE), pusher(gaffe, screens), T0) == 1
    (alert,) = alerts(screens, CAROL)
    assert alert.text.endswith(
        "• <b>mSpy (2024)</b>, on June 9, 2024 (2,394,179 accounts): Email addresses, IP addresses, Names, Photos"
        f"\n\n{CREDIT_EN}\n\n"
        "Change that password now: let your password manager's generator make a new one, and turn on two-factor "
        "authentication (2FA) while you're there.\nUsed it anywhere else? Change it there too."
    )


# --- alerts: their order, their numbers, what is logged ----------------------------------------------------------
def with_a_later_mspy_breach(raw: bytes) -> bytes:
    """The catalogue with one more (made-up) breach of mSpy, added after mSpy2024 but listed before it."""
    breaches = json.loads(raw)
    later = {**next(b for b in breaches if b["Name"] == "mSpy2024"), "Name": "mSpy2025", "Title": "mSpy (2025)"}
    later.update(AddedDate="2025-02-03T10:00:00Z", BreachDate="2025-01-20")
    return json.dumps([later, *breaches]).encode()


async def test_two_new_breaches_alert_oldest_first_numbered_and_logged(
    gaffe: Gaffe, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gaffe.breaches")
    screens = Screens()
    gaffe.data = DataSets({Catalogue: Catalogue.parse(OLDER)})
    await watch(gaffe, screens, ALICE, "mSpy")
    assert (
        await refresh(gaffe, settings_with(tmp_path, with_a_later_mspy_breach(SAMPLE)), pusher(gaffe, screens), T0) == 2
    )
    first, second = alerts(screens, ALICE)
    assert "mSpy (2024)" in first.text and "mSpy (2025)" in second.text
    stamps = [reply.buttons[0].press for reply in (first, second)]
    assert [press.stamp for press in stamps if isinstance(press, Press)] == [1, 2]
    assert [r.getMessage() for r in caplog.records] == ["breach alerts pushed: 2"]
    (kept,) = rows(tmp_path / "gaffe.sqlite3", "SELECT alerts, alerted_up_to FROM watched_services")
    assert kept == (2, "2025-02-03T10:00:00+00:00|mSpy2025")


async def test_an_unusable_catalogue_alerts_nobody_and_says_why_in_the_log(
    gaffe: Gaffe, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    screens = Screens()
    await watch(gaffe, screens, ALICE, "mSpy")
    assert await refresh(gaffe, settings_with(tmp_path, b"<html>Rate limited</html>"), pusher(gaffe, screens), T0) == 0
    (record,) = [r for r in caplog.records if r.name == "gaffe.breaches"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("breach catalogue unavailable: the catalogue is not JSON")  # and why


async def test_a_failed_alert_is_logged_with_its_user_and_error(
    gaffe: Gaffe, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gaffe.data = DataSets({Catalogue: Catalogue.parse(OLDER)})
    await watch(gaffe, Screens(), ALICE, "mSpy")

    async def down(user_id: int, event: Push) -> bool:
        raise ConnectionError("network down")

    assert await refresh(gaffe, settings_with(tmp_path, SAMPLE), down, T0) == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "gaffe.breaches"]
    assert messages == [f"breach alert to user {ALICE} not delivered: network down"]


# --- the personal data: /mesdonnees, /stats, /oublie ---------------------------------------------------------------
ADMIN = 900


async def test_the_watches_are_exported_counted_and_erased(
    shipped: Content, translators: dict[str, Translator], store: Store, tmp_path: Path
) -> None:
    gaffe = Gaffe(
        shipped, translators, store, data=DataSets({Catalogue: Catalogue.parse(OLDER)}), admins=frozenset({ADMIN})
    )
    gaffe.clock = lambda: T0.replace(microsecond=123456)
    screens = Screens()
    await watch(gaffe, screens, ALICE, "mSpy", "Adobe")
    await watch(gaffe, screens, BOB, "Zoosk")
    await refresh(gaffe, settings_with(tmp_path, SAMPLE), pusher(gaffe, screens), T0)
    await say(gaffe, screens, ALICE, alerts(screens, ALICE)[0].buttons[0].press)  # "I changed the password"
    exported = await say(gaffe, screens, ALICE, Command("mesdonnees"))
    kept = json.loads(exported.attachments[0].data)["data"]["watched_services"]["rows"]
    at = "2026-03-01T08:00:00+00:00"  # to the second
    assert kept == [
        {"service": "mspy", "added_at": at, "alerted_up_to": "2024-07-11T19:29:21+00:00|mSpy2024",
         "alerts": 1, "changed_for": 1, "changed_at": at},
        {"service": "adobe", "added_at": at, "alerted_up_to": "2013-12-04T00:00:00+00:00|Adobe",
         "alerts": 0, "changed_for": 0, "changed_at": None},
    ]  # fmt: skip
    stats = (await say(gaffe, screens, ADMIN, Command("stats"))).text.replace("\u00a0", " ")
    assert "Services surveillés : 3" in stats
    asked = await say(gaffe, screens, ALICE, Command("oublie"))
    await say(gaffe, screens, ALICE, Pick(asked.step or 0, asked.labels.index("Oui, efface tout")))
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT user_id, service FROM watched_services") == [(BOB, "zoosk")]
    stats = (await say(gaffe, screens, ADMIN, Command("stats"))).text.replace("\u00a0", " ")
    assert "Services surveillés : 1" in stats


# --- the catalogue at start-up and for update-data ----------------------------------------------------------------
def test_an_unusable_local_catalogue_is_none_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken = tmp_path / "breaches.json"
    broken.write_bytes(b"{not json")
    assert local_catalogue(settings(tmp_path, str(broken))) is None
    (record,) = [r for r in caplog.records if r.name == "gaffe.breaches"]
    assert record.getMessage().startswith(f"breach catalogue {broken} unusable: ")
    missing = local_catalogue(settings(tmp_path, str(tmp_path / "nowhere.json")))
    assert missing is None and "nowhere.json unusable" in caplog.records[-1].getMessage()


def test_a_local_catalogue_is_dated_by_its_file(tmp_path: Path) -> None:
    copy = tmp_path / "breaches.json"
    copy.write_bytes(SAMPLE)
    loaded = local_catalogue(settings(tmp_path, str(copy)))
    assert loaded is not None and len(loaded) == 12 and loaded.as_of == modified_on(copy)


async def test_update_data_downloads_a_url_and_reads_a_local_file(tmp_path: Path) -> None:
    credit = "  Credit: Have I Been Pwned (https://haveibeenpwned.com), CC BY 4.0"
    async with data_server() as server:
        server.serve("/breaches", SAMPLE)
        config = settings(tmp_path, f"{server.base_url}/breaches")
        said = await download_catalogue(config)
    assert said[0] == f"Breach catalogue: 12 breaches in {config.data_dir / CACHE_FILE}"
    assert (config.data_dir / CACHE_FILE).read_bytes() == SAMPLE and server.requests[0][1].startswith("Gaffe-bot")
    local = str(DATA / "hibp-breaches-sample.json")
    assert await download_catalogue(settings(tmp_path, local)) == [
        f"Breach catalogue: 12 breaches read from {local} (a local file: nothing to download)",
        said[1],
    ]
    assert said[1] == credit


async def test_the_copy_update_data_downloaded_is_the_one_start_up_and_the_daily_refresh_use(tmp_path: Path) -> None:
    async with data_server() as server:
        server.serve("/breaches", SAMPLE)
        config = settings(tmp_path, f"{server.base_url}/breaches")
        assert local_catalogue(config) is None  # nothing downloaded yet: the shipped snapshot will answer
        await download_catalogue(config)
        cached = local_catalogue(config)
        assert cached is not None and len(cached) == 12 and cached.as_of == datetime.now(UTC).date()
        refreshed = await fetch_catalogue(config.hibp_breaches, config.data_dir, now=datetime.now(UTC))
        assert len(refreshed) == 12 and len(server.requests) == 1  # downloaded today: not again


async def test_the_daily_job_says_how_many_alerts_it_pushed(gaffe: Gaffe, tmp_path: Path) -> None:
    screens = Screens()
    gaffe.data = DataSets({Catalogue: Catalogue.parse(OLDER)})
    await watch(gaffe, screens, ALICE, "mSpy")
    job = JobContext(gaffe, pusher(gaffe, screens), settings_with(tmp_path, SAMPLE), T0)
    assert await daily_refresh(job) == "1 breach alerts"
    assert len(alerts(screens, ALICE)) == 1


async def test_the_newest_breach_shown_is_kept_in_utc_whatever_the_servers_time_zone(
    gaffe: Gaffe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        await watch(gaffe, Screens(), ALICE, "mSpy")
    finally:
        monkeypatch.undo()
        time.tzset()
    kept = rows(tmp_path / "gaffe.sqlite3", "SELECT alerted_up_to FROM watched_services")
    assert kept == [("2024-07-11T19:29:21+00:00|mSpy2024",)]
