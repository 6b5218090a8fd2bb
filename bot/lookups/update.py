"""`python -m bot update-data`: download the current public data into the data directory, say what came.

Run it before the first start and whenever you like (without it, the look-ups answer from the dated snapshots
shipped in the package); the bot itself also refreshes the breach catalogue daily. Which data sets there are,
and how each is fetched, the features say in their manifests (`Feature.data_sets`: bot/app.py passes them).
Exits 1 with one line per failed source; a failed download never replaces a good copy.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from bot.core.feature import DataSet


async def update_data(settings: Any, data_sets: Iterable[DataSet[Any]]) -> int:
    """Update every data set that can be downloaded; 0 when all succeeded, else 1 after one line per failure on
    stderr. `settings` are bot/config.Settings (each data set reads what it needs of them)."""
    failed = False
    for data_set in data_sets:
        if data_set.update is None:
            continue
        try:
            said = await data_set.update(settings)
        except data_set.failures as error:
            print(f"update-data: {data_set.name} not updated: {error}", file=sys.stderr)
            failed = True
            continue
        for line in said:
            print(line)
    return 1 if failed else 0
