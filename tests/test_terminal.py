"""The terminal chat behaves like a terminal program, in a real process: Ctrl+C and Ctrl+D quit at once
with a goodbye (through a pipe, and at a real pseudo-terminal), a closed output ends quietly, the terminal
says its own words ("type the number", never "the buttons"), a refusal re-asks with the choices only,
and the database's path is said at start."""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.adapters.console import chat
from bot.core.dialogue import Content
from bot.core.engine import Notice
from bot.core.i18n import Translator
from bot.core.render import render
from bot.service import Gaffe
from bot.storage import Store
from tests.support.paths import ROOT
from tests.test_console import _env, console

GOODBYE = "Salut !"  # the mini content's console_goodbye


def _read_until(fd: int, wanted: str, seconds: float = 20) -> str:
    seen = b""
    deadline = time.monotonic() + seconds
    while wanted.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the pty's other side closed
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def test_ctrl_c_quits_at_once_while_a_read_is_pending(tmp_path: Path) -> None:
    """SIGINT with standard input still open (nothing typed): no Enter needed, exit 0, a goodbye."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "console"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=_env(tmp_path / "g.sqlite3"), cwd=ROOT,
    )  # fmt: skip
    assert process.stdin and process.stdout
    process.stdin.write(b"/quiz\n")
    process.stdin.flush()
    assert "Comment je t'appelle" in _read_until(process.stdout.fileno(), "Comment je t'appelle")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)  # no Enter needed: it ends without more input
    assert process.returncode == 0, err
    assert GOODBYE in out.decode() and b"Traceback" not in err and b"KeyboardInterrupt" not in err
    process.stdin.close()


def _in_a_pty(db: Path) -> tuple[int, int]:
    """`python -m bot console` with a pseudo-terminal as its controlling terminal (as in a real terminal)."""
    pid, master = pty.fork()
    if pid == 0:  # the child: becomes the bot at once
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "bot", "console"], _env(db))
    return pid, master


def _exit_status(pid: int, seconds: float = 10) -> int | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_at_a_real_terminal_ctrl_c_typed_quits_at_once(tmp_path: Path) -> None:
    pid, master = _in_a_pty(tmp_path / "g.sqlite3")
    try:
        assert "> " in _read_until(master, "> ")  # the prompt: it knows it is interactive
        os.write(master, b"/quiz\n")
        assert "Comment je t'appelle" in _read_until(master, "Comment je t'appelle")
        _read_until(master, "> ", 5)
        os.write(master, b"\x03")  # Ctrl+C, as typed: the terminal sends SIGINT to the program
        after = _read_until(master, GOODBYE, 10)
        assert _exit_status(pid) == 0
        assert GOODBYE in after and "Traceback" not in after, after
    finally:
        os.close(master)


def test_at_a_real_terminal_ctrl_d_quits_at_once(tmp_path: Path) -> None:
    pid, master = _in_a_pty(tmp_path / "g.sqlite3")
    try:
        _read_until(master, "> ")
        os.write(master, b"\x04")  # Ctrl+D on an empty line: end of input
        after = _read_until(master, GOODBYE, 10)
        assert _exit_status(pid) == 0
        assert GOODBYE in after and "Traceback" not in after, after
    finally:
        os.close(master)


def test_a_closed_output_ends_quietly(tmp_path: Path) -> None:
    """`python -m bot </dev/null | head -1`: one line, and no BrokenPipeError traceback."""
    command = f"{sys.executable} -m bot </dev/null | head -1"
    done = subprocess.run(
        command, shell=True, capture_output=True, text=True, env=_env(tmp_path / "g.sqlite3"), cwd=ROOT, timeout=60
    )
    assert done.stdout.count("\n") == 1 and "g.sqlite3" in done.stdout  # the first line: where the data is
    assert done.stderr == "", done.stderr


def test_the_terminal_says_type_the_number_and_re_asks_briefly(tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite3"
    done = console(db, ["salut", "🙂", "x" * 5000, "9", "1"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0] == f"Base : {db.resolve()}"  # where its data is, first
    assert out.count("Tape le numéro.") == 3 and "Utilise les boutons." not in out
    assert out.count("Tu veux faire quoi ?") == 1  # refusals show the numbered choices, not the question again
    assert out.count("  1. Le quiz") == 5  # the menu, three refusals, "not on the list"
    assert "→ Le quiz" in out and out.rstrip().endswith(GOODBYE)


async def test_the_terminal_says_try_again_when_a_step_cannot_be_saved(
    mini: Content, mini_translators: dict[str, Translator], store: Store, tmp_path: Path
) -> None:
    gaffe = Gaffe(mini, mini_translators, store)
    await chat(gaffe, stdin=io.StringIO("/quiz\n"), out=io.StringIO(), files_dir=tmp_path)
    await store.connection.execute("PRAGMA busy_timeout=200")
    other = sqlite3.connect(tmp_path / "gaffe.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the database past the busy timeout
    try:
        locked = io.StringIO()
        await chat(gaffe, stdin=io.StringIO("Ada\n"), out=locked, files_dir=tmp_path)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "Réessaie." in locked.getvalue() and "Enchanté" not in locked.getvalue()
    assert locked.getvalue().rstrip().endswith(GOODBYE)  # it kept going to the end of input
    again = io.StringIO()
    await chat(gaffe, stdin=io.StringIO("Ada\n"), out=again, files_dir=tmp_path)
    assert "Enchanté Ada." in again.getvalue()


def test_a_notice_has_the_terminals_words_only_in_the_terminal(
    mini: Content, mini_translators: dict[str, Translator]
) -> None:
    outputs = (Notice("use_buttons"), Notice("unknown_command"))
    assert render(mini, mini_translators["fr"], outputs).text == "Utilise les boutons.\n\nCommande inconnue."
    console_words = render(mini, mini_translators["en"], outputs, variant="console").text
    assert console_words == "Type the number.\n\nUnknown command."  # a key without a console_ variant: as is
