"""The dated copies of the public data sets that ship inside the package (bot/assets), so that the breach
watch and the stalkerware look-up answer on a fresh install with no network. A newer copy, downloaded by
`update-data` or the daily refresh, always wins; the answers say how old the data they used is.

Both are CC BY 4.0 and credited wherever shown: Have I Been Pwned's breach catalogue (as published on
2024-11-22) and Echap's stalkerware indicators (AssoEchap/stalkerware-indicators, commit a04c5c1 of
2026-06-21). To ship newer ones, replace the files and keep the date in their names.
"""

from __future__ import annotations

import gzip
import re
from datetime import date

from bot.assets import asset
from bot.lookups.breaches import Catalogue
from bot.lookups.stalkerware import Indicators

BREACHES = "hibp-breaches-2024-11-22.json.gz"
STALKERWARE = "stalkerware-ioc-2026-06-21.yaml"


def day_of(name: str) -> date:
    """The date a snapshot's file name carries (the one place it is written)."""
    found = re.search(r"\d{4}-\d{2}-\d{2}", name)
    if not found:
        raise ValueError(f"a snapshot's name must carry its date: {name}")
    return date.fromisoformat(found.group())


def shipped_catalogue() -> Catalogue:
    return Catalogue.parse(gzip.decompress(asset(BREACHES).read_bytes())).dated(day_of(BREACHES))


def shipped_indicators() -> Indicators:
    return Indicators.parse(asset(STALKERWARE).read_bytes()).dated(day_of(STALKERWARE))
