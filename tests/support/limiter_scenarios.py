"""The rate limiter's scenarios, shared by tests/test_rate_limit.py (which checks what happens: order, no 429,
counts) and bench/rate_limit.py (which times the same runs and prints the figures).

`RecordingLimiter` notes, in order, when each call asked for a slot and when it was made, so a test can say
"no push went ahead of a waiting reply" without a clock.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import BaseRateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.adapters.rate_limit import PRIORITY_REPLY, PUSH, PriorityRateLimiter, RateLimitArgs
from tests.support.fake_bot_api import FakeBotApi

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"

# A cap higher than Telegram's so that the drain takes seconds, not minutes; the limiter stays 10 % under
# it, as the real bot would, because HTTP latency jitter can bunch calls that left evenly spaced.
CAP = 150
RATE = 135
PUSHES = 600


class RecordingLimiter(PriorityRateLimiter):
    """`PriorityRateLimiter` that logs ("asked" | "made", priority, call number) in the order things happen,
    for the calls bound to a chat (the budgeted ones)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.log: list[tuple[str, str, int]] = []
        self._numbers = itertools.count()

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> Any:
        if data.get("chat_id") is None:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        priority = (rate_limit_args or {}).get("priority", PRIORITY_REPLY)
        number = next(self._numbers)
        self.log.append(("asked", priority, number))

        async def made(*call_args: Any, **call_kwargs: Any) -> Any:
            self.log.append(("made", priority, number))
            return await callback(*call_args, **call_kwargs)

        return await super().process_request(made, args, kwargs, endpoint, data, rate_limit_args)

    def pushes_ahead_of_replies(self) -> list[int]:
        """For each reply: how many pushes were made between the moment it asked and the moment it was made."""
        waiting: dict[int, int] = {}  # reply number -> pushes made since it asked
        overtaken = []
        for event, priority, number in self.log:
            if priority == PRIORITY_REPLY and event == "asked":
                waiting[number] = 0
            elif priority == PRIORITY_REPLY and event == "made" and number in waiting:
                overtaken.append(waiting.pop(number))
            elif priority == "push" and event == "made":
                for reply in waiting:
                    waiting[reply] += 1
        return overtaken


@asynccontextmanager
async def bot_against_fake(
    limiter: BaseRateLimiter, max_messages_per_second: int | None, per_chat: int | None = None
) -> AsyncIterator[tuple[FakeBotApi, ExtBot]]:  # type: ignore[type-arg]
    """A real `ExtBot` with `limiter`, against a fake Bot API with that overall (and per-chat) cap."""
    fake = FakeBotApi(
        token=TOKEN, max_messages_per_second=max_messages_per_second, max_messages_per_chat_per_second=per_chat
    )
    async with fake:
        request = HTTPXRequest(connection_pool_size=64, pool_timeout=30)
        async with ExtBot(TOKEN, base_url=f"{fake.url}/bot", request=request, rate_limiter=limiter) as bot:
            yield fake, bot


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
    at random moments within ``spread`` seconds; return each reply's send-to-answered delay (for the bench)."""
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
    while not fake.calls("sendMessage"):  # the batch is queued and draining before the first user speaks
        await asyncio.sleep(0.01)
    await asyncio.gather(*(user(chat) for chat in user_chats))
    await asyncio.gather(*push_tasks)
    delivered = Counter(call.params["chat_id"] for call in fake.calls("sendMessage") if call.ok)
    assert all(delivered[chat] == 1 for chat in push_chats), "a push was lost or duplicated"
    assert all(delivered[chat] == replies_per_user for chat in user_chats), "a reply was lost or duplicated"
    assert len(delivered) == pushes + users
    return delays


async def slowed_calls(
    fake: FakeBotApi,
    bot: ExtBot,  # type: ignore[type-arg]
    calls: int,
) -> None:
    """``calls`` replies to one chat at once while, now and then, a few requests take the long way (slowed
    before the server counts them, so they arrive with the ones sent after them)."""
    fake.add_chat(5)
    slowing = True

    async def slow_some() -> None:
        while slowing:
            fake.slow_next("sendMessage", random.uniform(0.05, 0.1), count=random.randint(2, 6))
            await asyncio.sleep(random.uniform(0.1, 0.3))

    slower = asyncio.create_task(slow_some())
    try:
        await asyncio.gather(*(bot.send_message(5, str(n)) for n in range(calls)))
    finally:
        slowing = False
        await slower
