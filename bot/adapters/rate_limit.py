"""People first: a python-telegram-bot rate limiter that sends replies before pushes and drops cosmetic edits.

Why it exists: Telegram lets a bot send about 30 messages per second in all. With python-telegram-bot's
`AIORateLimiter` every chat-bound call waits in one first-come, first-served queue, so 10,000 reminders
due at once would make someone pressing a button wait five minutes for the answer. Here each call says
how much it matters, with `rate_limit_args` (python-telegram-bot passes them through `ExtBot` methods):

- ``REPLY`` (the default, also when no `rate_limit_args` are given): the answer to a user's input. It
  takes the next free slot of the overall budget, ahead of every waiting push.
- ``PUSH``: a message nobody is waiting for right now (a reminder, a breach alert). It only takes a slot
  while no reply is waiting, so a batch uses what replies leave of the budget and never delays them by
  more than the one push already holding the next slot (1/30 s).
- ``SPARE``: a cosmetic call (marking the answered question with an edit). It goes out only if no reply
  and no push is waiting, and otherwise fails at once with `SkippedCosmeticCall` instead of queueing: it
  is dropped, never delayed, when the budget is short (also during a drain of pushes and while Telegram
  has asked to slow down). When nothing waits, one spare call at a time may take the next slot (1/30 s
  away at most), so a user pressing right after Gaffe's last message still sees their pick; a reply
  arriving meanwhile waits one slot more at most.

The overall budget spaces calls evenly on a fixed schedule (no burst), 4 % under ``overall_max_rate``, so
the bot never sends more than that many calls in any one-second window, which is how Telegram (and the
fake Bot API of the tests) counts, even when a call is delayed on its way. Each call reserves the next
slot when it asks (first come, first served) and sleeps until it; a late wake-up does not push the
following slots back (with `aiolimiter.AsyncLimiter` each slot began when the previous waiter woke, and
about 5 % of the rate was lost to that lag at load). Everything else is `AIORateLimiter`'s, which this
class wraps: calls without
a ``chat_id`` (getUpdates, answerCallbackQuery, getMe, setMyCommands…) are not limited; group chats
(negative ids) also get the 20-per-minute group limit; a 429 halts every call for ``retry_after`` + 0.1 s
and the call is retried up to ``max_retries`` times; ``allow_paid_broadcast`` calls use their own limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final

from telegram import constants
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

__all__ = [
    "PRIORITIES",
    "PRIORITY_PUSH",
    "PRIORITY_REPLY",
    "PRIORITY_SPARE",
    "PUSH",
    "REPLY",
    "SPARE",
    "PriorityRateLimiter",
    "RateLimitArgs",
    "SkippedCosmeticCall",
]

PRIORITY_REPLY: Final = "reply"
PRIORITY_PUSH: Final = "push"
PRIORITY_SPARE: Final = "spare"
PRIORITIES: Final = (PRIORITY_REPLY, PRIORITY_PUSH, PRIORITY_SPARE)

RateLimitArgs = Mapping[str, Any]
"""``{"priority": one of PRIORITIES, "max_retries": int}``, both optional."""

REPLY: Final[RateLimitArgs] = {"priority": PRIORITY_REPLY}
PUSH: Final[RateLimitArgs] = {"priority": PRIORITY_PUSH}
SPARE: Final[RateLimitArgs] = {"priority": PRIORITY_SPARE}

JSONDict = dict[str, Any]
ApiCallback = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]


class SkippedCosmeticCall(Exception):
    """A ``SPARE`` call was not made because the budget had no free slot at that moment."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(f"{endpoint} skipped: no spare budget")
        self.endpoint = endpoint


WINDOW_MARGIN: Final = 1.04


class _EvenSlots:
    """One slot every ``period`` seconds, reserved in the order asked, on a schedule wake-ups don't shift;
    and never more than ``count`` calls really made in any ``window`` seconds."""

    def __init__(self, count: int, window: float) -> None:
        # A 429 stops every call for a second or more, so the budget runs a little under the cap: a call woken
        # late and the next one on time, or a request slowed on its way, could otherwise put count + 1 calls
        # in a window as Telegram counts them. On the loaded 2-core machine, the fake Bot API still counted
        # 429s with a 2 % margin, and none with 4 %; the real times of the last `count` calls are checked too.
        self._window = window * WINDOW_MARGIN
        self.period = self._window / count
        self._made: deque[float] = deque(maxlen=count)
        self._next = 0.0  # time.monotonic() of the next free slot

    def has_capacity(self) -> bool:
        return self._next <= time.monotonic()

    def wait(self) -> float:
        """Seconds until the next free slot."""
        return max(0.0, self._next - time.monotonic())

    async def acquire(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.period
        if slot > now:
            await asyncio.sleep(slot - now)
        if len(self._made) == self._made.maxlen:
            while (late := self._made[0] + self._window - time.monotonic()) > 0:
                await asyncio.sleep(late)
        self._made.append(time.monotonic())


class PriorityRateLimiter(BaseRateLimiter[RateLimitArgs]):
    """`AIORateLimiter` with three priorities for the overall budget: replies, then pushes; spare or nothing.

    Usage: ``Application.builder().rate_limiter(PriorityRateLimiter(max_retries=3))``, then
    ``await bot.send_message(chat_id, text, rate_limit_args=PUSH)`` for a reminder and
    ``rate_limit_args=SPARE`` for an edit that may be dropped (catch `SkippedCosmeticCall`).
    """

    def __init__(
        self,
        overall_max_rate: float = constants.FloodLimit.MESSAGES_PER_SECOND,
        overall_time_period: float = 1,
        group_max_rate: float = constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        group_time_period: float = 60,
        max_retries: int = 0,
    ) -> None:
        """The arguments mean what they mean for `AIORateLimiter`; ``overall_max_rate`` 0 turns the overall
        budget (and so the priorities) off."""
        # The group limits, the 429 handling and paid broadcasts are AIORateLimiter's; its overall
        # limiter is off because the overall budget is this class's job.
        self._inner = AIORateLimiter(
            overall_max_rate=0,
            group_max_rate=group_max_rate,
            group_time_period=group_time_period,
            max_retries=max_retries,
        )
        self._budget: _EvenSlots | None = None
        if overall_max_rate and overall_time_period:
            # One slot at a time, every period/rate seconds: no burst, so no second ever holds more.
            self._budget = _EvenSlots(
                round(overall_max_rate), overall_time_period * round(overall_max_rate) / overall_max_rate
            )
        self._replies_waiting = 0
        self._no_reply_waiting = asyncio.Event()
        self._no_reply_waiting.set()
        self._push_turn = asyncio.Lock()  # one push at a time competes for a slot, in arrival order
        self._spare_waiting = False  # one spare call at a time may wait for the next slot
        self._pushes_waiting = 0
        self._paused_until = 0.0  # time.monotonic() until which Telegram asked to wait (429)
        self.stats: Counter[str] = Counter()
        """Calls that got a slot per priority ("reply", "push", "spare"), "skipped" spare calls and
        "retry_after" (429 answers seen)."""

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    @property
    def replies_waiting(self) -> int:
        """Replies waiting for a slot of the overall budget right now."""
        return self._replies_waiting

    async def process_request(
        self,
        callback: ApiCallback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Take a slot of the overall budget at the call's priority, then make the call as
        `AIORateLimiter` would (group limit, retries after a 429). Raises `SkippedCosmeticCall` for a
        ``SPARE`` call when no slot is free."""
        options = rate_limit_args or {}
        priority = options.get("priority", PRIORITY_REPLY)
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}; expected one of {PRIORITIES}")
        budgeted = self._budget is not None and data.get("chat_id") is not None and not data.get("allow_paid_broadcast")
        if budgeted and priority == PRIORITY_SPARE and not self._spare_slot_free():
            self.stats["skipped"] += 1
            raise SkippedCosmeticCall(endpoint)

        async def call_in_budget(*call_args: Any, **call_kwargs: Any) -> bool | JSONDict | list[JSONDict]:
            # Run by AIORateLimiter for the first try and for each retry after a 429: each try takes a slot.
            if budgeted:
                await self._take_slot(priority, endpoint)
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as error:
                self.stats["retry_after"] += 1
                pause = error._retry_after.total_seconds() + 0.1  # as AIORateLimiter waits
                self._paused_until = max(self._paused_until, time.monotonic() + pause)
                raise

        return await self._inner.process_request(
            call_in_budget, args, kwargs, endpoint, data, options.get("max_retries")
        )

    def _spare_slot_free(self) -> bool:
        assert self._budget is not None
        if self._replies_waiting or self._paused():
            return False
        if self._budget.has_capacity():
            return True
        return not (self._spare_waiting or self._pushes_waiting) and self._budget.wait() <= self._budget.period

    def _paused(self) -> bool:
        return time.monotonic() < self._paused_until

    async def _wait_pause(self) -> None:
        while (remaining := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(remaining)

    async def _take_slot(self, priority: str, endpoint: str) -> None:
        assert self._budget is not None
        if priority == PRIORITY_SPARE:  # a retry of a spare call: it goes now or not at all
            if not self._spare_slot_free():
                self.stats["skipped"] += 1
                raise SkippedCosmeticCall(endpoint)
            self._spare_waiting = True
            try:
                await self._budget.acquire()  # free now, or the next slot at most
            finally:
                self._spare_waiting = False
        elif priority == PRIORITY_REPLY:
            self._replies_waiting += 1
            self._no_reply_waiting.clear()
            try:
                await self._wait_pause()
                await self._budget.acquire()
            finally:
                self._replies_waiting -= 1
                if not self._replies_waiting:
                    self._no_reply_waiting.set()
        else:
            self._pushes_waiting += 1
            try:
                async with self._push_turn:
                    while True:
                        await self._no_reply_waiting.wait()
                        await self._wait_pause()
                        if not self._replies_waiting:  # a reply may have come while the pause ran
                            break
                    await self._budget.acquire()
            finally:
                self._pushes_waiting -= 1
        self.stats[priority] += 1
