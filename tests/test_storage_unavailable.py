"""The driver's errors reach the rest of Gaffe as one `StorageUnavailable` (bot/errors.py), so the service, the
scheduler and the adapters handle the database being unusable without knowing it is SQLite; a bug (a constraint
violated, a statement that does not parse) stays the driver's own error, with its traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core.engine import State
from bot.errors import StorageUnavailable
from bot.storage import Store
from tests.support.database import locked


async def test_a_locked_database_is_storage_unavailable_everywhere_then_usable_again(
    store: Store, tmp_path: Path
) -> None:
    await store.save(1, State())
    await store.connection.execute("PRAGMA busy_timeout=50")  # not 5 s per refusal
    async with locked(tmp_path / "gaffe.sqlite3"):
        with pytest.raises(StorageUnavailable, match="locked") as raised:
            await store.save(2, State())
        assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
        with pytest.raises(StorageUnavailable):
            async with store.transaction() as tx:
                await tx.execute("UPDATE users SET active = 0 WHERE user_id = :user_id", {"user_id": 1})
        with pytest.raises(StorageUnavailable):
            await store.set_active(1, False)
        with pytest.raises(StorageUnavailable):
            await store.send_later(1, "{}")
    await store.save(2, State())  # the lock is gone: the same store writes again
    assert await store.load(2) == State()
    assert await store.is_active(1) is True  # nothing of the refused writes was kept


async def test_a_bug_is_not_storage_unavailable(store: Store) -> None:
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):  # a statement that does not parse
        async with store.transaction() as tx:
            await tx.execute("UPDAT users SET active = 0")
    with pytest.raises(sqlite3.IntegrityError):  # a constraint violated
        async with store.transaction() as tx:
            await tx.execute("INSERT INTO users (user_id) VALUES (:user_id)", {"user_id": 5})


async def test_named_parameters_and_returning(store: Store) -> None:
    """Statements take named parameters (a mapping); an outbox row's id comes from RETURNING."""
    await store.save(7, State())
    async with store.transaction() as tx:
        first = await tx.add_to_outbox(7, '{"text": "a"}')
        second = await tx.add_to_outbox(7, '{"text": "b"}')
        rows = await tx.fetch_all("SELECT id, reply FROM outbox WHERE user_id = :user_id ORDER BY id", {"user_id": 7})
    assert second > first
    assert rows == [(first, '{"text": "a"}'), (second, '{"text": "b"}')]
    assert [row[0] for row in await store.outbox()] == [first, second]
