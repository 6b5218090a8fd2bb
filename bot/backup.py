"""`python -m bot backup PATH` and `python -m bot restore PATH`: copies of the live database.

This module is part of the storage layer, with bot/storage.py: SQLite's own tools (its online backup API, its
integrity check) for the operator's commands, so it uses the driver directly; nothing of the service goes
through it. A PostgreSQL deployment would back up with pg_dump instead (docs/operating.md, "A second database").

Why it is done this way:
- a backup uses SQLite's online backup API (`sqlite3.Connection.backup`) in one step, under one read
  transaction: a consistent snapshot even while Gaffe writes (WAL lets it keep writing meanwhile). The
  copy is written to a temporary file, checked (`PRAGMA integrity_check`) and renamed into place, so
  PATH never holds half a backup; it is a single self-contained file (rollback journal, not WAL);
- a restore refuses a file that fails `PRAGMA integrity_check`, that is not a Gaffe database, or whose
  schema is newer than this Gaffe; it then copies the backup *into* the database through the same API,
  so the replacement is one SQLite transaction: a crash in the middle leaves the old database intact;
- the database being replaced is first copied beside it (`NAME.before-restore.sqlite3`), so restoring
  the wrong backup loses nothing;
- a backup never replaces a file: its name is taken with O_EXCL (into a folder, a dated name, with -2, -3…
  when two backups fall in the same second), and an existing file given as PATH is refused. PATH ending
  in `/` is a folder, created if missing; a PATH that does not exist, without `/` and without a suffix
  (`backups`), is refused as ambiguous rather than guessed;
- restoring the live database onto itself is refused (SQLite's backup of a file into itself waits forever);
- a restore refuses to run while Gaffe (or anything else) has the database open. A running Gaffe holds
  it open in WAL mode, and SQLite refuses to leave WAL mode while any other connection is open, so
  switching the database to `journal_mode=DELETE` (with no busy wait) is the test; Gaffe switches it
  back to WAL at its next start. This needs no lock file or pid file that a crash could leave behind.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import StartupError
from bot.storage import SCHEMA_VERSION, refuse_what_is_not_a_file, summary


@contextlib.contextmanager
def _connect(path: Path, mode: str = "rw") -> Iterator[sqlite3.Connection]:
    """An existing database (never created by accident), closed on every path."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, isolation_level=None)
    except sqlite3.Error as error:
        raise StartupError(f"cannot open {path} ({error})", "GAFFE_DB") from None
    try:
        yield connection
    finally:
        connection.close()


def integrity_problems(connection: sqlite3.Connection) -> list[str]:
    """What `PRAGMA integrity_check` finds (empty when the database is sound)."""
    findings = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
    return [] if findings == ["ok"] else findings


def backup(database: Path, destination: Path | str, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> str:
    """Copy the live database to `destination` (a new file, or a folder for a dated file); say what was done.
    `now` dates the file (the system clock but in tests)."""
    if not database.is_file():
        raise StartupError(f"there is no database at {database}", "GAFFE_DB", "Set GAFFE_DB to the live database.")
    created, target, into_folder = _target(str(destination))
    folder = target if into_folder else target.parent
    handle, temporary = tempfile.mkstemp(prefix=".gaffe-backup-", suffix=".sqlite3", dir=folder)
    os.close(handle)
    try:
        with _connect(database) as source, _connect(Path(temporary)) as copy:
            source.execute("PRAGMA busy_timeout=5000")
            try:
                source.backup(copy)  # pages=-1: everything in one step, one consistent snapshot
            except sqlite3.Error as error:
                raise StartupError(f"cannot read {database} ({error})", "GAFFE_DB") from None
            copy.execute("PRAGMA journal_mode=DELETE")
            if problems := integrity_problems(copy):
                raise StartupError(
                    f"the copy of {database} fails its integrity check ({summary(problems)})", "GAFFE_DB"
                )
        made = _new_file(target, into_folder, now())  # the name is taken only now: a failed backup leaves no empty file
        os.replace(temporary, made)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
    return f"{created}backed up {database} to {made} ({made.stat().st_size // 1024} KB, integrity ok)"


def _target(destination: str) -> tuple[str, Path, bool]:
    """What was created first (a folder, said), where the backup goes, and whether that is a folder."""
    path = Path(destination)
    created = ""
    if destination.endswith(("/", os.sep)) and not path.is_dir():
        try:
            path.mkdir(mode=0o700, parents=True)
        except OSError as error:
            raise StartupError(f"cannot create the folder {path} ({error.strerror})", "PATH") from None
        created = f"created the folder {path}; "
    if path.is_dir():
        return created, path, True
    if not path.exists() and not path.suffix:
        raise StartupError(
            f"{path} does not exist: a folder or a file?",
            "PATH",
            f"End it with / for a folder (created): {path}/ — or give a file name: {path}.sqlite3",
        )
    if not path.parent.is_dir():
        raise StartupError(f"the folder {path.parent} does not exist", "PATH", "Give a path in an existing folder.")
    return created, path, False


def _new_file(target: Path, into_folder: bool, now: datetime) -> Path:
    """Take the name with O_EXCL (never an existing file): a dated one in a folder, numbered within a second."""
    if not into_folder:
        names = iter([target])
    else:
        stamp = f"gaffe-{now:%Y%m%d-%H%M%S}"
        names = (target / (f"{stamp}.sqlite3" if n == 1 else f"{stamp}-{n}.sqlite3") for n in itertools.count(1))
    for name in names:
        try:
            os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return name
        except FileExistsError:
            if not into_folder:
                raise StartupError(
                    f"refused: {name} exists (a backup never replaces a file)",
                    "PATH",
                    "Give a new file name, or a folder (each backup gets a new dated name there).",
                ) from None
    raise AssertionError("unreachable")


def _check_backup(backup_path: Path) -> None:
    if not backup_path.is_file():
        raise StartupError(f"there is no backup at {backup_path}", "PATH", "Give the path of a backup file.")
    with _connect(backup_path, mode="ro") as candidate:
        try:
            problems = integrity_problems(candidate)
            tables = {row[0] for row in candidate.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = int(candidate.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as error:
            problems, tables, version = [str(error)], set(), 0
    if problems:
        raise StartupError(
            f"refused: {backup_path} fails its integrity check ({summary(problems)})", "PATH", "Restore another backup."
        )
    if "users" not in tables:
        raise StartupError(f"refused: {backup_path} is not a Gaffe database", "PATH", "Restore a file made by backup.")
    if version > SCHEMA_VERSION:
        raise StartupError(
            f"refused: {backup_path} has schema {version}, newer than this Gaffe (schema {SCHEMA_VERSION})",
            "PATH",
            "Restore it with the Gaffe that made it, or restore an older backup.",
        )


def restore(backup_path: Path, database: Path) -> str:
    """Replace the database's content with a checked backup, when nothing has the database open."""
    refuse_what_is_not_a_file(database)
    if database.exists() and backup_path.exists() and os.path.samefile(backup_path, database):
        raise StartupError(
            f"refused: {backup_path} is the database itself (GAFFE_DB)", "PATH", "Give the path of a backup file."
        )
    _check_backup(backup_path)
    if not database.parent.is_dir():
        raise StartupError(f"the folder of the database, {database.parent}, does not exist", "GAFFE_DB")
    with _connect(database, mode="rwc") as live:
        live.execute("PRAGMA busy_timeout=0")
        try:
            live.execute("PRAGMA journal_mode=DELETE")  # refused while another connection is open (see above)
        except sqlite3.OperationalError:
            raise StartupError(
                f"{database} is in use: stop Gaffe first (systemctl stop gaffe), then restore",
                "GAFFE_DB",
                "Nothing was changed.",
            ) from None
        except sqlite3.DatabaseError as error:  # the live file is not even a database: replace it whole
            live.close()
            kept = _keep_old(database)
            return _replace_file(backup_path, database, str(error)) + kept
        kept = _keep_old(database)  # only our connection is open, out of WAL: the file is the whole database
        with _connect(backup_path, mode="ro") as source:
            source.backup(live)  # one transaction on the live database
    return f"restored {backup_path} into {database}{kept}"


def _keep_old(database: Path) -> str:
    if not database.is_file() or database.stat().st_size == 0:
        return ""
    kept = database.with_name(f"{database.stem}.before-restore{database.suffix}")
    shutil.copy2(database, kept)
    return f"; the database it replaced is kept as {kept}"


def _replace_file(backup_path: Path, database: Path, why: str) -> str:
    handle, temporary = tempfile.mkstemp(prefix=".gaffe-restore-", suffix=".sqlite3", dir=database.parent)
    os.close(handle)
    try:
        with _connect(backup_path, mode="ro") as source, _connect(Path(temporary)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        os.replace(temporary, database)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
    return f"restored {backup_path} over {database}, which was not a readable database ({why})"
