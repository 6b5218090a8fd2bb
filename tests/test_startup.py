"""Every start-up failure is two lines naming the cause and the setting, a non-zero exit, no traceback, no hang.

`python -m bot` runs as an operator would run it, in its own process with a timeout: a hang fails the
test instead of blocking the suite (the corrupt-database case used to hang forever, its aiosqlite
thread left open).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.database import damaged_database
from tests.support.fake_bot_api import FakeBotApi
from tests.support.paths import MINI, ROOT

TIMEOUT = 30  # generous for a loaded machine; the measured time is printed with -s


def gaffe(*args: str, cwd: Path = ROOT, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAFFE_", "TELEGRAM_"))}
    env.update(settings)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, input="",
        timeout=TIMEOUT,
    )  # fmt: skip
    print(f"{args} {sorted(settings)}: exit {done.returncode} in {time.monotonic() - started:.2f} s")
    return done


def assert_refused(done: subprocess.CompletedProcess[str], cause: str, setting: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) <= 2, done.stderr
    assert lines[0].startswith("Gaffe can't start: ") and cause in lines[0], done.stderr
    assert setting in done.stderr, done.stderr


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_text("garbage\n")
    assert_refused(gaffe(GAFFE_DB=str(bad)), "not a SQLite database", "GAFFE_DB")
    assert "python -m bot restore" in gaffe(GAFFE_DB=str(bad)).stderr


def test_a_damaged_database_fails_the_quick_check_and_names_the_restore_command(tmp_path: Path) -> None:
    db = damaged_database(tmp_path / "damaged.sqlite3")
    done = gaffe(GAFFE_DB=str(db))
    assert_refused(done, "", "GAFFE_DB")
    assert "damaged" in done.stderr and "python -m bot restore" in done.stderr


def test_a_database_in_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    done = gaffe(GAFFE_DB=str(tmp_path / "nowhere" / "x.sqlite3"))
    assert_refused(done, "does not exist", "GAFFE_DB")


def test_a_database_with_a_newer_schema(tmp_path: Path) -> None:
    from bot.storage import SCHEMA_VERSION

    db = tmp_path / "newer.sqlite3"
    with sqlite3.connect(db) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    assert_refused(gaffe(GAFFE_DB=str(db)), "newer than this Gaffe", "GAFFE_DB")


@pytest.mark.parametrize("variable", ["GAFFE_DIALOGUES", "GAFFE_LOCALES"])
def test_a_content_folder_that_does_not_exist(tmp_path: Path, variable: str) -> None:
    done = gaffe(GAFFE_DB=str(tmp_path / "g.sqlite3"), **{variable: str(tmp_path / "nope")})
    assert_refused(done, "does not exist", variable)


def test_a_locales_folder_without_english_is_named_not_179_missing_translations(tmp_path: Path) -> None:
    done = gaffe(
        GAFFE_DB=str(tmp_path / "g.sqlite3"), GAFFE_DIALOGUES=str(ROOT / "dialogues"), GAFFE_LOCALES=str(tmp_path)
    )
    assert_refused(done, "no English translations", "GAFFE_LOCALES")


def test_a_port_that_is_not_a_number(tmp_path: Path) -> None:
    done = gaffe(GAFFE_DB=str(tmp_path / "g.sqlite3"), GAFFE_WEBHOOK_PORT="84x3")
    assert_refused(done, "not a port number", "GAFFE_WEBHOOK_PORT")


def test_telegram_without_a_token(tmp_path: Path) -> None:
    assert_refused(gaffe("telegram", GAFFE_DB=str(tmp_path / "g.sqlite3")), "not set", "TELEGRAM_BOT_TOKEN")


def test_bad_content_names_the_settings(tmp_path: Path) -> None:
    broken = ROOT / "tests" / "fixtures" / "broken" / "goto_missing_node"
    done = gaffe(GAFFE_DB=str(tmp_path / "g.sqlite3"), GAFFE_DIALOGUES=str(broken), GAFFE_LOCALES=str(MINI / "locales"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "goto to a missing node 'nowhere'" in done.stderr and "GAFFE_DIALOGUES" in done.stderr


async def _run_async(*args: str, **settings: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAFFE_", "TELEGRAM_"))}
    env.update(settings)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        output, _ = await asyncio.wait_for(process.communicate(), TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, output.decode()


async def test_a_webhook_port_already_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with FakeBotApi() as fake:
            code, output = await _run_async(
                TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=f"{fake.url}/bot", GAFFE_DB=str(tmp_path / "g.sqlite3"),
                GAFFE_WEBHOOK_URL="https://gaffe.example.org/telegram", GAFFE_WEBHOOK_PORT=str(port),
            )  # fmt: skip
    assert code == 1, output
    assert f"Gaffe can't start: the webhook port 127.0.0.1:{port} is already in use" in output, output
    assert "GAFFE_WEBHOOK_PORT" in output and "Traceback" not in output, output


async def test_a_rejected_token_is_two_lines_without_traceback(tmp_path: Path) -> None:
    async with FakeBotApi() as fake:
        wrong = "987654:WRONG-TOKEN-abcdefghijklmnopqrstuvwxyz0123"
        code, output = await _run_async(
            TELEGRAM_BOT_TOKEN=wrong, TELEGRAM_API_URL=f"{fake.url}/bot", GAFFE_DB=str(tmp_path / "g.sqlite3")
        )
    assert code == 1, output
    assert "Gaffe can't start: Telegram rejected the token" in output and "Traceback" not in output, output
    assert wrong not in output and wrong.split(":")[1] not in output


async def test_a_bad_database_on_telegram_is_two_lines_too(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_text("garbage\n")
    async with FakeBotApi() as fake:
        code, output = await _run_async(
            TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=f"{fake.url}/bot", GAFFE_DB=str(bad)
        )
    assert code == 1, output
    assert "Gaffe can't start: " in output and "not a SQLite database" in output, output
    assert "Traceback" not in output and "GAFFE_DB" in output, output


async def test_a_webhook_address_this_machine_does_not_have(tmp_path: Path) -> None:
    async with FakeBotApi() as fake:
        code, output = await _run_async(
            TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=f"{fake.url}/bot", GAFFE_DB=str(tmp_path / "g.sqlite3"),
            GAFFE_WEBHOOK_URL="https://gaffe.example.org/telegram", GAFFE_WEBHOOK_LISTEN="192.0.2.1",
        )  # fmt: skip
    assert code == 1, output
    assert "Gaffe can't start: this machine has no address 192.0.2.1" in output, output
    assert "GAFFE_WEBHOOK_LISTEN" in output and "Traceback" not in output, output


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_gaffe_db_that_is_not_a_file_is_refused_and_left_as_it_was(tmp_path: Path, kind: str) -> None:
    """Stand-ins for /tmp and /dev/null (never a real system path): their modes stay what they were."""
    target = tmp_path / "target"
    if kind == "folder":
        target.mkdir(mode=0o755)
    else:
        os.mkfifo(target, 0o644)
    before = os.stat(target).st_mode
    done = gaffe(GAFFE_DB=str(target))
    assert_refused(done, "not a file", "GAFFE_DB")
    assert os.stat(target).st_mode == before and os.listdir(tmp_path) == ["target"]


def test_a_file_that_is_not_a_database_keeps_its_mode(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("someone else's file\n")
    other.chmod(0o644)
    assert_refused(gaffe(GAFFE_DB=str(other)), "not a SQLite database", "GAFFE_DB")
    assert os.stat(other).st_mode & 0o777 == 0o644 and other.read_text() == "someone else's file\n"


def test_an_empty_gaffe_db(tmp_path: Path) -> None:
    assert_refused(gaffe(GAFFE_DB="", cwd=tmp_path), "GAFFE_DB is set but empty", "GAFFE_DB")
    assert os.listdir(tmp_path) == []


def test_an_unreachable_bot_api_is_two_lines_and_every_session_closed(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = gaffe(
        TELEGRAM_BOT_TOKEN="123456:abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
        TELEGRAM_API_URL=f"http://127.0.0.1:{port}/bot",
        GAFFE_DB=str(tmp_path / "g.sqlite3"),
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and "Unclosed" not in done.stderr + done.stdout, done.stderr
    assert lines[0].startswith("Gaffe can't start: cannot reach the Telegram Bot API at http://127.0.0.1:"), lines
    assert "TELEGRAM_API_URL" in lines[1], lines


async def _locked(db: Path) -> sqlite3.Connection:
    """A Gaffe database (made and closed), then held by another program: an exclusive write transaction."""

    from bot.app import open_store

    await (await open_store(db)).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("DELETE FROM settings")  # the button secret: Gaffe writes it again at start-up
    return holder


async def test_telegram_with_the_database_locked_exits_with_two_lines(tmp_path: Path) -> None:
    holder = await _locked(tmp_path / "g.sqlite3")
    try:
        async with FakeBotApi() as fake:  # within TIMEOUT: the aiosqlite thread does not keep the process alive
            code, output = await _run_async(
                TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=f"{fake.url}/bot", GAFFE_DB=str(tmp_path / "g.sqlite3")
            )
    finally:
        holder.close()
    assert code == 1, output
    lines = output.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in output, output
    assert lines[0].startswith("Gaffe can't start: the database ") and "is locked by another program" in lines[0]


async def test_sigterm_ends_gaffe_waiting_for_a_locked_database(tmp_path: Path) -> None:
    holder = await _locked(tmp_path / "g.sqlite3")
    try:
        async with FakeBotApi() as fake:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("GAFFE_", "TELEGRAM_"))}
            env.update(
                TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=f"{fake.url}/bot", GAFFE_DB=str(tmp_path / "g.sqlite3")
            )
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=ROOT, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            try:
                await fake.wait_for(lambda call: call.method == "getMe", timeout=TIMEOUT)  # then it opens the database
                process.send_signal(signal.SIGTERM)
                output, _ = await asyncio.wait_for(process.communicate(), TIMEOUT)
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    finally:
        holder.close()
    assert process.returncode in (0, 1), output.decode()  # stopped, or refused if the busy timeout came first
    assert "Traceback" not in output.decode(), output.decode()
