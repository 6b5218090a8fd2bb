"""Drain 10,000 due reminders through the real bot while 20 people press buttons: do the people wait?

Issue 7's promise, measured end to end: `python -m bot` runs in its own process, as an operator runs it,
against the fake Bot API (tests/support/fake_bot_api.py) in this process, which answers 429 past 30 messages per
second as Telegram does. The database is seeded with 10,000 users, each with a reminder that falls due a
little after the start; 20 other users take checkups by pressing buttons the whole time, a person's pace
(a random think time between presses). First an idle phase (people only), then the reminders fall due and
the scheduler drains them through the service, pushes after people's replies (`PriorityRateLimiter`).

It prints: messages per second during the drain, 429 answers, reminders lost and duplicated, and the
people's press-to-next-question median and p99 during the drain next to the idle phase.

    python -m bench.reminders                      # 10,000 reminders, 20 people (about 8 minutes)
    python -m bench.reminders --reminders 1000     # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import open_store
from tests.support.fake_bot_api import FakeBotApi
from tests.support.paths import ROOT
from tests.support.percentile import percentile

PEOPLE = range(1, 21)
FIRST_REMINDED = 1_000_000


def daytime_zone(now: datetime) -> str:
    """A time zone where it is early afternoon now, so the night rule never holds reminders back."""
    offset = (13 - now.hour) % 24
    offset = offset - 24 if offset > 12 else offset
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX signs


async def seed(db: Path, count: int, due_in: float) -> None:
    """Users with one reminder each, due `due_in` seconds from now (migrated schema, plain inserts)."""
    await (await open_store(db)).close()
    now = datetime.now(UTC)
    due = (now + timedelta(seconds=due_in)).isoformat(timespec="seconds")
    stamp, zone = now.isoformat(timespec="seconds"), daytime_zone(now)
    users = range(FIRST_REMINDED, FIRST_REMINDED + count)
    with sqlite3.connect(db) as connection:
        connection.executemany(
            "INSERT INTO users (user_id, language, conversation, created_at, updated_at) VALUES (?, 'fr', '{}', ?, ?)",
            ((u, stamp, stamp) for u in users),
        )
        connection.executemany(
            "INSERT INTO reminder_settings (user_id, hour, timezone) VALUES (?, 13, ?)", ((u, zone) for u in users)
        )
        connection.executemany(
            "INSERT INTO reminders (user_id, account, every_days, next_due_at, created_at)"
            " VALUES (?, 'mail', 90, ?, ?)",
            ((u, due, stamp) for u in users),
        )


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]  # not a site's button


async def person(fake: FakeBotApi, user: int, state: dict[str, Any], rng: random.Random) -> None:
    """Take checkups by pressing buttons, forever: the first button of each question, after a think."""
    latencies: list[tuple[str, float]] = state["latencies"]
    while not state["done"]:
        mark = len(fake.sent)
        fake.user_sends(user, "/checkup")
        message = (await fake.wait_for(_sent_to(user), timeout=120, after=mark)).result
        while buttons(message) and "/100" not in message["text"] and not state["done"]:
            await asyncio.sleep(rng.uniform(*state["think"]))
            mark = len(fake.sent)
            phase, pressed = state["phase"], time.monotonic()
            fake.user_presses(user, message["message_id"], buttons(message)[0])
            call = await fake.wait_for(_sent_to(user), timeout=120, after=mark)
            latencies.append((phase, time.monotonic() - pressed))
            message = call.result


def _sent_to(user: int) -> Any:
    return lambda c: c.ok and c.method == "sendMessage" and c.result["chat"]["id"] == user


async def main(count: int, idle: float, think: tuple[float, float]) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite3"
        await seed(db, count, due_in=idle + 8)  # the bot needs a few seconds to start
        async with FakeBotApi(max_messages_per_second=30) as fake:
            for user in [*PEOPLE, *range(FIRST_REMINDED, FIRST_REMINDED + count)]:
                fake.add_chat(user)
            env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": f"{fake.url}/bot",
                   "GAFFE_DB": str(db), "GAFFE_REMINDER_CHECK_SECONDS": "1", "GAFFE_FLOOD_UPDATES": "100000",
                   "GAFFE_HIBP_BREACHES": str(ROOT / "tests/fixtures/data/hibp-breaches-sample.json")}  # fmt: skip
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=ROOT, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            state: dict[str, Any] = {"phase": "idle", "done": False, "latencies": [], "think": think}
            people = [asyncio.create_task(person(fake, u, state, rng)) for u in PEOPLE]
            started = time.monotonic()

            def reminders() -> list[Any]:
                return [c for c in fake.calls("sendMessage") if c.ok and c.params["chat_id"] >= FIRST_REMINDED]

            while not reminders():
                await asyncio.sleep(0.2)
            state["phase"] = "drain"
            drain_start = time.monotonic()
            print(f"idle phase: {drain_start - started:.0f} s; the reminders fall due", flush=True)
            while len({c.params["chat_id"] for c in reminders()}) < count and time.monotonic() - drain_start < 900:
                await asyncio.sleep(0.5)
            drain_time = time.monotonic() - drain_start
            state["done"] = True
            await asyncio.sleep(3)  # duplicates would show up now
            bot.terminate()
            await bot.wait()
            for task in people:
                task.cancel()
            sent = reminders()
            per_chat = Counter(c.params["chat_id"] for c in sent)
            chat_bound = ("sendMessage", "editMessageText", "editMessageReplyMarkup")  # what Telegram's 30/s counts
            during = [c for c in fake.sent if c.ok and c.method in chat_bound
                      and drain_start <= c.time <= drain_start + drain_time]  # fmt: skip
            idle_lat = [s for p, s in state["latencies"] if p == "idle"]
            drain_lat = [s for p, s in state["latencies"] if p == "drain"]
            print(f"reminders: {count}, delivered {len(per_chat)}, lost {count - len(per_chat)}, "
                  f"duplicated {sum(n - 1 for n in per_chat.values())}")  # fmt: skip
            print(f"drain: {drain_time:.0f} s, {len(during) / drain_time:.1f} messages/s in all "
                  f"({len(sent) / drain_time:.1f} reminders/s), 429 answers: {fake.flood_errors}")  # fmt: skip
            print(f"press → next question, idle:  median {statistics.median(idle_lat) * 1000:.0f} ms, "
                  f"p99 {percentile(idle_lat, 0.99) * 1000:.0f} ms ({len(idle_lat)} presses)")  # fmt: skip
            print(f"press → next question, drain: median {statistics.median(drain_lat) * 1000:.0f} ms, "
                  f"p99 {percentile(drain_lat, 0.99) * 1000:.0f} ms ({len(drain_lat)} presses); "
                  f"p99 ratio {percentile(drain_lat, 0.99) / percentile(idle_lat, 0.99):.2f}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--idle", type=float, default=30, help="seconds of people only, before the drain")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 4.0), help="seconds between presses")
    options = parser.parse_args()
    asyncio.run(main(options.reminders, options.idle, tuple(options.think)))
