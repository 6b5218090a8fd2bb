"""Each user's progress in one SQLite file, through aiosqlite.

Why it is shaped this way:
- every step is committed (WAL, synchronous=FULL) before its reply is sent, so a reply implies a saved
  step and a crash or `kill -9` loses nothing that was answered; the same commit flags the reply as
  pending until the adapter says it was delivered, so a step saved just before a crash gets its reply
  at the next start instead of leaving the user in front of an old question;
- the schema is versioned and migrated forward at start-up: the core's tables with `PRAGMA user_version`, each
  feature's with its own version in `feature_versions` (the features' tables are in their manifests);
- the file and its `-wal`/`-shm` are readable by their owner only, deleted rows are overwritten
  (`secure_delete`), and `checkpoint` empties the WAL after an erasure (bot/features/privacy.py);
- it keeps the minimum: the Telegram user id, their profile (language, country, whether Gaffe may write
  unasked), where the user is in a dialogue and the answers the dialogue asked for (never message texts);
  features keep their own rows (checkups,
  reminders…), written by their effects inside the step's transaction (`Store.transaction`), so a step
  and what it changed in the world are committed together or not at all;
- this module is the storage layer, the only code that knows the database is SQLite (PRAGMAs, the driver, its
  errors): above it, statements are portable SQL with named parameters (`:name`, a mapping), which SQLite
  reads as they are and a PostgreSQL store would translate (docs/operating.md, "A second database"), and the
  driver's errors reach the rest as one `StorageUnavailable` (tests/test_portable_sql.py keeps it so).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import secrets
import sqlite3
import stat
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, ParamSpec, Protocol, TypeVar

import aiosqlite

from bot.core.actions import NO_PARAMETERS, Parameters  # named parameters: `:name` in the statement
from bot.core.engine import State, Suspended
from bot.core.feature import Migration
from bot.core.profile import Profile
from bot.errors import StartupError, StorageUnavailable

log = logging.getLogger("gaffe.storage")


class Schema(Protocol):
    """What the store needs of a feature (`bot.core.feature.Feature`): its name and its migrations."""

    @property
    def name(self) -> str: ...

    @property
    def migrations(self) -> tuple[Migration, ...]: ...


# The core's tables (users, the outbox, settings), one entry per version (`PRAGMA user_version`); never edit a
# released entry, append a new one. Until version 10, every feature's tables were here too: they are now in
# each feature's manifest (`Feature.migrations`, versioned apart, recorded in `feature_versions`), and their
# migrations say which version of this list made them (`Migration.shared`), so a database from then keeps them.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: users
        """CREATE TABLE users (
            user_id INTEGER PRIMARY KEY,
            language TEXT NOT NULL DEFAULT 'fr',
            dialogue TEXT,
            node TEXT,
            step INTEGER NOT NULL DEFAULT 0,
            answers TEXT NOT NULL DEFAULT '{}',
            points INTEGER NOT NULL DEFAULT 0,
            max_points INTEGER NOT NULL DEFAULT 0,
            advice TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # and the checkups table, the progress feature's (its migration 1, bot/features/progress.py)
    ),
    (  # 2: users who blocked the bot are marked inactive; a per-install secret signs buttons
        "ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    (  # 3: a step saved but whose reply may not have reached the user (an outbox of one flag)
        "ALTER TABLE users ADD COLUMN reply_pending INTEGER NOT NULL DEFAULT 0",
    ),
    (  # 4: where the user is in a conversation, as one JSON document (a new State field needs no migration);
        # messages Gaffe sent on its own (pushes) wait in an outbox until Telegram has them
        "ALTER TABLE users ADD COLUMN conversation TEXT NOT NULL DEFAULT '{}'",
        """UPDATE users SET conversation = json_object('dialogue', dialogue, 'node', node, 'step', step,
               'answers', json(answers), 'points', points, 'max_points', max_points, 'advice', json(advice))""",
        *(
            f"ALTER TABLE users DROP COLUMN {column}"
            for column in ("dialogue", "node", "step", "answers", "points", "max_points", "advice")
        ),
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            reply TEXT NOT NULL
        )""",
        "CREATE INDEX outbox_by_user ON outbox(user_id)",
    ),
    (),  # 5: the reminders feature's tables, now its migration 1 (bot/features/reminders.py)
    (),  # 6: the breach watch's table, now its migration 1 (bot/features/breaches.py)
    (  # 7: when the user was told that their data will be erased for lack of activity
        "ALTER TABLE users ADD COLUMN retention_notice_at TEXT",
    ),
    (  # 8: every scheduler tick looks for replies that may not have gone out: a few rows among millions
        "CREATE INDEX users_reply_pending ON users(user_id) WHERE reply_pending = 1",
    ),
    (  # 9: the rest of the user's profile (bot/core/profile.py), beside the language: the country whose routes
        # they get (unknown until they pick one) and whether Gaffe may write unasked (yes, until they say no)
        "ALTER TABLE users ADD COLUMN country TEXT",
        "ALTER TABLE users ADD COLUMN pushes INTEGER NOT NULL DEFAULT 1",
    ),
    (  # 10: each feature's tables are its own, versioned apart (`Feature.migrations`): the version each is at
        "CREATE TABLE feature_versions (feature TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
PER_FEATURE = 10  # the core's version from which each feature's tables are versioned apart
SHARED_SCHEMA = "shared_schema_version"  # in `settings`: the version the shared list had reached then
CONVERSATION_FIELDS = tuple(name for name in State.__dataclass_fields__ if name != "profile")  # the JSON document


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def state_from_row(language: str, conversation: str, country: str | None = None, pushes: int = 1) -> State:
    saved: dict[str, Any] = json.loads(conversation)
    fields = {name: value for name, value in saved.items() if name in CONVERSATION_FIELDS}
    fields["answers"] = MappingProxyType(fields.get("answers") or {})
    for name, value in fields.items():
        if isinstance(value, list):  # tuples come back from JSON as lists
            fields[name] = _tuples(value)
    for name in LEFT_FIELDS:
        fields[name] = _left(fields.get(name))
    return State(**{**fields, "profile": Profile(language, country, bool(pushes))})


def _tuples(value: object) -> object:
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value


LEFT_FIELDS = ("suspended", "detour")  # conversations kept aside (`Suspended`)
SUSPENDED_FIELDS = tuple(Suspended.__dataclass_fields__)


def _left(saved: Any) -> Suspended | None:
    """A conversation kept aside, as saved: an object with named fields, or the 8 values in field order that
    databases written before `Suspended` had names still hold (as a tuple: `state_from_row` made it one)."""
    if saved is None:
        return None
    values = dict(zip(SUSPENDED_FIELDS, saved, strict=True)) if isinstance(saved, tuple) else saved
    if not isinstance(values, dict):
        raise ValueError(f"a conversation kept aside is neither an object nor an array: {saved!r}")
    named: dict[str, Any] = {name: _tuples(value) for name, value in values.items()}
    return Suspended(**named)


def conversation_json(state: State) -> str:
    fields = {name: getattr(state, name) for name in CONVERSATION_FIELDS}
    fields["answers"] = dict(state.answers)  # the profile has columns of its own
    for name in LEFT_FIELDS:
        left = getattr(state, name)
        fields[name] = asdict(left) if left is not None else None
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


P = ParamSpec("P")
T = TypeVar("T")


# SQLite's result codes that say the database can't be used for now, whatever the statement: busy or locked past
# the busy timeout, full, read-only, an I/O error, damaged, not a database, out of memory, interrupted.
UNAVAILABLE = frozenset({
    sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_PROTOCOL,
})  # fmt: skip


@contextlib.contextmanager
def driver_errors() -> Iterator[None]:
    """The driver's errors that say the database can't be used for now (`UNAVAILABLE`), as `StorageUnavailable`.
    Any other (a constraint violated, a statement SQLite can't parse) is a bug: it stays what it is."""
    try:
        yield
    except sqlite3.DatabaseError as error:
        code = getattr(error, "sqlite_errorcode", None)
        if code is None or code & 0xFF not in UNAVAILABLE:  # extended codes (SQLITE_IOERR_WRITE…) keep the primary
            raise
        raise StorageUnavailable(str(error)) from error


def unavailable_on_driver_errors(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """A coroutine of the store whose driver errors come out as `StorageUnavailable` (see `driver_errors`)."""

    @functools.wraps(method)
    async def mapped(*args: P.args, **kwargs: P.kwargs) -> T:
        with driver_errors():
            return await method(*args, **kwargs)

    return mapped


SAVE_STATE = """INSERT INTO users (user_id, language, country, pushes, conversation, created_at, updated_at, active,
        reply_pending)
    VALUES (:user_id, :language, :country, :pushes, :conversation, :now, :now, 1, :reply_pending)
    ON CONFLICT(user_id) DO UPDATE SET language = excluded.language, country = excluded.country,
        pushes = excluded.pushes, conversation = excluded.conversation, updated_at = excluded.updated_at,
        active = 1, reply_pending = excluded.reply_pending"""
ACK_DELAY_SECONDS = 1.0  # delivered replies are acknowledged in one write at most this long after


class Transaction:
    """The open transaction of one step: the state's row and whatever the step's effects write.

    Each call is a round trip to aiosqlite's thread (about 60 µs), so a step that only saves its state
    costs one: the upsert waits, and goes alone (one statement is a transaction of its own in SQLite,
    atomic and durable) unless another statement comes, which opens the real transaction first."""

    def __init__(self, connection: aiosqlite.Connection, acknowledged: set[int]) -> None:
        self._db = connection
        self._acknowledged = acknowledged
        self._began = False
        self._waiting: tuple[str, dict[str, object]] | None = None
        self._saved: list[int] = []

    @unavailable_on_driver_errors
    async def _begin(self) -> None:
        if not self._began:
            await self._db.execute("BEGIN IMMEDIATE")
            self._began = True
            if self._waiting is not None:
                await self._db.execute(*self._waiting)
                self._waiting = None

    @unavailable_on_driver_errors
    async def _end(self, committed: bool) -> None:
        if self._began and committed:
            await self._db.execute("COMMIT")
        elif self._began and self._db.in_transaction:  # SQLite may have rolled it back already (a full disk)
            await self._db.execute("ROLLBACK")
        elif committed and self._waiting is not None:
            await self._db.execute(*self._waiting)
        if committed:  # a new step saved: the acknowledgement of the user's last reply is moot
            self._acknowledged.difference_update(self._saved)

    @unavailable_on_driver_errors
    async def execute(self, statement: str, parameters: Parameters = NO_PARAMETERS) -> int:
        """Run a statement; the number of rows it changed."""
        await self._begin()
        cursor = await self._db.execute(statement, dict(parameters))  # not closed: that would be one more trip
        return cursor.rowcount

    @unavailable_on_driver_errors
    async def fetch_all(self, statement: str, parameters: Parameters = NO_PARAMETERS) -> list[tuple[Any, ...]]:
        await self._begin()
        return [tuple(row) for row in await self._db.execute_fetchall(statement, dict(parameters))]

    async def fetch_one(self, statement: str, parameters: Parameters = NO_PARAMETERS) -> tuple[Any, ...] | None:
        """The first row (all rows are fetched, in one trip: meant for look-ups of one row)."""
        rows = await self.fetch_all(statement, parameters)
        return rows[0] if rows else None

    @unavailable_on_driver_errors
    async def save_state(self, user_id: int, state: State, reply_pending: bool = False) -> None:
        self._saved.append(user_id)
        profile = state.profile
        row = {"user_id": user_id, "language": profile.language, "country": profile.country,
               "pushes": int(profile.pushes), "conversation": conversation_json(state), "now": _now(),
               "reply_pending": int(reply_pending)}  # fmt: skip
        if self._began or self._waiting is not None:
            await self._begin()
            await self._db.execute(SAVE_STATE, row)
        else:
            self._waiting = (SAVE_STATE, row)

    async def add_to_outbox(self, user_id: int, reply: str) -> int:
        """Keep a reply for sending; its row's id."""
        row = await self.fetch_one(
            "INSERT INTO outbox (user_id, created_at, reply) VALUES (:user_id, :now, :reply) RETURNING id",
            {"user_id": user_id, "now": _now(), "reply": reply},
        )
        assert row is not None
        return int(row[0])


RESTORE_HINT = "Set GAFFE_DB to Gaffe's database, or restore a backup into it: python -m bot restore BACKUP.sqlite3"


# PRAGMA quick_check reads the whole file: about 1.2 s for a million users (bench/size.py), above the 1 s
# start-up target. Up to this size it runs before Gaffe starts (and a damaged file stops it there); above,
# it runs on a connection of its own in the background, and a damaged file is logged as an error.
QUICK_CHECK_BEFORE_START_BYTES = 64 * 1024 * 1024


def _check_in_background(path: Path) -> None:
    def check() -> None:
        try:
            with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
                findings = [str(row[0]) for row in db.execute("PRAGMA quick_check")]
        except sqlite3.Error as error:
            findings = [str(error)]
        if findings != ["ok"]:
            log.error("the database %s is damaged (%s). %s", path, summary(findings), RESTORE_HINT)

    threading.Thread(target=check, name="gaffe-quick-check", daemon=True).start()


async def _quick_check(connection: aiosqlite.Connection, path: Path) -> None:
    if path.exists() and path.stat().st_size > QUICK_CHECK_BEFORE_START_BYTES:
        _check_in_background(path)
        return
    async with connection.execute("PRAGMA quick_check") as cursor:
        findings = [str(row[0]) for row in await cursor.fetchall()]
    if findings != ["ok"]:
        raise StartupError(f"the database {path} is damaged ({summary(findings)})", "GAFFE_DB", RESTORE_HINT)


def summary(findings: list[str]) -> str:
    """SQLite's integrity findings (rows of several lines) as one short line."""
    lines = [line for finding in findings for line in finding.splitlines() if not line.startswith("***")]
    more = f", and {len(lines) - 1} more" if len(lines) > 1 else ""
    return f"{lines[0] if lines else 'integrity check failed'}{more}"


def database_error(path: Path, error: Exception) -> StartupError:
    """What an operator reads when the database cannot be used at start-up (locked, not a database…)."""
    if "not a database" in str(error) or "malformed" in str(error):
        return StartupError(f"{path} is not a SQLite database, or is damaged ({error})", "GAFFE_DB", RESTORE_HINT)
    if "locked" in str(error):
        return StartupError(
            f"the database {path} is locked by another program ({error})",
            "GAFFE_DB",
            "Stop the program that holds it (a restore?), or set GAFFE_DB to another file.",
        )
    return StartupError(
        f"cannot use the database {path} ({error})", "GAFFE_DB", "Check the file's permissions, or set GAFFE_DB."
    )


SQLITE_HEADER = b"SQLite format 3\x00"


def refuse_what_is_not_a_file(path: Path) -> None:
    """GAFFE_DB must name a regular file (or nothing yet): a folder or a device (/tmp, /dev/null) is refused
    before anything opens or changes it."""
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(path.stat().st_mode):
            raise StartupError(
                f"GAFFE_DB names {path}, which is not a file (a folder, a device…)",
                "GAFFE_DB",
                "Set GAFFE_DB to a database file, e.g. /var/lib/gaffe/gaffe.sqlite3 (it is created if missing).",
            )


def _is_sqlite_or_empty(path: Path) -> bool:
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    return header in (b"", SQLITE_HEADER)


def _owner_only(path: Path) -> None:
    """The database is readable by its owner only: created so (O_EXCL: never a file that was there), and
    tightened if it was not, but only a regular file that is a database (or empty): a GAFFE_DB that names
    anything else is refused before, or fails to open, unchanged. SQLite gives the `-wal` and `-shm` files
    it creates the database file's permissions; existing ones are tightened too, if regular files."""
    refuse_what_is_not_a_file(path)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return
    except FileExistsError:
        pass
    if not _is_sqlite_or_empty(path):
        return  # not a database: SQLite says so next, and the file is left as it was
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):  # not ours to change (read-only mount…): SQLite will say if it matters
            mode = file.stat().st_mode if file == path else file.lstat().st_mode
            if stat.S_ISREG(mode) and mode & 0o077:
                file.chmod(0o600)


class Outage:
    """Says once that background writes fail (the database locked by another program, read-only…) and once
    that they work again: a line per outage, not one per retry."""

    def __init__(self, what: str, logger: logging.Logger = log) -> None:
        self.what = what
        self.log = logger
        self.down = False

    def failed(self, error: Exception) -> None:
        if not self.down:
            self.down = True
            self.log.warning("%s failed (%s): trying again until the database can be written", self.what, error)

    def worked(self) -> None:
        if self.down:
            self.down = False
            self.log.info("%s: done, the database can be written again", self.what)


class Store:
    """The database; open it with `await Store.open(path, features)` (bot/app.py: `open_store(path)`) and close it
    with `await store.close()`."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection
        # One connection serves every coroutine: transactions must not interleave on it.
        self._writing = asyncio.Lock()
        self._acknowledged: set[int] = set()  # users whose last reply was delivered, not yet written down
        self._acknowledging: asyncio.TimerHandle | None = None
        self._ack_tasks: set[asyncio.Task[None]] = set()
        self._ack_outage = Outage("writing down delivered replies")

    @classmethod
    async def open(cls, path: str | Path, features: Sequence[Schema] = ()) -> Store:
        """Open, check (`PRAGMA quick_check`) and migrate the database, the core's tables and those of `features`
        (bot/app.py gives the feature list); StartupError says what is wrong.

        The connection is closed on every failure: aiosqlite runs it in a non-daemon thread, and one
        left open keeps the process alive after the error."""
        path = Path(path)
        if not path.parent.is_dir():
            raise StartupError(
                f"the folder of the database {path} does not exist",
                "GAFFE_DB",
                "Create the folder, or set GAFFE_DB to a file in an existing folder.",
            )
        try:
            _owner_only(path)  # a folder or a device as GAFFE_DB: refused here, unchanged
            connection = await aiosqlite.connect(path, isolation_level=None)
        except (sqlite3.Error, OSError) as error:
            raise StartupError(
                f"cannot open the database {path} ({error})", "GAFFE_DB", "Check its permissions, or set GAFFE_DB."
            ) from None
        try:
            await connection.execute("PRAGMA busy_timeout=5000")
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=FULL")
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten with zeros
            await _quick_check(connection, path)
            store = cls(connection)
            await store.migrate(features=features)
        except BaseException as error:
            await connection.close()
            if isinstance(error, sqlite3.Error | StorageUnavailable):
                raise database_error(path, error) from None
            raise
        return store

    async def close(self) -> None:
        if self._acknowledging is not None:
            self._acknowledging.cancel()
        await asyncio.gather(*self._ack_tasks)
        try:
            await self.write_acknowledgements()
        except StorageUnavailable as error:  # those users are asked again at the next start ("on reprend")
            log.warning("delivered replies not written down at exit (%s)", error)
        finally:
            await self._db.close()  # always: aiosqlite's thread would keep the process alive

    @property
    def connection(self) -> aiosqlite.Connection:
        """The driver's connection under the store: for the tests and tools that plant a fault below it (a short
        lock timeout, a full or read-only database). Gaffe's own code goes through the store's methods."""
        return self._db

    @unavailable_on_driver_errors
    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and truncate it: after an erasure, so the erased
        rows (zeroed by secure_delete) leave the `-wal` file too. Outside any transaction."""
        async with self._writing, self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            await cursor.fetchall()

    async def version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, target: int = SCHEMA_VERSION, features: Sequence[Schema] = ()) -> None:
        """Bring the core's schema to `target`, then each feature's tables to their latest version, one version per
        transaction. A database from before features were versioned apart (core version < 10) has the tables
        the shared list made: each feature is recorded at the version they amount to (`Migration.shared`)."""
        current = await self.version()
        if current > SCHEMA_VERSION:
            raise StartupError(
                f"the database is at schema {current}, newer than this Gaffe (schema {SCHEMA_VERSION})",
                "GAFFE_DB",
                "Upgrade Gaffe, or set GAFFE_DB to a database this version made.",
            )
        for version in range(current + 1, target + 1):
            async with self._exclusive():
                for statement in MIGRATIONS[version - 1]:
                    await self._db.execute(statement)
                if version == PER_FEATURE:  # how far the shared list went: what the features' tables amount to
                    await self._db.execute(
                        "INSERT INTO settings (key, value) VALUES (:key, :value)",
                        {"key": SHARED_SCHEMA, "value": str(current)},
                    )
                await self._db.execute(f"PRAGMA user_version = {version}")
        if target >= PER_FEATURE:
            for feature in features:
                await self._migrate_feature(feature)

    async def _migrate_feature(self, feature: Schema) -> None:
        rows = list(
            await self._db.execute_fetchall(
                "SELECT version FROM feature_versions WHERE feature = :feature", {"feature": feature.name}
            )
        )
        current = int(rows[0][0]) if rows else await self._made_by_the_shared_schema(feature)
        if not rows and current:  # recorded once, so the version is read, not worked out, from now on
            async with self._exclusive():
                await self._set_feature_version(feature.name, current)
        latest = len(feature.migrations)
        if current > latest:
            raise StartupError(
                f"the database has the tables of the feature '{feature.name}' at version {current}, newer than this"
                f" Gaffe's ({latest})",
                "GAFFE_DB",
                "Upgrade Gaffe, or set GAFFE_DB to a database this version made.",
            )
        for migration in feature.migrations[current:]:
            async with self._exclusive():
                for statement in migration.statements:
                    await self._db.execute(statement)
                await self._set_feature_version(feature.name, migration.version)

    async def _made_by_the_shared_schema(self, feature: Schema) -> int:
        """The version a feature's tables are at in a database from before they were versioned apart: the last of
        its migrations the shared list had made then (0 for a database made since, or for a new feature)."""
        rows = list(
            await self._db.execute_fetchall("SELECT value FROM settings WHERE key = :key", {"key": SHARED_SCHEMA})
        )
        shared = int(rows[0][0]) if rows else 0
        return max((m.version for m in feature.migrations if m.shared is not None and m.shared <= shared), default=0)

    async def _set_feature_version(self, feature: str, version: int) -> None:
        await self._db.execute(
            "INSERT INTO feature_versions (feature, version) VALUES (:feature, :version)"
            " ON CONFLICT (feature) DO UPDATE SET version = excluded.version",
            {"feature": feature, "version": version},
        )

    async def feature_versions(self) -> dict[str, int]:
        """The version each feature's tables are at (for the tests and the curious)."""
        rows = await self._db.execute_fetchall("SELECT feature, version FROM feature_versions")
        return {str(feature): int(version) for feature, version in rows}

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        """One migration step: committed whole, or rolled back."""
        await self._db.execute("BEGIN EXCLUSIVE")
        try:
            yield
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        await self._db.execute("COMMIT")

    async def load(self, user_id: int) -> State | None:
        """The user's saved state, or None for someone Gaffe has never met (or who was forgotten)."""
        rows = await self.fetch_all(
            "SELECT language, conversation, country, pushes FROM users WHERE user_id = :user_id", {"user_id": user_id}
        )
        return state_from_row(*rows[0]) if rows else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One write transaction: committed when the block ends, rolled back (and re-raised) if it raises."""
        async with self._writing:
            transaction = Transaction(self._db, self._acknowledged)
            try:
                yield transaction
            except BaseException:
                await transaction._end(committed=False)
                raise
            try:
                await transaction._end(committed=True)
            except BaseException:
                # A failed COMMIT (disk full) can leave the transaction open, or SQLite may have ended it.
                if self._db.in_transaction:
                    with driver_errors():
                        await self._db.execute("ROLLBACK")
                raise

    async def save(self, user_id: int, state: State, reply_pending: bool = False) -> None:
        """Save one user's state in a transaction of its own."""
        async with self.transaction() as tx:
            await tx.save_state(user_id, state, reply_pending)

    async def set_active(self, user_id: int, active: bool) -> None:
        await self._write(
            "UPDATE users SET active = :active WHERE user_id = :user_id", {"active": int(active), "user_id": user_id}
        )

    async def delivered(self, user_id: int) -> None:
        """The reply to the user's last step reached them: nothing is pending any more.

        Written down within `ACK_DELAY_SECONDS`, with every other user's of that moment, in one statement
        (not one write per step). A crash before then only makes Gaffe say "on reprend" and show the
        question again to those users at the next start; no saved step is lost, since the step itself
        was committed before its reply. A new step of the user supersedes the acknowledgement."""
        self._acknowledged.add(user_id)
        if self._acknowledging is None:
            self._acknowledging = asyncio.get_running_loop().call_later(ACK_DELAY_SECONDS, self._acknowledge_later)

    def _acknowledge_later(self) -> None:
        self._acknowledging = None
        task = asyncio.ensure_future(self._acknowledge_in_background())
        self._ack_tasks.add(task)
        task.add_done_callback(self._ack_tasks.discard)

    async def _acknowledge_in_background(self) -> None:
        """The delayed write of `delivered`: awaited here, so a failure is never an unretrieved task exception;
        while the database can't be written it is tried again every `ACK_DELAY_SECONDS`, said once."""
        try:
            await self.write_acknowledgements()
        except StorageUnavailable as error:
            self._ack_outage.failed(error)
            if self._acknowledging is None:
                self._acknowledging = asyncio.get_running_loop().call_later(ACK_DELAY_SECONDS, self._acknowledge_later)
            return
        self._ack_outage.worked()

    @unavailable_on_driver_errors
    async def write_acknowledgements(self) -> None:
        """Write down the delivered replies now (`delivered` does it within a second); kept for later if the
        write fails."""
        async with self._writing:
            users = sorted(self._acknowledged)
            self._acknowledged.clear()
            try:
                for start in range(0, len(users), 500):  # SQLite's limit on parameters is far above 500
                    chunk = users[start : start + 500]
                    names = {f"u{number}": user_id for number, user_id in enumerate(chunk)}
                    marks = ", ".join(f":{name}" for name in names)
                    await self._db.execute(
                        f"UPDATE users SET reply_pending = 0 WHERE reply_pending = 1 AND user_id IN ({marks})", names
                    )
            except BaseException:
                self._acknowledged.update(users)  # still delivered: written at the next try (a rewrite is harmless)
                raise

    async def send_later(self, user_id: int, reply: str) -> None:
        """The reply to the user's last step could not be sent (the Bot API down past the retries): it waits in
        the outbox, whole, instead of being only pending, whose resending shows the question alone."""
        async with self.transaction() as tx:
            await tx.add_to_outbox(user_id, reply)
            await tx.execute("UPDATE users SET reply_pending = 0 WHERE user_id = :user_id", {"user_id": user_id})

    async def reply_pending(self, user_id: int) -> bool:
        """Whether the reply to the user's last step may still be undelivered (a delivery not yet written
        down counts as delivered)."""
        if user_id in self._acknowledged:
            return False
        rows = await self.fetch_all(
            "SELECT 1 FROM users WHERE user_id = :user_id AND reply_pending = 1", {"user_id": user_id}
        )
        return bool(rows)

    async def pending_replies(self) -> list[int]:
        """Active users whose last saved step may not have been answered (the process died in between). Not those
        who paused pushes: a late reply would appear unasked on a phone that may be watched; their next message
        gets a fresh one."""
        await self.write_acknowledgements()
        rows = await self.fetch_all("SELECT user_id FROM users WHERE reply_pending = 1 AND active = 1 AND pushes = 1")
        return [row[0] for row in rows]

    @unavailable_on_driver_errors
    async def fetch_all(self, statement: str, parameters: Parameters = NO_PARAMETERS) -> list[tuple[Any, ...]]:
        """A read outside any transaction (the scheduler's look-up of what is due)."""
        return [tuple(row) for row in await self._db.execute_fetchall(statement, dict(parameters))]

    async def outbox(self) -> list[tuple[int, int, str]]:
        """Pushed messages not yet handed to Telegram: (row id, user id, reply), oldest first; those of a user who
        paused pushes wait until they turn them back on."""
        rows = await self.fetch_all(
            "SELECT outbox.id, outbox.user_id, reply FROM outbox JOIN users USING (user_id)"
            " WHERE users.active = 1 AND users.pushes = 1 ORDER BY outbox.id"
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def in_outbox(self, outbox_id: int) -> bool:
        return bool(await self.fetch_all("SELECT 1 FROM outbox WHERE id = :id", {"id": outbox_id}))

    async def sent(self, outbox_id: int) -> None:
        """Telegram has the pushed message: it leaves the outbox. At once, not batched like `delivered`: a crash
        before this write sends the message again, and a batch would widen that window to every push of the
        last second (bench/crash.py counted 22 duplicates in 20 kills when it was batched)."""
        await self._write("DELETE FROM outbox WHERE id = :id", {"id": outbox_id})

    @unavailable_on_driver_errors
    async def _write(self, statement: str, parameters: Parameters) -> None:
        # Outside any open transaction of another coroutine, so it can't be rolled back with it.
        async with self._writing:
            await self._db.execute(statement, dict(parameters))

    async def is_active(self, user_id: int) -> bool | None:
        rows = await self.fetch_all("SELECT active FROM users WHERE user_id = :user_id", {"user_id": user_id})
        return bool(rows[0][0]) if rows else None

    async def secret(self) -> bytes:
        """A random secret made once per database, to sign buttons so forged presses can be told."""
        await self._write(
            "INSERT INTO settings (key, value) VALUES ('button_secret', :value) ON CONFLICT (key) DO NOTHING",
            {"value": secrets.token_hex(32)},
        )
        rows = await self.fetch_all("SELECT value FROM settings WHERE key = 'button_secret'")
        return bytes.fromhex(rows[0][0])
