"""Round trips to aiosqlite's thread per step: each costs about 60 µs of the event loop's time, and a step
of a checkup used to cost seven (load: execute, fetch, close; begin, upsert, commit; the delivery flag).
Now a step that only moves the user costs two (load, upsert), and delivered replies are written down
together, at most a second later; a crash before that loses no step, it only repeats a question."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.app import open_store
from bot.core.dialogue import Content
from bot.core.engine import Command
from bot.core.i18n import Translator
from bot.core.render import Reply
from bot.service import Gaffe
from bot.storage import Store
from tests.support.database import damaged_database
from tests.support.screen import Screen


class Counted:
    """Counts the calls a Store makes to its aiosqlite thread."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        connection: Any = store.connection
        original = connection._execute

        async def counted(function: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(function, *args, **kwargs)

        monkeypatch.setattr(connection, "_execute", counted)


async def _press_through_checkup(gaffe: Gaffe, user_id: int, screen: Screen | None = None) -> int:
    screen = Screen() if screen is None else screen
    await gaffe.handle(user_id, Command("checkup"), screen)
    presses = 0
    while screen.last.buttons and presses < 8:  # the questions, before the result (which has effects)
        await gaffe.handle(user_id, screen.last.buttons[0].press, screen)
        presses += 1
    return presses


async def test_a_step_costs_two_round_trips(
    shipped: Content, translators: dict[str, Translator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await open_store(tmp_path / "g.sqlite3")
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True)
    counter = Counted(store, monkeypatch)
    await gaffe.handle(1, Command("checkup"), _ignore)
    counter.count = 0
    presses = await _press_through_checkup(gaffe, 1) - 1  # minus the /checkup inside
    trips_per_step = (counter.count - 2) / (presses + 1)
    assert trips_per_step <= 2.0, (counter.count, presses)
    await store.close()


async def test_delivered_replies_are_written_down_together_and_a_crash_only_repeats_a_question(
    shipped: Content, translators: dict[str, Translator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.sqlite3"
    store = await open_store(path)
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True)
    for user in (1, 2, 3):
        await _press_through_checkup(gaffe, user)
    with sqlite3.connect(path) as db:  # delivered, not written down yet: a crash now would resend three questions
        pending = db.execute("SELECT user_id FROM users WHERE reply_pending = 1 ORDER BY user_id").fetchall()
        saved = dict(db.execute("SELECT user_id, conversation FROM users").fetchall())
    assert pending == [(1,), (2,), (3,)]
    counter = Counted(store, monkeypatch)
    await store.write_acknowledgements()
    assert counter.count == 1  # one statement for all of them
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM users WHERE reply_pending = 1").fetchone() == (0,)
        assert dict(db.execute("SELECT user_id, conversation FROM users").fetchall()) == saved  # every step kept
    await store.close()


async def test_a_failed_step_keeps_the_last_replys_acknowledgement(
    shipped: Content, translators: dict[str, Translator], tmp_path: Path
) -> None:
    store = await open_store(tmp_path / "g.sqlite3")
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True)
    screen = Screen()
    await _press_through_checkup(gaffe, 1, screen)
    replies = screen.replies

    async def broken_save(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("bot.storage.Transaction.save_state", broken_save)
        with pytest.raises(OSError):
            await gaffe.handle(1, replies[-1].buttons[0].press, _ignore)
    assert await store.pending_replies() == []  # the delivered reply is still written down
    await store.close()


async def _ignore(reply: Reply) -> None:
    return None


async def test_a_large_database_is_checked_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    db = damaged_database(tmp_path / "damaged.sqlite3")
    monkeypatch.setattr("bot.storage.QUICK_CHECK_BEFORE_START_BYTES", 0)  # "large": everything is
    store = await open_store(db)  # starts at once…
    try:
        for _ in range(50):
            if "damaged" in caplog.text:
                break
            await asyncio.sleep(0.05)
    finally:
        await store.close()
    assert "is damaged" in caplog.text and "python -m bot restore" in caplog.text  # …and says so soon after
