"""Reminders end to end: the real bot against the fake Bot API, its scheduler ticking on python-telegram-bot's
JobQueue, with a clock the test moves. Created in the chat, delivered once, answered once, through a restart,
a 429 storm, a blocked user, and in the middle of a checkup."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app import open_store
from bot.config import Settings
from tests.support.bot_harness import after_rounds, buttons, marked, next_message, press, running_bot, settings_for
from tests.support.clock import START
from tests.support.clock import FakeClock as Clock  # the name the tests below were written with
from tests.support.fake_bot_api import Call, FakeBotApi


def quick(fake: FakeBotApi, db: Path) -> Settings:
    return replace(settings_for(fake, db), reminder_check_seconds=0.2)


def by_label(message: dict[str, Any], label: str) -> int:
    return [text for text, _ in buttons(message)].index(label)


async def create(fake: FakeBotApi, user: int, language: str = "fr") -> dict[str, Any]:
    """/rappels → add → email → every 3 months, by buttons; the confirmation."""
    labels = {"fr": ("Ajouter un rappel", "Ma boîte mail", "Tous les 3 mois"),
              "en": ("Add a reminder", "My email", "Every 3 months")}[language]  # fmt: skip
    mark = len(fake.sent)
    fake.user_sends(user, "/rappels" if language == "fr" else "/reminders", language_code=language)
    message, mark = await next_message(fake, user, mark)
    for label in labels:
        message, mark = await press(fake, user, message, by_label(message, label), mark)
        if label == labels[0]:  # the honest note comes with the account question
            assert ("la règle aujourd'hui" if language == "fr" else "the rule today") in message["text"]
    return message


def reminders_sent(fake: FakeBotApi, user: int) -> list[dict[str, Any]]:
    return [
        c.result for c in fake.sent
        if c.ok and c.method == "sendMessage" and c.result["chat"]["id"] == user and "⏰" in c.result["text"]
    ]  # fmt: skip


async def test_created_in_the_chat_delivered_once_and_done_reschedules_it(fake: FakeBotApi, tmp_path: Path) -> None:
    clock, db = Clock(), tmp_path / "g.sqlite3"
    async with running_bot(fake, db, quick(fake, db), clock) as app:
        created = await create(fake, 501)
        assert "28 février 2027 à 10:00" in created["text"]
        await after_rounds(app)
        assert reminders_sent(fake, 501) == []  # not yet
        clock.now = START + timedelta(days=91)
        reminder = await fake.wait_for_message(501, contains="⏰")
        assert [label for label, _ in buttons(reminder)] == ["C'est fait", "Plus tard", "Stop"]
        mark = len(fake.sent)
        fake.user_presses(501, reminder["message_id"], buttons(reminder)[0][1])
        done, _ = await next_message(fake, 501, mark)
        assert "Prochain rappel pour ta boîte mail" in done["text"] and "2027" in done["text"]
        shown = await marked(fake, 501, reminder, mark)
        assert "C'est fait" in shown["text"] and "reply_markup" not in shown  # the pick, no buttons left
        query = fake.user_presses(501, reminder["message_id"], buttons(reminder)[0][1], strict=False)
        await fake.wait_for(lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query)
        assert fake.callback_answers[query]["text"] == "C'est déjà noté."
        await after_rounds(app)
    assert len(reminders_sent(fake, 501)) == 1
    assert fake.errors == []


async def test_english_dates_and_a_restart_before_the_due_time(fake: FakeBotApi, tmp_path: Path) -> None:
    clock, db = Clock(), tmp_path / "g.sqlite3"
    async with running_bot(fake, db, quick(fake, db), clock):
        created = await create(fake, 502, "en")
        assert "February 28, 2027 at 10:00" in created["text"] and "every 3 months" in created["text"]
    clock.now = START + timedelta(days=100)  # Gaffe was down when it fell due
    async with running_bot(fake, db, quick(fake, db), clock) as app:
        reminder = await fake.wait_for_message(502, contains="⏰")
        assert "your email account" in reminder["text"]
        await after_rounds(app)
    async with running_bot(fake, db, quick(fake, db), clock) as app:  # and again: it went out once
        await after_rounds(app)
    assert len(reminders_sent(fake, 502)) == 1


async def test_a_429_storm_delays_the_reminder_but_it_arrives_once(fake: FakeBotApi, tmp_path: Path) -> None:
    clock, db = Clock(), tmp_path / "g.sqlite3"
    async with running_bot(fake, db, quick(fake, db), clock) as app:
        await create(fake, 503)
        fake.fail_next("sendMessage", retry_after=1, count=2)
        clock.now = START + timedelta(days=91)
        await fake.wait_for_message(503, contains="⏰", timeout=20)
        await after_rounds(app)
    assert len([c for c in fake.sent if c.error and c.error.code == 429]) == 2
    assert len(reminders_sent(fake, 503)) == 1


async def test_a_blocked_user_is_not_retried_and_their_reminder_resumes_when_they_return(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    clock, db = Clock(), tmp_path / "g.sqlite3"
    async with running_bot(fake, db, quick(fake, db), clock) as app:
        await create(fake, 504)
        fake.block(504)
        clock.now = START + timedelta(days=91)
        await fake.wait_for(lambda c: c.error is not None and c.error.code == 403)
        await after_rounds(app, 3)  # several rounds: no retry
        forbidden = [c for c in fake.sent if c.error and c.error.code == 403]
        assert len(forbidden) == 1
        store = await open_store(db)
        assert await store.is_active(504) is False
        await store.close()
        fake.unblock(504)
        clock.now += timedelta(days=91)
        fake.user_sends(504, "/aide")  # back
        await fake.wait_for_message(504, contains="⏰")
    assert len(reminders_sent(fake, 504)) == 1


async def test_a_reminder_pressed_in_the_middle_of_a_checkup(fake: FakeBotApi, tmp_path: Path) -> None:
    clock, db = Clock(), tmp_path / "g.sqlite3"
    async with running_bot(fake, db, quick(fake, db), clock):
        await create(fake, 505)
        mark = len(fake.sent)
        fake.user_sends(505, "/checkup")
        intro, mark = await next_message(fake, 505, mark)
        question, mark = await press(fake, 505, intro, 0, mark)
        clock.now = START + timedelta(days=91)
        reminder = await fake.wait_for_message(505, contains="⏰")
        mark = len(fake.sent)
        fake.user_presses(505, reminder["message_id"], buttons(reminder)[0][1])
        again, mark = await next_message(fake, 505, mark)
        assert "On reprend" in again["text"] and question["text"].split("\n")[0] in again["text"]
        following, _ = await press(fake, 505, again, 0, mark)  # the checkup goes on from the repeated question
        assert buttons(following) and following["text"] != question["text"]
        # The original question's buttons were the same step as the repeated one's: now they are stale.
        query = fake.user_presses(505, question["message_id"], buttons(question)[1][1], strict=False)
        await fake.wait_for(lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query)
        assert "expiré" in fake.callback_answers[query]["text"]
    assert fake.errors == []


async def test_the_cadence_of_a_reminder_is_changed_from_its_card(fake: FakeBotApi, tmp_path: Path) -> None:
    """/rappels shows the reminder with its buttons, "every 6 months" among them (these failed to be made once,
    and the whole list with them); pressing it changes the cadence."""
    clock, db = Clock(), tmp_path / "g.sqlite3"
    async with running_bot(fake, db, quick(fake, db), clock):
        await create(fake, 502)
        mark = len(fake.sent)
        fake.user_sends(502, "/rappels")
        menu, mark = await next_message(fake, 502, mark)
        listed, mark = await press(fake, 502, menu, by_label(menu, "Voir mes rappels"), mark)
        card, mark = await press(fake, 502, listed, 0, mark)  # the reminder's own button: its card
        changed, _ = await press(fake, 502, card, by_label(card, "Tous les 6 mois"), mark)
        assert "C'est noté" in changed["text"] and "tous les 6\u00a0mois" in changed["text"]
    assert fake.errors == []


async def test_a_label_holding_a_secret_or_an_email_is_refused_on_telegram_and_never_stored(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """Issue 18: a missed secret typed as a label was stored and echoed back ("un rappel pour The password for my
    laptop is dragonfly"), and an e-mail address was accepted. Typed in the chat, each is refused, the secret's
    message deleted, and neither reaches the database nor any message; a plain name still goes through."""
    db, user = tmp_path / "g.sqlite3", 506

    def deleted(message_id: int) -> Callable[[Call], bool]:
        return lambda call: call.method == "deleteMessage" and call.params["message_id"] == message_id

    secrets = ("The password for my laptop is dragonfly", "Gmail perso Soleil2024", "mon mdp (nounours)")
    async with running_bot(fake, db, quick(fake, db), Clock()):
        mark = len(fake.sent)
        fake.user_sends(user, "/rappels")
        menu, mark = await next_message(fake, user, mark)
        accounts, mark = await press(fake, user, menu, by_label(menu, "Ajouter un rappel"), mark)
        await press(fake, user, accounts, by_label(accounts, "Un autre compte (je tape son nom)"), mark)
        for label in secrets:
            mark = len(fake.sent)
            fake.user_sends(user, label)
            typed = fake.messages(user, from_bot=False)[-1]["message_id"]
            refused, _ = await next_message(fake, user, mark)
            assert "mot de passe" in refused["text"] and label.split()[-1] not in refused["text"]
            await fake.wait_for(deleted(typed), after=mark)
        mark = len(fake.sent)
        fake.user_sends(user, "jean.dupont@gmail.com")
        refused, mark = await next_message(fake, user, mark)
        assert "Pas d'adresse mail" in refused["text"] and "jean.dupont" not in refused["text"]
        fake.user_sends(user, "Gmail perso")
        cadence, mark = await next_message(fake, user, mark)
        done, _ = await press(fake, user, cadence, by_label(cadence, "Tous les 3 mois"), mark)
        assert "Gmail perso" in done["text"]
    chat = "\n".join(m.get("text", "") for m in fake.messages(user))  # the secrets' messages deleted too
    said = "\n".join(m.get("text", "") for m in fake.messages(user, from_bot=True))
    with sqlite3.connect(db) as connection:
        dump = "\n".join(connection.iterdump())
    assert not any(word in chat for word in ("dragonfly", "Soleil2024", "nounours"))
    assert not any(
        word in kept for kept in (said, dump) for word in ("dragonfly", "Soleil2024", "nounours", "jean.dupont")
    )
    assert fake.errors == []
