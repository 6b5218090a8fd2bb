"""The shared helpers of tests/support that figures and other tests rest on: the percentile and the fake clock."""

from __future__ import annotations

import math
from datetime import timedelta

from tests.support.clock import START, FakeClock
from tests.support.percentile import percentile


def test_the_percentile_is_a_value_some_request_really_had() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, in any order
    assert percentile(values, 0.99) == 99 and percentile(values, 0.5) == 50 and percentile(values, 1.0) == 100
    assert percentile([3.0, 1.0, 2.0], 0.0) == 1 and percentile([3.0, 1.0, 2.0], 0.95) == 3
    assert percentile([0.1, 0.4], 0.5) == 0.1  # nearest rank: never 0.25, a delay nobody had
    assert math.isnan(percentile([], 0.99))


def test_the_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock()
    assert clock() == START == clock()
    assert clock.advance(timedelta(days=91)) == START + timedelta(days=91) == clock()
    clock.now = START
    assert clock() == START
