"""`python -m bot update-data`: download the current public data into the data directory, say what came.

Run it before the first start (the stalkerware look-up has no data until then) and whenever you like;
the bot itself also refreshes the breach catalogue daily. Exits 1 with one line per failed source;
a failed download never replaces a good copy.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bot.lookups import breaches, stalkerware
from bot.lookups.download import USER_AGENT, DownloadError, is_url


class Sources(Protocol):
    """What update-data needs of the settings: where to download from, and where to put it."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def stalkerware_url(self) -> str: ...

    @property
    def stalkerware_ioc_path(self) -> Path: ...

    @property
    def hibp_breaches(self) -> str: ...


async def _stalkerware(settings: Sources) -> None:
    target = settings.data_dir / "ioc.yaml"
    count = await stalkerware.download_indicators(settings.stalkerware_url, target)
    print(f"Stalkerware indicators: {count} apps in {target}")
    print(f"  Credit: {stalkerware.CREDIT}")
    if settings.stalkerware_ioc_path != target:
        print(f"  GAFFE_STALKERWARE_IOC is set: Gaffe reads {settings.stalkerware_ioc_path}, not this copy")


async def _breaches(settings: Sources) -> None:
    source = settings.hibp_breaches
    if is_url(source):
        now = datetime.now(UTC)
        catalogue = await breaches.refresh_catalogue(source, settings.data_dir, user_agent=USER_AGENT, now=now)
        where = f"in {settings.data_dir / breaches.CACHE_FILE}"
    else:
        catalogue = await breaches.fetch_catalogue(source, settings.data_dir, now=datetime.now(UTC))
        where = f"read from {source} (a local file: nothing to download)"
    print(f"Breach catalogue: {len(catalogue)} breaches {where}")
    print(f"  Credit: {breaches.CREDIT}")


async def update_data(settings: Sources) -> int:
    """Update every source; 0 when all succeeded, else 1 after one line per failure on stderr."""
    failed = False
    for label, update in (("stalkerware indicators", _stalkerware), ("breach catalogue", _breaches)):
        try:
            await update(settings)
        except (DownloadError, stalkerware.IndicatorsError, breaches.CatalogueError, OSError) as error:
            print(f"update-data: {label} not updated: {error}", file=sys.stderr)
            failed = True
    return 1 if failed else 0
