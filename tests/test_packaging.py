"""The wheel carries the content: an installed Gaffe runs `gaffe check` and the terminal chat from any
folder, and GAFFE_DIALOGUES / GAFFE_LOCALES still override the bundled copy.

The wheel is built from this checkout (`pip wheel . --no-deps`) and installed into a fresh virtualenv
with no internet: the fresh venv sees this environment's dependencies through a `.pth` file (only
directories, not the editable install's import hook, which `.pth` entries never load); the wheel is
installed with --ignore-installed, as pip would otherwise see the outer environment's gaffe through it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import MINI, ROOT


def run(
    *command: str | Path, cwd: Path, env: dict[str, str] | None = None, input: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, input=input, timeout=240
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = run(
        sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", out, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("gaffe-*.whl")
    return built


def test_the_wheel_carries_every_package_and_the_content(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for content in [*(ROOT / "dialogues").glob("*.yaml"), *(ROOT / "dialogues").glob("*.schema.json")]:
        assert f"bot/_content/dialogues/{content.name}" in names
    for po in (ROOT / "locales").glob("*/LC_MESSAGES/*.po"):
        assert f"bot/_content/locales/{po.relative_to(ROOT / 'locales').as_posix()}" in names
    for module in (ROOT / "bot").rglob("*.py"):  # a subpackage missing from pyproject's list fails here
        assert module.relative_to(ROOT).as_posix() in names
    for shipped in (ROOT / "bot" / "assets").iterdir():  # the font, its licence, the data snapshots
        if shipped.name != "__pycache__":
            assert f"bot/assets/{shipped.name}" in names


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    venv = tmp_path_factory.mktemp("venv")
    done = run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=venv).stdout.strip()
    (Path(purelib) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        "--ignore-installed",
        wheel,
        cwd=venv,
    )
    assert done.returncode == 0, done.stderr
    yield venv


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAFFE_", "TELEGRAM_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, **settings}


def test_the_installed_gaffe_checks_and_chats_from_an_unrelated_folder(installed: Path, tmp_path: Path) -> None:
    where = run(installed / "bin" / "python", "-c", "import bot; print(bot.__file__)", cwd=tmp_path, env=clean_env())
    assert where.stdout.startswith(str(installed)), where.stdout + where.stderr  # not the checkout

    check = run(installed / "bin" / "gaffe", "check", cwd=tmp_path, env=clean_env())
    assert check.returncode == 0, check.stdout + check.stderr
    assert "_content/dialogues: all good" in check.stdout

    chat = run(installed / "bin" / "gaffe", cwd=tmp_path, env=clean_env(GAFFE_DB=str(tmp_path / "g.sqlite3")))
    assert chat.returncode == 0, chat.stderr
    assert "Fais gaffe mon pote" in chat.stdout

    env = clean_env(GAFFE_DB=str(tmp_path / "fresh.sqlite3"))  # the look-up answers from the wheel's own snapshot
    look_up = run(installed / "bin" / "gaffe", cwd=tmp_path, env=env, input="6\ncom.mspy.lite\n")
    assert "Données du 21 juin 2026" in look_up.stdout, look_up.stdout + look_up.stderr


def test_the_variables_still_override_the_bundled_content(installed: Path, tmp_path: Path) -> None:
    env = clean_env(GAFFE_DIALOGUES=str(MINI / "dialogues"), GAFFE_LOCALES=str(MINI / "locales"))
    check = run(installed / "bin" / "gaffe", "check", cwd=tmp_path, env=env)
    assert check.returncode == 0 and f"{MINI / 'dialogues'}: all good" in check.stdout, check.stdout + check.stderr
    graph = run(installed / "bin" / "gaffe", "graph", "quiz", cwd=tmp_path, env=env)
    assert graph.returncode == 0 and "flowchart TD" in graph.stdout, graph.stderr


def test_the_license_file_matches_pyproject_and_ships_in_the_wheel(wheel: Path) -> None:
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    text = (ROOT / "LICENSE").read_text()
    assert (
        declared == "MIT" and text.startswith("MIT License\n") and "Copyright (c) 2026 the Gaffe contributors" in text
    )
    archive = zipfile.ZipFile(wheel)
    (licence,) = [name for name in archive.namelist() if name.endswith(".dist-info/licenses/LICENSE")]
    assert archive.read(licence).decode() == text
    (metadata,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
    assert "License-Expression: MIT" in archive.read(metadata).decode()
