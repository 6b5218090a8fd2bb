"""The rate limiter's timings, on the scenarios tests/test_rate_limit.py checks for order and 429s only.

Why it exists: how long a reply waits behind a batch of pushes, how evenly calls are spaced and how close to
the cap the rate stays are figures, and figures depend on the machine: on 2 busy cores the tests that
asserted them failed now and then. The tests keep the behaviour (no push ahead of a waiting reply, no 429,
nothing lost); this script runs the same scenarios (tests/support/limiter_scenarios.py) and prints the timings,
with no pass/fail. The full-size drain (10,000 pushes at 30 per second) is bench/drain.py.

    python -m bench.rate_limit          # about 30 seconds
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time

from bot.adapters.rate_limit import PUSH, PriorityRateLimiter
from tests.support.limiter_scenarios import CAP, PUSHES, RATE, bot_against_fake, drain_with_users, slowed_calls
from tests.support.percentile import percentile


async def replies_during_a_drain() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=RATE, max_retries=3)
    async with bot_against_fake(limiter, CAP) as (fake, bot):
        started = time.monotonic()
        delays = await drain_with_users(fake, bot, PUSHES, users=20, replies_per_user=10, spread=PUSHES / RATE * 0.7)
        elapsed = time.monotonic() - started
    p99 = percentile(delays, 0.99)
    print(f"drain: {PUSHES} pushes and 200 replies at a cap of {CAP}/s (limiter {RATE}/s)")
    print(f"  replies             median {statistics.median(delays) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    print(f"  calls per second    {(PUSHES + 200) / elapsed:.0f} ({elapsed:.1f} s; 429s: {fake.flood_errors})")


async def spacing() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=9)
    async with bot_against_fake(limiter, 10) as (fake, bot):
        fake.add_chat(5)
        started = time.monotonic()
        await asyncio.gather(*(bot.send_message(5, str(n)) for n in range(19)))
        elapsed = time.monotonic() - started
    times = [call.time for call in fake.calls("sendMessage")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    print("spacing: 19 replies at once, limiter at 9/s")
    print(f"  took                {elapsed:.2f} s (no burst: at least {18 / 9:.2f} s)")
    print(f"  gap between calls   min {min(gaps) * 1000:.0f} ms, median {statistics.median(gaps) * 1000:.0f} ms")


async def delayed_calls() -> None:
    cap = 60
    limiter = PriorityRateLimiter(overall_max_rate=cap, max_retries=0)
    async with bot_against_fake(limiter, cap) as (fake, bot):
        started = time.monotonic()
        await slowed_calls(fake, bot, 3 * cap)
        elapsed = time.monotonic() - started
    rate = 3 * cap / elapsed
    print(f"delayed calls: {3 * cap} replies at a cap of {cap}/s, some slowed on their way")
    print(f"  rate                {rate:.0f} calls/s ({rate / cap:.0%} of the cap; 429s: {fake.flood_errors})")


async def pauses() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=20, max_retries=2)
    async with bot_against_fake(limiter, 30) as (fake, bot):
        fake.add_chat(1)
        fake.add_chat(2)
        await bot.send_message(1, "question")
        fake.fail_next("sendMessage", retry_after=1)
        started = time.monotonic()
        flooded = asyncio.create_task(bot.send_message(1, "answer"))
        await asyncio.sleep(0.2)
        await bot.send_message(2, "push", rate_limit_args=PUSH)
        pushed = time.monotonic() - started
        await flooded
        retried = time.monotonic() - started
    print("429 with retry_after 1")
    print(f"  a push waited       {pushed:.2f} s; the reply was retried after {retried:.2f} s")


async def group_limit() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=30, group_max_rate=2, group_time_period=1)
    async with bot_against_fake(limiter, None) as (fake, bot):
        fake.add_chat(-100, chat_type="group")
        started = time.monotonic()
        for n in range(3):
            await bot.send_message(-100, str(n))
        elapsed = time.monotonic() - started
    print("group limit 2 per second")
    print(f"  3 messages took     {elapsed:.2f} s (two at once, the third half a second later)")


async def main() -> None:
    for scenario in (replies_during_a_drain, spacing, delayed_calls, pauses, group_limit):
        await scenario()


if __name__ == "__main__":
    asyncio.run(main())
