"""The user's profile (language, country, pushes) and the routes by country: the picker, the detour that asks
the country before a local route, `{route.KEY}` in texts, conditions and `set_profile`, storage and export, and
pushes paused: nothing unasked reaches the user, and nothing due is lost."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from bot.app import open_store
from bot.core.dialogue import Content
from bot.core.engine import Ask, Command, Notice, Pick, Push, Say, State, _suspend, step
from bot.core.i18n import Translator
from bot.core.profile import Profile
from bot.core.render import render
from bot.features.privacy import RetentionNotice
from bot.service import Gaffe
from bot.storage import Store
from tests.support.bot_harness import buttons, next_message, running_bot
from tests.support.clock import START, FakeClock
from tests.support.database import rows
from tests.support.fake_bot_api import FakeBotApi
from tests.support.screen import Screen
from tests.test_reminders import create_reminder, press, scheduler_for


def _ask(result_outputs: tuple[object, ...]) -> Ask:
    return next(o for o in result_outputs if isinstance(o, Ask))


# --- the picker -------------------------------------------------------------------------------------------
def test_the_picker_lists_every_region_first_those_of_the_users_language(shipped: Content) -> None:
    names = {region.id: region.name for region in shipped.regions.regions.values()}
    french = _ask(step(shipped, State(Profile("fr")), Command("pays")).outputs).labels
    english = _ask(step(shipped, State(Profile("en")), Command("country")).outputs).labels
    assert sorted(french) == sorted(english) == sorted(names.values())  # every region, nothing chosen for them
    assert french[0] == names["fr"]
    first_for_english = [r.name for r in shipped.regions.regions.values() if "en" in r.first_for]
    assert "gb" in {r.id for r in shipped.regions.regions.values() if "en" in r.first_for}
    assert list(english[: len(first_for_english)]) == first_for_english and names["fr"] not in first_for_english
    assert french[-1] == english[-1] == names["other"]


def test_picking_a_region_sets_the_country_and_nothing_else(shipped: Content) -> None:
    asked = step(shipped, State(Profile("en")), Command("country"))
    labels = _ask(asked.outputs).labels
    picked = step(shipped, asked.state, Pick(asked.state.step, labels.index("Canada")))
    assert picked.state.profile == Profile("en", "ca", True)
    assert picked.state.dialogue is None  # the picker's dialogue ended


# --- the detour: asked first, then exactly where it was -----------------------------------------------------
def test_a_local_route_asks_the_country_first_then_goes_on_where_it_was(shipped: Content) -> None:
    opened = step(shipped, State(Profile("fr")), Command("arnaque"))
    sms = _ask(opened.outputs).labels.index("Un SMS louche (colis, amende…)")
    asked = step(shipped, opened.state, Pick(opened.state.step, sms))
    assert asked.state.dialogue == "pays" and asked.state.detour is not None
    question = _ask(asked.outputs)
    assert question.text.startswith("Tu vis dans quel pays") and "Colis" not in question.text
    back = step(shipped, asked.state, Pick(asked.state.step, question.labels.index("Belgique")))
    assert back.state.profile.country == "be" and back.state.detour is None
    assert (back.state.dialogue, back.state.node) == ("arnaque", "sms_other")  # the branch read the country
    assert "{route.scam_text}" in _ask(back.outputs).text


def test_the_country_is_asked_once_and_never_again(shipped: Content) -> None:
    state = State(Profile("fr", "fr"))
    opened = step(shipped, state, Command("arnaque"))
    sms = _ask(opened.outputs).labels.index("Un SMS louche (colis, amende…)")
    went = step(shipped, opened.state, Pick(opened.state.step, sms))
    assert (went.state.dialogue, went.state.node) == ("arnaque", "sms_fr") and went.state.detour is None


def test_a_command_at_the_picker_keeps_the_interrupted_conversation_aside(shipped: Content) -> None:
    opened = step(shipped, State(Profile("fr")), Command("checkup"))
    started = step(shipped, opened.state, Pick(opened.state.step, 0))
    answered = step(shipped, started.state, Pick(started.state.step, 0))  # one answer: worth keeping
    # Left at the picker the detour opened (the checkup names no route: the detour is set as the engine would).
    at_picker = step(shipped, answered.state, Command("pays"))
    waiting = replace(at_picker.state, detour=_suspend(answered.state))
    left = step(shipped, waiting, Command("aide"))
    kept = left.state.suspended
    assert kept is not None and (kept.dialogue, kept.node) == ("checkup", answered.state.node)
    assert left.state.detour is None


# --- texts: {route.KEY}, {route.KEY.name}, their sources -------------------------------------------------
def test_a_route_is_the_regions_sentence_in_the_users_language_with_its_source(
    shipped: Content, translators: dict[str, Translator]
) -> None:
    uk = shipped.regions.regions["gb"].routes["scam_text"]
    opened = step(shipped, State(Profile("en", "gb")), Command("scam"))
    sms = step(shipped, opened.state, Pick(opened.state.step, 0))
    shown = render(shipped, translators["en"], sms.outputs, country="gb").text
    assert translators["en"].text(uk.how) in shown and "7726" in shown
    assert uk.source in shown and "33700" not in shown
    french = render(shipped, translators["en"], sms.outputs, country="fr").text  # the same outputs, elsewhere
    assert "33700" in french and "7726" not in french


def test_a_routes_short_name_and_an_unknown_country(shipped: Content, translators: dict[str, Translator]) -> None:
    said = (Say("Signale-le au {route.scam_text.name}."),)
    assert render(shipped, translators["fr"], said, country="fr").text.startswith("Signale-le au 33700.")
    assert render(shipped, translators["en"], said, country="ca").text.startswith("Signale-le au 7726.")
    other = shipped.regions.regions["other"].routes["scam_text"].name
    assert render(shipped, translators["fr"], said).text.startswith(f"Signale-le au {other}.")  # not said yet


# --- conditions and set_profile ------------------------------------------------------------------------------
def test_conditions_read_the_profile(shipped: Content) -> None:
    from bot.core.dialogue import Condition

    assert Condition(countries=("ca", "us")).holds({}, 0, (), Profile("en", "ca"))
    assert not Condition(countries=("ca", "us")).holds({}, 0, (), Profile("en", "gb"))
    assert not Condition(countries=("ca",)).holds({}, 0, (), Profile("en", None))
    assert Condition(pushes=False).holds({}, 0, (), Profile(pushes=False))
    assert not Condition(pushes=False).holds({}, 0, (), Profile())


def test_pausing_pushes_says_so_and_how_to_undo_it(shipped: Content) -> None:
    opened = step(shipped, State(Profile("fr", "fr")), Command("reglages"))
    labels = _ask(opened.outputs).labels
    paused = step(shipped, opened.state, Pick(opened.state.step, labels.index("Ne plus m'écrire de toi-même")))
    assert paused.state.profile.pushes is False and Notice("pushes_paused") in paused.outputs
    again = step(shipped, paused.state, Command("reglages"))
    labels = _ask(again.outputs).labels
    assert "Tu peux de nouveau m'écrire" in labels  # the branch read `pushes: "off"`
    resumed = step(shipped, again.state, Pick(again.state.step, labels.index("Tu peux de nouveau m'écrire")))
    assert resumed.state.profile.pushes is True and Notice("pushes_resumed") in resumed.outputs


# --- storage: columns of their own, old rows migrate, export -------------------------------------------------
async def test_the_profile_is_stored_apart_from_the_conversation(store: Store, tmp_path: Path) -> None:
    await store.save(1, State(Profile("en", "be", False), dialogue="checkup", node="manager"))
    loaded = await store.load(1)
    assert loaded is not None and loaded.profile == Profile("en", "be", False) and loaded.node == "manager"
    language, country, pushes, conversation = rows(
        tmp_path / "gaffe.sqlite3", "SELECT language, country, pushes, conversation FROM users"
    )[0]
    assert (language, country, pushes) == ("en", "be", 0) and "profile" not in json.loads(str(conversation))


async def test_rows_from_before_the_profile_migrate_with_country_unknown_and_pushes_on(tmp_path: Path) -> None:
    from tests.test_storage import shared_statements

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        for statement in (s for version in range(1, 9) for s in shared_statements(version)):
            db.execute(statement)
        db.execute("PRAGMA user_version = 8")
        db.execute(
            "INSERT INTO users (user_id, language, conversation, created_at, updated_at)"
            ' VALUES (7, \'en\', \'{"dialogue": "checkup", "node": "reuse", "step": 3}\', \'x\', \'x\')'
        )
    store = await open_store(path)
    try:
        loaded = await store.load(7)
    finally:
        await store.close()
    assert loaded is not None and loaded.profile == Profile("en", None, True) and loaded.node == "reuse"


async def test_the_export_says_the_country_and_pushes_and_the_erasure_takes_them(
    shipped: Content, translators: dict[str, Translator], store: Store, tmp_path: Path
) -> None:
    gaffe = Gaffe(shipped, translators, store)
    phone = Screen()
    await store.save(3, State(Profile("fr", "ca", False)))
    await gaffe.handle(3, Command("mesdonnees"), phone)
    exported = json.loads(next(a for r in phone.replies for a in r.attachments).data)
    profile = exported["data"]["profile"]
    assert profile["rows"][0]["country"] == "ca" and profile["rows"][0]["pushes"] is False
    assert profile["fields"]["country"].startswith("Le pays") and profile["fields"]["pushes"].startswith("false si")
    await gaffe.handle(3, Command("oublie"), phone)
    await press(gaffe, 3, phone, phone.last.labels[0])
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT count(*) FROM users WHERE user_id = 3") == [(0,)]


# --- pushes paused: nothing unasked, nothing lost -------------------------------------------------------------
async def test_a_reminder_due_while_pushes_are_paused_waits_and_goes_out_once_they_are_back_on(
    shipped: Content, translators: dict[str, Translator], store: Store, tmp_path: Path
) -> None:
    clock = FakeClock()
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True, clock=clock)
    phone = Screen()
    await create_reminder(gaffe, 20, phone, "Ma boîte mail", "Tous les 3 mois")
    due_at = rows(tmp_path / "gaffe.sqlite3", "SELECT next_due_at, sent FROM reminders WHERE user_id = 20")
    await gaffe.handle(20, Command("reglages"), phone)
    await press(gaffe, 20, phone, "Ne plus m'écrire de toi-même")
    assert "/reglages" in phone.last.text  # told how to turn them back on
    scheduler = scheduler_for(gaffe, {20: phone})
    clock.now = START + timedelta(days=91)  # due today, in the afternoon in Paris
    shown = len(phone.replies)
    assert await scheduler.tick() == 0 and len(phone.replies) == shown  # nothing reaches the phone
    clock.now += timedelta(hours=1)
    assert await scheduler.tick() == 0
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT next_due_at, sent FROM reminders WHERE user_id = 20") == due_at
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT count(*) FROM outbox") == [(0,)]
    await gaffe.handle(20, Command("reglages"), phone)
    await press(gaffe, 20, phone, "Tu peux de nouveau m'écrire")
    assert await scheduler.tick() == 1  # the same reminder, now
    assert phone.last.text.startswith("⏰") and phone.last.labels == ("C'est fait", "Plus tard", "Stop")
    assert await scheduler.tick() == 0  # once


async def test_paused_pushes_hold_back_a_speaking_push_but_not_a_silent_one(
    shipped: Content, translators: dict[str, Translator], store: Store
) -> None:
    gaffe = Gaffe(shipped, translators, store)
    phone = Screen()
    await store.save(30, State(Profile("fr", "fr", pushes=False)))
    notice = Push("retention_notice", RetentionNotice(START.isoformat()))
    assert await gaffe.push(30, notice, phone) is False and not phone.replies
    assert await gaffe.push(30, Push("retention_erase"), phone) is False  # says nothing, but runs
    assert await store.load(30) is None


@dataclass(frozen=True)
class Retention:
    """The one setting the retention sweep reads."""

    retention_days: int


async def test_someone_who_paused_pushes_gets_no_retention_notice_and_is_erased_in_time(
    shipped: Content, translators: dict[str, Translator], store: Store, tmp_path: Path
) -> None:
    from bot.features.privacy import retention_tick
    from bot.scheduler import JobContext

    gaffe = Gaffe(shipped, translators, store)
    await store.save(40, State(Profile("fr", "fr", pushes=False)))
    await store.save(41, State(Profile("fr", "fr")))
    sent: list[int] = []

    async def push(user_id: int, message: Push) -> bool:
        sent.append(user_id)
        return True

    later = START + timedelta(days=4000)
    notices, erased = await retention_tick(JobContext(gaffe, push, Retention(365), later))
    assert sent == [41] and (notices, erased) == (1, 1)  # 40: erased without a notice; 41: told first
    assert await store.load(40) is None and await store.load(41) is not None


async def test_a_breach_alert_waits_while_pushes_are_paused_and_comes_once_they_are_back_on(
    shipped: Content, translators: dict[str, Translator], store: Store, tmp_path: Path
) -> None:
    from bot.core.actions import DataSets
    from bot.lookups.breaches import Catalogue
    from tests.test_breaches import OLDER, SAMPLE, T0, Screens, alerts, pusher, refresh, settings_with, watch

    gaffe = Gaffe(shipped, translators, store, data=DataSets({Catalogue: Catalogue.parse(OLDER)}))
    screens = Screens()
    await watch(gaffe, screens, 50, "mSpy")
    saved = await store.load(50)
    assert saved is not None
    await store.save(50, replace(saved, profile=replace(saved.profile, pushes=False)))
    config = settings_with(tmp_path, SAMPLE)  # a newer catalogue: mSpy's 2024 breach appears
    assert await refresh(gaffe, config, pusher(gaffe, screens), T0) == 0
    assert alerts(screens, 50) == []
    await store.save(50, replace(saved, profile=replace(saved.profile, pushes=True)))
    assert await refresh(gaffe, config, pusher(gaffe, screens), T0 + timedelta(days=1, hours=1)) == 1
    assert len(alerts(screens, 50)) == 1 and "mSpy (2024)" in alerts(screens, 50)[0].text


async def test_a_pushed_message_still_in_the_outbox_waits_while_pushes_are_paused(
    shipped: Content, translators: dict[str, Translator], store: Store
) -> None:
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True)
    await store.save(60, State(Profile("fr", "fr", pushes=False)), reply_pending=True)
    async with store.transaction() as tx:
        await tx.add_to_outbox(60, '{"text": "⏰ rappel", "buttons": [], "toast": null}')
    delivered: list[str] = []

    async def send(user_id: int, reply: object) -> None:
        delivered.append(getattr(reply, "text", ""))

    await gaffe.deliver_pending(send)
    assert delivered == []  # neither the waiting push nor the pending reply pops up on the paused phone
    await store.save(60, State(Profile("fr", "fr", pushes=True)), reply_pending=True)
    await gaffe.deliver_pending(send)
    assert "⏰ rappel" in delivered and len(delivered) == 2


async def test_on_telegram_the_picker_follows_the_language_code_and_the_route_follows_the_pick(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        fake.user_sends(301, "/country", language_code="en-GB")
        picker, mark = await next_message(fake, 301, 0)
        labels = [label for label, _ in buttons(picker)]
        assert labels[0] == "United Kingdom" and "France" in labels[1:] and labels[-1] == "Another country"
        fake.user_presses(301, picker["message_id"], dict(buttons(picker))["United Kingdom"], language_code="en-GB")
        _, mark = await next_message(fake, 301, mark)
        fake.user_sends(301, "/scam", language_code="en-GB")
        question, mark = await next_message(fake, 301, mark)
        fake.user_presses(301, question["message_id"], buttons(question)[0][1], language_code="en-GB")
        advice, mark = await next_message(fake, 301, mark)
        assert "7726" in advice["text"] and "33700" not in advice["text"]

        fake.user_sends(302, "/pays", language_code="fr")
        french, _ = await next_message(fake, 302, 0)
        assert buttons(french)[0][0] == "France"
    assert fake.errors == []
