"""What Gaffe writes on its own while another program holds the database locked past the busy timeout: the
delayed acknowledgement of delivered replies and the scheduler's daily jobs are awaited (no "Task exception
was never retrieved"), tried again until the lock is gone, and the outage is logged once, not per retry."""

from __future__ import annotations

import asyncio
import gc
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.dialogue import Content
from bot.core.engine import Push, State
from bot.core.i18n import Translator
from bot.core.render import Reply
from bot.scheduler import Scheduler
from bot.service import Gaffe
from bot.storage import Store
from tests.support.database import locked
from tests.support.paths import ROOT
from tests.support.patience import PATIENCE_SECONDS


async def until(condition: Callable[[], bool], timeout: float = PATIENCE_SECONDS) -> None:
    """Wait for a condition the code under test makes true (checked every 20 ms; the deadline is generous for a
    loaded machine, not a timing assertion)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.02)


def pending(db: Path, user: int) -> int:
    with sqlite3.connect(db, timeout=PATIENCE_SECONDS) as check:
        value = int(check.execute("SELECT reply_pending FROM users WHERE user_id = ?", (user,)).fetchone()[0])
    check.close()
    return value


def warnings_about(caplog: pytest.LogCaptureFixture, words: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and words in r.getMessage()]


async def test_delivered_replies_are_written_down_once_the_lock_is_gone(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    db = tmp_path / "gaffe.sqlite3"
    await store.save(1, State(), reply_pending=True)
    await store.connection.execute("PRAGMA busy_timeout=50")
    async with locked(db):
        await store.delivered(1)  # written down within a second… but the database is locked
        await until(lambda: bool(warnings_about(caplog, "writing down delivered replies failed")))
    await until(lambda: pending(db, 1) == 0)  # tried again, and written, once the lock is gone
    await until(lambda: not store._ack_tasks)  # each write, once done, is let go: not one task kept per second
    gc.collect()  # an unretrieved task exception is reported when its task is collected
    (warning,) = warnings_about(caplog, "writing down delivered replies failed")  # said once
    assert warning.getMessage() == (
        "writing down delivered replies failed (database is locked): trying again until the database can be written"
    )
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # "Exception in callback", say
    assert [r for r in caplog.records if "can be written again" in r.getMessage()]


async def test_the_daily_jobs_wait_for_the_lock_and_run_after_it(
    shipped: Content, translators: dict[str, Translator], store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    db = tmp_path / "gaffe.sqlite3"
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True, clock=lambda: now)
    settings = replace(
        Settings.from_env(),
        database=db,
        data_dir=tmp_path / "gaffe-data",
        hibp_breaches=str(ROOT / "tests" / "fixtures" / "data" / "hibp-breaches-sample.json"),
    )

    async def push(user_id: int, push: Push) -> bool:
        return True

    async def send(user_id: int, reply: object) -> None:
        pass

    scheduler = Scheduler(gaffe, push, send, settings)
    await store.connection.execute("PRAGMA busy_timeout=50")
    async with locked(db):
        await scheduler.tick()
        await scheduler.tick()  # still locked: tried again, not said again
    (warning,) = warnings_about(caplog, "the daily jobs failed")  # said once, with the reason
    assert "database is locked" in warning.getMessage()
    assert not [r for r in caplog.records if "a daily job failed" in r.getMessage()]
    assert not [r for r in caplog.records if r.getMessage().startswith("daily:")]
    now += timedelta(minutes=1)
    await scheduler.tick()  # the lock is gone: they run now, not tomorrow
    assert [r for r in caplog.records if r.getMessage().startswith("daily:")]


async def test_a_tick_that_cannot_write_down_a_sent_message_counts_nothing_and_says_why(
    shipped: Content, translators: dict[str, Translator], store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    db = tmp_path / "gaffe.sqlite3"
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True)
    await store.save(1, State())
    with sqlite3.connect(db) as connection:  # a pushed message the network lost: waiting in the outbox
        connection.execute(
            "INSERT INTO outbox (user_id, created_at, reply) VALUES (1, '2026-12-07T12:00:00+00:00', ?)",
            (Reply("Coucou").to_json(),),
        )
    connection.close()
    sent: list[int] = []

    async def push(user_id: int, push: Push) -> bool:
        return True

    async def send(user_id: int, reply: Reply) -> None:
        sent.append(user_id)

    scheduler = Scheduler(gaffe, push, send)
    await store.connection.execute("PRAGMA busy_timeout=50")
    async with locked(db):
        assert await scheduler.tick() == 0  # sent, but not written down: the round stops here
    assert sent == [1] and scheduler.rounds == 0
    (warning,) = warnings_about(caplog, "the scheduler's tick failed")
    assert "database is locked" in warning.getMessage()  # the reason, for the operator
    await scheduler.tick()  # the lock is gone: sent again (at least once, never lost) and written down
    assert sent == [1, 1] and scheduler.rounds == 1
