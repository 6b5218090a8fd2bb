"""The terminal chat, as a user meets it: `python -m bot console` with piped input, in a real process."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

from bot.adapters.console import parse_line
from bot.core.engine import Choose, Pick, Press, Text
from bot.core.render import Button, Reply
from tests.support.paths import MINI, ROOT


def _env(db: Path, content: Path | None = MINI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["GAFFE_DB"] = str(db)
    if content is not None:
        env["GAFFE_DIALOGUES"] = str(content / "dialogues")
        env["GAFFE_LOCALES"] = str(content / "locales")
    return env


def console(db: Path, lines: list[str], *args: str, content: Path | None = MINI) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env=_env(db, content),
        cwd=ROOT,
        timeout=60,
    )


def test_no_token_opens_the_terminal_chat_and_ends_at_end_of_input(tmp_path: Path) -> None:
    done = console(tmp_path / "g.sqlite3", ["/quiz", "Ada", "1", "1"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Tu veux faire quoi ?" in out  # /start runs first
    assert "Enchanté Ada." in out and "  1. Oui" in out and "  2. Non" in out
    assert "→ Oui" in out and "Propre." in out
    assert "Parfait, Ada !" in out and "Rien à signaler (100/100)." in out
    with sqlite3.connect(tmp_path / "g.sqlite3") as db:  # the terminal keeps no outbox for Telegram to resend
        assert db.execute("SELECT user_id, reply_pending FROM users").fetchall() == [(0, 0)]


def test_quitter_ends_the_chat_like_ctrl_d_and_what_follows_is_not_read(tmp_path: Path) -> None:
    for quit_command in ("/quitter", "/quit", "/exit"):
        done = console(tmp_path / f"{quit_command[1:]}.sqlite3", ["/quiz", quit_command, "Ada"])
        assert done.returncode == 0, done.stderr
        assert "Enchanté" not in done.stdout  # the name after it was never read
        assert done.stdout.rstrip().endswith("Salut !")  # the goodbye, as at the end of input


def test_english_with_lang_and_a_score_with_three_actions(tmp_path: Path) -> None:
    done = console(tmp_path / "g.sqlite3", ["/quiz", "Ada", "2", "3"], "console", "--lang", "en")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Nice to meet you Ada." in out
    assert "Your 3 priorities (0/100)" in out
    assert out.index("Turn on two-factor") < out.index("Get a password manager") < out.index("Turn on automatic")
    assert "Source: cybermalveillance.gouv.fr (https://www.cybermalveillance.gouv.fr/" in out
    assert "Salut" not in out and "Tes " not in out


def test_bad_input_gets_an_answer_and_nothing_breaks(tmp_path: Path) -> None:
    done = console(tmp_path / "g.sqlite3", ["/quiz", "x" * 10_000, "A", "Ada", "9", "blabla", "/nope", "1"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("Entre 2 et 20 lettres") == 2
    assert "Pas dans la liste." in out and "Tape le numéro." in out and "Commande inconnue." in out
    assert "Utilise les boutons." not in out  # Telegram's words, not the terminal's
    assert "→ Oui" in out


def test_kill_9_mid_dialogue_then_restart_continues_at_the_same_question(tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(db),
        cwd=ROOT,
    )
    assert process.stdin and process.stdout
    for line in ("/quiz", "Ada", "1"):
        process.stdin.write(line + "\n")
        process.stdin.flush()
    seen = ""
    deadline = time.monotonic() + 30
    while "Et la double authentification ?" not in seen and time.monotonic() < deadline:
        seen += process.stdout.readline()
    assert "Et la double authentification ?" in seen  # the answer to q1 was shown, hence saved
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    again = console(db, ["2"])
    assert again.returncode == 0, again.stderr
    assert "On reprend." in again.stdout
    assert again.stdout.index("Et la double authentification ?") < again.stdout.index("→ À moitié")
    assert "Pas mal : 75/100." in again.stdout  # q1's answer survived the kill


def test_the_shipped_checkup_completes_in_french_and_english(tmp_path: Path) -> None:
    answers = ["/checkup", *["1"] * 20]
    for language, expected in (("fr", "Ton score"), ("en", "Your score")):
        done = console(tmp_path / f"{language}.sqlite3", answers, "console", "--lang", language, content=None)
        assert done.returncode == 0, done.stderr
        assert "/100" in done.stdout and expected in done.stdout, done.stdout[-2000:]


def test_only_a_short_number_is_a_choice() -> None:
    menu = Reply("On fait quoi ?", (Button("Oui", Pick(3, 0)), Button("Non", Pick(3, 1))))
    assert parse_line("2", menu) == Choose(2)  # the engine picks the choice of the question waiting now
    assert parse_line("9", menu) == Choose(9)  # …or answers "not on the list"
    for secret in ("4821", "483920", "4970 1012 3456 7893", "4970101234567893"):
        assert parse_line(secret, menu) == Text(secret)
    reminder = Reply("Rappel", (Button("C'est fait", Press("reminder", 5, 2, "done")),))
    assert parse_line("1", reminder) == Press("reminder", 5, 2, "done")  # a pushed message's own buttons


def test_a_pin_typed_at_a_menu_is_refused_as_a_code(tmp_path: Path) -> None:
    done = console(tmp_path / "g.sqlite3", ["/quiz", "Ada", "4821", "4970 1012 3456 7893", "1"])
    assert done.returncode == 0, done.stderr
    assert "Pas de code ici." in done.stdout and "Pas de card ici." in done.stdout
    assert "Pas dans la liste." not in done.stdout and "→ Oui" in done.stdout


def test_progress_in_the_terminal_a_sparkline_and_the_chart_saved_as_a_file(tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite3"
    best = ["/checkup", "1", *["1"] * 12]  # the intro, then the first answer of every question
    done = console(db, ["/progres", *best, *best, "/progres"], content=None)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Pas encore de check-up" in out
    assert "Tes 2 check-ups" in out and "Ta courbe : ██" in out.replace("\u00a0", " ")
    charts = list((tmp_path / "gaffe-files").glob("*/*.png"))  # in the user's own folder
    assert len(charts) == 1 and f"[{charts[0]}]" in out and charts[0].read_bytes().startswith(b"\x89PNG")


def _modes(root: Path) -> dict[str, int]:
    """Every path under `root` (relative) with its permission bits."""
    return {str(path.relative_to(root)): stat.S_IMODE(path.stat().st_mode) for path in sorted(root.rglob("*"))}


def test_files_written_for_the_user_are_theirs_only_and_leave_with_the_erasure(tmp_path: Path) -> None:
    """The chart and the export: 0600 files in 0700 folders Gaffe made; after /oublie (in a later run: the files
    are found again after a restart) none is left, as "j'ai tout effacé, même dans mon fichier" says."""
    db, files = tmp_path / "g.sqlite3", tmp_path / "gaffe-files"
    best = ["/checkup", "1", *["1"] * 12]
    done = console(db, [*best, "/progres", "/mesdonnees"], content=None)
    assert done.returncode == 0, done.stderr
    modes = _modes(files)
    folder, export, chart = sorted(modes)
    assert chart.endswith("/progress.png") and export.endswith("/gaffe-mes-donnees.json"), modes
    assert str(0) not in folder and "user" not in folder  # named by a hash, not by the user id
    assert modes == {folder: 0o700, chart: 0o600, export: 0o600}
    assert stat.S_IMODE(files.stat().st_mode) == 0o700
    assert f"[{files / export}]" in done.stdout and f"[{files / chart}]" in done.stdout

    erased = console(db, ["/oublie", "1"], content=None)
    assert erased.returncode == 0, erased.stderr
    assert "j'ai tout effacé, même dans mon fichier" in erased.stdout.replace("\u00a0", " ")
    assert _modes(files) == {}  # every file written for the user is gone, and their folder with them


def test_a_files_folder_gaffe_did_not_create_keeps_its_mode(tmp_path: Path) -> None:
    files = tmp_path / "gaffe-files"
    files.mkdir(mode=0o755)
    files.chmod(0o755)
    done = console(tmp_path / "g.sqlite3", ["/mesdonnees"], content=None)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(files.stat().st_mode) == 0o755  # not Gaffe's: left as it was
    assert sorted(_modes(files).values()) == [0o600, 0o700]  # what Gaffe made inside it is private
