"""Routes by country (dialogues/regions.yaml) are checked like the rest: each broken copy of the shipped content
yields exactly its one problem, at its file and line; and the shipped regions give every key, each from a page."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.app import check_content

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ROOT / "dialogues" / "regions.yaml"


def line_of(path: Path, pattern: str, after: str | None = None) -> int:
    """The 1-based line of the first line matching `pattern` (after the first one matching `after`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.search(after, line)) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and re.search(pattern, line)) + 1


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    dialogues = tmp_path / "dialogues"
    shutil.copytree(ROOT / "dialogues", dialogues)
    return dialogues


def problems_after(dialogues: Path, file: str, old: str, new: str) -> list[tuple[str, int, str]]:
    path = dialogues / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    content, problems = check_content(dialogues, ROOT / "locales")
    assert content is None
    return [(Path(p.file).name, p.line, p.message) for p in problems]


def region_block(text: str, region: str) -> tuple[int, int]:
    """Where a region's entry starts and ends in regions.yaml's text."""
    start = text.index(f"\n  {region}:\n")
    following = re.search(r"\n  [a-z]+:\n", text[start + 1 :])
    return start, start + 1 + following.start() if following else len(text)


def route_entry(block: str, key: str) -> str:
    """A route's entry in a region's block, from the newline before its key to its last line's newline."""
    route = re.search(rf"\n      {key}:\n(        .*\n)+", block)
    assert route is not None, key
    return route.group(0)


def edit_region(dialogues: Path, region: str, edit: Callable[[str], str]) -> list[tuple[str, int, str]]:
    text = (dialogues / "regions.yaml").read_text(encoding="utf-8")
    start, end = region_block(text, region)
    return problems_after(dialogues, "regions.yaml", text[start:end], edit(text[start:end]))


def test_a_region_without_a_key_is_refused_at_its_routes(content_copy: Path) -> None:
    problems = edit_region(content_copy, "gb", lambda block: block.replace(route_entry(block, "scam_text"), "\n"))
    routes_line = line_of(content_copy / "regions.yaml", r"^    routes:", after=r"^  gb:")
    assert problems == [("regions.yaml", routes_line, "region 'gb' lacks the route 'scam_text'")]


def test_a_route_without_a_source_is_refused(content_copy: Path) -> None:
    def drop_source(block: str) -> str:
        entry = route_entry(block, "scam_text")
        return block.replace(entry, re.sub(r"        source: .*\n", "", entry))

    problems = edit_region(content_copy, "ca", drop_source)
    line = line_of(content_copy / "regions.yaml", r"^      scam_text:", after=r"^  ca:")
    assert problems == [("regions.yaml", line, "'source' is missing")]


def test_a_home_page_source_is_refused(content_copy: Path) -> None:
    def home_page(block: str) -> str:
        entry = route_entry(block, "emergency_text")
        return block.replace(entry, re.sub(r"source: (https://[^/\s]+/)\S+", r"source: \1fr/", entry))

    problems = edit_region(content_copy, "be", home_page)
    line = line_of(content_copy / "regions.yaml", r"source: https://[^/]+/fr/$")
    why = "region 'be', route 'emergency_text': the source is a home page; give the page that says it"
    assert problems == [("regions.yaml", line, why)]


def test_a_region_that_does_not_say_when_it_was_verified_is_refused(content_copy: Path) -> None:
    problems = edit_region(content_copy, "be", lambda block: re.sub(r"    verified: .*\n", "", block, count=1))
    line = line_of(content_copy / "regions.yaml", r"^  be:")
    assert problems == [("regions.yaml", line, "'verified' is missing")]


def test_an_unknown_route_key_in_a_dialogue_is_refused_with_its_line(content_copy: Path) -> None:
    problems = problems_after(content_copy, "arnaque.yaml", "{route.phishing_email}", "{route.phishing_mail}")
    line = line_of(content_copy / "arnaque.yaml", r"^  email:") + 1  # the text's line
    # The French text changed, so its English is missing too: that line is expected, and nothing else.
    routes = [p for p in problems if "no English translation" not in p[2]]
    assert len(routes) == 1 and routes[0][:2] == ("arnaque.yaml", line) and len(problems) == 2
    assert routes[0][2].startswith("unknown route key 'phishing_mail' in {route.phishing_mail} (known: ")


def test_an_unknown_region_in_a_condition_or_set_profile_is_refused(content_copy: Path) -> None:
    problems = problems_after(content_copy, "arnaque.yaml", "when: {country: [fr]}", "when: {country: [fx]}")
    line = line_of(content_copy / "arnaque.yaml", r"when: \{country: \[fx\]\}")
    assert len(problems) == 1 and problems[0][:2] == ("arnaque.yaml", line)
    assert problems[0][2].startswith("unknown region 'fx' (known: fr, ")


def test_an_unknown_region_in_set_profile_is_refused(content_copy: Path) -> None:
    old = """      - label: "Changer de pays"
        jump: pays
      - label: "Changer de langue"
        jump: langue
      - label: "L'heure de mes rappels"
        jump: rappels
      - label: "C'est bon"
        goto: bye

  paused:"""
    new = old.replace("        jump: pays\n", "        set_profile: {country: uk}\n        goto: bye\n", 1)
    problems = problems_after(content_copy, "reglages.yaml", old, new)
    line = line_of(content_copy / "reglages.yaml", r"set_profile: \{country: uk\}")
    assert len(problems) == 1 and problems[0][:2] == ("reglages.yaml", line)
    assert problems[0][2].startswith("unknown region 'uk'")


def test_the_other_region_is_required(content_copy: Path) -> None:
    problems = edit_region(content_copy, "other", lambda block: block.replace("  other:", "  xx:"))
    line = line_of(content_copy / "regions.yaml", r"^regions:")
    assert problems == [("regions.yaml", line, "the region 'other' (another country, or not said) is missing")]


def test_every_shipped_region_gives_every_key_from_a_page_that_says_it() -> None:
    """Walked here independently of `check`: a region without a route, or backed by a home page, is a bug."""
    document = yaml.safe_load(REGIONS.read_text(encoding="utf-8"))
    keys = set(document["keys"])
    assert {"fr", "be", "ca", "gb", "other"} <= set(document["regions"])
    for region_id, region in document["regions"].items():
        assert set(region["routes"]) == keys, f"{region_id}: {sorted(keys ^ set(region['routes']))}"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(region["verified"])), region_id
        for key, route in region["routes"].items():
            assert re.fullmatch(r"https://[^/\s]+/\S*[^/\s]\S*", route["source"]), f"{region_id}.{key}"
            assert route["how"].strip() and route["name"].strip(), f"{region_id}.{key}"


def test_another_country_gets_no_national_number() -> None:
    document = yaml.safe_load(REGIONS.read_text(encoding="utf-8"))
    national = re.compile(r"\b(15|17|18|101|114|911|999|7726|33700|0300|1-888)\b")
    for key, route in document["regions"]["other"]["routes"].items():
        assert not national.search(route["how"]), f"other.{key}: {route['how']}"
