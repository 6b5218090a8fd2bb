"""Faults survived at the service, on a real SQLite file: the disk full, the database read-only, the database
locked by another process past the busy timeout. Each time the user gets "try again", nothing of the step is
kept (its transaction rolls back, the effects with the state), and the next step works once the fault is gone.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.app import load_content
from bot.core.dialogue import Content
from bot.core.engine import Command, Pick, Text
from bot.core.i18n import Translator
from bot.service import Gaffe, Unreachable
from bot.storage import Store
from tests.support.database import rows
from tests.support.paths import MINI
from tests.support.screen import Screen

TRY_AGAIN = "Réessaie."  # the mini content's try_again


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(MINI / "dialogues", MINI / "locales")


@pytest.fixture
async def gaffe(content: Content, mini_translators: dict[str, Translator], store: Store) -> Gaffe:
    return Gaffe(content, mini_translators, store, tracks_delivery=True)


async def _at_last_question(gaffe: Gaffe, screen: Screen) -> int:
    """User 1 in the quiz, one press away from its result (which records a checkup: an effect)."""
    await gaffe.handle(1, Command("quiz"), screen)
    await gaffe.handle(1, Text("Ada"), screen)
    await gaffe.handle(1, Pick(screen.last.step or 0, 0), screen)
    step = screen.last.step
    assert step is not None and "double authentification" in screen.last.text
    return step


def _fill(db: Path) -> int:
    """Fill the database to its last page, from another connection (the way a full disk looks to SQLite):
    tiny checkups of another user, each smaller than a real one, until a new page would be needed."""
    with sqlite3.connect(db, isolation_level=None) as other:
        other.execute("PRAGMA synchronous=OFF")
        other.execute(
            "INSERT INTO users (user_id, language, conversation, created_at, updated_at) VALUES (2, 'fr', '{}', '', '')"
        )
        pages = other.execute("PRAGMA page_count").fetchone()[0]
        other.execute(f"PRAGMA max_page_count={pages + 4}")
        filled = 0
        try:
            while True:
                other.execute(
                    "INSERT INTO checkups (user_id, dialogue, finished_at, score, actions) VALUES (2,'','',0,'')"
                )
                filled += 1
        except sqlite3.OperationalError as error:
            assert "full" in str(error)
        full = other.execute("PRAGMA page_count").fetchone()[0]
    return int(full)


async def test_disk_full_during_a_step_says_try_again_and_keeps_nothing_of_it(
    gaffe: Gaffe, store: Store, tmp_path: Path
) -> None:
    db = tmp_path / "gaffe.sqlite3"
    screen = Screen()
    asked_at = await _at_last_question(gaffe, screen)
    before = await store.load(1)
    full = _fill(db)
    await store.connection.execute(f"PRAGMA max_page_count={full}")

    failed = await gaffe.handle(1, Pick(asked_at, 0), screen)  # the last answer: state + a checkup row
    assert failed.toast == TRY_AGAIN and not failed.text and screen.last is failed  # a press: a toast
    assert await store.load(1) == before  # not half-saved: neither the state nor the effect
    assert rows(db, "SELECT COUNT(*) FROM checkups WHERE user_id = 1") == [(0,)]
    typed = await gaffe.handle(1, Text("bof"), screen)  # refused anyway (buttons expected): still answers
    assert typed.text

    await store.connection.execute("PRAGMA max_page_count=1073741823")
    done = await gaffe.handle(1, Pick(asked_at, 0), screen)  # the same button, pressed again
    assert "Parfait, Ada !" in done.text
    assert rows(db, "SELECT score FROM checkups WHERE user_id = 1") == [(100,)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


async def test_a_read_only_database_during_a_step(
    gaffe: Gaffe, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    screen = Screen()
    await gaffe.handle(1, Command("quiz"), screen)
    before = await store.load(1)
    await store.connection.execute("PRAGMA query_only=ON")
    failed = await gaffe.handle(1, Text("Ada"), screen)
    assert failed.text == TRY_AGAIN and failed.toast is None  # typed: a message
    assert "a step of user 1 was not saved: attempt to write a readonly database" in caplog.messages

    async def gone(reply: object) -> None:
        raise Unreachable("403")

    assert (await gaffe.handle(1, Text("Ada"), gone)).text == TRY_AGAIN  # blocked meanwhile: no crash either
    assert await store.load(1) == before
    await store.connection.execute("PRAGMA query_only=OFF")
    assert "Enchanté Ada." in (await gaffe.handle(1, Text("Ada"), screen)).text


async def test_a_database_locked_past_the_busy_timeout(gaffe: Gaffe, store: Store, tmp_path: Path) -> None:
    db = tmp_path / "gaffe.sqlite3"
    screen = Screen()
    asked_at = await _at_last_question(gaffe, screen)
    before = await store.load(1)
    await store.connection.execute("PRAGMA busy_timeout=300")
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    try:
        # another process holds the write lock (taken off this loop: see tests/support/database.py's `locked`)…
        await asyncio.to_thread(other.execute, "BEGIN EXCLUSIVE")
        other.execute("UPDATE users SET updated_at = 'x' WHERE user_id = 1")
        failed = await gaffe.handle(1, Pick(asked_at, 0), screen)  # …for longer than the busy timeout
        assert failed.toast == TRY_AGAIN  # how long it waited first: bench/faults.py
        other.execute("ROLLBACK")  # released
    finally:
        other.close()
    assert await store.load(1) == before
    done = await gaffe.handle(1, Pick(asked_at, 0), screen)
    assert "Parfait, Ada !" in done.text and rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT COUNT(*) FROM checkups WHERE user_id = 1") == [(1,)]
