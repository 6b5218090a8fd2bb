"""The command line: `graph`, and refusing to start on broken content with the checker's messages."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.paths import MINI, ROOT

BROKEN = ROOT / "tests" / "fixtures" / "broken" / "goto_missing_node"


def gaffe(
    *args: str, dialogues: Path = MINI / "dialogues", token: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(
        GAFFE_DIALOGUES=str(dialogues),
        GAFFE_LOCALES=str(MINI / "locales"),
        GAFFE_DB=str(Path(tempfile.gettempdir()) / "gaffe-cli-never-opened.sqlite3"),
    )
    if token:
        env["TELEGRAM_BOT_TOKEN"] = token
        env["TELEGRAM_API_URL"] = "http://127.0.0.1:9/bot"  # never reached: the content is refused first
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True, input="", timeout=60
    )


def test_graph_prints_a_mermaid_flowchart() -> None:
    done = gaffe("graph", "quiz")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "flowchart TD"
    assert '    q1 -- "Oui +10" --> q2' in lines
    assert '    route -. "score >= 100" .-> perfect' in lines
    assert '    route -. "manager in yes" .-> good' in lines
    assert any(line.startswith("    meh --> jump_menu") for line in lines)


def test_graph_of_an_unknown_dialogue() -> None:
    done = gaffe("graph", "nope")
    assert done.returncode == 2 and "menu, quiz" in done.stderr


def test_refuses_to_start_on_broken_content_with_the_checkers_messages() -> None:
    check = gaffe("check", "--dialogues", str(BROKEN), "--locales", str(MINI / "locales"))
    problems = [line for line in check.stdout.splitlines() if ": " in line]
    assert check.returncode == 1 and problems
    for args, token in (((), None), (("console",), None), ((), "123:abcdefghijklmnopqrstuvwxyzABCDEFGHIJ")):
        refused = gaffe(*args, dialogues=BROKEN, token=token)
        assert refused.returncode == 1
        assert "refuses to start" in refused.stderr
        assert all(problem in refused.stderr for problem in problems)


def test_options_work_before_or_after_the_subcommand(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAFFE_", "TELEGRAM_"))}
    for number, args in enumerate((["--lang", "en", "console"], ["console", "--lang", "en"], ["--lang", "en"])):
        env["GAFFE_DB"] = str(tmp_path / f"{number}.sqlite3")  # a new user each time: no language saved yet
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            input="",
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Your answers are kept in"), (args, done.stdout[:200])  # where, first
        assert done.stdout.splitlines()[1].startswith("Answer with a choice's number"), (args, done.stdout[:200])


def _console(*args: str, stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAFFE_", "TELEGRAM_"))}
    env["GAFFE_DB"] = str(tmp_path / "g.sqlite3")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True, input=stdin, timeout=60
    )


def test_version_comes_from_the_package_metadata(tmp_path: Path) -> None:
    from importlib import metadata

    done = _console("--version", stdin="", tmp_path=tmp_path)
    assert done.returncode == 0 and done.stdout == f"gaffe {metadata.version('gaffe')}\n"


def test_help_says_what_no_subcommand_does_and_lists_every_setting(tmp_path: Path) -> None:
    import re

    done = _console("--help", stdin="", tmp_path=tmp_path)
    said = " ".join(done.stdout.split())
    assert "Without a subcommand: the Telegram bot when TELEGRAM_BOT_TOKEN is set, else a chat in this terminal" in said
    assert "language of the terminal chat, saved: later runs keep it" in said
    read = set(re.findall(r"\b(?:GAFFE|TELEGRAM)_[A-Z_]+\b", (ROOT / "bot" / "config.py").read_text()))
    assert read and all(f"\n  {variable} " in done.stdout for variable in read), sorted(read)


def test_start_typed_first_shows_the_welcome_once(tmp_path: Path) -> None:
    done = _console(stdin="/start\n", tmp_path=tmp_path)
    assert done.returncode == 0 and done.stdout.count("Fais gaffe mon pote") == 1, done.stdout
    (tmp_path / "g.sqlite3").unlink()
    later = _console(stdin="/aide\n/start\n", tmp_path=tmp_path)  # asked for later: it is shown again
    assert later.stdout.count("Fais gaffe mon pote") == 2, later.stdout


def test_the_terminal_never_says_to_use_the_buttons(tmp_path: Path) -> None:
    for language in ("fr", "en"):
        done = _console("--lang", language, stdin="/checkup\nbof\n1\nbof\n", tmp_path=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "bouton" not in done.stdout.lower() and "button" not in done.stdout.lower(), done.stdout
        assert ("tape le numéro" if language == "fr" else "type the number") in done.stdout.lower()


async def test_sigterm_in_the_terminal_says_goodbye_and_exits_0(tmp_path: Path) -> None:
    import asyncio
    import signal

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAFFE_", "TELEGRAM_"))}
    env["GAFFE_DB"] = str(tmp_path / "g.sqlite3")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        while "Fais gaffe mon pote" not in (await asyncio.wait_for(process.stdout.readline(), 30)).decode():
            pass  # the welcome is shown: the chat waits for a line
        process.send_signal(signal.SIGTERM)
        rest, errors = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, errors.decode()
    assert "À plus, et fais gaffe" in rest.decode() and not errors
