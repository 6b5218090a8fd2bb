"""Routes by country: where to call, report or get help, as content (dialogues/regions.yaml), named by key.

A dialogue text says `{route.scam_text}` and the user reads their region's sentence for it ("Transfère le SMS
au 33700…" in France, "Forward it to 7726…" in the UK), or `{route.scam_text.name}` for its short name. A
writer changes a number in one place. The route's `source` (the official page that says it) is shown under
the text like the node's own sources. A user who has not picked a country yet reads the `other` region's
routes (generic and honest: the local emergency number, never one country's) where Gaffe can't ask first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

OTHER = "other"  # the region of "another country", and of anyone who has not said yet
# {route.KEY} (the `how` sentence) or {route.KEY.name} (the short name), as written in texts.
ROUTE_PLACEHOLDER = re.compile(r"\{route\.([a-z0-9_]+)(\.name)?\}")


@dataclass(frozen=True)
class RouteInfo:
    name: str  # translatable: a short name ("33700", "Safeonweb")
    how: str  # translatable: one whole sentence (or two) saying what to do
    source: str  # the official page that says it
    url: str | None = None


@dataclass(frozen=True)
class Region:
    id: str
    name: str  # translatable: the picker's label
    first_for: tuple[str, ...]  # the languages that list this region first in the picker
    verified: str  # when its routes were last checked on their sources (ISO date)
    routes: dict[str, RouteInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class Regions:
    keys: tuple[str, ...] = ()  # the keys every region gives
    regions: dict[str, Region] = field(default_factory=dict)  # in file order: the picker's order

    def of(self, country: str | None) -> Region | None:
        return self.regions.get(country or OTHER) or self.regions.get(OTHER)

    def ordered_for(self, language: str) -> list[Region]:
        """The picker's order for a language: the regions whose `first_for` names it first, then the others,
        each group in file order. The user's language only orders the list: nothing is chosen for them."""
        regions = list(self.regions.values())
        return sorted(regions, key=lambda region: language not in region.first_for)


def route_keys(text: str | None) -> tuple[str, ...]:
    """The route keys a text names, in order."""
    return tuple(match.group(1) for match in ROUTE_PLACEHOLDER.finditer(text or ""))


def build_regions(raw: dict[str, Any]) -> Regions:
    regions = {}
    for region_id, item in raw["regions"].items():
        routes = {
            str(key): RouteInfo(str(route["name"]), str(route["how"]), str(route["source"]), route.get("url"))
            for key, route in (item.get("routes") or {}).items()
        }
        regions[str(region_id)] = Region(
            str(region_id), str(item["name"]), tuple(str(c) for c in item.get("first_for") or ()),
            str(item["verified"]), routes,
        )  # fmt: skip
    return Regions(tuple(str(key) for key in raw["keys"]), regions)
