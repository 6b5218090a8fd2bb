"""Faults survived by the Telegram bot, end to end against the fake Bot API: the database locked past the
busy timeout (the user reads "try again", a press keeps its buttons), the Bot API unreachable then back on
the same port (polling resumes, the reply lost in the outage and the messages sent meanwhile are answered),
500s, 502s and a timeout from Telegram, and SIGTERM in the middle of 50 users' steps (every answered step is
saved; the rest are answered after the restart). Outages are a few seconds here, not a minute: the retry
loops are the same, only shorter to wait for."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from dataclasses import replace
from pathlib import Path

from bot.adapters.telegram import TelegramGaffe
from tests.support.bot_harness import buttons, next_message, press, running_bot, settings_for
from tests.support.database import locked
from tests.support.fake_bot_api import FakeBotApi
from tests.test_telegram_process import bot_process

TRY_AGAIN = "Oups, souci de mon côté"


def _gaffe(app: object) -> TelegramGaffe:
    gaffe = app.bot_data["gaffe"]  # type: ignore[attr-defined]
    assert isinstance(gaffe, TelegramGaffe)
    return gaffe


async def test_a_locked_database_says_try_again_then_the_step_works(fake: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite3"
    async with running_bot(fake, db) as app:
        await _gaffe(app).gaffe.store.connection.execute("PRAGMA busy_timeout=300")
        mark = len(fake.sent)
        fake.user_sends(7, "/checkup")
        intro, mark = await next_message(fake, 7, mark)
        await _delivery_noted(db, 7)  # (else the lock below keeps it pending, and a tick sends it again)
        # Another process holds the database. It waits for a write of the bot's in flight, off the loop that drives
        # that write (see tests/support/database.py), rather than failing with "database is locked" under load.
        async with locked(db):
            fake.user_sends(7, "/aide")
            refused, mark = await next_message(fake, 7, mark)
            assert TRY_AGAIN in refused["text"]
            query = fake.user_presses(7, intro["message_id"], buttons(intro)[0][1])
            answer = await fake.wait_for(
                lambda c: c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query
            )
            assert TRY_AGAIN in answer.params.get("text", "")  # a toast: the question keeps its buttons
            shown = next(m for m in fake.messages(7) if m["message_id"] == intro["message_id"])
            assert buttons(shown)
        question, mark = await press(fake, 7, intro, 0, mark)  # released: the same button works
        assert "tu les ranges où" in question["text"]
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def _delivery_noted(db: Path, user: int, timeout: float = 60) -> None:
    """Wait until the bot has written the reply down as delivered (it does within a second; the generous deadline
    is for a loaded machine, and is not a timing assertion)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        with sqlite3.connect(db, timeout=60) as check:
            if check.execute("SELECT reply_pending FROM users WHERE user_id = ?", (user,)).fetchone() == (0,):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the reply was never marked delivered")


async def test_the_bot_api_unreachable_then_back(tmp_path: Path) -> None:
    """Stopped for 5 s, restarted on the same port: polling resumes by itself, the reply that could not go
    out during the outage is sent (by the next tick), and what users sent meanwhile is answered."""
    db = tmp_path / "g.sqlite3"
    async with FakeBotApi() as fake:
        port = int(fake.url.rsplit(":", 1)[1])
        settings = replace(settings_for(fake, db), reminder_check_seconds=1.0)
        async with running_bot(fake, db, settings):
            mark = len(fake.sent)
            fake.user_sends(8, "/checkup")
            intro, mark = await next_message(fake, 8, mark)
            await fake.stop()  # the outage begins
            fake.user_presses(8, intro["message_id"], buttons(intro)[0][1])  # waits at Telegram's side
            fake.user_sends(9, "/start")
            await asyncio.sleep(5)
            await fake.start(port)  # back (how soon: bench/faults.py)
            first = await fake.wait_for_message(8, contains="tu les ranges où", timeout=30, after=mark)
            await fake.wait_for_message(9, contains="Sinon, on fait quoi", timeout=30, after=mark)

            # A reply lost to the network (every retry fails): the step is saved, its whole reply kept, and the
            # next scheduler tick sends it (the reaction to the answer and the question), without a restart.
            mark = len(fake.sent)
            fake.fail_next("sendMessage", code=502, count=3)
            fake.user_presses(8, first["message_id"], buttons(first)[3][1])  # "Dans ma tête"
            again = await fake.wait_for_message(8, contains="Le même mot de passe", timeout=15, after=mark)
            assert "Comme plein de monde" in again["text"] and buttons(again), fake.errors
            assert [e.code for e in fake.errors].count(502) == 3, fake.errors
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT reply_pending FROM users WHERE user_id = 8").fetchone() == (0,)
    assert first


async def test_telegram_500s_502s_and_a_timeout(fake: FakeBotApi, tmp_path: Path) -> None:
    """Each is retried: the user gets every reply, once the Bot API answers again."""
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        mark = len(fake.sent)
        fake.fail_next("sendMessage", code=502)
        fake.user_sends(10, "/checkup")
        intro, mark = await next_message(fake, 10, mark)
        fake.fail_next("sendMessage", code=500, count=2)
        question, mark = await press(fake, 10, intro, 0, mark)
        assert "tu les ranges où" in question["text"]
        fake.slow_next("sendMessage", 6.0)  # past python-telegram-bot's 5 s read timeout: a TimedOut
        answered, mark = await press(fake, 10, question, 0, mark)
        assert "Le même mot de passe" in answered["text"]
        failures = sorted({e.code for e in fake.errors})
    assert failures == [500, 502]


async def test_sigterm_in_the_middle_of_50_users_steps(tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite3"
    users = range(1001, 1051)
    async with FakeBotApi() as fake:
        async with bot_process(fake, db) as first:
            mark = len(fake.sent)
            for user in users:
                fake.user_sends(user, "/checkup")
            intros = {}
            for user in users:
                intros[user], _ = await next_message(fake, user, mark)
            mark = len(fake.sent)

            async def users_press() -> None:  # 50 presses, one every 20 ms…
                for user in users:
                    fake.user_presses(user, intros[user]["message_id"], buttons(intros[user])[0][1])
                    await asyncio.sleep(0.02)

            pressing = asyncio.create_task(users_press())
            await fake.wait_for_message(1001, contains="tu les ranges où", timeout=30, after=mark)
            first.send_signal(signal.SIGTERM)  # …and SIGTERM as soon as the first is answered
            assert await asyncio.wait_for(first.wait(), 30) == 0
            await pressing
            answered_before = {u for u in users if _got_question(fake, u, mark)}

        with sqlite3.connect(db) as check:
            nodes = dict(check.execute("SELECT user_id, json_extract(conversation, '$.node') FROM users"))
        assert all(nodes[u] == "manager" for u in answered_before)  # every answered step was saved

        async with bot_process(fake, db):
            for user in users:  # the rest are answered after the restart
                if user not in answered_before:
                    await fake.wait_for_message(user, contains="tu les ranges où", timeout=30, after=mark)
        with sqlite3.connect(db) as check:
            nodes = dict(check.execute("SELECT user_id, json_extract(conversation, '$.node') FROM users"))
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert all(nodes[u] == "manager" for u in users)
    assert 0 < len(answered_before) < 50, answered_before  # SIGTERM did fall in the middle
    print(f"answered before SIGTERM: {len(answered_before)}/50")


def _got_question(fake: FakeBotApi, user: int, after: int) -> bool:
    return any(
        c.ok
        and c.method == "sendMessage"
        and c.params.get("chat_id") == user
        and "tu les ranges où" in c.params["text"]
        for c in fake.sent[after:]
    )
