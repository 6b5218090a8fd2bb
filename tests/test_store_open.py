"""`Store.open`'s start-up checks, in this process (tests/test_startup.py runs the same cases as an operator would,
in real processes, slower): each refusal is a `StartupError` naming GAFFE_DB, what is wrong and how to fix it; a
path Gaffe did not create keeps its mode; the database, and the `-wal`/`-shm` beside it, are its owner's only."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.engine import State
from bot.errors import StartupError
from bot.storage import RESTORE_HINT, SCHEMA_VERSION, Store, _check_in_background, database_error, summary
from tests.support.database import damaged_database


async def refused(path: Path) -> StartupError:
    with pytest.raises(StartupError) as raised:
        store = await Store.open(path)
        await store.close()
    assert raised.value.setting == "GAFFE_DB"
    return raised.value


@contextlib.contextmanager
def threads_started() -> Iterator[list[threading.Thread]]:
    """The threads started in the block, each recorded by itself as it starts (before its first call), so one that
    ends at once is seen too."""
    started: list[threading.Thread] = []

    def record(frame: object, event: str, arg: object) -> None:
        started.append(threading.current_thread())
        sys.settrace(None)  # once is enough: nothing else of the thread is traced

    threading.settrace(record)
    try:
        yield started
    finally:
        threading.settrace(None)  # type: ignore[arg-type]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


async def test_a_database_in_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    error = await refused(tmp_path / "nowhere" / "gaffe.sqlite3")
    assert error.message == f"the folder of the database {tmp_path / 'nowhere' / 'gaffe.sqlite3'} does not exist"
    assert error.fix == "Create the folder, or set GAFFE_DB to a file in an existing folder."
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kind", ["folder", "fifo"])
async def test_a_folder_or_a_device_is_refused_and_left_as_it_was(tmp_path: Path, kind: str) -> None:
    """Stand-ins for /tmp and /dev/null (never a real system path)."""
    target = tmp_path / "target"
    if kind == "folder":
        target.mkdir(mode=0o755)
    else:
        os.mkfifo(target, 0o644)
    before = target.stat().st_mode
    error = await refused(target)
    assert error.message == f"GAFFE_DB names {target}, which is not a file (a folder, a device…)"
    assert error.fix.startswith("Set GAFFE_DB to a database file")
    assert target.stat().st_mode == before and os.listdir(tmp_path) == ["target"]


async def test_a_file_that_is_not_a_database_is_refused_and_keeps_its_mode(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("someone else's file\n")
    other.chmod(0o644)
    error = await refused(other)
    assert error.message.startswith(f"{other} is not a SQLite database, or is damaged (")
    assert error.fix == RESTORE_HINT
    assert mode(other) == 0o644 and other.read_text() == "someone else's file\n"


async def test_a_damaged_database_names_what_the_check_found_and_the_restore_command(tmp_path: Path) -> None:
    db = damaged_database(tmp_path / "damaged.sqlite3")
    error = await refused(db)
    assert error.message.startswith(f"the database {db} is damaged (") and ", and " in error.message
    assert "***" not in error.message and "\n" not in error.message  # one line, without SQLite's banner
    assert error.fix == RESTORE_HINT


async def test_a_damaged_database_of_exactly_the_size_limit_is_still_checked_before_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size limit (`QUICK_CHECK_BEFORE_START_BYTES`: "up to this size") includes it: checked before start."""
    db = damaged_database(tmp_path / "damaged.sqlite3")
    monkeypatch.setattr("bot.storage.QUICK_CHECK_BEFORE_START_BYTES", db.stat().st_size)
    assert (await refused(db)).message.startswith(f"the database {db} is damaged (")


async def test_a_database_from_a_newer_gaffe_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "newer.sqlite3"
    with sqlite3.connect(db) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    error = await refused(db)
    assert error.message == (
        f"the database is at schema {SCHEMA_VERSION + 1}, newer than this Gaffe (schema {SCHEMA_VERSION})"
    )
    assert error.fix == "Upgrade Gaffe, or set GAFFE_DB to a database this version made."
    with sqlite3.connect(db) as connection:  # left as it was
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)
    connection.close()


async def test_a_path_that_cannot_be_opened_says_so(tmp_path: Path) -> None:
    """A link to nothing (the disk it pointed to is gone): not created behind the link."""
    link = tmp_path / "gaffe.sqlite3"
    link.symlink_to(tmp_path / "gone" / "gaffe.sqlite3")
    error = await refused(link)
    assert error.message.startswith(f"cannot open the database {link} (") and "No such file" in error.message
    assert error.fix == "Check its permissions, or set GAFFE_DB."
    assert os.listdir(tmp_path) == ["gaffe.sqlite3"]


def test_what_an_operator_reads_for_each_database_error(tmp_path: Path) -> None:
    db = tmp_path / "gaffe.sqlite3"
    damaged = database_error(db, sqlite3.DatabaseError("database disk image is malformed"))
    assert damaged.lines() == [
        f"Gaffe can't start: {db} is not a SQLite database, or is damaged (database disk image is malformed)",
        RESTORE_HINT,
    ]
    assert database_error(db, sqlite3.DatabaseError("file is not a database")).fix == RESTORE_HINT
    locked = database_error(db, sqlite3.OperationalError("database is locked"))
    assert locked.lines() == [
        f"Gaffe can't start: the database {db} is locked by another program (database is locked)",
        "Stop the program that holds it (a restore?), or set GAFFE_DB to another file.",
    ]
    other = database_error(db, sqlite3.OperationalError("disk I/O error"))
    assert other.lines() == [
        f"Gaffe can't start: cannot use the database {db} (disk I/O error)",
        "Check the file's permissions, or set GAFFE_DB.",
    ]
    assert {damaged.setting, locked.setting, other.setting} == {"GAFFE_DB"}


def test_sqlites_integrity_findings_become_one_short_line() -> None:
    findings = ["*** in database main ***\nPage 5: btreeInitPage() returns error code 11\nPage 6: free space", "x"]
    assert summary(findings) == "Page 5: btreeInitPage() returns error code 11, and 2 more"
    assert summary(["row 3 missing from index t_x"]) == "row 3 missing from index t_x"
    assert summary(["row 3 missing", "row 4 missing"]) == "row 3 missing, and 1 more"
    assert summary(["*** in database main ***"]) == "integrity check failed"


async def test_a_new_database_and_its_journal_files_are_the_owners_only(tmp_path: Path) -> None:
    db = tmp_path / "gaffe.sqlite3"
    store = await Store.open(db)
    try:
        await store.save(1, State())
        for file in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            assert mode(file) == 0o600, file
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["database", "empty"])
async def test_an_existing_database_and_its_journal_files_are_tightened(tmp_path: Path, kind: str) -> None:
    db = tmp_path / "gaffe.sqlite3"
    if kind == "database":  # with a table: a file that starts with SQLite's header (a bare connect writes nothing)
        with contextlib.closing(sqlite3.connect(db)) as made:
            made.execute("PRAGMA journal_mode=WAL")
            made.execute("CREATE TABLE earlier (x)")
            left = {name: (tmp_path / name).read_bytes() for name in ("gaffe.sqlite3-wal", "gaffe.sqlite3-shm")}
        for name, data in left.items():  # as a crash leaves them: not empty (SQLite itself tightens an empty one)
            (tmp_path / name).write_bytes(data)
    else:
        db.touch()  # an empty file is a database SQLite has not written yet
    journals = (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))
    for file in (db, *journals):
        file.touch()
        file.chmod(0o644)
    store = await Store.open(db)
    try:
        assert [mode(file) for file in (db, *journals)] == [0o600] * 3
    finally:
        await store.close()


async def test_a_database_named_through_a_link_is_tightened(tmp_path: Path) -> None:
    """GAFFE_DB may be a link to the database (kept on another disk): the database it names is Gaffe's own."""
    db = tmp_path / "gaffe.sqlite3"
    with contextlib.closing(sqlite3.connect(db)) as made:
        made.execute("CREATE TABLE earlier (x)")
    db.chmod(0o644)
    link = tmp_path / "link.sqlite3"
    link.symlink_to(db)
    await (await Store.open(link)).close()
    assert mode(db) == 0o600


async def test_a_journal_that_links_elsewhere_is_refused_and_what_it_names_keeps_its_mode(tmp_path: Path) -> None:
    db = tmp_path / "gaffe.sqlite3"
    sqlite3.connect(db).close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.touch()
    elsewhere.chmod(0o644)
    db.with_name(db.name + "-wal").symlink_to(elsewhere)  # not Gaffe's to change, whatever it names
    error = await refused(db)
    assert error.message.startswith(f"cannot use the database {db} (")
    assert mode(elsewhere) == 0o644 and mode(db) == 0o600


@pytest.mark.parametrize("damaged", [False, True])
async def test_a_large_database_opens_at_once_and_is_checked_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, damaged: bool
) -> None:
    db = damaged_database(tmp_path / "gaffe.sqlite3") if damaged else tmp_path / "gaffe.sqlite3"
    if not damaged:
        await (await Store.open(db)).close()
    monkeypatch.setattr("bot.storage.QUICK_CHECK_BEFORE_START_BYTES", 0)  # "large": every file that has a page
    with threads_started() as started:
        store = await Store.open(db)  # does not refuse, even damaged…
    try:
        (check,) = [t for t in started if t.name == "gaffe-quick-check"]
        assert check.daemon  # a check still reading a large file never holds the process at exit
        check.join()  # …and says what the check found once it is done
    finally:
        await store.close()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    if damaged:
        assert len(errors) == 1 and errors[0].startswith(f"the database {db} is damaged (")
        assert errors[0].endswith(RESTORE_HINT) and "***" not in errors[0] and "(None)" not in errors[0]
        assert "more). " in errors[0]  # what the check found, in short
    else:
        assert errors == []


def test_a_background_check_that_cannot_read_the_file_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The file became unreadable as a database after it opened (replaced, truncated): SQLite's error is the finding."""
    replaced = tmp_path / "gaffe.sqlite3"
    replaced.write_text("not a database any more\n")
    with threads_started() as started:
        _check_in_background(replaced)
    for thread in started:
        thread.join()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == [f"the database {replaced} is damaged (file is not a database). {RESTORE_HINT}"]
