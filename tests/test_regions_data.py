"""The routes by country (dialogues/regions.yaml) are complete, sourced and translated.

This is the data's own test, read with plain PyYAML so that it does not depend on the loader in `bot/authoring`:
every region gives every key, every route says what to do (`how`), names the service (`name`) and the official page
that says it (`source`, https, not a home page), every region says when it was checked, every `name` and `how` has
its English, and "another country" gives no other region's emergency number. Each check is also run on a broken
copy of the data, so that it is shown to be able to fail.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ROOT / "dialogues" / "regions.yaml"
PO = ROOT / "locales" / "en" / "LC_MESSAGES" / "messages.po"
REGION_IDS = {"fr", "be", "ch", "ca", "gb", "ie", "us", "other"}
# The emergency numbers the national regions give: "another country" must send people to their local one instead.
NATIONAL_EMERGENCY = {"15", "17", "18", "101", "117", "144", "911", "999"}
PAGE = re.compile(r"^https://[^/\s]+/\S+$")  # https with a path: not a home page
SPACE_BEFORE_PUNCTUATION = re.compile(r" [:;!?»]|« ")  # French wants a non-breaking space there


def load_regions() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(REGIONS.read_text(encoding="utf-8"))
    return document


def load_english() -> dict[str, str]:
    with PO.open("rb") as po:
        return {str(message.id): str(message.string) for message in read_po(po) if message.id}


def translatable(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, French text) for every region name and every route name and `how`."""
    found = []
    for region_id, region in (document.get("regions") or {}).items():
        found.append((f"{region_id}.name", region.get("name")))
        for key, route in (region.get("routes") or {}).items():
            found += [(f"{region_id}.{key}.{field}", route.get(field)) for field in ("name", "how")]
    return [(where, text) for where, text in found if isinstance(text, str)]


def structure_problems(document: dict[str, Any]) -> list[str]:
    """What makes the regions incomplete or unsourced, one line each."""
    keys = set(document.get("keys") or {})
    regions = document.get("regions") or {}
    problems = [f"region ids {sorted(regions)} are not {sorted(REGION_IDS)}"] if set(regions) != REGION_IDS else []
    for region_id, region in regions.items():
        routes = region.get("routes") or {}
        problems += [f"{region_id}: no {field}" for field in ("name", "verified", "first_for") if field not in region]
        problems += [f"{region_id}: missing key {key}" for key in sorted(keys - set(routes))]
        problems += [f"{region_id}: unknown key {key}" for key in sorted(set(routes) - keys)]
        for key, route in routes.items():
            problems += [f"{region_id}.{key}: no {field}" for field in ("name", "how") if not route.get(field)]
            if not PAGE.match(str(route.get("source", ""))):
                problems.append(f"{region_id}.{key}: source {route.get('source')!r} is not an https page with a path")
            if "url" in route and not str(route["url"]).startswith("https://"):
                problems.append(f"{region_id}.{key}: url {route['url']!r} is not https")
    return problems


def translation_problems(document: dict[str, Any], english: dict[str, str]) -> list[str]:
    return [f"{where}: no English for {text!r}" for where, text in translatable(document) if not english.get(text)]


def typography_problems(document: dict[str, Any]) -> list[str]:
    return [f"{where}: ordinary space in {text!r}" for where, text in translatable(document)
            if SPACE_BEFORE_PUNCTUATION.search(text)]  # fmt: skip


def other_country_problems(document: dict[str, Any]) -> list[str]:
    other = (document.get("regions") or {}).get("other") or {}
    problems = []
    for key, route in (other.get("routes") or {}).items():
        numbers = set(re.findall(r"\b\d+\b", f"{route.get('name', '')} {route.get('how', '')}"))
        problems += [
            f"other.{key}: gives the national number {number}" for number in sorted(numbers & NATIONAL_EMERGENCY)
        ]
    return problems


def test_every_region_gives_every_key_with_a_name_a_how_and_an_official_page() -> None:
    assert structure_problems(load_regions()) == []


def test_every_name_and_how_has_its_english() -> None:
    assert translation_problems(load_regions(), load_english()) == []


def test_french_texts_put_a_non_breaking_space_before_double_punctuation() -> None:
    assert typography_problems(load_regions()) == []


def test_another_country_gives_no_national_emergency_number() -> None:
    assert other_country_problems(load_regions()) == []


def test_the_checks_catch_a_missing_key_a_home_page_source_and_a_missing_date() -> None:
    broken = copy.deepcopy(load_regions())
    del broken["regions"]["gb"]["routes"]["scam_text"]
    broken["regions"]["fr"]["routes"]["card_block"]["source"] = "https://www.service-public.fr/"
    del broken["regions"]["ca"]["verified"]
    assert structure_problems(broken) == [
        "fr.card_block: source 'https://www.service-public.fr/' is not an https page with a path",
        "gb: missing key scam_text",
        "ca: no verified",
    ]


def test_the_checks_catch_a_missing_translation_a_plain_space_and_a_national_number_elsewhere() -> None:
    broken = copy.deepcopy(load_regions())
    broken["regions"]["us"]["routes"]["emergency"]["how"] = "Appelle le 911, vite !"
    broken["regions"]["other"]["routes"]["emergency"]["how"] = "Appelle le 999."
    problems = translation_problems(broken, load_english()) + typography_problems(broken)
    assert problems == [
        "us.emergency.how: no English for 'Appelle le 911, vite !'",
        "other.emergency.how: no English for 'Appelle le 999.'",
        "us.emergency.how: ordinary space in 'Appelle le 911, vite !'",
    ]
    assert other_country_problems(broken) == ["other.emergency: gives the national number 999"]
