"""The priority rate limiter, with a real python-telegram-bot `ExtBot` against the fake Bot API's flood control.

The main test is issue 7's promise at a smaller scale: a batch of pushes queued at once never makes the
users who are chatting wait: no push goes ahead of a waiting reply. The tests check order, 429s and counts,
never time; bench/rate_limit.py times the same scenarios (tests/support/limiter_scenarios.py) and prints the figures,
and bench/drain.py runs the full size (10,000 pushes at 30 per second).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.rate_limit import PUSH, SPARE, PriorityRateLimiter, SkippedCosmeticCall
from tests.support.limiter_scenarios import (
    CAP,
    PUSHES,
    RATE,
    RecordingLimiter,
    bot_against_fake,
    drain_with_users,
    slowed_calls,
)


async def wait_until(condition: Callable[[], object]) -> None:
    """Poll `condition()` (a state the limiter signals no event for) until it holds; pytest-timeout bounds it."""
    while not condition():
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_replies_do_not_wait_behind_a_batch_of_pushes() -> None:
    limiter = RecordingLimiter(overall_max_rate=RATE, max_retries=3)
    async with bot_against_fake(limiter, CAP) as (fake, bot):
        await drain_with_users(fake, bot, PUSHES, users=20, replies_per_user=10, spread=PUSHES / RATE * 0.7)
    overtaken = limiter.pushes_ahead_of_replies()
    assert len(overtaken) == 200
    # At most the one push already taking its slot when the reply came: the reply gets the very next one.
    assert max(overtaken) <= 1, f"pushes went ahead of a waiting reply: {sorted(overtaken)[-5:]}"
    assert fake.flood_errors <= 3
    assert limiter.stats["reply"] == 200 and limiter.stats["push"] >= PUSHES


@pytest.mark.asyncio
async def test_calls_are_spaced_to_the_cap_without_429() -> None:
    """A burst of replies goes out evenly spaced: never more than the cap in any second, so the fake,
    counting over a sliding second at the limiter's own rate, never answers 429 (a burst would get 10)."""
    limiter = PriorityRateLimiter(overall_max_rate=9)
    async with bot_against_fake(limiter, 9) as (fake, bot):
        fake.add_chat(5)
        await asyncio.gather(*(bot.send_message(5, str(n)) for n in range(19)))
    assert fake.flood_errors == 0
    assert [m["text"] for m in fake.messages(5)] == [str(n) for n in range(19)]


@pytest.mark.asyncio
async def test_calls_delayed_on_their_way_never_bunch_into_a_429() -> None:
    """At the cap itself, with some requests slowed before the server counts them (they then arrive with the
    ones sent after them), no 429: a call waits until the one `cap` places before it was answered a second
    ago. Spacing the calls evenly is not enough: without that wait, this gets 429s. (The rate it keeps:
    bench/rate_limit.py.)"""
    cap = 60  # below CAP: the bot and the fake share this process's loop, whose lag would slow answers too
    limiter = PriorityRateLimiter(overall_max_rate=cap, max_retries=0)
    async with bot_against_fake(limiter, cap) as (fake, bot):
        await slowed_calls(fake, bot, 3 * cap)
    assert fake.flood_errors == 0
    assert len(fake.messages(5)) == 3 * cap


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
        await wait_until(lambda: limiter.stats["push"])
        query_id = fake.user_presses(1, sent.message_id, "a")
        await bot.get_me()
        await bot.answer_callback_query(query_id)
        await bot.get_updates(timeout=0)
        assert not all(task.done() for task in pushes)  # they went while the pushes still wait (10 s of them)
        for task in pushes:
            task.cancel()
    assert limiter.stats["reply"] == 1


@pytest.mark.asyncio
async def test_spare_calls_are_dropped_when_the_budget_is_short() -> None:
    limiter = PriorityRateLimiter(overall_max_rate=20)
    async with bot_against_fake(limiter, 30) as (fake, bot):
        fake.add_chat(1)
        sent = await bot.send_message(1, "question")
        # Nothing waits: the spare call may take the next slot.
        await bot.edit_message_text("question (answered)", 1, sent.message_id, rate_limit_args=SPARE)
        for chat in range(100, 140):
            fake.add_chat(chat)
        pushes = [asyncio.create_task(bot.send_message(chat, "push", rate_limit_args=PUSH)) for chat in range(100, 140)]
        await wait_until(lambda: limiter.stats["push"])
        with pytest.raises(SkippedCosmeticCall):  # dropped at once, not queued behind the pushes
            await bot.edit_message_text("question (answered twice)", 1, sent.message_id, rate_limit_args=SPARE)
        await asyncio.gather(*pushes)
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
        fake.fail_next("sendMessage", retry_after=1, hold=True)  # any call within the second: another 429
        flooded = asyncio.create_task(bot.send_message(1, "answer"))
        await wait_until(lambda: limiter.stats["retry_after"])
        with pytest.raises(SkippedCosmeticCall):  # Telegram asked to slow down: no spare budget
            await bot.edit_message_text("question (answered)", 1, sent.message_id, rate_limit_args=SPARE)
        push = await bot.send_message(2, "push", rate_limit_args=PUSH)
        assert (await flooded).text == "answer"
    assert fake.flood_errors == 0  # the push and the retry both waited the pause out
    assert limiter.stats["retry_after"] == 1
    assert [m["text"] for m in fake.messages(1)] == ["question", "answer"]
    assert push.text == "push"


@pytest.mark.asyncio
async def test_group_chats_keep_the_group_limit() -> None:
    """Two at once, then one every half second: at most 4 in any second (plus the way's jitter), where the
    fake answers 429 past 5 per chat; without the group limit the 6 would go at once."""
    limiter = PriorityRateLimiter(overall_max_rate=30, group_max_rate=2, group_time_period=1)
    async with bot_against_fake(limiter, None, per_chat=5) as (fake, bot):
        fake.add_chat(-100, chat_type="group")
        await asyncio.gather(*(bot.send_message(-100, str(n)) for n in range(6)))
    assert fake.flood_errors == 0
    assert sorted(m["text"] for m in fake.messages(-100)) == [str(n) for n in range(6)]


@pytest.mark.asyncio
async def test_unknown_priority_is_refused() -> None:
    async with bot_against_fake(PriorityRateLimiter(), None) as (fake, bot):
        fake.add_chat(1)
        with pytest.raises(ValueError, match="unknown priority"):
            await bot.send_message(1, "x", rate_limit_args={"priority": "urgent"})
