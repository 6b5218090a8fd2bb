"""Reminders through the service and the scheduler, on the shipped content, against a real SQLite file, with an
injected clock: created in the dialogue, due once, never at night, answered once, paused for someone who blocked
Gaffe, kept across a restart; and the dates and durations in both languages."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest

from bot.app import open_store
from bot.config import Settings
from bot.core.actions import World
from bot.core.dialogue import Content
from bot.core.engine import Command, Pick, Press, Push, Text
from bot.core.events import AccountPasswordChanged
from bot.core.i18n import Translator
from bot.core.render import Reply
from bot.features.reminders import (
    Every,
    Hour,
    Moment,
    ReminderDue,
    at_hour,
    at_night,
    iso,
    names,
    next_morning,
    password_changed,
    reminder_done,
    zone,
)
from bot.scheduler import Scheduler, SendTo
from bot.service import Gaffe, Unreachable
from bot.storage import Store
from tests.support.clock import START
from tests.support.clock import FakeClock as Clock  # the name the tests below were written with
from tests.support.database import rows
from tests.support.paths import ROOT
from tests.support.screen import Screen

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def gaffe(shipped: Content, translators: dict[str, Translator], store: Store, clock: Clock) -> Gaffe:
    return Gaffe(shipped, translators, store, tracks_delivery=True, clock=clock)


def scheduler_for(gaffe: Gaffe, phones: dict[int, Screen]) -> Scheduler:
    async def push(user_id: int, push: Push) -> bool:
        return await gaffe.push(user_id, push, phones.setdefault(user_id, Screen()))

    async def send(user_id: int, reply: Reply) -> None:
        await phones.setdefault(user_id, Screen())(reply)

    return Scheduler(gaffe, push, send)


async def press(gaffe: Gaffe, user: int, phone: Screen, label: str) -> Reply:
    await gaffe.handle(user, phone.button(label).press, phone)
    return phone.last


async def create_reminder(gaffe: Gaffe, user: int, phone: Screen, account: str, cadence: str) -> Reply:
    await gaffe.handle(user, Command("rappels"), phone)
    await press(gaffe, user, phone, "Ajouter un rappel")
    await press(gaffe, user, phone, account)
    return await press(gaffe, user, phone, cadence)


async def create_named_reminder(gaffe: Gaffe, user: int, phone: Screen, label: str, cadence: str) -> Reply:
    """A reminder of an account the user names ("Un autre compte")."""
    await gaffe.handle(user, Command("rappels"), phone)
    await press(gaffe, user, phone, "Ajouter un rappel")
    await press(gaffe, user, phone, "Un autre compte (je tape son nom)")
    await gaffe.handle(user, Text(label), phone)
    return await press(gaffe, user, phone, cadence)


# --- time -------------------------------------------------------------------------------------------
def test_the_hour_is_kept_on_the_users_clock_across_daylight_saving() -> None:
    before_dst = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)  # 10:00 in Paris (UTC+1)
    after = at_hour(before_dst, 10, 10, PARIS)  # 30 March: UTC+2
    assert after.astimezone(PARIS).hour == 10 and after.hour == 8


def test_nights_are_quiet_and_the_morning_is_the_preferred_hour() -> None:
    late = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    assert at_night(late, PARIS) and not at_night(START, PARIS)
    morning = next_morning(late, 10, PARIS)
    assert morning.astimezone(PARIS) == datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)


def test_the_next_morning_is_today_while_the_hour_is_still_to_come() -> None:
    early = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 07:00 in Paris
    assert next_morning(early, 10, PARIS) == datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
    on_the_hour = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)  # not still to come: tomorrow's
    assert next_morning(on_the_hour, 10, PARIS) == datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)


def test_an_unknown_time_zone_reads_as_the_default_one() -> None:
    assert zone("Mars/Olympus_Mons") == ZoneInfo("Europe/Paris") and zone("America/Toronto") == ZoneInfo(
        "America/Toronto"
    )


def test_times_are_stored_in_utc_and_days_counted_on_the_users_clock_whatever_the_servers_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Pacific/Auckland")  # a server far from its users: already 1 December there
    time.tzset()
    try:
        late = datetime(2026, 11, 30, 23, 30, tzinfo=PARIS)
        assert iso(late) == "2026-11-30T22:30:00+00:00"
        assert iso(at_hour(late, 1, 10, PARIS)) == "2026-12-01T09:00:00+00:00"  # the next day in Paris, not Auckland
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("paris_time", "quiet"),
    [((21, 59), False), ((22, 0), True), ((23, 30), True), ((7, 59), True), ((8, 0), False)],
)
def test_quiet_hours_run_from_22_00_to_08_00(paris_time: tuple[int, int], quiet: bool) -> None:
    moment = datetime(2026, 12, 1, *paris_time, tzinfo=PARIS)
    assert at_night(moment, PARIS) is quiet


@pytest.mark.parametrize(
    ("days", "french", "english"),
    [(90, "tous les 3\u00a0mois", "every 3 months"), (365, "tous les ans", "every year"),
     (730, "tous les 2\u00a0ans", "every 2 years"), (30, "tous les mois", "every month"),
     (28, "tous les 28\u00a0jours", "every 28 days"), (14, "toutes les 2\u00a0semaines", "every 2 weeks"),
     (7, "toutes les semaines", "every week"), (45, "tous les 45\u00a0jours", "every 45 days")],
)  # fmt: skip
def test_durations_in_both_languages(
    shipped: Content, translators: dict[str, Translator], days: int, french: str, english: str
) -> None:
    assert Every(days).localize(shipped, translators["fr"]) == french
    assert Every(days).localize(shipped, translators["en"]) == english


def test_moments_in_the_users_language_and_time_zone(shipped: Content, translators: dict[str, Translator]) -> None:
    moment = Moment(datetime(2027, 2, 28, 9, 0, tzinfo=UTC), "Europe/Paris")
    assert moment.localize(shipped, translators["fr"]) == "28 février 2027 à 10:00"
    assert moment.localize(shipped, translators["en"]) == "February 28, 2027 at 10:00\u202fAM"
    assert "05:00" in Moment(moment.value, "America/Martinique").localize(shipped, translators["fr"])


# --- creating them ------------------------------------------------------------------------------------
async def test_a_reminder_made_in_the_dialogue_is_kept_with_its_next_due_time(gaffe: Gaffe, tmp_path: Path) -> None:
    phone = Screen()
    reply = await create_reminder(gaffe, 7, phone, "Ma boîte mail", "Tous les 3 mois")
    assert "C'est noté\u00a0: un rappel pour ta boîte mail, tous les 3\u00a0mois." in reply.text
    assert "28 février 2027 à 10:00" in reply.text  # 90 days on, at 10:00 in Paris
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT account, label, every_days, next_due_at FROM reminders") == [
        ("mail", None, 90, "2027-02-28T09:00:00+00:00")
    ]
    assert any("la règle aujourd'hui" in r.text for r in phone.replies)  # said once, before


async def test_a_named_account_and_a_typed_cadence(gaffe: Gaffe, tmp_path: Path) -> None:
    phone = Screen()
    await gaffe.handle(8, Command("rappels"), phone)
    await press(gaffe, 8, phone, "Ajouter un rappel")
    await press(gaffe, 8, phone, "Un autre compte (je tape son nom)")
    await gaffe.handle(8, Text("Gmail perso"), phone)
    await press(gaffe, 8, phone, "Un nombre de jours (je le tape)")
    await gaffe.handle(8, Text("45"), phone)  # a number the question expects: not a code
    assert "« Gmail perso »" not in phone.last.text and "Gmail perso, tous les 45\u00a0jours" in phone.last.text
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT label, every_days FROM reminders") == [("Gmail perso", 45)]


async def test_a_typed_cadence_out_of_range_is_asked_again(gaffe: Gaffe, tmp_path: Path) -> None:
    """0 days (or 731) gets the question's error and the question again, not a reminder dropped on the way."""
    phone = Screen()
    await gaffe.handle(9, Command("rappels"), phone)
    await press(gaffe, 9, phone, "Ajouter un rappel")
    await press(gaffe, 9, phone, "Ma banque")
    await press(gaffe, 9, phone, "Un nombre de jours (je le tape)")
    for typed in ("0", "6", "731"):
        await gaffe.handle(9, Text(typed), phone)
        assert "Un nombre de jours entre 7 et 730, en chiffres." in phone.last.text
        assert "Autre chose" not in phone.last.text
    await gaffe.handle(9, Text("30"), phone)
    assert "ta banque, tous les mois." in phone.last.text  # 30 days: a month, not "4 weeks"
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT account, every_days FROM reminders") == [("bank", 30)]


async def test_a_label_that_looks_like_a_password_is_refused_and_not_stored(gaffe: Gaffe, tmp_path: Path) -> None:
    phone = Screen()
    await gaffe.handle(9, Command("rappels"), phone)
    await press(gaffe, 9, phone, "Ajouter un rappel")
    await press(gaffe, 9, phone, "Un autre compte (je tape son nom)")
    before = await gaffe.store.load(9)
    await gaffe.handle(9, Text("Soleil2024!"), phone)
    assert phone.last.erase_input and "mot de passe" in phone.last.text
    assert await gaffe.store.load(9) == before
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as connection:
        assert "Soleil2024" not in "\n".join(connection.iterdump())


async def test_a_label_holding_a_password_or_an_email_is_refused_not_stored_nor_echoed(
    gaffe: Gaffe, tmp_path: Path
) -> None:
    phone = Screen()
    await gaffe.handle(10, Command("rappels"), phone)
    await press(gaffe, 10, phone, "Ajouter un rappel")
    await press(gaffe, 10, phone, "Un autre compte (je tape son nom)")
    before = await gaffe.store.load(10)
    for label in ("The password for my laptop is dragonfly", "Netflix Soleil2024"):  # the second: no cue at all
        await gaffe.handle(10, Text(label), phone)
        assert phone.last.erase_input and "mot de passe" in phone.last.text and "juste le nom" in phone.last.text
        assert label.split()[-1] not in phone.last.text and await gaffe.store.load(10) == before
    await gaffe.handle(10, Text("jean.dupont@gmail.com"), phone)
    assert "Pas d'adresse mail" in phone.last.text and "jean.dupont" not in phone.last.text
    assert await gaffe.store.load(10) == before
    await gaffe.handle(10, Text("Gmail perso"), phone)  # a plain name still goes through
    await press(gaffe, 10, phone, "Tous les 3 mois")
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT label FROM reminders") == [("Gmail perso",)]
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as connection:
        dump = "\n".join(connection.iterdump())
    assert not any(word in dump for word in ("dragonfly", "Soleil2024", "jean.dupont"))


# --- sending them -------------------------------------------------------------------------------------
async def test_a_due_reminder_goes_out_once_with_its_buttons_then_done_reschedules_it(
    gaffe: Gaffe, clock: Clock, tmp_path: Path
) -> None:
    phone = Screen()
    await create_reminder(gaffe, 10, phone, "Ma banque", "Tous les 6 mois")
    phones = {10: phone}
    scheduler = scheduler_for(gaffe, phones)
    assert await scheduler.tick() == 0  # not due yet
    clock.now = START + timedelta(days=181)  # 30 May 2027, 13:00 UTC: 15:00 in Paris
    assert await scheduler.tick() == 1
    reminder = phone.last
    assert reminder.text.startswith("⏰ C'est l'heure du point sur ta banque")
    assert reminder.labels == ("C'est fait", "Plus tard", "Stop")
    assert await scheduler.tick() == 0  # once

    done = await press(gaffe, 10, phone, "C'est fait")
    assert done.picked == "→ <i>C'est fait</i>" and "Prochain rappel pour ta banque" in done.text
    assert "26 novembre 2027 à 10:00" in done.text  # 180 days from now, at 10:00
    await gaffe.handle(10, reminder.buttons[0].press, phone)  # a second press
    assert phone.last.toast == "C'est déjà noté." and not phone.last.text
    await gaffe.handle(10, reminder.buttons[1].press, phone)  # "later" on an answered occurrence: nothing either
    assert phone.last.toast == "C'est déjà noté."
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT next_due_at, sent, answered FROM reminders") == [
        ("2027-11-26T09:00:00+00:00", 1, 1)
    ]


async def test_a_reminder_pushed_twice_for_one_occurrence_goes_out_once(
    gaffe: Gaffe, clock: Clock, tmp_path: Path
) -> None:
    """Two ticks that both found it due (or a push sent again) claim the same occurrence: one message."""
    phone = Screen()
    await create_reminder(gaffe, 17, phone, "Ma banque", "Tous les 6 mois")
    ((reminder_id,),) = rows(tmp_path / "gaffe.sqlite3", "SELECT id FROM reminders")
    clock.now = START + timedelta(days=181)
    due = Push("reminder_due", ReminderDue(reminder_id))
    assert await gaffe.push(17, due, phone) is True
    assert await gaffe.push(17, due, phone) is False
    assert sum(r.text.startswith("⏰") for r in phone.replies) == 1
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT sent FROM reminders") == [(1,)]


async def test_the_daily_jobs_run_at_start_then_once_a_day_every_day(
    gaffe: Gaffe, clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = replace(Settings.from_env(), hibp_breaches=str(tmp_path / "absent.json"), data_dir=tmp_path)
    scheduler = replace(scheduler_for(gaffe, {}), settings=settings)
    ran = []
    for elapsed in (timedelta(0), timedelta(hours=1), timedelta(days=1), timedelta(days=1, hours=23),
                    timedelta(days=2), timedelta(days=3), timedelta(days=3, hours=1), timedelta(days=4)):  # fmt: skip
        clock.now = START + elapsed
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="gaffe.scheduler"):
            await scheduler.tick()
        ran.append(any(r.getMessage().startswith("daily:") for r in caplog.records))
    assert ran == [True, False, True, False, True, True, False, True]


async def test_a_tick_drains_every_due_reminder_in_batches_and_counts_what_went_out(gaffe: Gaffe, clock: Clock) -> None:
    phones: dict[int, Screen] = {}
    users = range(30, 35)
    for user in users:
        await create_reminder(gaffe, user, phones.setdefault(user, Screen()), "Ma banque", "Tous les 3 mois")
    sent = {user: len(phones[user].replies) for user in users}
    scheduler = replace(scheduler_for(gaffe, phones), batch=2)  # 5 due: batches of 2, 2 and 1
    clock.now = START + timedelta(days=91)
    assert await scheduler.tick() == 5
    assert all(len(phones[user].replies) == sent[user] + 1 for user in users)


async def test_a_push_that_fails_does_not_stop_the_others_nor_count(
    gaffe: Gaffe, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    phones: dict[int, Screen] = {}
    for user in (36, 37):
        await create_reminder(gaffe, user, phones.setdefault(user, Screen()), "Ma banque", "Tous les 3 mois")
    working = scheduler_for(gaffe, phones)

    async def push(user_id: int, push: Push) -> bool:
        if user_id == 36:
            raise Unreachable("network down")
        return await working.push(user_id, push)

    clock.now = START + timedelta(days=91)
    # One batch holds both: 37's goes out, 36's stays due for a later tick, and a batch that all failed ends it.
    with caplog.at_level(logging.WARNING, logger="gaffe.scheduler"):
        assert await Scheduler(gaffe, push, working.send, batch=2).tick() == 1
    assert phones[37].last.labels[0] == "C'est fait"
    said = [r.getMessage() for r in caplog.records]  # which job, to whom, why: what an operator needs
    assert set(said) == {"a push (reminders) to user 36 could not be sent: network down"}, said


async def test_the_terminal_scheduler_pushes_to_its_one_user_only(gaffe: Gaffe, clock: Clock) -> None:
    phones: dict[int, Screen] = {}
    for user in (38, 39):
        await create_reminder(gaffe, user, phones.setdefault(user, Screen()), "Ma banque", "Tous les 3 mois")
    clock.now = START + timedelta(days=91)
    assert await replace(scheduler_for(gaffe, phones), only_user=39).tick() == 1
    assert phones[39].last.labels[0] == "C'est fait" and phones[38].last.labels[0] != "C'est fait"


async def test_a_tick_while_one_runs_returns_at_once_and_sends_nothing(gaffe: Gaffe, clock: Clock) -> None:
    phone = Screen()
    await create_reminder(gaffe, 40, phone, "Ma banque", "Tous les 3 mois")
    clock.now = START + timedelta(days=91)
    scheduler = scheduler_for(gaffe, {40: phone})
    assert sorted(await asyncio.gather(scheduler.tick(), scheduler.tick())) == [0, 1]
    assert scheduler.rounds == 1  # the one that returned at once did no round
    await scheduler.tick()
    assert scheduler.rounds == 2


async def test_a_tick_sends_again_what_the_network_lost_and_the_terminal_only_its_users(gaffe: Gaffe) -> None:
    async def network_down(reply: Reply) -> None:
        raise ConnectionError("unreachable network")

    for user in (42, 43):
        with pytest.raises(ConnectionError):
            await gaffe.handle(user, Command("checkup"), network_down)
    phones: dict[int, Screen] = {}
    await replace(scheduler_for(gaffe, phones), only_user=43).tick()
    assert set(phones) == {43} and "On reprend" in phones[43].last.text
    await scheduler_for(gaffe, phones).tick()
    assert set(phones) == {42, 43} and "On reprend" in phones[42].last.text


async def test_the_daily_jobs_push_the_retention_notice_and_say_what_they_did(
    gaffe: Gaffe, clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    phone = Screen()
    await gaffe.handle(41, Command("aide"), phone)
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as connection:
        connection.execute("UPDATE users SET updated_at = '2025-01-01T00:00:00+00:00' WHERE user_id = 41")
    settings = replace(Settings.from_env(), hibp_breaches=str(tmp_path / "absent.json"), data_dir=tmp_path)
    with caplog.at_level(logging.INFO, logger="gaffe.scheduler"):
        await replace(scheduler_for(gaffe, {41: phone}), settings=settings).tick()
    assert "dans une semaine j'efface" in phone.last.text
    lines = [r.getMessage() for r in caplog.records]
    assert "daily: 0 breach alerts, 1 retention notices, 0 users erased" in lines, lines


async def test_the_daily_jobs_alert_the_watchers_of_a_breached_service(
    gaffe: Gaffe, clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    phone = Screen()
    await gaffe.handle(44, Command("aide"), phone)
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as connection:  # watching mSpy since before its breaches
        connection.execute(
            "INSERT INTO watched_services (user_id, service, added_at) VALUES (44, 'mspy', '2015-01-01T00:00:00')"
        )
    catalogue = ROOT / "tests" / "fixtures" / "data" / "hibp-breaches-sample.json"
    settings = replace(Settings.from_env(), hibp_breaches=str(catalogue), data_dir=tmp_path)
    with caplog.at_level(logging.INFO, logger="gaffe.scheduler"):
        await replace(scheduler_for(gaffe, {44: phone}), settings=settings).tick()
    assert sum("nouvelle fuite connue" in r.text for r in phone.replies) == 2  # mSpy (2015) and mSpy2024
    lines = [r.getMessage() for r in caplog.records]
    assert "daily: 2 breach alerts, 0 retention notices, 0 users erased" in lines, lines


async def test_later_is_tomorrow_at_the_preferred_hour_and_stop_deletes_it(
    gaffe: Gaffe, clock: Clock, tmp_path: Path
) -> None:
    phone = Screen()
    await create_reminder(gaffe, 11, phone, "Mes réseaux sociaux", "Tous les 3 mois")
    scheduler = scheduler_for(gaffe, {11: phone})
    clock.now = START + timedelta(days=91)
    await scheduler.tick()
    first = phone.last
    later = await press(gaffe, 11, phone, "Plus tard")
    assert "demain" in later.text and "10:00" in later.text
    clock.now += timedelta(days=1)
    await scheduler.tick()
    second = phone.last
    assert second is not first and second.labels == first.labels
    await gaffe.handle(11, first.buttons[2].press, phone)  # "Stop" on the older occurrence: refused
    assert phone.last.toast == "C'est déjà noté."
    stopped = await press(gaffe, 11, phone, "Stop")
    assert "plus de rappel pour tes réseaux sociaux" in stopped.text
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT count(*) FROM reminders") == [(0,)]
    await gaffe.handle(11, second.buttons[0].press, phone)
    assert phone.last.toast == "Ce rappel n'existe plus."


async def test_nothing_goes_out_at_night_the_reminder_waits_for_the_morning(
    gaffe: Gaffe, clock: Clock, tmp_path: Path
) -> None:
    phone = Screen()
    await create_reminder(gaffe, 12, phone, "Ma boîte mail", "Tous les 3 mois")
    scheduler = scheduler_for(gaffe, {12: phone})
    sent_before = len(phone.replies)
    clock.now = datetime(2027, 3, 1, 22, 30, tzinfo=UTC)  # due since 28 Feb; 23:30 in Paris
    assert await scheduler.tick() == 0 and len(phone.replies) == sent_before
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT next_due_at, sent FROM reminders") == [
        ("2027-03-02T09:00:00+00:00", 0)
    ]
    clock.now = datetime(2027, 3, 2, 6, 0, tzinfo=UTC)  # 07:00 in Paris: still night
    assert await scheduler.tick() == 0
    clock.now = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    assert await scheduler.tick() == 1 and phone.last.labels[0] == "C'est fait"


async def test_a_reminder_pressed_mid_checkup_then_the_checkup_goes_on(gaffe: Gaffe, clock: Clock) -> None:
    phone = Screen()
    await create_reminder(gaffe, 13, phone, "Ma boîte mail", "Tous les 3 mois")
    await gaffe.handle(13, Command("checkup"), phone)
    await press(gaffe, 13, phone, "C'est parti")
    question = phone.last
    assert question.labels[0] == "Dans un gestionnaire"
    clock.now = START + timedelta(days=91)
    await scheduler_for(gaffe, {13: phone}).tick()
    done = await press(gaffe, 13, phone, "C'est fait")
    assert "On reprend" in done.text and done.labels == question.labels and done.step == question.step
    await gaffe.handle(13, done.buttons[0].press, phone)
    state = await gaffe.store.load(13)
    assert state is not None and state.dialogue == "checkup" and state.node == "reuse"


async def test_someone_who_blocked_gaffe_has_their_reminders_wait_until_they_come_back(
    gaffe: Gaffe, clock: Clock, tmp_path: Path
) -> None:
    phone = Screen()
    await create_reminder(gaffe, 14, phone, "Ma boîte mail", "Tous les 3 mois")

    async def blocked(user_id: int, push: Push) -> bool:
        async def refuse(reply: Reply) -> None:
            raise Unreachable("Forbidden: bot was blocked by the user")

        return await gaffe.push(user_id, push, refuse)

    clock.now = START + timedelta(days=91)
    assert await Scheduler(gaffe, blocked, phone_send(phone)).tick() == 0
    assert await gaffe.store.is_active(14) is False
    clock.now += timedelta(days=91)  # long overdue: not retried while blocked
    attempts: list[int] = []

    async def counting(user_id: int, push: Push) -> bool:
        attempts.append(user_id)
        return True

    await Scheduler(gaffe, counting, phone_send(phone)).tick()
    assert attempts == []
    await gaffe.handle(14, Command("aide"), phone)  # they talk to Gaffe again
    assert await scheduler_for(gaffe, {14: phone}).tick() == 1
    assert phone.last.labels == ("C'est fait", "Plus tard", "Stop")


def phone_send(phone: Screen) -> SendTo:
    async def send(user_id: int, reply: Reply) -> None:
        await phone(reply)

    return send


async def test_a_reminder_survives_a_restart_and_goes_out_once_after_it(
    shipped: Content, translators: dict[str, Translator], tmp_path: Path, clock: Clock
) -> None:
    db = tmp_path / "restart.sqlite3"
    store = await open_store(db)
    phone = Screen()
    await create_reminder(Gaffe(shipped, translators, store, clock=clock), 15, phone, "Ma banque", "Tous les 3 mois")
    await store.close()
    clock.now = START + timedelta(days=120)  # the bot was down when it fell due
    store = await open_store(db)
    try:
        gaffe = Gaffe(shipped, translators, store, tracks_delivery=True, clock=clock)
        phones = {15: Screen()}
        scheduler = scheduler_for(gaffe, phones)
        assert await scheduler.tick() == 1 and await scheduler.tick() == 0
        assert [r.labels for r in phones[15].replies] == [("C'est fait", "Plus tard", "Stop")]
    finally:
        await store.close()


async def test_the_checkup_result_offers_the_reminder_that_matters_most(gaffe: Gaffe, tmp_path: Path) -> None:
    phone = Screen()
    await gaffe.handle(16, Command("checkup"), phone)
    await press(gaffe, 16, phone, "C'est parti")
    while not any("/100" in r.text for r in phone.replies[-1:]):
        labels = phone.last.labels
        weak_email = "Il sert aussi ailleurs"
        await gaffe.handle(
            16, Pick(phone.last.step or 0, labels.index(weak_email) if weak_email in labels else 0), phone
        )
    assert phone.last.labels == ("Oui, dans une semaine", "Non merci")  # a weak email is fixed in days, not months
    await press(gaffe, 16, phone, "Oui, dans une semaine")
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT account, every_days FROM reminders") == [("mail", 7)]


class BrokenSettings:
    """Settings whose every read fails: each daily job raises, as a job with a bug would."""

    def __init__(self) -> None:
        self.reads = 0

    def __getattr__(self, name: str) -> object:
        self.reads += 1
        raise RuntimeError(f"no {name}")


async def test_a_daily_job_that_fails_is_said_and_tried_again_the_next_day_not_every_tick(
    gaffe: Gaffe, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    broken = BrokenSettings()
    scheduler = replace(scheduler_for(gaffe, {}), settings=cast(Settings, broken))
    with caplog.at_level(logging.INFO, logger="gaffe.scheduler"):
        await scheduler.tick()
        tried = broken.reads
        clock.now = START + timedelta(hours=1)
        await scheduler.tick()
        assert tried > 0 and broken.reads == tried  # not again an hour later
        clock.now = START + timedelta(days=1)
        await scheduler.tick()
    assert broken.reads > tried  # but the next day
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == ["a daily job failed"] * 2
    assert scheduler.rounds == 3  # the reminders' rounds went on all the same


async def test_a_full_batch_that_all_failed_ends_the_round_the_rest_waits_for_the_next_tick(
    gaffe: Gaffe, clock: Clock
) -> None:
    phones: dict[int, Screen] = {}
    for user in (45, 46):
        await create_reminder(gaffe, user, phones.setdefault(user, Screen()), "Ma banque", "Tous les 3 mois")
    tried: list[int] = []

    async def push(user_id: int, push: Push) -> bool:
        tried.append(user_id)
        if len(tried) > 5:  # the round keeps going: stop it (SystemExit is not caught as a network error)
            raise SystemExit("the round never ended")
        raise Unreachable("network down")

    clock.now = START + timedelta(days=91)
    assert await Scheduler(gaffe, push, scheduler_for(gaffe, phones).send, batch=1).tick() == 0
    assert len(tried) == 1  # the network is down: one full batch failed, the other push waits


# --- managing them: the list, a reminder's card, the hour and time zone ------------------------------------------
def nbsp(text: str) -> str:
    """French typography puts a no-break space before ":" and inside numbers with units: compare plain text."""
    return text.replace("\u00a0", " ")


async def open_list(gaffe: Gaffe, user: int, phone: Screen) -> Reply:
    await gaffe.handle(user, Command("rappels"), phone)
    return await press(gaffe, user, phone, "Voir mes rappels")


async def test_the_list_shows_each_reminder_soonest_first_and_its_card_pauses_and_resumes_it(
    gaffe: Gaffe, clock: Clock, tmp_path: Path
) -> None:
    phone = Screen()
    assert (await open_list(gaffe, 20, phone)).text.startswith("T'as aucun rappel pour l'instant.")
    await create_reminder(gaffe, 20, phone, "Ma banque", "Tous les 6 mois")
    await create_reminder(gaffe, 20, phone, "Ma boîte mail", "Tous les 3 mois")
    listed = await open_list(gaffe, 20, phone)
    assert nbsp(listed.text).split("\n\n")[:3] == [
        "Tes 2 rappels (ils arrivent vers 10:00, heure de Europe/Paris) :",
        "• ta boîte mail, tous les 3 mois : le prochain le 28 février 2027 à 10:00",
        "• ta banque, tous les 6 mois : le prochain le 29 mai 2027 à 10:00",
    ]
    assert [nbsp(label) for label in listed.labels[:2]] == [
        "ta boîte mail · tous les 3 mois",
        "ta banque · tous les 6 mois",
    ]

    card = await press(gaffe, 20, phone, listed.labels[0])
    assert nbsp(card.text).startswith("ta boîte mail, tous les 3 mois. Le prochain : 28 février 2027 à 10:00.")
    assert card.labels[:4] == ("Mettre en pause", "Tous les 6 mois", "Tous les ans", "Supprimer")
    assert card.picked is None  # opening a card is no answer to echo
    paused = await press(gaffe, 20, phone, "Mettre en pause")
    assert paused.picked == "→ <i>Mettre en pause</i>"
    assert paused.text.startswith("Rappel pour ta boîte mail en pause.")
    await gaffe.handle(20, card.buttons[0].press, phone)  # the same card's "pause" again
    assert phone.last.toast == "C'est déjà noté."
    listed = await open_list(gaffe, 20, phone)
    assert nbsp(listed.text).split("\n\n")[1] == "• ta boîte mail, tous les 3 mois : en pause"
    paused_card = await press(gaffe, 20, phone, listed.labels[0])
    assert nbsp(paused_card.text).startswith("ta boîte mail, tous les 3 mois. En pause pour l'instant.")
    assert paused_card.labels[:4] == ("Reprendre", "Tous les 6 mois", "Tous les ans", "Supprimer")

    clock.now = datetime(2027, 3, 5, 13, 0, tzinfo=UTC)  # past its due time while paused: nothing went out
    assert await scheduler_for(gaffe, {20: phone}).tick() == 0
    resumed = await press(gaffe, 20, phone, "Reprendre")  # overdue: the next morning, not at once
    assert resumed.text.startswith("C'est reparti pour ta boîte mail\u00a0: le prochain le 6 mars 2027 à 10:00.")
    await gaffe.handle(20, paused_card.buttons[0].press, phone)  # "resume" again
    assert phone.last.toast == "C'est déjà noté."
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT account, paused, next_due_at FROM reminders ORDER BY id") == [
        ("bank", 0, "2027-05-29T08:00:00+00:00"),
        ("mail", 0, "2027-03-06T09:00:00+00:00"),
    ]


async def test_a_reminder_paused_and_resumed_before_its_due_time_keeps_it(gaffe: Gaffe, tmp_path: Path) -> None:
    phone = Screen()
    await create_reminder(gaffe, 21, phone, "Ma banque", "Tous les 6 mois")
    await press(gaffe, 21, phone, (await open_list(gaffe, 21, phone)).labels[0])
    await press(gaffe, 21, phone, "Mettre en pause")
    await press(gaffe, 21, phone, (await open_list(gaffe, 21, phone)).labels[0])
    resumed = await press(gaffe, 21, phone, "Reprendre")
    assert resumed.text.startswith("C'est reparti pour ta banque\u00a0: le prochain le 29 mai 2027 à 10:00.")
    assert resumed.picked == "→ <i>Reprendre</i>"
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT paused, next_due_at FROM reminders") == [
        (0, "2027-05-29T08:00:00+00:00")
    ]


async def test_the_cadence_is_changed_from_the_card_once_and_delete_removes_the_reminder(
    gaffe: Gaffe, tmp_path: Path
) -> None:
    phone = Screen()
    await create_reminder(gaffe, 22, phone, "Mes réseaux sociaux", "Tous les 3 mois")
    card = await press(gaffe, 22, phone, (await open_list(gaffe, 22, phone)).labels[0])
    changed = await press(gaffe, 22, phone, "Tous les ans")
    assert changed.picked == "→ <i>Tous les ans</i>"
    assert changed.text.startswith(
        "C'est noté\u00a0: tes réseaux sociaux, tous les ans. Le prochain le 30 novembre 2027 à 10:00."
    )
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT every_days, next_due_at FROM reminders") == [
        (365, "2027-11-30T09:00:00+00:00")
    ]
    await gaffe.handle(22, card.buttons[card.labels.index("Tous les ans")].press, phone)  # the old card, again
    assert phone.last.toast == "C'est déjà noté."
    yearly = await press(gaffe, 22, phone, (await open_list(gaffe, 22, phone)).labels[0])
    assert yearly.labels[:3] == ("Mettre en pause", "Tous les 3 mois", "Tous les 6 mois")  # not its own cadence
    deleted = await press(gaffe, 22, phone, "Supprimer")
    assert deleted.picked == "→ <i>Supprimer</i>"
    assert deleted.text.startswith("C'est fait, plus de rappel pour tes réseaux sociaux.")
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT count(*) FROM reminders") == [(0,)]


async def test_a_button_with_a_verb_reminders_do_not_have_is_refused(gaffe: Gaffe, tmp_path: Path) -> None:
    phone = Screen()
    await create_reminder(gaffe, 23, phone, "Ma banque", "Tous les 6 mois")
    ((reminder_id,),) = rows(tmp_path / "gaffe.sqlite3", "SELECT id FROM reminders")
    before = rows(tmp_path / "gaffe.sqlite3", "SELECT * FROM reminders")
    await gaffe.handle(23, Press("reminder", reminder_id, 0, "snooze"), phone)
    assert phone.last.toast == "Ce bouton, je le reconnais pas. Tape /aide si tu sais plus où t'en es."
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT * FROM reminders") == before


async def test_the_hour_and_time_zone_move_every_reminder_and_set_the_next_ones(gaffe: Gaffe, tmp_path: Path) -> None:
    phone = Screen()
    await create_reminder(gaffe, 24, phone, "Ma boîte mail", "Tous les 3 mois")  # 28 February, 10:00 in Paris
    await gaffe.handle(24, Command("rappels"), phone)
    await press(gaffe, 24, phone, "Choisir l'heure et le fuseau")
    hour = await press(gaffe, 24, phone, "18 h")
    assert "tes rappels arriveront vers 18:00, heure de Europe/Paris. Jamais la nuit." in hour.text
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT next_due_at FROM reminders") == [("2027-02-28T17:00:00+00:00",)]
    zoned = await press(gaffe, 24, phone, "Montréal, New York")
    assert "tes rappels arriveront vers 18:00, heure de America/Toronto." in zoned.text  # the hour is kept
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT hour, timezone FROM reminder_settings") == [(18, "America/Toronto")]
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT next_due_at FROM reminders") == [("2027-02-28T23:00:00+00:00",)]
    added = await create_reminder(gaffe, 24, phone, "Ma banque", "Tous les 6 mois")  # at 18:00 in Toronto
    assert "Le premier\u00a0: 29 mai 2027 à 18:00." in added.text
    listed = await open_list(gaffe, 24, phone)
    assert listed.text.startswith("Tes 2 rappels (ils arrivent vers 18:00, heure de America/Toronto)")
    assert Hour(18).localize(gaffe.content, gaffe.translators["en"]) == "6:00\u202fPM"  # as English writes it


async def test_the_reminders_are_exported_with_their_settings_and_erased_with_the_rest(
    gaffe: Gaffe, tmp_path: Path
) -> None:
    phone = Screen()
    await create_reminder(gaffe, 25, phone, "Ma boîte mail", "Tous les 3 mois")
    await gaffe.handle(25, Command("rappels"), phone)
    await press(gaffe, 25, phone, "Choisir l'heure et le fuseau")
    await press(gaffe, 25, phone, "8 h")
    await create_reminder(gaffe, 26, Screen(), "Ma banque", "Tous les ans")  # someone else's
    exported = await gaffe.handle(25, Command("mesdonnees"), Screen())
    (document,) = exported.attachments
    assert json.loads(document.data)["data"]["reminders"]["rows"] == [
        {"account": "mail", "label": None, "every_days": 90, "next_due_at": "2027-02-28T07:00:00+00:00",
         "paused": 0, "sent": 0, "answered": 0, "created_at": "2026-11-30T13:00:00+00:00"},
        {"hour": 8, "timezone": "Europe/Paris"},
    ]  # fmt: skip
    asked = await gaffe.handle(25, Command("oublie"), phone)
    await gaffe.handle(25, Pick(asked.step or 0, asked.labels.index("Oui, efface tout")), phone)
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT user_id, account FROM reminders") == [(26, "bank")]
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT user_id FROM reminder_settings") == []


async def test_stats_count_every_reminder_and_those_waiting_to_go_out(
    shipped: Content, translators: dict[str, Translator], store: Store, clock: Clock
) -> None:
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True, clock=clock, admins=frozenset({99}))
    phone = Screen()
    await create_reminder(gaffe, 27, phone, "Ma boîte mail", "Tous les 3 mois")  # due on 28 February
    await create_reminder(gaffe, 27, phone, "Ma banque", "Tous les ans")  # not due yet
    await create_reminder(gaffe, 28, phone, "Ma banque", "Tous les 3 mois")  # due, but paused
    await press(gaffe, 28, phone, (await open_list(gaffe, 28, phone)).labels[0])
    await press(gaffe, 28, phone, "Mettre en pause")
    assert "Rappels\u00a0: 3, dont 0 à envoyer" in (await gaffe.handle(99, Command("stats"), Screen())).text
    clock.now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    assert "Rappels\u00a0: 3, dont 1 à envoyer" in (await gaffe.handle(99, Command("stats"), Screen())).text


# --- for other features: a password changed counts the reminder of its account done --------------------------------
@pytest.mark.parametrize(
    ("label", "service", "named"),
    [("Gmail perso", "gmail", True), ("GMAIL", "Gmail", True), ("Gmail", "gmail", True), ("ok", "ok", True),
     ("Facebook", "book", True), ("Mon book", "ok", False), ("Banque", "gmail", False)],
)  # fmt: skip
def test_a_label_names_a_service_whole_or_by_a_key_of_four_letters_or_more(
    label: str, service: str, named: bool
) -> None:
    assert names(label, service) is named


async def test_a_password_changed_counts_only_the_reminders_that_name_its_account_done(
    gaffe: Gaffe, clock: Clock, tmp_path: Path
) -> None:
    phone = Screen()
    await create_reminder(gaffe, 29, phone, "Ma boîte mail", "Tous les 3 mois")  # a preset: no label of its own
    for label in ("Gmail perso", "Banque", "gmail pro"):
        await create_named_reminder(gaffe, 29, phone, label, "Tous les 6 mois")
    clock.now = datetime(2027, 1, 10, 15, 0, tzinfo=UTC)
    state = await gaffe.store.load(29)
    assert state is not None
    async with gaffe.store.transaction() as tx:
        world = World(tx, 29, clock.now, state, gaffe.content)
        assert await reminder_done(world, lambda label: names(label, "gmail")) == 2
        assert await password_changed(world, AccountPasswordChanged("banque")) == ()
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT account, label, next_due_at FROM reminders ORDER BY id") == [
        ("mail", None, "2027-02-28T09:00:00+00:00"),  # untouched
        ("other", "Gmail perso", "2027-07-09T08:00:00+00:00"),  # 180 days from now, at 10:00 in Paris
        ("other", "Banque", "2027-07-09T08:00:00+00:00"),  # by the event the breach watch raises
        ("other", "gmail pro", "2027-07-09T08:00:00+00:00"),
    ]


async def test_a_reminder_of_an_account_named_by_its_user_says_its_name(gaffe: Gaffe, clock: Clock) -> None:
    phone = Screen()
    await create_named_reminder(gaffe, 30, phone, "Gmail perso", "Tous les 3 mois")
    assert nbsp((await open_list(gaffe, 30, phone)).labels[0]) == "Gmail perso · tous les 3 mois"
    clock.now = START + timedelta(days=91)
    assert await scheduler_for(gaffe, {30: phone}).tick() == 1
    assert nbsp(phone.last.text).startswith("⏰ C'est l'heure du point sur « Gmail perso ».")
