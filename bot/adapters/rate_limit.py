"""People first: a python-telegram-bot rate limiter that sends replies before pushes and drops cosmetic edits.

Why it exists: Telegram lets a bot send about 30 messages per second in all. With python-telegram-bot's
`AIORateLimiter` every chat-bound call waits in one first-come, first-served queue, so 10,000 reminders
due at once would make someone pressing a button wait five minutes for the answer. Here each call says
how much it matters, with `rate_limit_args` (python-telegram-bot passes them through `ExtBot` methods):

- ``REPLY`` (the default, also when no `rate_limit_args` are given): the answer to a user's input. It
  takes the next free slot of the overall budget, ahead of every waiting push.
- ``PUSH``: a message nobody is waiting for right now (a reminder, a breach alert). It only takes a slot
  that is free now while no reply is waiting, never one ahead, so a batch uses what replies leave of the
  budget and a reply arriving during it waits for the next slot at most (1/30 s).
- ``SPARE``: a cosmetic call (marking the answered question with an edit). It goes out only if no reply
  and no push is waiting, and otherwise fails at once with `SkippedCosmeticCall` instead of queueing: it
  is dropped, never delayed, when the budget is short (also during a drain of pushes and while Telegram
  has asked to slow down). When nothing waits, one spare call at a time may take the next slot (1/30 s
  away at most), so a user pressing right after Gaffe's last message still sees their pick; a reply
  arriving meanwhile waits one slot more at most.

The overall budget spaces calls evenly on a fixed schedule (no burst), 1 % under ``overall_max_rate``;
a late wake-up does not push the following slots back (with `aiolimiter.AsyncLimiter` each slot began when
the previous waiter woke, and about 5 % of the rate was lost to that lag at load). On top, a call is only
made once the call 30 places before it was answered a second ago: Telegram counts a call when it arrives,
which is before its answer, so no second as Telegram counts it ever holds more than 30, whatever the delays
on the way (see `_EvenSlots`). Everything else is `AIORateLimiter`'s, which this class wraps: calls without
a ``chat_id`` (getUpdates, answerCallbackQuery, getMe, setMyCommands…) are not limited; group chats
(negative ids) also get the 20-per-minute group limit; a 429 halts every call for ``retry_after`` + 0.1 s
and the call is retried up to ``max_retries`` times; ``allow_paid_broadcast`` calls use their own limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
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


WINDOW_MARGIN: Final = 1.01
ANSWER_WAIT_LIMIT: Final = 5.0  # a call unanswered for this long no longer holds the ones after it back


class _EvenSlots:
    """One slot every ``period`` seconds, on a schedule wake-ups don't shift; and a call is only made once
    the call ``count`` places before it was answered at least ``window`` seconds ago.

    Why the second rule: Telegram (and the fake Bot API) count a call when it arrives, which is somewhere
    between the moment it was sent and the moment its answer came back. Evenly spaced sends can still arrive
    bunched (a request slowed on its way, the server's own pause), and then count + 1 calls fall in one of
    its windows: a 429, and every call stops for a second or more. Waiting until the call ``count`` places
    earlier was *answered* a window ago makes that impossible whatever the delays, by causality: that call
    arrived before its answer, so before this one's departure minus the window. It costs nothing while
    answers come back fast (a few ms on loopback), and slows the rate to ``count`` per (window + round
    trip) when they don't, instead of a 429. The slots themselves run 1 % under the cap."""

    def __init__(self, count: int, window: float, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._count = count
        self._window = window
        self.period = window * WINDOW_MARGIN / count
        self._next = 0.0  # clock time of the next free slot
        self._taken = 0  # slots handed out so far: the sequence number of the next one
        self._answered: dict[int, asyncio.Future[float]] = {}  # sequence number -> when that call was answered

    def has_capacity(self) -> bool:
        return self._next <= self._clock()

    def wait(self) -> float:
        """Seconds until the next free slot."""
        return max(0.0, self._next - self._clock())

    async def acquire(self) -> int:
        """Wait for the next slot; the number to give `answered` once the call is answered (or not made)."""
        now = self._clock()
        # A caller that woke a little after the free slot (a push polls for it) still takes that slot, so the
        # schedule does not drift by each wake-up's lag; after an idle spell, the slot is now.
        slot = self._next if self._next > now - self.period else now
        self._next = slot + self.period
        number = self._taken
        self._taken += 1
        self._answered[number] = asyncio.get_running_loop().create_future()
        try:
            if slot > now:
                await asyncio.sleep(slot - now)
            earlier = self._answered.get(number - self._count)
            if earlier is not None:
                if not earlier.done():  # usually answered long ago: then no waiting machinery at all
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(earlier), ANSWER_WAIT_LIMIT)
                # Unanswered after ANSWER_WAIT_LIMIT: lost on its way, it counts no more.
                at = earlier.result() if earlier.done() else self._clock() - self._window
                while (late := at + self._window - self._clock()) > 0:
                    await asyncio.sleep(late)
        except BaseException:
            self.answered(number)
            raise
        return number

    def answered(self, number: int) -> None:
        """The call of that slot got its answer (or was not made, or failed): its place in the window ends
        then. The one before it by ``count`` places is no longer needed."""
        future = self._answered.get(number)
        if future is not None and not future.done():
            future.set_result(self._clock())
        self._answered.pop(number - self._count, None)


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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """The arguments mean what they mean for `AIORateLimiter`; ``overall_max_rate`` 0 turns the overall
        budget (and so the priorities) off. ``clock`` must be the running loop's (`asyncio.sleep` waits in
        it): `time.monotonic` for asyncio's loops; a test passes its virtual-time loop's `time`."""
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
                round(overall_max_rate), overall_time_period * round(overall_max_rate) / overall_max_rate, clock
            )
        self._replies_waiting = 0
        self._no_reply_waiting = asyncio.Event()
        self._no_reply_waiting.set()
        self._push_turn = asyncio.Lock()  # one push at a time competes for a slot, in arrival order
        self._spare_waiting = False  # one spare call at a time may wait for the next slot
        self._pushes_waiting = 0
        self._clock = clock
        self._paused_until = 0.0  # clock time until which Telegram asked to wait (429)
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
            slot = await self._take_slot(priority, endpoint) if budgeted else None
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as error:
                self.stats["retry_after"] += 1
                pause = error._retry_after.total_seconds() + 0.1  # as AIORateLimiter waits
                self._paused_until = max(self._paused_until, self._clock() + pause)
                raise
            finally:
                if slot is not None:
                    assert self._budget is not None
                    self._budget.answered(slot)

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
        return self._clock() < self._paused_until

    async def _wait_pause(self) -> None:
        while (remaining := self._paused_until - self._clock()) > 0:
            await asyncio.sleep(remaining)

    async def _take_slot(self, priority: str, endpoint: str) -> int:
        """Wait for a slot of the overall budget at the call's priority; its number (see `_EvenSlots`)."""
        assert self._budget is not None
        if priority == PRIORITY_SPARE:  # a retry of a spare call: it goes now or not at all
            if not self._spare_slot_free():
                self.stats["skipped"] += 1
                raise SkippedCosmeticCall(endpoint)
            self._spare_waiting = True
            try:
                slot = await self._budget.acquire()  # free now, or the next slot at most
            finally:
                self._spare_waiting = False
        elif priority == PRIORITY_REPLY:
            self._replies_waiting += 1
            self._no_reply_waiting.clear()
            try:
                await self._wait_pause()
                slot = await self._budget.acquire()
            finally:
                self._replies_waiting -= 1
                if not self._replies_waiting:
                    self._no_reply_waiting.set()
        else:
            self._pushes_waiting += 1
            try:
                async with self._push_turn:
                    slot = await self._push_slot()
            finally:
                self._pushes_waiting -= 1
        self.stats[priority] += 1
        return slot

    async def _push_slot(self) -> int:
        """A push takes a slot only once it is free and no reply waits: it never holds a future slot, so a
        reply arriving meanwhile takes the next one (1/30 s away at most) rather than the one after."""
        assert self._budget is not None
        while True:
            await self._no_reply_waiting.wait()
            await self._wait_pause()
            if self._replies_waiting:  # a reply came while the pause ran
                continue
            if self._budget.has_capacity():
                return await self._budget.acquire()
            await asyncio.sleep(self._budget.wait())
