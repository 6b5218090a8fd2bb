"""The SQLite store: migrations from empty and from every earlier version, and what is kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import MappingProxyType

import aiosqlite
import pytest

from bot.core.engine import State
from bot.core.profile import Profile
from bot.storage import MIGRATIONS, SCHEMA_VERSION, Store

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


async def _database_at(path: Path, version: int) -> None:
    """A database as an older Gaffe left it: only the first `version` migrations applied."""
    async with aiosqlite.connect(path) as db:
        for statements in MIGRATIONS[:version]:
            for statement in statements:
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
    store = await Store.open(tmp_path / "new.sqlite3")
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
    store = await Store.open(path)
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
    store = await Store.open(path)
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
        await Store.open(path)


async def test_save_and_load_round_trip(store: Store) -> None:
    await store.save(7, STATE)
    assert await store.load(7) == STATE
    moved = State(Profile("fr"), step=8)
    await store.save(7, moved)
    assert await store.load(7) == moved


async def test_secret_is_stable_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    first = await Store.open(path)
    secret = await first.secret()
    assert await first.secret() == secret
    await first.close()
    second = await Store.open(path)
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
