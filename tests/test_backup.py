"""`backup` and `restore`: a consistent copy of a live database, and a restore that refuses bad files
and a database in use, keeps what it replaces, and leaves a database Gaffe opens."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import open_store
from bot.backup import backup, integrity_problems, restore
from bot.core.engine import State
from bot.core.profile import Profile
from bot.errors import StartupError
from bot.storage import SCHEMA_VERSION
from tests.support.fake_bot_api import FakeBotApi
from tests.support.paths import ROOT
from tests.test_telegram_process import bot_process


async def make_database(path: Path, users: int = 3) -> None:
    store = await open_store(path)
    for user_id in range(1, users + 1):
        await store.save(user_id, State(Profile("en"), dialogue="checkup", node="manager", step=user_id))
    await store.close()


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as connection:
        value = int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    connection.close()
    return value


def as_one_file(path: Path) -> None:
    """The database as one file, no WAL beside it: a backup of it, put in its place."""
    copy = path.with_name(f"{path.stem}.one-file.sqlite3")
    backup(path, copy)
    for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(copy, path)


def damage(path: Path) -> None:
    """Scramble the middle of every page but the first two: the header stays, the b-trees break."""
    data = bytearray(path.read_bytes())
    for offset in range(2 * 4096, len(data), 4096):
        data[offset + 8 : offset + 1000] = bytes(range(256)) * 3 + bytes(224)
    path.write_bytes(bytes(data))


async def test_backup_while_another_connection_writes_is_a_consistent_snapshot(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    await make_database(live, users=0)
    stop = threading.Event()

    def write() -> None:
        # Each transaction adds a user and their checkup: a consistent copy has as many of each.
        writer = sqlite3.connect(live, isolation_level=None, timeout=5)
        try:
            user_id = 0
            while not stop.is_set():
                user_id += 1
                writer.execute("BEGIN IMMEDIATE")
                writer.execute(
                    "INSERT INTO users (user_id, created_at, updated_at) VALUES (?, 'now', 'now')", (user_id,)
                )
                writer.execute(
                    "INSERT INTO checkups (user_id, dialogue, finished_at, score, actions)"
                    " VALUES (?, 'c', 'now', 1, '[]')",
                    (user_id,),
                )
                writer.execute("COMMIT")
        finally:
            writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        copies = []
        for number in range(5):
            while count(live, "users") < 50 * (number + 1):  # let the writer get ahead between copies
                stop.wait(0.01)
            copy = tmp_path / f"copy{number}.sqlite3"
            backup(live, copy)
            copies.append(copy)
    finally:
        stop.set()
        thread.join()
    seen = []
    for copy in copies:
        with sqlite3.connect(copy) as connection:
            assert integrity_problems(connection) == []
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        connection.close()
        users = count(copy, "users")
        assert users == count(copy, "checkups")
        seen.append(users)
    assert seen == sorted(seen) and seen[0] >= 50 and seen[-1] < count(live, "users") + 1
    assert not list(tmp_path.glob(".gaffe-backup-*"))  # no temporary file left behind


async def test_backup_into_a_folder_makes_a_dated_file(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    await make_database(live)
    folder = tmp_path / "backups"
    folder.mkdir()
    said = backup(live, folder)
    (made,) = folder.glob("gaffe-*.sqlite3")
    assert str(made) in said and count(made, "users") == 3


def test_backup_of_a_database_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StartupError) as refused:
        backup(tmp_path / "none.sqlite3", tmp_path / "copy.sqlite3")
    assert refused.value.setting == "GAFFE_DB"
    assert not (tmp_path / "none.sqlite3").exists()  # not created by accident


@pytest.mark.parametrize("kind", ["damaged", "garbage", "newer", "not gaffe"])
async def test_restore_refuses_a_bad_backup_and_changes_nothing(tmp_path: Path, kind: str) -> None:
    live, bad = tmp_path / "live.sqlite3", tmp_path / "bad.sqlite3"
    await make_database(live)
    before = live.read_bytes()
    if kind == "garbage":
        bad.write_text("garbage\n")
    elif kind == "not gaffe":
        with sqlite3.connect(bad) as connection:
            connection.execute("CREATE TABLE other (x)")
        connection.close()
    else:
        await make_database(bad, users=300)
        as_one_file(bad)  # then spoil it
        if kind == "damaged":
            damage(bad)
        else:
            with sqlite3.connect(bad) as connection:
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
            connection.close()
    with pytest.raises(StartupError, match="refused") as refused:
        restore(bad, live)
    expected = {"damaged": "integrity", "garbage": "integrity", "newer": "newer", "not gaffe": "not a Gaffe"}[kind]
    assert expected in refused.value.message
    assert live.read_bytes() == before
    assert not list(tmp_path.glob("*.before-restore.*"))


async def test_restore_refuses_while_gaffe_has_the_database_open(tmp_path: Path) -> None:
    live, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    await make_database(live)
    backup(live, copy)
    store = await open_store(live)
    try:
        await store.save(99, State())
        with pytest.raises(StartupError, match="in use"):
            restore(copy, live)
        assert await store.load(99) is not None
    finally:
        await store.close()


async def test_restore_brings_the_backup_back_and_keeps_what_it_replaced(tmp_path: Path) -> None:
    live, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    await make_database(live, users=3)
    backup(live, copy)
    await make_database(live, users=10)  # users 4..10 arrive after the backup
    said = restore(copy, live)
    assert "before-restore" in said
    assert count(live, "users") == 3
    assert count(tmp_path / "live.before-restore.sqlite3", "users") == 10
    store = await open_store(live)  # back in WAL mode, checked, migrated
    try:
        state = await store.load(2)
        assert state is not None and state.step == 2
        assert await store.load(7) is None
    finally:
        await store.close()


async def test_restore_replaces_a_damaged_database(tmp_path: Path) -> None:
    live, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    await make_database(live, users=300)
    backup(live, copy)
    as_one_file(live)  # then spoil it
    damage(live)
    with pytest.raises(StartupError, match="damaged"):
        await open_store(live)
    restore(copy, live)
    store = await open_store(live)
    await store.close()
    assert count(live, "users") == 300


def test_the_commands_say_what_they_did_and_fail_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAFFE_", "TELEGRAM_"))}
    env["GAFFE_DB"] = str(tmp_path / "missing.sqlite3")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    done = run("backup", str(tmp_path / "copy.sqlite3"))
    assert done.returncode == 1 and done.stderr.startswith("gaffe backup: there is no database at")
    assert "Traceback" not in done.stderr and "GAFFE_DB" in done.stderr
    (tmp_path / "junk.sqlite3").write_text("junk")
    done = run("restore", str(tmp_path / "junk.sqlite3"))
    assert done.returncode == 1 and done.stderr.startswith("gaffe restore: refused:"), done.stderr


async def test_two_backups_in_the_same_second_never_overwrite(tmp_path: Path) -> None:
    live, folder = tmp_path / "live.sqlite3", tmp_path / "backups"
    await make_database(live, users=3)
    folder.mkdir()
    second = datetime(2026, 12, 7, 20, 30, 5, tzinfo=UTC)
    first = backup(live, folder, now=lambda: second)
    await make_database(live, users=5)
    again = backup(live, folder, now=lambda: second)
    made = sorted(folder.glob("gaffe-*.sqlite3"))
    assert [m.name for m in made] == ["gaffe-20261207-203005-2.sqlite3", "gaffe-20261207-203005.sqlite3"]
    assert str(made[1]) in first and str(made[0]) in again
    assert count(made[1], "users") == 3 and count(made[0], "users") == 5  # the first is intact
    with pytest.raises(StartupError, match="never replaces a file"):
        backup(live, made[1])  # named explicitly: refused too
    assert count(made[1], "users") == 3


async def test_backup_into_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    await make_database(live)
    said = backup(live, f"{tmp_path / 'new'}/")  # ends with /: a folder, created and said
    (made,) = (tmp_path / "new").glob("gaffe-*.sqlite3")
    assert said.startswith(f"created the folder {tmp_path / 'new'}; backed up") and str(made) in said
    with pytest.raises(StartupError, match="a folder or a file") as refused:
        backup(live, str(tmp_path / "other"))  # no / and no suffix: ambiguous, refused
    assert "other/" in (refused.value.fix or "") and not (tmp_path / "other").exists()
    backup(live, str(tmp_path / "other.sqlite3"))  # a file name: a file
    assert count(tmp_path / "other.sqlite3", "users") == 3


def _gaffe(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


async def test_restore_onto_the_live_database_is_refused_instead_of_hanging(tmp_path: Path) -> None:
    """In real processes (a hang fails on the timeout): the database itself given as the backup, and a
    restore while the Telegram bot runs on it."""
    live, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    await make_database(live)
    backup(live, copy)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAFFE_", "TELEGRAM_"))}
    env["GAFFE_DB"] = str(live)
    itself = _gaffe(env, "restore", str(live))
    assert itself.returncode == 1 and itself.stderr.startswith("gaffe restore: refused:"), itself.stderr
    assert "is the database itself" in itself.stderr
    async with FakeBotApi() as fake, bot_process(fake, live):
        fake.user_sends(5, "/start")
        await fake.wait_for_message(5, timeout=30)  # the bot has the database open
        running = await asyncio.to_thread(_gaffe, env, "restore", str(copy))
    assert running.returncode == 1 and "is in use: stop Gaffe first" in running.stderr, running.stderr
    assert count(live, "users") == 4  # the 3 users, and the one who wrote to the running bot
