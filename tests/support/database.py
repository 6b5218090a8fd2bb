"""The database file seen from outside the store: the rows a query reads, and a damaged file for the tests of
what start-up and the backup say about one."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.support.patience import PATIENCE_SECONDS


def damaged_database(path: Path) -> Path:
    """A SQLite file whose later pages are scrambled: it opens, and `PRAGMA quick_check` finds it damaged."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x TEXT)")
        connection.execute("CREATE INDEX t_x ON t(x)")
        connection.executemany("INSERT INTO t VALUES (?)", [(f"row {i:05}",) for i in range(3000)])
    connection.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, page):  # scramble the cells of the later pages
        data[offset + 100 : offset + 400] = bytes(range(256))[:300]
    path.write_bytes(bytes(data))
    return path


@asynccontextmanager
async def locked(db: Path) -> AsyncIterator[None]:
    """Another program holds the database's write lock until the block ends. It waits for a write in flight, taking
    the lock in a thread: taken on the test's loop, which also drives the store's BEGIN … COMMIT, its wait would
    block that write from ending, and fail after its deadline with "database is locked". A store that never ends its
    own transaction fails here (after tests/support/patience.py's deadline)."""
    other = sqlite3.connect(db, isolation_level=None, timeout=PATIENCE_SECONDS, check_same_thread=False)
    try:
        await asyncio.to_thread(other.execute, "BEGIN EXCLUSIVE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def rows(db: Path, query: str) -> list[tuple[object, ...]]:
    """What a query reads in the database file, on a connection of its own (the store's is not touched)."""
    with sqlite3.connect(db) as connection:
        return connection.execute(query).fetchall()
