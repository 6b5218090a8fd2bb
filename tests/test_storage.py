"""The SQLite store: migrations from empty and from every earlier version, and what is kept."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from types import MappingProxyType

import aiosqlite
import pytest

from bot.app import FEATURES, open_store
from bot.core.actions import Registry
from bot.core.engine import State, Suspended
from bot.core.feature import Feature, Migration
from bot.core.profile import Profile
from bot.errors import StartupError
from bot.storage import MIGRATIONS, SCHEMA_VERSION, Outage, Store, state_from_row

STATE = State(
    Profile("en"),
    dialogue="checkup",
    node="q3",
    step=7,
    answers=MappingProxyType({"name": "Zoé « l'ange »"}),
    points=15,
    max_points=20,
    advice=("email-2fa", "password-manager"),
)


def shared_statements(version: int) -> tuple[str, ...]:
    """Version `version` (1 to 9) of the schema every feature shared until each had its own: the core's entry, and the
    features' migrations that were part of it (`Migration.shared`)."""
    features = (m for feature in FEATURES for m in feature.migrations if m.shared == version)
    return (*MIGRATIONS[version - 1], *(statement for migration in features for statement in migration.statements))


async def _database_at(path: Path, version: int) -> None:
    """A database as an older Gaffe left it: only the first `version` migrations of the shared schema applied."""
    async with aiosqlite.connect(path) as db:
        for number in range(1, version + 1):
            for statement in shared_statements(number):
                await db.execute(statement)
        await db.execute(f"PRAGMA user_version = {version}")
        if version >= 4:  # the conversation is one JSON column since version 4
            await db.execute(
                "INSERT INTO users (user_id, language, conversation, created_at, updated_at) VALUES (42, 'en',"
                """ '{"dialogue":"checkup","node":"q2","step":3}', '2026-01-01T00:00:00+00:00',"""
                " '2026-01-01T00:00:00+00:00')"
            )
        elif version >= 1:
            await db.execute(
                "INSERT INTO users (user_id, language, dialogue, node, step, created_at, updated_at)"
                " VALUES (42, 'en', 'checkup', 'q2', 3, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
            )
        elif version >= 4:  # since 4, where the user is in a conversation is one JSON document
            await db.execute(
                "INSERT INTO users (user_id, language, conversation, created_at, updated_at) VALUES (42, 'en',"
                """ '{"dialogue":"checkup","node":"q2","step":3}', '2026-01-01T00:00:00+00:00',"""
                " '2026-01-01T00:00:00+00:00')"
            )
        await db.commit()


async def test_new_database_is_at_the_latest_schema_in_wal(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "new.sqlite3")
    try:
        assert await store.version() == SCHEMA_VERSION
        assert await store.load(1) is None
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "new.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
async def test_migrates_from_every_earlier_version_keeping_progress(tmp_path: Path, version: int) -> None:
    path = tmp_path / f"v{version}.sqlite3"
    await _database_at(path, version)
    store = await open_store(path)
    try:
        assert await store.version() == SCHEMA_VERSION
        if version >= 1:
            kept = await store.load(42)
            assert kept is not None and (kept.language, kept.node, kept.step) == ("en", "q2", 3)
            assert await store.is_active(42) is True
        await store.save(7, STATE)
        assert await store.load(7) == STATE
        assert len(await store.secret()) == 32
    finally:
        await store.close()


@pytest.mark.parametrize("version", [1, 2, 3])
async def test_a_migration_from_before_version_4_keeps_answers_points_and_advice(tmp_path: Path, version: int) -> None:
    """Version 4 folded the conversation's columns into one JSON document: what the user answered moves too."""
    path = tmp_path / f"v{version}.sqlite3"
    await _database_at(path, version)
    async with aiosqlite.connect(path) as db:
        await db.execute(
            """UPDATE users SET answers = '{"name": "Zoé", "manager": "no"}', points = 12, max_points = 20,
                   advice = '["twofa", "manager"]' WHERE user_id = 42"""
        )
        await db.commit()
    store = await open_store(path)
    try:
        kept = await store.load(42)
    finally:
        await store.close()
    assert kept is not None
    assert dict(kept.answers) == {"name": "Zoé", "manager": "no"}
    assert (kept.points, kept.max_points, kept.advice) == (12, 20, ("twofa", "manager"))
    assert (kept.dialogue, kept.node, kept.step) == ("checkup", "q2", 3)


async def test_refuses_a_database_from_a_newer_gaffe(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        await open_store(path)


async def test_save_and_load_round_trip(store: Store) -> None:
    await store.save(7, STATE)
    assert await store.load(7) == STATE
    moved = State(Profile("fr"), step=8)
    await store.save(7, moved)
    assert await store.load(7) == moved


async def test_secret_is_stable_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    first = await open_store(path)
    secret = await first.secret()
    assert await first.secret() == secret
    await first.close()
    second = await open_store(path)
    assert await second.secret() == secret
    await second.close()


async def test_inactive_users_become_active_again_when_they_come_back(store: Store) -> None:
    await store.save(7, STATE)
    await store.set_active(7, False)
    assert await store.is_active(7) is False
    await store.save(7, STATE)
    assert await store.is_active(7) is True


async def test_no_message_text_column_exists(store: Store, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as db:
        columns = {row[1] for table in ("users", "checkups") for row in db.execute(f"PRAGMA table_info({table})")}
    assert not {"text", "message", "messages", "username", "first_name", "last_name", "phone"} & columns


async def test_a_saved_step_stays_pending_until_delivered(store: Store) -> None:
    await store.save(7, STATE, reply_pending=True)
    await store.save(8, STATE, reply_pending=True)
    await store.save(9, STATE)
    assert sorted(await store.pending_replies()) == [7, 8]
    await store.delivered(7)
    await store.set_active(8, False)  # someone who blocked the bot is not written to
    assert await store.pending_replies() == []
    await store.save(7, STATE, reply_pending=True)
    assert await store.pending_replies() == [7]


# --- each feature's tables, versioned apart ------------------------------------------------------------------------
def schema(path: Path) -> set[tuple[str, str, str]]:
    with sqlite3.connect(path) as db:
        return set(db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
async def test_a_database_of_any_earlier_version_ends_with_the_tables_of_a_new_one(
    tmp_path: Path, version: int
) -> None:
    await (await open_store(tmp_path / "new.sqlite3")).close()
    await _database_at(tmp_path / "old.sqlite3", version)
    await (await open_store(tmp_path / "old.sqlite3")).close()
    assert schema(tmp_path / "old.sqlite3") == schema(tmp_path / "new.sqlite3")


async def test_the_switch_to_versions_per_feature_keeps_every_features_rows(tmp_path: Path) -> None:
    """A database at the last shared version (9) has every feature's tables: each feature is recorded at the version
    they amount to, none is made again, and no row is lost."""
    path = tmp_path / "v9.sqlite3"
    await _database_at(path, 9)
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO checkups (user_id, dialogue, finished_at, score, actions) VALUES (42, 'c', 'x', 70, '[]')"
        )
        db.execute(
            "INSERT INTO reminders (user_id, account, every_days, next_due_at, created_at)"
            " VALUES (42, 'mail', 90, 'x', 'x')"
        )
        db.execute("INSERT INTO reminder_settings VALUES (42, 9, 'Europe/Paris')")
        db.execute("INSERT INTO watched_services (user_id, service, added_at) VALUES (42, 'mspy', 'x')")
    store = await open_store(path)
    try:
        assert await store.version() == SCHEMA_VERSION
        assert await store.feature_versions() == {"progress": 1, "reminders": 1, "breaches": 1}
        assert await store.load(42) is not None
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        for table in ("checkups", "reminders", "reminder_settings", "watched_services"):
            assert db.execute(f"SELECT user_id FROM {table}").fetchall() == [(42,)], table


NOTES = Migration(1, ("CREATE TABLE notes (user_id INTEGER NOT NULL, note TEXT NOT NULL)",))
NOTES_2 = Migration(2, ("ALTER TABLE notes ADD COLUMN kept_at TEXT",))


async def test_a_features_new_migration_runs_once_on_its_own_version(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite3"
    await (await open_store(path, (*FEATURES, Feature("notes", Registry(), migrations=(NOTES,))))).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO notes VALUES (1, 'hello')")
    later = (*FEATURES, Feature("notes", Registry(), migrations=(NOTES, NOTES_2)))
    for _ in range(2):  # the second opening finds it done
        store = await open_store(path, later)
        try:
            assert (await store.feature_versions())["notes"] == 2
        finally:
            await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT user_id, note, kept_at FROM notes").fetchall() == [(1, "hello", None)]


async def test_refuses_a_features_tables_newer_than_this_gaffe(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite3"
    await (await open_store(path, (*FEATURES, Feature("notes", Registry(), migrations=(NOTES, NOTES_2))))).close()
    with pytest.raises(StartupError, match="'notes' at version 2, newer") as raised:
        await open_store(path, (*FEATURES, Feature("notes", Registry(), migrations=(NOTES,))))
    assert raised.value.setting == "GAFFE_DB"  # the operator's two lines: what is wrong, and what to do
    assert raised.value.fix == "Upgrade Gaffe, or set GAFFE_DB to a database this version made."


# --- what waits to be sent, and what is written down later -----------------------------------------------------------
async def test_the_outbox_holds_the_active_users_messages_oldest_first(store: Store) -> None:
    for user in (1, 2, 3):
        await store.save(user, STATE)
    for user, reply in ((2, "b1"), (1, "a1"), (3, "c1"), (2, "b2")):
        async with store.transaction() as tx:
            await tx.add_to_outbox(user, reply)
    assert [(user, reply) for _, user, reply in await store.outbox()] == [(2, "b1"), (1, "a1"), (3, "c1"), (2, "b2")]
    await store.set_active(1, False)  # blocked the bot: theirs wait until they come back
    await store.save(3, State(Profile("fr", pushes=False)))  # paused pushes: the same
    waiting = await store.outbox()
    assert [(user, reply) for _, user, reply in waiting] == [(2, "b1"), (2, "b2")]
    assert await store.in_outbox(waiting[0][0]) is True
    await store.sent(waiting[0][0])
    assert await store.in_outbox(waiting[0][0]) is False and [r for _, _, r in await store.outbox()] == ["b2"]
    await store.save(1, STATE)
    assert [r for _, _, r in await store.outbox()] == ["a1", "b2"]


async def test_a_reply_sent_later_waits_in_the_outbox_and_is_no_longer_pending(store: Store) -> None:
    await store.save(4, STATE, reply_pending=True)
    assert await store.reply_pending(4) is True
    await store.send_later(4, "kept")
    assert await store.reply_pending(4) is False and await store.pending_replies() == []
    assert [(user, reply) for _, user, reply in await store.outbox()] == [(4, "kept")]


async def test_pending_replies_leave_out_who_paused_pushes(store: Store) -> None:
    await store.save(5, STATE, reply_pending=True)
    await store.save(6, State(Profile("fr", pushes=False)), reply_pending=True)
    assert await store.pending_replies() == [5]  # a late reply would appear unasked on a phone that may be watched
    assert await store.reply_pending(6) is True


async def test_a_delivery_counts_at_once_and_is_written_down_for_many_users_at_exit(tmp_path: Path) -> None:
    path = tmp_path / "many.sqlite3"
    store = await open_store(path)
    users = range(1, 1202)  # more than two batches of the one statement
    for user in users:
        await store.save(user, STATE, reply_pending=True)
    for user in users:
        await store.delivered(user)
    assert await store.reply_pending(600) is False  # delivered, not yet written down: not pending
    await store.close()  # written down at exit
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM users WHERE reply_pending = 1").fetchone() == (0,)
    db.close()


async def test_deliveries_that_cannot_be_written_at_exit_are_said_and_the_store_still_closes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "ro.sqlite3"
    store = await open_store(path)
    await store.save(1, STATE, reply_pending=True)
    await store.delivered(1)
    await store.connection.execute("PRAGMA query_only=ON")
    await store.close()
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert said == ["delivered replies not written down at exit (attempt to write a readonly database)"]  # why
    with sqlite3.connect(path) as db:  # asked again at the next start ("on reprend")
        assert db.execute("SELECT reply_pending FROM users").fetchall() == [(1,)]
    db.close()


async def test_a_checkpoint_empties_the_write_ahead_log(store: Store, tmp_path: Path) -> None:
    """After an erasure, the erased rows leave the -wal file too."""
    for user in range(50):
        await store.save(user, STATE)
    wal = tmp_path / "gaffe.sqlite3-wal"
    assert wal.stat().st_size > 0
    await store.checkpoint()
    assert wal.stat().st_size == 0


def test_a_saved_conversation_loads_whatever_fields_it_has() -> None:
    """A field this Gaffe does not know (written by a newer one) is left out; a missing one takes its default."""
    loaded = state_from_row("en", '{"node": "q1", "step": 4, "from_the_future": 1}', "be", 0)
    assert loaded == State(Profile("en", "be", pushes=False), node="q1", step=4)
    assert dict(loaded.answers) == {} and loaded.suspended is None
    with pytest.raises(ValueError, match="neither an object nor an array: 5"):
        state_from_row("fr", '{"suspended": 5}')


def test_a_conversation_kept_aside_as_an_array_must_have_each_field() -> None:
    """Databases from before `Suspended` had names keep it as its 8 values in order: a row with one more is
    damaged, refused, not read with its values shifted or cut."""
    kept = ["checkup", "q2", 3, 10, [["name", "Ada"]], ["email-2fa"], [], []]
    assert state_from_row("fr", json.dumps({"suspended": kept})).suspended == Suspended(
        "checkup", "q2", 3, 10, (("name", "Ada"),), ("email-2fa",), (), ()
    )
    with pytest.raises(ValueError, match="longer"):
        state_from_row("fr", json.dumps({"suspended": [*kept, "one too many"]}))


async def test_a_migration_that_fails_is_rolled_back_whole_and_said(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite3"
    broken = Migration(1, ("CREATE TABLE notes (user_id INTEGER)", "CREATE TABLE notes (again INTEGER)"))
    with pytest.raises(StartupError) as raised:
        await open_store(path, (*FEATURES, Feature("notes", Registry(), migrations=(broken,))))
    assert raised.value.message.startswith(f"cannot use the database {path} (") and "notes" in raised.value.message
    with sqlite3.connect(path) as db:  # the core's migrations stay; nothing of the failed one does
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "users" in names and "notes" not in names
        assert db.execute("SELECT count(*) FROM feature_versions WHERE feature = 'notes'").fetchone() == (0,)
    db.close()


async def test_the_database_is_durable_deletes_for_good_and_keeps_its_references(store: Store) -> None:
    """Every commit reaches the disk (synchronous=FULL), deleted rows are overwritten, and a user's deletion takes
    their waiting messages with it (foreign keys)."""
    settings: dict[str, int] = {}
    for pragma in ("synchronous", "secure_delete", "foreign_keys", "busy_timeout"):
        (row,) = await store.connection.execute_fetchall(f"PRAGMA {pragma}")
        settings[pragma] = row[0]
    assert settings == {"synchronous": 2, "secure_delete": 1, "foreign_keys": 1, "busy_timeout": 5000}
    await store.save(1, STATE)
    async with store.transaction() as tx:
        await tx.add_to_outbox(1, "kept")
        await tx.execute("DELETE FROM users WHERE user_id = :user_id", {"user_id": 1})
    assert await store.outbox() == [] and await store.fetch_all("SELECT * FROM outbox") == []


async def test_a_users_row_says_when_in_utc_and_whether_they_can_be_reached(store: Store, tmp_path: Path) -> None:
    await store.save(7, STATE)
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as db:
        created, updated = db.execute("SELECT created_at, updated_at FROM users WHERE user_id = 7").fetchone()
    db.close()
    assert created.endswith("+00:00") and updated == created and len(created) == len("2026-12-08T02:24:00+00:00")
    assert await store.is_active(7) is True and await store.is_active(8) is None  # someone never met: unknown


async def test_a_transaction_reads_one_row_or_none_and_counts_what_it_changed(store: Store) -> None:
    for user in (1, 2):
        await store.save(user, STATE)
    async with store.transaction() as tx:
        assert await tx.fetch_one("SELECT user_id FROM users ORDER BY user_id") == (1,)
        assert await tx.fetch_one("SELECT user_id FROM users WHERE user_id = :user_id", {"user_id": 9}) is None
        assert await tx.execute("UPDATE users SET active = 0") == 2
    assert await store.is_active(2) is False


def test_an_outage_is_said_once_then_its_end_once_then_a_new_outage_again(caplog: pytest.LogCaptureFixture) -> None:
    """A line per outage, not per retry: its start, its end, and the next outage's start after it ended."""
    logger = logging.getLogger("gaffe.test.outage")
    outage = Outage("writing down delivered replies", logger)
    with caplog.at_level(logging.INFO, logger=logger.name):
        outage.failed(sqlite3.OperationalError("database is locked"))
        outage.failed(sqlite3.OperationalError("database is locked"))
        outage.worked()
        outage.worked()
        outage.failed(sqlite3.OperationalError("disk I/O error"))
    assert [(r.levelno, r.getMessage()) for r in caplog.records if r.name == logger.name] == [
        (logging.WARNING, "writing down delivered replies failed (database is locked): "
                          "trying again until the database can be written"),
        (logging.INFO, "writing down delivered replies: done, the database can be written again"),
        (logging.WARNING, "writing down delivered replies failed (disk I/O error): "
                          "trying again until the database can be written"),
    ]  # fmt: skip
