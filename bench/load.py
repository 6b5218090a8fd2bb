"""Gaffe at Telegram's cap: presses per second and press → next question latency when a crowd presses at once.

Why it exists: issue 11's second target. The next question is the one essential message of a press; the
edit that marks the answered question is cosmetic and dropped when the budget is short, so at the cap the
bot should serve close to 30 presses per second with no 429. The real bot runs in this process against
tests/support/fake_bot_api.py enforcing 30 messages per second with 429s; `--users` users start a checkup, wait a
second, then all press at once, each as soon as their next question arrives (tests/test_load.py checks the
same run's behaviour: one message per press, no 429). It prints figures only.

    python -m bench.load              # 40 users, 8 presses each: about 15 seconds
    python -m bench.load --users 100 --presses 10
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path

from tests.support.bot_harness import crowd_presses, running_bot
from tests.support.fake_bot_api import FakeBotApi
from tests.support.percentile import percentile


async def measure(users: int, presses: int) -> None:
    with tempfile.TemporaryDirectory(prefix="gaffe-load-") as folder:
        async with FakeBotApi(max_messages_per_second=30) as fake, running_bot(fake, Path(folder) / "g.sqlite3"):
            crowd = await crowd_presses(fake, range(2000, 2000 + users), presses)
    latencies = sorted(crowd.latencies)
    p99 = percentile(latencies, 0.99)
    edits = sum(c.method == "editMessageText" for c in crowd.calls)
    print(f"{users} users pressing at once, {len(latencies)} presses in {crowd.seconds:.1f} s:")
    print(f"  presses per second      {len(latencies) / crowd.seconds:.1f}")
    median, slowest = (round(x * 1000) for x in (statistics.median(latencies), latencies[-1]))
    print(f"  press → next question   median {median} ms, p99 {round(p99 * 1000)} ms, max {slowest} ms")
    print(f"  edits marking the pick  {edits} ({edits / len(latencies):.0%} of presses)")
    print(f"  429 answers             {fake.flood_errors}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--presses", type=int, default=8, help="presses per user, at most 11 (the checkup's questions)")
    args = parser.parse_args(argv)
    asyncio.run(measure(args.users, args.presses))


if __name__ == "__main__":
    main()
