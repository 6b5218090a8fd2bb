"""People first: a python-telegram-bot rate limiter that sends replies before pushes and drops cosmetic edits.

Why it exists: Telegram lets a bot send about 30 messages per second in all. With python-telegram-bot's
`AIORateLimiter` every chat-bound call waits in one first-come, first-served queue, so 10,000 reminders
due at once would make someone pressing a button wait five minutes for the answer. Here each call says
how much it matters, with `rate_limit_args` (python-telegram-bot passes them through `ExtBot` methods):

- ``REPLY`` (the default, also when no `rate_limit_args` are given): the answer to a user's input. It
  gets the next free slot of the overall budget, before every waiting push.
- ``PUSH``: a message nobody is waiting for right now (a reminder, a breach alert). It gets a slot only
  when no reply is waiting: a batch uses what replies leave of the budget, and a reply arriving during
  a drain waits at most for the next slot to free up (1/30 s at Telegram's rate).
- ``SPARE``: a cosmetic call (marking the answered question with an edit). It goes out only if nothing
  is waiting and at least half of the budget is free right now; otherwise it fails at once with
  `SkippedCosmeticCall`: dropped, never queued, when the budget is short (so also during a drain of
  pushes, when many users press at once, and while Telegram has asked to slow down).

The overall budget allows ``overall_max_rate`` calls per ``overall_time_period`` over a sliding window,
which is how Telegram (and the fake Bot API of the tests) counts, and holds each slot until a period
after the call's answer, so that network delays cannot bunch calls into one of Telegram's seconds (see
`_Budget`). It is not an `aiolimiter.AsyncLimiter` as in `AIORateLimiter`: a leaky bucket either bursts
past a sliding window's cap (capacity > 1) or, spacing calls evenly, loses a little of every slot to
timer lateness (27.6 calls/s measured for 30/s), and its single FIFO queue cannot put replies first.

Everything else is `AIORateLimiter`'s, which this class wraps: calls without a ``chat_id`` (getUpdates,
answerCallbackQuery, getMe, setMyCommands…) are not limited; group chats (negative ids) also get the
20-per-minute group limit (an aiolimiter bucket per group); a 429 halts every call for ``retry_after`` +
0.1 s and the call is retried up to ``max_retries`` times; ``allow_paid_broadcast`` calls use their own
limit and not the budget.
"""

from __future__ import annotations

import asyncio
import collections
from collections import Counter
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


class _Budget:
    """At most ``max_calls`` calls per ``period`` seconds as Telegram counts them; replies before pushes.

    Telegram counts a call when it arrives, which the bot cannot see: it lies somewhere between the
    moment the call leaves and its answer. So a slot is held from the moment it is granted until
    ``period`` seconds after the answer came back. Then no call can share one of Telegram's sliding
    seconds with more than ``max_calls - 1`` others, however unevenly the network or a busy event loop
    delays them, and the slower the answers, the slower the bot sends (30 / (1 s + answer time)).

    Replies take any free slot at once. Pushes leave ``reply_reserve`` slots free for replies to come, and
    are also paced evenly (one every period / max_calls seconds, a reply taking a push's turn): slots
    taken in one burst would free up in one burst a period later, and a reply arriving in between would
    wait for them. One dispatcher grants the slots, run when a call starts waiting or ends and by a
    single timer, so waiting costs nothing per waiting call.
    """

    def __init__(self, max_calls: int, period: float, reply_reserve: int) -> None:
        self.max_calls = max_calls
        self.period = period
        self.reply_reserve = reply_reserve
        self.paused_until = 0.0  # loop time until which Telegram asked to wait (429)
        self._in_flight = 0  # slots granted whose call has not ended
        self._expiries: collections.deque[float] = collections.deque()  # loop times ended slots free up
        self._replies: collections.deque[asyncio.Future[None]] = collections.deque()
        self._pushes: collections.deque[asyncio.Future[None]] = collections.deque()
        self._push_gap = period / max_calls
        self._push_due = 0.0  # loop time of the next push's slot on the even grid
        self._timer: asyncio.TimerHandle | None = None

    @property
    def replies_waiting(self) -> int:
        return sum(not waiter.done() for waiter in self._replies)

    def _free(self, now: float) -> int:
        if now < self.paused_until:
            return 0
        while self._expiries and self._expiries[0] <= now:
            self._expiries.popleft()
        return self.max_calls - self._in_flight - len(self._expiries)

    async def take(self, priority: str) -> None:
        """Wait for a slot at ``priority`` (reply or push); the caller must `release` it after the call."""
        waiter = asyncio.get_running_loop().create_future()
        (self._replies if priority == PRIORITY_REPLY else self._pushes).append(waiter)
        self._dispatch()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # granted, then cancelled before the call
                self.release()
            raise

    def spare_free(self) -> bool:
        """Whether the budget has room to spare now: nobody waits, and at least half of it is free (a
        single free slot between two replies of users pressing on is not to spare)."""
        now = asyncio.get_running_loop().time()
        free = self._free(now)
        return not (self._replies or self._pushes) and free > self.reply_reserve and 2 * free >= self.max_calls

    def take_spare(self) -> bool:
        """Take a slot if `spare_free`; never waits."""
        if not self.spare_free():
            return False
        self._in_flight += 1
        return True

    def release(self) -> None:
        """The call of a granted slot has ended: the slot frees up one period from now."""
        loop = asyncio.get_running_loop()
        self._in_flight -= 1
        self._expiries.append(loop.time() + self.period)
        if self._timer is None and (self._replies or self._pushes):
            self._dispatch()

    def pause(self, seconds: float) -> None:
        """No slot for anyone during ``seconds`` (Telegram answered 429)."""
        loop = asyncio.get_running_loop()
        self.paused_until = max(self.paused_until, loop.time() + seconds)
        self._dispatch()

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now = loop.time()
        # A reply takes a free slot at once, and the next turn on the pushes' grid: replies and pushes
        # together keep to the even pace, so replies do not fill the window early (leaving it full, with
        # nothing to free up, until a period after the first slot).
        while self._replies and self._free(now) > 0:
            if self._grant(self._replies.popleft()):
                self._next_turn(now)
        # Strict priority: pushes wait while a reply waits.
        reserve = self.reply_reserve
        while not self._replies and self._pushes and self._free(now) > reserve and now >= self._push_due - 1e-3:
            if self._grant(self._pushes.popleft()):
                self._next_turn(now)
        while self._replies and self._replies[0].done():  # cancelled while waiting
            self._replies.popleft()
        while self._pushes and self._pushes[0].done():
            self._pushes.popleft()
        if not (self._replies or self._pushes):
            return
        if now < self.paused_until:
            wake_at = self.paused_until
        elif not self._replies and self._free(now) > reserve:  # pushes wait for their slot on the grid
            wake_at = self._push_due
        elif self._expiries:  # the oldest ended slot frees up
            wake_at = self._expiries[0]
        else:  # every slot is in flight: `release` dispatches again
            return
        self._timer = loop.call_at(wake_at, self._dispatch)

    def _next_turn(self, now: float) -> None:
        # A timer late by up to half a gap does not shift the grid: lateness does not add up to a lower rate.
        self._push_due = max(self._push_due, now - self._push_gap / 2) + self._push_gap

    def _grant(self, waiter: asyncio.Future[None]) -> bool:
        if waiter.done():  # cancelled while waiting
            return False
        self._in_flight += 1
        waiter.set_result(None)
        return True


class PriorityRateLimiter(BaseRateLimiter[RateLimitArgs]):
    """`AIORateLimiter` with three priorities for the overall budget: replies, then pushes; spare or nothing.

    Usage: ``Application.builder().rate_limiter(PriorityRateLimiter(max_retries=3))``, then
    ``await bot.send_message(chat_id, text, rate_limit_args=PUSH)`` for a reminder and
    ``rate_limit_args=SPARE`` for an edit that may be dropped (catch `SkippedCosmeticCall`).
    """

    def __init__(
        self,
        overall_max_rate: int = constants.FloodLimit.MESSAGES_PER_SECOND,
        overall_time_period: float = 1,
        group_max_rate: float = constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        group_time_period: float = 60,
        max_retries: int = 0,
        reply_reserve: int = 1,
    ) -> None:
        """The arguments mean what they mean for `AIORateLimiter`; ``overall_max_rate`` 0 turns the overall
        budget (and so the priorities) off. Pushes and spare calls leave ``reply_reserve`` slots of the
        budget free, so that a reply arriving during a drain finds a slot at once instead of waiting for
        the next one to free up (up to a period / overall_max_rate, more when the answers come back
        unevenly); each reserved slot costs pushes 1/overall_max_rate of the budget while no reply uses it."""
        # The group limits, the 429 handling and paid broadcasts are AIORateLimiter's; its overall
        # limiter is off because the overall budget is this class's job.
        self._inner = AIORateLimiter(
            overall_max_rate=0,
            group_max_rate=group_max_rate,
            group_time_period=group_time_period,
            max_retries=max_retries,
        )
        self._budget: _Budget | None = None
        if overall_max_rate and overall_time_period:
            self._budget = _Budget(int(overall_max_rate), overall_time_period, reply_reserve)
        self.stats: Counter[str] = Counter()
        """Calls that got a slot, per priority ("reply", "push", "spare"); "skipped" spare calls;
        "retry_after": 429 answers seen."""

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    @property
    def replies_waiting(self) -> int:
        """Replies waiting for a slot of the overall budget right now."""
        return self._budget.replies_waiting if self._budget else 0

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
        budget = self._budget
        if data.get("chat_id") is None or data.get("allow_paid_broadcast"):
            budget = None
        if budget is not None and priority == PRIORITY_SPARE and not budget.spare_free():
            # Checked before AIORateLimiter, which would hold the call while Telegram asks to wait.
            self.stats["skipped"] += 1
            raise SkippedCosmeticCall(endpoint)

        async def call_in_budget(*call_args: Any, **call_kwargs: Any) -> bool | JSONDict | list[JSONDict]:
            # Run by AIORateLimiter for the first try and for each retry after a 429: each try takes a slot.
            if budget is None:
                return await callback(*call_args, **call_kwargs)
            if priority == PRIORITY_SPARE:
                if not budget.take_spare():
                    self.stats["skipped"] += 1
                    raise SkippedCosmeticCall(endpoint)
            else:
                await budget.take(priority)
            self.stats[priority] += 1
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as error:
                self.stats["retry_after"] += 1
                budget.pause(error._retry_after.total_seconds() + 0.1)  # as long as AIORateLimiter waits
                raise
            finally:
                budget.release()

        return await self._inner.process_request(
            call_in_budget, args, kwargs, endpoint, data, options.get("max_retries")
        )
