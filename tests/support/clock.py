"""One fake clock for the tests: Gaffe, the scheduler and the bot harness take it as their clock (`clock=`), and
the test moves time by setting `now` (or `advance`), never by sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # a Monday, 14:00 in Paris


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> datetime:
        """Time passes: the new now."""
        self.now += by
        return self.now
