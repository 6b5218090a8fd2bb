"""The database file seen from outside the store: the rows a query reads, and a damaged file for the tests of
what start-up and the backup say about one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def locked(db: Path) -> Iterator[None]:
    """Another program holds the database's write lock until the block ends."""
    # Waits for a write in flight, not fails; a store that never ends its own transaction fails here
    other = sqlite3.connect(db, isolation_level=None, timeout=PATIENCE_SECONDS)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def rows(db: Path, query: str) -> list[tuple[object, ...]]:
    """What a query reads in the database file, on a connection of its own (the store's is not touched)."""
    with sqlite3.connect(db) as connection:
        return connection.execute(query).fetchall()
