"""On a fresh install with no network, the README's examples work: the look-up answers from the dated
snapshots shipped in the package (bot/assets), says how old they are, and credits them; a real process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_console import console


@pytest.mark.parametrize(
    ("args", "said"),
    [((), "Données du 21 juin 2026"), (("--lang", "en"), "Data as of June 21, 2026")],
)
def test_the_stalkerware_look_up_answers_on_a_fresh_install(tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    # "6": "Plus tard", out of the welcome menu; then the README's example
    done = console(tmp_path / "gaffe.sqlite3", ["6", "com.mspy.lite"], *args, content=None)
    assert done.returncode == 0, done.stderr
    assert "mSpy" in done.stdout and "Echap" in done.stdout
    assert said in done.stdout
    assert not (tmp_path / "gaffe-data").exists()  # nothing was downloaded
