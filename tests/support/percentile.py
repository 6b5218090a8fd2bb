"""One percentile for every figure the benches print (the tests assert no timing): nearest rank, so that a p99
is a delay some request really had, never one interpolated between two."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (`fraction` in 0..1: 0.99 for the p99) of the values; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered))  # the smallest value with at least that share at or below it
    return ordered[min(len(ordered), max(rank, 1)) - 1]
