"""Gaffe at Telegram's cap: one essential message per press, end to end through the fake Bot API.

The fake enforces Telegram's overall 30 messages per second with 429s. Forty users press at once, each as
soon as their next question arrives: the next question is essential, the edit that marks the answered one
is cosmetic (it only takes spare budget, and is dropped at load). So each press costs one message, and
none draws a 429. How many presses per second that makes, and how long each waits, is measured by
`python bench/load.py` (figures, not asserts: timing belongs to benchmarks)."""

from __future__ import annotations

from pathlib import Path

from tests.support.bot_harness import crowd_presses, running_bot
from tests.support.fake_bot_api import FakeBotApi

USERS = 40
PRESSES_EACH = 8  # the intro's "go", then seven questions: 320 presses, about 11 s at the cap


async def test_forty_users_pressing_at_once_cost_one_message_per_press_and_no_429(tmp_path: Path) -> None:
    async with FakeBotApi(max_messages_per_second=30) as fake, running_bot(fake, tmp_path / "g.sqlite3"):
        crowd = await crowd_presses(fake, range(2000, 2000 + USERS), PRESSES_EACH)
    presses = USERS * PRESSES_EACH
    sends = [c for c in crowd.calls if c.method == "sendMessage"]
    edits = [c for c in crowd.calls if c.method == "editMessageText"]
    assert fake.flood_errors == 0 and fake.errors == []
    assert len(crowd.latencies) == presses  # every press got its next question
    assert len(sends) == presses and all(c.ok for c in sends)  # one essential message each, none retried
    assert len(edits) <= presses // 10  # marking the answered question was dropped, nearly always
