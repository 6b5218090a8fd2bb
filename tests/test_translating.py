"""The translation command documented in docs/translating.md, run on a copy of the repository's
English catalogue: it keeps every translation whose French text still exists, and once the catalogue is in
source order it moves nothing (a second run leaves the entries' order and text as they were)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from tests.support.paths import ROOT

EXTRACT = "pybabel extract -F babel.cfg -o locales/messages.pot ."
UPDATE = "pybabel update -i locales/messages.pot -d locales -l en --no-fuzzy-matching --ignore-obsolete"


def _pybabel(command: str, pot: Path, po: Path) -> None:
    args = command.split()[1:]
    args = [str(pot) if a == "locales/messages.pot" else a for a in args]
    if args[0] == "update":  # the same options, on the copy instead of locales/
        at = args.index("-d")
        args[at : at + 2] = ["-o", str(po)]
    done = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def _entries(po: Path) -> list[tuple[str, str]]:
    with po.open("rb") as file:
        return [(str(m.id), str(m.string)) for m in read_po(file) if m.id]


def test_the_documented_command_keeps_translations_and_then_the_order(tmp_path: Path) -> None:
    documented = (ROOT / "docs" / "translating.md").read_text()
    assert f"{EXTRACT}\n{UPDATE}\n" in documented
    pot, po = tmp_path / "messages.pot", tmp_path / "messages.po"
    shutil.copy(ROOT / "locales" / "en" / "LC_MESSAGES" / "messages.po", po)
    before = dict(_entries(po))
    _pybabel(EXTRACT, pot, po)
    _pybabel(UPDATE, pot, po)
    first = _entries(po)
    assert all(before[msgid] == text for msgid, text in first if msgid in before)  # no translation lost or fuzzed
    assert "#~" not in po.read_text()  # obsolete ones dropped
    header = po.read_text().split("msgid", 1)[0]
    assert header.startswith("# English translations of Gaffe's dialogues")
    _pybabel(UPDATE, pot, po)
    assert _entries(po) == first  # in source order now: a second run moves nothing
