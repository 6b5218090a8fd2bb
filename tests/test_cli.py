"""The command line: `graph`, and refusing to start on broken content with the checker's messages."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from conftest import MINI, ROOT

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
