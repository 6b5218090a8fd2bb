"""Crash safety at load, the scenario: `python -m bot` killed with SIGKILL at random moments while users take
checkups and reminders go out. Shared by tests/test_crash.py (a reduced run, asserted) and bench/crash.py (the
full size, printed); bench/crash.py says what is checked and why.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import open_store
from tests.support.fake_bot_api import Call, FakeBotApi
from tests.support.paths import ROOT

DIALOGUE_BUTTON = re.compile(r"^\d+:\d+:")  # a question's button (step:index:signature), not an object's
REMINDER_BUTTON = re.compile(r"^o:reminder:(\d+):(\d+):")
READY = b"Gaffe is on Telegram as"
FIRST_USER = 10_001


@dataclass
class CrashReport:
    kills: int = 0
    kills_in_startup: int = 0  # before the bot said it was ready (resending what the last run left pending)
    outbox_at_end: int = 0  # must be 0: everything delivered, and each delivery noted
    outbox_at_kills: int = 0  # pushed messages committed but not yet known delivered when a kill fell, summed
    users: int = 0
    reminders: int = 0
    steps_answered: int = 0  # presses (and commands) whose reply reached the user
    steps_lost: int = 0  # summed over the checks: saved step behind the last question the user saw
    steps_ahead: int = 0  # saved step further ahead than the inputs still unanswered
    reminders_lost: int = 0
    reminders_held: int = 0  # due to users who paused pushes: not sent, on purpose
    duplicates: int = 0
    integrity: list[str] = field(default_factory=list)  # PRAGMA integrity_check answers that were not "ok"
    problems: list[str] = field(default_factory=list)  # what went wrong, for the reader
    fake_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"kills                {self.kills} ({self.kills_in_startup} during the start-up)",
            f"users / reminders    {self.users} / {self.reminders}",
            f"in outbox at kills   {self.outbox_at_kills}  (reminders committed, delivery not yet noted)",
            f"steps answered       {self.steps_answered}",
            f"steps lost           {self.steps_lost}  (must be 0)",
            f"steps ahead          {self.steps_ahead}  (must be 0: more saved than pressed)",
            f"reminders lost       {self.reminders_lost}  (must be 0)",
            f"reminders held       {self.reminders_held}  (their users paused pushes: not sent, on purpose)",
            f"duplicates           {self.duplicates}  (at most the kills, {self.kills})",
            f"outbox at the end    {self.outbox_at_end}  (must be 0)",
            f"integrity_check      {'ok' if not self.integrity else self.integrity}",
            f"time                 {self.seconds:.1f} s",
            *(f"problem: {p}" for p in self.problems[:20]),
        ]


def _buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(b["callback_data"]) for row in rows for b in row if "callback_data" in b]  # not a site's button


def _question_step(call: Call, user: int) -> int | None:
    """The step of the question a call delivered to `user` (None if it is not a question)."""
    if not (call.ok and call.method == "sendMessage" and isinstance(call.result, dict)):
        return None
    if call.result["chat"]["id"] != user:
        return None
    steps = [int(data.split(":")[0]) for data in _buttons(call.result) if DIALOGUE_BUTTON.match(data)]
    return steps[0] if steps else None


def daytime_zone(now: datetime) -> str:
    """A fixed-offset time zone where it is 14:00-ish now, so reminders are not held back for the night."""
    offset = (14 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"  # Etc/GMT-3 is UTC+3


async def seed(db: Path, users: int, reminders: int) -> list[int]:
    """Users with an empty conversation and one reminder each (round robin), all due an hour ago."""
    store = await open_store(db)  # the schema, as the bot makes it
    await store.close()
    now = datetime.now(UTC)
    stamp = now.isoformat(timespec="seconds")
    due = (now - timedelta(hours=1)).isoformat(timespec="seconds")
    ids = [FIRST_USER + i for i in range(users)]
    with sqlite3.connect(db) as connection:
        connection.executemany(
            "INSERT INTO users (user_id, language, conversation, created_at, updated_at) VALUES (?, 'fr', '{}', ?, ?)",
            [(u, stamp, stamp) for u in ids],
        )
        connection.executemany(
            "INSERT INTO reminder_settings (user_id, hour, timezone) VALUES (?, 10, ?)",
            [(u, daytime_zone(now)) for u in ids],
        )
        connection.executemany(
            "INSERT INTO reminders (user_id, account, every_days, next_due_at, created_at)"
            " VALUES (?, 'mail', 90, ?, ?)",
            [(ids[i % users], due, stamp) for i in range(reminders)],
        )
        rows = connection.execute("SELECT id FROM reminders ORDER BY id").fetchall()
    connection.close()
    return [int(r[0]) for r in rows]


def saved_steps(db: Path) -> dict[int, int]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT user_id, conversation FROM users").fetchall()
    connection.close()
    return {int(user): int(json.loads(conversation).get("step", 0)) for user, conversation in rows}


def waiting_in_outbox(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        count = int(connection.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
    connection.close()
    return count


def held_for_paused_users(db: Path) -> set[int]:
    """Reminders of users who paused Gaffe's own messages (a checkup's or /espion's safety ending does it): held
    on purpose until they turn them back on, so not lost. The simulated people press answers at random, that one too."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT reminders.id FROM reminders JOIN users USING (user_id) WHERE users.pushes = 0"
        ).fetchall()
    connection.close()
    return {int(r[0]) for r in rows}


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        answer = str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    connection.close()
    return answer


class Users:
    """The people: each presses a button of the last question it received, and waits for the next one."""

    def __init__(self, fake: FakeBotApi, ids: list[int], rng: random.Random, patience: float) -> None:
        self.fake, self.ids, self.rng, self.patience = fake, ids, rng, patience
        self.unanswered: dict[int, int] = dict.fromkeys(ids, 0)  # inputs sent since the last question arrived
        self.answered = 0
        self.stopping = False

    def shown(self, user: int) -> tuple[int, dict[str, Any]] | None:
        """The last question delivered to the user: (its step, the message as it is now in the chat)."""
        for call in reversed(self.fake.sent):
            step = _question_step(call, user)
            if step is not None:
                current = self.fake.message(user, call.result["message_id"]) or call.result
                return step, current
        return None

    async def run(self, user: int) -> None:
        await asyncio.sleep(self.rng.random() * 2)  # people don't all start at the same instant
        self.fake.user_sends(user, "/checkup")
        self.unanswered[user] += 1
        mark = 0
        while not self.stopping:
            await self._answer_or_retry(user, mark)
            mark = len(self.fake.sent)
            shown = self.shown(user)
            if shown is None:
                continue
            _, message = shown
            if "/100" in message.get("text", ""):  # a result: take the checkup again
                self.fake.user_sends(user, "/checkup")
                self.unanswered[user] += 1
                continue
            choices = [d for d in _buttons(message) if DIALOGUE_BUTTON.match(d)]
            if not choices:
                continue
            try:
                self.fake.user_presses(user, message["message_id"], self.rng.choice(choices))
            except ValueError:  # the buttons changed under us: look again
                continue
            self.unanswered[user] += 1

    async def _answer_or_retry(self, user: int, mark: int) -> None:
        """Wait for a new question; after `patience` seconds without one, press again (the next loop)."""
        if mark == 0:
            mark = len(self.fake.sent)
        try:
            await self.fake.wait_for(lambda c: _question_step(c, user) is not None, self.patience, after=mark)
        except AssertionError:
            return
        if self.unanswered[user]:
            self.answered += 1
        self.unanswered[user] = 0


async def _process(fake: FakeBotApi, db: Path, tick: float) -> asyncio.subprocess.Process:
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_URL=f"{fake.url}/bot",
        GAFFE_DB=str(db),
        GAFFE_REMINDER_CHECK_SECONDS=str(tick),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def _until_ready(process: asyncio.subprocess.Process, output: list[bytes], within: float = 60) -> bool:
    """Read the bot's log until it says it is on Telegram (True) or `within` seconds have passed (False); keep
    draining it afterwards (a full pipe blocks)."""
    ready = asyncio.get_running_loop().create_future()
    ready.add_done_callback(lambda f: f.exception())  # killed before ready: nobody will ask why it exited

    async def drain() -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            output.append(line)
            if READY in line and not ready.done():
                ready.set_result(None)
        if not ready.done():
            ready.set_exception(RuntimeError("the bot exited before it was ready:\n" + b"".join(output).decode()))

    task = asyncio.create_task(drain())
    task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)
    done, _ = await asyncio.wait({ready}, timeout=within)
    if ready in done:
        ready.result()  # the bot exited: say why
        return True
    if within >= 60:
        raise TimeoutError("the bot was not ready within a minute:\n" + b"".join(output).decode())
    return False


def check(report: CrashReport, fake: FakeBotApi, people: Users, db: Path, moment: str) -> None:
    """With the process dead: every question a user saw is saved; nothing saved beyond the unanswered inputs."""
    answer = integrity(db)
    if answer != "ok":
        report.integrity.append(f"{moment}: {answer}")
    saved = saved_steps(db)
    if moment != "end":
        report.outbox_at_kills += waiting_in_outbox(db)
    else:
        report.outbox_at_end = waiting_in_outbox(db)
    for user in people.ids:
        shown = people.shown(user)
        if shown is None:
            continue
        step, db_step = shown[0], saved.get(user, 0)
        if db_step < step:
            report.steps_lost += step - db_step
            report.problems.append(f"{moment}: user {user} saw step {step}, saved {db_step}")
        elif db_step > step + people.unanswered[user]:
            report.steps_ahead += db_step - step - people.unanswered[user]
            report.problems.append(
                f"{moment}: user {user} saw step {step}, saved {db_step}, {people.unanswered[user]} unanswered"
            )


def reminder_deliveries(fake: FakeBotApi) -> Counter[tuple[int, int]]:
    """(reminder id, occurrence) → how many times Telegram accepted that reminder's message."""
    delivered: Counter[tuple[int, int]] = Counter()
    for call in fake.sent:
        if call.ok and call.method == "sendMessage" and isinstance(call.result, dict):
            for data in _buttons(call.result):
                match = REMINDER_BUTTON.match(data)
                if match:
                    delivered[int(match[1]), int(match[2])] += 1
                    break
    return delivered


async def run_crash(
    db: Path,
    users: int = 200,
    reminders: int = 200,
    kills: int = 20,
    seed_value: int = 11,
    window: tuple[float, float] = (0.5, 4.0),
    tick: float = 0.5,
    patience: float = 20.0,
    settle: float = 120.0,
    early: float = 0.25,
    say: Callable[[str], None] = lambda _: None,
) -> CrashReport:
    """Seed, run the bot, kill it `kills` times at a random moment within `window` seconds of it being ready
    (or, for a share `early` of them, of it being started: while it loads, migrates and resends what was
    pending), check after each kill, then let everything go out and check the end. `settle`: the most to wait, at the
    end, for the last reminders."""
    rng = random.Random(seed_value)
    report = CrashReport(users=users, reminders=reminders)
    reminder_ids = await seed(db, users, reminders)
    started = time.monotonic()
    async with FakeBotApi() as fake:
        ids = [FIRST_USER + i for i in range(users)]
        for user in ids:
            fake.add_chat(user)
        people = Users(fake, ids, rng, patience)
        clients = [asyncio.create_task(people.run(user)) for user in ids]
        output: list[bytes] = []
        try:
            for number in range(kills + 1):
                process = await _process(fake, db, tick)
                try:
                    if number < kills and rng.random() < early:  # at a random moment of the start-up itself
                        if not await _until_ready(process, output, within=rng.uniform(*window)):
                            report.kills_in_startup += 1
                    else:
                        await _until_ready(process, output)
                        if number == kills:
                            break
                        await asyncio.sleep(rng.uniform(*window))
                    process.send_signal(signal.SIGKILL)
                    await process.wait()
                except BaseException:
                    if process.returncode is None:
                        process.kill()
                        await process.wait()
                    raise
                report.kills += 1
                say(f"kill {report.kills} at {time.monotonic() - started:.1f} s")
                check(report, fake, people, db, f"kill {report.kills}")
            await asyncio.sleep(window[1])  # the last run under load too
            people.stopping = True
            for client in clients:
                client.cancel()  # a person waiting for a reply stops waiting
            await asyncio.gather(*clients, return_exceptions=True)
            deadline = time.monotonic() + settle
            while time.monotonic() < deadline and len(
                ({rid for rid, _ in reminder_deliveries(fake)} | held_for_paused_users(db)) & set(reminder_ids)
            ) < len(reminder_ids):
                await asyncio.sleep(0.5)
            say(f"reminders out at {time.monotonic() - started:.1f} s")
            await asyncio.sleep(max(1, 4 * tick))  # the last replies and outbox deletions; a few ticks
            process.send_signal(signal.SIGTERM)
            if await asyncio.wait_for(process.wait(), 30) != 0:
                report.problems.append("SIGTERM: the bot did not stop cleanly")
        finally:
            people.stopping = True
            for client in clients:
                client.cancel()
            if process.returncode is None:
                process.kill()
                await process.wait()
        check(report, fake, people, db, "end")
        report.steps_answered = people.answered
        delivered = reminder_deliveries(fake)
        held = held_for_paused_users(db) - {rid for rid, _ in delivered}
        report.reminders_held = sum(1 for rid in reminder_ids if rid in held)
        report.reminders_lost = sum(1 for rid in reminder_ids if not delivered[rid, 1] and rid not in held)
        report.duplicates = sum(count - 1 for count in delivered.values() if count > 1)
        report.fake_errors = [f"{e.method} {e.code} {e.description}" for e in fake.errors]
        errors = [line.decode(errors="replace") for line in output if b" ERROR " in line or b"Traceback" in line]
        report.problems.extend(f"bot log: {line.strip()}" for line in errors[:10])
    report.seconds = time.monotonic() - started
    return report
