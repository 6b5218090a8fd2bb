"""The docs keep their promises to their readers: the README stays a newcomer's page (250 lines at most), names
every command a user can type, and every link in the README and docs/ leads to a file of the repository (and
to a heading of it, for a `#anchor`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.support.paths import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def anchors(page: Path) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"(?m)^#{1,6}\s+(.+)$", page.read_text(encoding="utf-8"))}


def test_the_readme_is_a_newcomers_page() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines: move details to docs/"
    text = "\n".join(lines)
    for needed in ("pip install -e .", 'pip install -e ".[test]" && pytest', "TELEGRAM_BOT_TOKEN", "```"):
        assert needed in text


def test_the_readme_names_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = []
    for path in (ROOT / "dialogues").glob("*.yaml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        commands = document.get("commands") if isinstance(document, dict) else None
        if commands:
            missing += [f"/{commands[k]}" for k in ("fr", "en") if f"/{commands[k]}" not in readme]
    assert not missing, missing


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_link_leads_to_a_file_of_the_repository(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        if (
            not resolved.exists()
            or (ROOT.resolve() not in resolved.parents and resolved != ROOT.resolve())
            or (anchor and resolved.suffix == ".md" and anchor not in anchors(resolved))
        ):
            broken.append(target)
    assert not broken, f"{page.name}: {broken}"
