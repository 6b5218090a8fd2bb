"""The priority rate limiter, with a real python-telegram-bot `ExtBot` against the fake Bot API's flood control.

The main test is issue 7's promise at a smaller scale: a batch of pushes queued at once never makes the
users who are chatting wait. The full-size run (10,000 pushes at 30 per second) is bench/drain.py.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import BaseRateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.adapters.rate_limit import PUSH, SPARE, PriorityRateLimiter, SkippedCosmeticCall

try:  # tests/ as a package (tests/__init__.py or pythonpath=["."]) or as a plain directory
    from tests.fake_bot_api import FakeBotApi
except ImportError:
    from fake_bot_api import FakeBotApi  # type: ignore[no-redef]

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"


@asynccontextmanager
async def bot_against_fake(
    limiter: BaseRateLimiter, max_messages_per_second: int | None
) -> AsyncIterator[tuple[FakeBotApi, ExtBot]]:  # type: ignore[type-arg]
    async with FakeBotApi(token=TOKEN, max_messages_per_second=max_messages_per_second) as fake:
        request = HTTPXRequest(connection_pool_size=64, pool_timeout=30)
        async with ExtBot(TOKEN, base_url=f"{fake.url}/bot", request=request, rate_limiter=limiter) as bot:
            yield fake, bot


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


async def drain_with_users(
    fake: FakeBotApi,
    bot: ExtBot,  # type: ignore[type-arg]
    pushes: int,
    users: int,
    replies_per_user: int,
    spread: float,
    push_args: object = PUSH,
) -> list[float]:
    """Queue ``pushes`` sends at once (one per new chat) while each user gets ``replies_per_user`` replies
    at random moments within ``spread`` seconds; return each reply's send-to-answered delay."""
    push_chats = range(1_000_000, 1_000_000 + pushes)
    user_chats = range(1, users + 1)
    for chat in (*push_chats, *user_chats):
        fake.add_chat(chat)
    delays: list[float] = []
    rng = random.Random(7)

    async def user(chat: int) -> None:
        moments = sorted(rng.uniform(0, spread) for _ in range(replies_per_user))
        started = time.monotonic()
        for n, moment in enumerate(moments):
            await asyncio.sleep(max(0.0, started + moment - time.monotonic()))
            sent_at = time.monotonic()
            await bot.send_message(chat, f"reply {n}")
            delays.append(time.monotonic() - sent_at)

    push_tasks = [asyncio.create_task(bot.send_message(chat, "push", rate_limit_args=push_args)) for chat in push_chats]
    await asyncio.sleep(0.2)  # the batch is queued before the first user speaks
    await asyncio.gather(*(user(chat) for chat in user_chats))
    await asyncio.gather(*push_tasks)
    delivered = Counter(call.params["chat_id"] for call in fake.calls("sendMessage") if call.ok)
    assert all(delivered[chat] == 1 for chat in push_chats), "a push was lost or duplicated"
    assert all(delivered[chat] == replies_per_user for chat in user_chats), "a reply was lost or duplicated"
    assert len(delivered) == pushes + users
    return delays


# A cap higher than Telegram's so that the test takes seconds, not minutes; the limiter stays 10 % under
# it, as the real bot would, because HTTP latency jitter can bunch calls that left evenly spaced.
CAP = 150
RATE = 135
PUSHES = 600


@pytest.mark.asyncio
async def test_replies_do_not_wait_behind_a_batch_of_pushes() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=RATE, max_retries=3)
    async with bot_against_fake(limiter, CAP) as (fake, bot):
        started = time.monotonic()
        delays = await drain_with_users(fake, bot, PUSHES, users=20, replies_per_user=10, spread=PUSHES / RATE * 0.7)
        elapsed = time.monotonic() - started
    assert len(delays) == 200
    print(
        f"replies: median {statistics.median(delays) * 1000:.0f} ms, p99 {p99(delays) * 1000:.0f} ms; 429s: "
        f"{fake.flood_errors}; {(PUSHES + 200) / elapsed:.0f} calls/s"
    )
    assert p99(delays) < 0.3, f"replies waited: p99 {p99(delays):.3f} s, max {max(delays):.3f} s"
    assert fake.flood_errors <= 3
    assert limiter.stats["reply"] == 200 and limiter.stats["push"] >= PUSHES
    assert elapsed < 3 * (PUSHES + 200) / RATE, f"the drain was slow: {elapsed:.1f} s"  # pushes still flow


@pytest.mark.asyncio
async def test_calls_are_spaced_to_the_cap_without_429() -> None:
    """A burst of replies goes out evenly spaced: never more than the cap in any second."""
    limiter = PriorityRateLimiter(overall_max_rate=9)
    async with bot_against_fake(limiter, 10) as (fake, bot):
        fake.add_chat(5)
        started = time.monotonic()
        await asyncio.gather(*(bot.send_message(5, str(n)) for n in range(19)))
        elapsed = time.monotonic() - started
    assert fake.flood_errors == 0
    assert elapsed >= 18 / 9 - 0.05  # 19 calls, 1/9 s apart: no burst


@pytest.mark.asyncio
async def test_calls_delayed_on_their_way_never_bunch_into_a_429() -> None:
    """At the cap itself, with some requests slowed before the server counts them (they then arrive with the
    ones sent after them), no 429: a call waits until the one `cap` places before it was answered a second
    ago. Spacing the calls evenly is not enough: without that wait, this gets 429s."""
    cap = 60  # below CAP: the bot and the fake share this process's loop, whose lag would slow answers too
    limiter = PriorityRateLimiter(overall_max_rate=cap, max_retries=0)
    async with bot_against_fake(limiter, cap) as (fake, bot):
        fake.add_chat(5)
        slowing = True

        async def slow_some() -> None:  # now and then, a few requests take the long way
            while slowing:
                fake.slow_next("sendMessage", random.uniform(0.05, 0.1), count=random.randint(2, 6))
                await asyncio.sleep(random.uniform(0.1, 0.3))

        slower = asyncio.create_task(slow_some())
        started = time.monotonic()
        await asyncio.gather(*(bot.send_message(5, str(n)) for n in range(3 * cap)))
        elapsed = time.monotonic() - started
        slowing = False
        await slower
    assert fake.flood_errors == 0
    assert 3 * cap / elapsed > 0.8 * cap, f"{3 * cap / elapsed:.0f} calls/s"  # the rate stays close to the cap


@pytest.mark.asyncio
async def test_calls_without_a_chat_are_not_limited() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=20)
    async with bot_against_fake(limiter, 30) as (fake, bot):
        fake.user_sends(1, "hi")
        sent = await bot.send_message(
            1, "question", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
        )
        for chat in range(100, 300):
            fake.add_chat(chat)
        pushes = [asyncio.create_task(bot.send_message(chat, "push", rate_limit_args=PUSH)) for chat in range(100, 300)]
        await asyncio.sleep(0.1)
        query_id = fake.user_presses(1, sent.message_id, "a")
        started = time.monotonic()
        await bot.get_me()
        await bot.answer_callback_query(query_id)
        await bot.get_updates(timeout=0)
        assert time.monotonic() - started < 0.5
        for task in pushes:
            task.cancel()
    assert limiter.stats["reply"] == 1


@pytest.mark.asyncio
async def test_spare_calls_are_dropped_when_the_budget_is_short() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=20)
    async with bot_against_fake(limiter, 30) as (fake, bot):
        fake.add_chat(1)
        sent = await bot.send_message(1, "question")
        await asyncio.sleep(0.1)  # the slot taken by that reply is free again
        await bot.edit_message_text("question (answered)", 1, sent.message_id, rate_limit_args=SPARE)
        for chat in range(100, 140):
            fake.add_chat(chat)
        pushes = [asyncio.create_task(bot.send_message(chat, "push", rate_limit_args=PUSH)) for chat in range(100, 140)]
        await asyncio.sleep(0.2)  # pushes are draining: no spare slot
        started = time.monotonic()
        with pytest.raises(SkippedCosmeticCall):
            await bot.edit_message_text("question (answered twice)", 1, sent.message_id, rate_limit_args=SPARE)
        assert time.monotonic() - started < 0.05  # dropped at once, not queued
        await asyncio.gather(*pushes)
        await asyncio.sleep(0.1)
        await bot.edit_message_text("question (answered again)", 1, sent.message_id, rate_limit_args=SPARE)
    assert [m["text"] for m in fake.messages(1)] == ["question (answered again)"]
    assert (limiter.stats["spare"], limiter.stats["skipped"]) == (2, 1)


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # int retry_after
async def test_a_429_pauses_everything_then_the_call_is_retried() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=20, max_retries=2)
    async with bot_against_fake(limiter, 30) as (fake, bot):
        fake.add_chat(1)
        fake.add_chat(2)
        sent = await bot.send_message(1, "question")
        fake.fail_next("sendMessage", retry_after=1)
        started = time.monotonic()
        flooded = asyncio.create_task(bot.send_message(1, "answer"))
        await asyncio.sleep(0.2)
        with pytest.raises(SkippedCosmeticCall):  # Telegram asked to slow down: no spare budget
            await bot.edit_message_text("question (answered)", 1, sent.message_id, rate_limit_args=SPARE)
        push = await bot.send_message(2, "push", rate_limit_args=PUSH)
        assert time.monotonic() - started >= 1.0  # the push waited for the pause too
        assert (await flooded).text == "answer"
    assert limiter.stats["retry_after"] == 1
    assert [m["text"] for m in fake.messages(1)] == ["question", "answer"]
    assert push.text == "push"


@pytest.mark.asyncio
async def test_group_chats_keep_the_group_limit() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=30, group_max_rate=2, group_time_period=1)
    async with bot_against_fake(limiter, None) as (fake, bot):
        fake.add_chat(-100, chat_type="group")
        started = time.monotonic()
        for n in range(3):
            await bot.send_message(-100, str(n))
        assert time.monotonic() - started >= 0.4  # two at once, the third half a second later


@pytest.mark.asyncio
async def test_unknown_priority_is_refused() -> None:
    async with bot_against_fake(PriorityRateLimiter(), None) as (fake, bot):
        fake.add_chat(1)
        with pytest.raises(ValueError, match="unknown priority"):
            await bot.send_message(1, "x", rate_limit_args={"priority": "urgent"})
