"""How long Gaffe takes to get through faults that tests/test_faults.py and tests/test_faults_telegram.py check
for behaviour only: a database locked by another process, a Bot API call that times out, an outage.

Why it exists: "it answers once the Bot API is back" is a test; "within a second or two" is a figure that
depends on the machine, so it is printed here, with no pass/fail (those timing asserts failed on 2 busy cores).

    python -m bench.faults            # about 20 seconds
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bot.app import load_content, open_store
from bot.core.engine import Command, Pick
from bot.core.i18n import load_translators
from bot.service import Gaffe
from tests.support.bot_harness import buttons, next_message, press, running_bot, settings_for
from tests.support.fake_bot_api import FakeBotApi
from tests.support.paths import ROOT
from tests.support.screen import Screen


async def locked_database(folder: Path) -> None:
    """A press while another process holds the write lock past SQLite's busy timeout (the store's own)."""
    db = folder / "locked.sqlite3"
    store = await open_store(db)
    gaffe = Gaffe(load_content(ROOT / "dialogues", ROOT / "locales"), load_translators(ROOT / "locales"), store)
    screen = Screen()
    await gaffe.handle(1, Command("checkup"), screen)
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        other.execute("UPDATE users SET updated_at = 'x' WHERE user_id = 1")
        started = time.monotonic()
        reply = await gaffe.handle(1, Pick(screen.last.step or 0, 0), screen)
        waited = time.monotonic() - started
        other.execute("ROLLBACK")
    finally:
        other.close()
        await store.close()
    print(f"locked database     a press waited {waited:.2f} s, then: {reply.toast!r}")


async def timed_out_send(folder: Path) -> None:
    """A sendMessage answered after 6 s (past python-telegram-bot's 5 s read timeout): retried."""
    db = folder / "timeout.sqlite3"
    async with FakeBotApi() as fake, running_bot(fake, db):
        mark = len(fake.sent)
        fake.user_sends(10, "/checkup")
        intro, mark = await next_message(fake, 10, mark)
        fake.slow_next("sendMessage", 6.0)
        started = time.monotonic()
        await press(fake, 10, intro, 0, mark)
        took = time.monotonic() - started
    print(f"timed-out send      the press was answered after {took:.1f} s")


async def outage(folder: Path) -> None:
    """The Bot API stopped for 5 s, then back on the same port: how soon waiting users are answered."""
    db = folder / "outage.sqlite3"
    async with FakeBotApi() as fake:
        port = int(fake.url.rsplit(":", 1)[1])
        async with running_bot(fake, db, replace(settings_for(fake, db), reminder_check_seconds=1.0)):
            mark = len(fake.sent)
            fake.user_sends(8, "/checkup")
            intro, mark = await next_message(fake, 8, mark)
            await fake.stop()
            fake.user_presses(8, intro["message_id"], buttons(intro)[0][1])
            fake.user_sends(9, "/start")
            await asyncio.sleep(5)
            await fake.start(port)
            started = time.monotonic()
            await fake.wait_for_message(8, contains="tu les ranges où", timeout=60, after=mark)
            await fake.wait_for_message(9, contains="Sinon, on fait quoi", timeout=60, after=mark)
            back_in = time.monotonic() - started
    print(f"bot api outage      both users answered {back_in:.1f} s after it came back")


async def main() -> None:
    logging.basicConfig(level=logging.CRITICAL)  # the outage's connection errors are expected: figures only
    with tempfile.TemporaryDirectory(prefix="gaffe-faults-") as folder:
        for scenario in (locked_database, timed_out_send, outage):
            await scenario(Path(folder))


if __name__ == "__main__":
    asyncio.run(main())
