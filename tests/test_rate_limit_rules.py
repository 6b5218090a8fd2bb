"""The priority rate limiter's rules, one by one, on virtual time (tests/support/virtual_clock.py).

Why this file: tests/test_rate_limit.py runs the limiter inside a real `ExtBot` against the fake Bot API
over HTTP (about 35 s): the end-to-end proof, too slow to run for each of the module's mutants
(bench/mutation.py). Here the limiter's public entry point, `process_request`, is called directly with a
callback that stands for the Bot API and notes the virtual time at which each call was made. The loop's clock
jumps to the next timer whenever every task waits, so the times are exact and cost nothing: a test asserts
what the limiter waited for (a slot every 1.01/rate s, a 429's retry_after + 0.1 s, an earlier call's answer),
never how long the machine took.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import pytest
from telegram.error import RetryAfter

from bot.adapters.rate_limit import (
    PRIORITY_SPARE,
    PUSH,
    REPLY,
    SPARE,
    PriorityRateLimiter,
    RateLimitArgs,
    SkippedCosmeticCall,
)
from tests.support.virtual_clock import live_futures, run_virtual

T = TypeVar("T")

# PTB 22's RetryAfter warns about int periods when built, even from a timedelta (it reads its own property).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

RATE = 10
P = 1.01 / RATE  # seconds between two slots at RATE per second: the limiter runs 1 % under the cap


def at(seconds: float) -> float:
    """A virtual time, rounded so that sums of periods compare equal to products."""
    return round(seconds, 6)


def now() -> float:
    return at(asyncio.get_running_loop().time())


class Api:
    """Stands for the Bot API behind the limiter: notes which call was made at what virtual time."""

    def __init__(self, limiter: PriorityRateLimiter) -> None:
        self.limiter = limiter
        self.made: list[tuple[str, float]] = []

    async def call(
        self,
        label: str,
        args: RateLimitArgs | None = None,
        *,
        chat: int | str | None = 1,
        answer_after: float = 0.0,
        failures: Sequence[Exception] = (),
        paid: bool = False,
        endpoint: str = "sendMessage",
    ) -> Any:
        """One call through the limiter; each try answers after `answer_after` s, the first ones with `failures`."""
        left = list(failures)

        async def callback(*_: Any, **__: Any) -> dict[str, str]:
            self.made.append((label, now()))
            if answer_after:
                await asyncio.sleep(answer_after)
            if left:
                raise left.pop(0)
            return {"sent": label}

        data: dict[str, Any] = {} if chat is None else {"chat_id": chat}
        if paid:
            data["allow_paid_broadcast"] = True
        return await self.limiter.process_request(callback, (), {}, endpoint, data, args)

    def times(self, label: str) -> list[float]:
        return [time for made, time in self.made if made == label]

    def order(self) -> list[str]:
        return [label for label, _ in self.made]


async def after(seconds: float, call: Awaitable[T]) -> T:
    await asyncio.sleep(seconds)
    return await call


def flood(seconds: float) -> RetryAfter:
    return RetryAfter(dtm.timedelta(seconds=seconds))


def limiter(**kwargs: Any) -> tuple[PriorityRateLimiter, Api]:
    """A limiter at RATE per second (unless `kwargs` say otherwise) on the running loop's virtual clock."""
    chosen = PriorityRateLimiter(**{"overall_max_rate": RATE, "clock": asyncio.get_running_loop().time, **kwargs})
    return chosen, Api(chosen)


def defaults() -> Api:
    """A limiter with every default but the clock."""
    return Api(PriorityRateLimiter(clock=asyncio.get_running_loop().time))


# The overall budget: one slot every 1.01/rate seconds, on a fixed schedule.


def test_replies_at_once_go_out_one_slot_apart_in_order() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        answers = await asyncio.gather(*(api.call(f"r{n}") for n in range(5)))
        assert answers == [{"sent": f"r{n}"} for n in range(5)]
        assert api.made == [(f"r{n}", at(n * P)) for n in range(5)]
        assert rules.stats == {"reply": 5}

    run_virtual(scenario())


@pytest.mark.parametrize(
    ("rate", "period", "gap"),
    [(9.5, 1, 1.01 / 9.5), (10, 2, 0.202), (30, 1, 1.01 / 30)],
)
def test_the_slots_run_one_percent_under_the_cap_whatever_the_rate_and_period(
    rate: float, period: float, gap: float
) -> None:
    async def scenario() -> None:
        _, api = limiter(overall_max_rate=rate, overall_time_period=period)
        await asyncio.gather(*(api.call(f"r{n}") for n in range(3)))
        assert api.made == [("r0", 0.0), ("r1", at(gap)), ("r2", at(2 * gap))]

    run_virtual(scenario())


def test_the_default_budget_is_telegrams_30_per_second() -> None:
    async def scenario() -> None:
        api = defaults()
        await asyncio.gather(*(api.call(f"r{n}") for n in range(3)))
        assert [time for _, time in api.made] == [0.0, at(1.01 / 30), at(2.02 / 30)]

    run_virtual(scenario())


def test_after_an_idle_spell_a_call_goes_at_once_and_the_schedule_starts_from_it() -> None:
    async def scenario() -> None:
        _, api = limiter()
        await api.call("r0")
        await asyncio.sleep(5)
        await asyncio.gather(api.call("r1"), api.call("r2"))
        assert api.made == [("r0", 0.0), ("r1", 5.0), ("r2", at(5 + P))]

    run_virtual(scenario())


def test_a_caller_later_than_its_slot_does_not_push_the_next_slots_back() -> None:
    async def scenario() -> None:
        _, api = limiter()
        await api.call("r0")
        await asyncio.sleep(1.5 * P)  # the slot at P is past, though not by a whole period
        await asyncio.gather(api.call("r1"), api.call("r2"))
        assert api.made == [("r0", 0.0), ("r1", at(1.5 * P)), ("r2", at(2 * P))]

    run_virtual(scenario())


def test_a_caller_a_whole_period_after_its_slot_starts_a_new_schedule() -> None:
    async def scenario() -> None:
        _, api = limiter()
        await api.call("r0")
        await asyncio.sleep(2 * P)  # the slot at P is a whole period past: two calls now would be a burst
        await asyncio.gather(api.call("r1"), api.call("r2"))
        assert api.made == [("r0", 0.0), ("r1", at(2 * P)), ("r2", at(3 * P))]

    run_virtual(scenario())


# A call waits until the call `rate` places before it was answered a window (a second) ago.


def test_a_call_waits_until_the_one_rate_places_earlier_was_answered_a_second_ago() -> None:
    async def scenario() -> None:
        _, api = limiter(overall_max_rate=2)  # slots 0.505 s apart; each call answered 0.8 s after it is made
        await asyncio.gather(*(api.call(f"c{n}", answer_after=0.8) for n in range(4)))
        # c2's slot is 1.01, but c0 was answered at 0.8: c2 waits until 1.8; c3 until c1's answer (1.305) + 1.
        assert api.made == [("c0", 0.0), ("c1", 0.505), ("c2", 1.8), ("c3", 2.305)]

    run_virtual(scenario())


def test_the_answer_window_is_the_period_over_the_rounded_rate() -> None:
    async def scenario() -> None:
        # 2.5 per second: 2 calls per window of 2 / 2.5 = 0.8 s; slots 1.01 / 2.5 = 0.404 s apart.
        _, api = limiter(overall_max_rate=2.5)
        await asyncio.gather(*(api.call(f"c{n}", answer_after=0.7) for n in range(3)))
        assert api.made == [("c0", 0.0), ("c1", 0.404), ("c2", 1.5)]  # c0 answered at 0.7, + 0.8

    run_virtual(scenario())


def test_a_call_unanswered_holds_the_later_ones_back_five_seconds_at_most() -> None:
    async def scenario() -> None:
        _, api = limiter(overall_max_rate=2)
        slow = asyncio.create_task(api.call("slow", answer_after=100))
        await asyncio.gather(api.call("c1"), api.call("c2"))
        # c2's slot is 1.01; it waits 5 s for the slow call's answer, then goes without waiting a window more.
        assert api.made == [("slow", 0.0), ("c1", 0.505), ("c2", 6.01)]
        assert await slow == {"sent": "slow"}  # answered at last, after the calls it no longer held back

    run_virtual(scenario())


def test_the_limiter_keeps_nothing_for_calls_answered_long_ago() -> None:
    """A bot that runs for months makes millions of calls: the limiter remembers the last `rate` answers
    (what the window rule needs), not one future per call."""

    async def scenario() -> None:
        _, api = limiter()
        for n in range(100):
            await api.call(f"r{n}")
        assert live_futures() <= 2 * RATE  # of the order of the rate, not of the calls made

    run_virtual(scenario())


def test_a_failed_call_counts_as_answered_when_it_failed() -> None:
    async def scenario() -> None:
        _, api = limiter(overall_max_rate=2)
        calls = [api.call("c0", answer_after=0.3, failures=[ConnectionError("reset")]), api.call("c1"), api.call("c2")]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert isinstance(outcomes[0], ConnectionError)
        assert api.made == [("c0", 0.0), ("c1", 0.505), ("c2", 1.3)]  # c0 failed at 0.3: c2 waits until 1.3

    run_virtual(scenario())


def test_a_call_cancelled_while_waiting_for_its_slot_holds_no_later_call_back() -> None:
    async def scenario() -> None:
        rules, api = limiter(overall_max_rate=2)
        first = asyncio.create_task(api.call("c0"))
        cancelled = asyncio.create_task(api.call("c1"))  # waits for its slot at 0.505
        rest = asyncio.gather(after(0.01, api.call("c2")), after(0.02, api.call("c3")))
        await asyncio.sleep(0.2)
        cancelled.cancel()
        await first
        await rest
        # c3 comes 2 places after c1, which was never made: it does not wait for c1's answer.
        assert api.made == [("c0", 0.0), ("c2", 1.01), ("c3", 1.515)]
        assert rules.replies_waiting == 0

    run_virtual(scenario())


# Priorities: replies before pushes; spare calls only when nothing waits.


def test_replies_go_before_the_pushes_that_were_waiting() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        pushes = [api.call(f"p{n}", PUSH, chat=100 + n) for n in range(4)]
        replies = [api.call(f"r{n}", REPLY, chat=1) for n in range(2)]
        await asyncio.gather(*pushes, *replies)
        # p0 took the free slot at 0; the replies take the next two; the pushes follow in their order.
        expected = ["p0", "r0", "r1", "p1", "p2", "p3"]
        assert api.made == [(label, at(n * P)) for n, label in enumerate(expected)]
        assert rules.stats == {"push": 4, "reply": 2}

    run_virtual(scenario())


def test_a_reply_goes_before_a_burst_of_pushes_larger_than_the_cap() -> None:
    """The overall budget is this limiter's alone: behind it, nothing else queues calls first come, first
    served (`AIORateLimiter`'s own overall limiter would let 30 pushes through, then queue the reply behind
    the other 10)."""

    async def scenario() -> None:
        api = defaults()
        await asyncio.gather(*(api.call(f"p{n}", PUSH, chat=100 + n) for n in range(40)), api.call("r", chat=1))
        assert api.times("r") == [at(1.01 / 30)]
        assert api.order()[:3] == ["p0", "r", "p1"]

    run_virtual(scenario())


def test_a_reply_arriving_while_a_push_waits_takes_the_very_next_slot() -> None:
    async def scenario() -> None:
        _, api = limiter()
        pushes = [api.call(f"p{n}", PUSH, chat=100 + n) for n in range(2)]
        await asyncio.gather(*pushes, after(0.5 * P, api.call("r0")))
        assert api.made == [("p0", 0.0), ("r0", at(P)), ("p1", at(2 * P))]

    run_virtual(scenario())


def test_replies_waiting_counts_the_replies_not_yet_given_a_slot() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        replies = asyncio.gather(*(api.call(f"r{n}") for n in range(3)))
        await asyncio.sleep(0.5 * P)  # r0 went at once; r1 and r2 wait for P and 2P
        assert rules.replies_waiting == 2
        await asyncio.sleep(P)
        assert rules.replies_waiting == 1
        await replies
        assert rules.replies_waiting == 0

    run_virtual(scenario())


def test_a_spare_call_goes_at_once_when_the_budget_is_free() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        await api.call("s", SPARE, endpoint="editMessageText")
        assert api.made == [("s", 0.0)]
        assert rules.stats == {"spare": 1}

    run_virtual(scenario())


def test_a_spare_call_takes_the_next_slot_when_nothing_waits() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        await api.call("r0")
        await api.call("s0", SPARE)  # the next slot is one period away: it waits for it
        await api.call("s1", SPARE)  # and again: the first spare call no longer waits
        assert api.made == [("r0", 0.0), ("s0", at(P)), ("s1", at(2 * P))]
        assert rules.stats == {"reply": 1, "spare": 2}

    run_virtual(scenario())


def test_a_spare_call_is_dropped_at_once_while_another_spare_call_waits() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        await api.call("r0")
        waiting = asyncio.create_task(api.call("s0", SPARE))
        await asyncio.sleep(0)
        with pytest.raises(SkippedCosmeticCall) as skipped:
            await api.call("s1", SPARE, endpoint="editMessageText")
        assert (skipped.value.endpoint, str(skipped.value)) == (
            "editMessageText",
            "editMessageText skipped: no spare budget",
        )
        with pytest.raises(SkippedCosmeticCall):
            await api.call("s2", SPARE)
        assert now() == 0.0  # refused at once, not after a wait
        await waiting
        assert api.order() == ["r0", "s0"]
        assert rules.stats == {"reply": 1, "spare": 1, "skipped": 2}

    run_virtual(scenario())


def test_a_spare_call_held_back_by_a_slow_answer_keeps_a_second_one_out() -> None:
    async def scenario() -> None:
        rules, api = limiter(overall_max_rate=2)  # slots 0.505 s apart, 2 calls per second
        calls = asyncio.gather(api.call("c0", answer_after=0.9), api.call("c1"))
        # s0 takes the slot at 1.01, then waits until c0's answer (0.9) is a second old: 1.9.
        spare = asyncio.create_task(after(0.6, api.call("s0", SPARE)))
        await asyncio.sleep(1.2)  # the next slot, 1.515, is less than a period away, but s0 still waits
        with pytest.raises(SkippedCosmeticCall):
            await api.call("s1", SPARE)
        await calls
        await spare
        assert api.made == [("c0", 0.0), ("c1", 0.505), ("s0", 1.9)]
        assert rules.stats == {"reply": 2, "spare": 1, "skipped": 1}

    run_virtual(scenario())


def test_a_spare_call_is_dropped_while_a_reply_waits() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        replies = asyncio.gather(api.call("r0"), api.call("r1"))
        await asyncio.sleep(0)  # r1 waits for its slot
        with pytest.raises(SkippedCosmeticCall):
            await api.call("s", SPARE)
        await replies
        assert api.order() == ["r0", "r1"]
        assert rules.stats["skipped"] == 1

    run_virtual(scenario())


def test_a_spare_call_is_dropped_while_a_push_waits() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        pushes = asyncio.gather(*(api.call(f"p{n}", PUSH, chat=n) for n in range(3)))
        await asyncio.sleep(0)  # p1 and p2 wait for the slots at P and 2P
        with pytest.raises(SkippedCosmeticCall):
            await api.call("s", SPARE)
        await asyncio.sleep(1.5 * P)  # p1 went; p2 still waits
        with pytest.raises(SkippedCosmeticCall):
            await api.call("s", SPARE)
        await pushes
        await asyncio.sleep(0.5 * P)
        await api.call("s", SPARE)  # no push waits any more: it takes the next slot
        assert api.made == [("p0", 0.0), ("p1", at(P)), ("p2", at(2 * P)), ("s", at(3 * P))]
        assert rules.stats == {"push": 3, "spare": 1, "skipped": 2}

    run_virtual(scenario())


def test_a_spare_call_after_a_push_takes_the_next_slot() -> None:
    async def scenario() -> None:
        _, api = limiter()
        await api.call("p0", PUSH)
        await api.call("s", SPARE)
        assert api.made == [("p0", 0.0), ("s", at(P))]

    run_virtual(scenario())


# A 429: every budgeted call waits retry_after + 0.1 s, and the call is retried up to max_retries times.


def test_a_429_is_retried_after_retry_after_and_a_tenth() -> None:
    async def scenario() -> None:
        rules, api = limiter(max_retries=2)
        answer = await api.call("r", failures=[flood(1.5)])
        assert answer == {"sent": "r"}
        assert api.times("r") == [0.0, 1.6]
        assert rules.stats == {"reply": 2, "retry_after": 1}  # each try takes a slot

    run_virtual(scenario())


def test_a_429_is_raised_once_the_retries_are_spent() -> None:
    async def scenario() -> None:
        rules, api = limiter(max_retries=1)
        with pytest.raises(RetryAfter):
            await api.call("r", failures=[flood(1), flood(1)])
        assert api.times("r") == [0.0, 1.1]
        assert rules.stats == {"reply": 2, "retry_after": 2}

    run_virtual(scenario())


def test_no_retry_by_default() -> None:
    async def scenario() -> None:
        api = defaults()
        with pytest.raises(RetryAfter):
            await api.call("r", failures=[flood(1)])
        assert api.times("r") == [0.0]

    run_virtual(scenario())


def test_a_call_can_ask_for_its_own_number_of_retries() -> None:
    async def scenario() -> None:
        _, api = limiter(max_retries=0)
        answer = await api.call("p", {"priority": "push", "max_retries": 1}, failures=[flood(1)])
        assert answer == {"sent": "p"}
        assert api.times("p") == [0.0, 1.1]

    run_virtual(scenario())


def test_a_429_pauses_replies_and_pushes_until_its_end() -> None:
    async def scenario() -> None:
        _, api = limiter()
        with pytest.raises(RetryAfter):
            await api.call("flooded", failures=[flood(1)])
        await asyncio.gather(after(0.2, api.call("p", PUSH, chat=2)), after(0.3, api.call("r", chat=3)))
        # The reply, though it came after the push, goes first when the pause ends at 1.1.
        assert api.made == [("flooded", 0.0), ("r", 1.1), ("p", at(1.1 + P))]

    run_virtual(scenario())


@pytest.mark.parametrize(
    ("first_retry_after", "second_answered_after", "reply_made_at"),
    [
        (5, 0.3, 5.3),  # paused until 5.3; a 429 at P + 0.3 for 1 s does not cut that short
        (1, 0.8, at(P + 1.9)),  # paused until 1.3; a 429 at P + 0.8 for 1 s holds the waiting reply on
    ],
)
def test_two_429s_pause_until_the_later_end(
    first_retry_after: float, second_answered_after: float, reply_made_at: float
) -> None:
    async def scenario() -> None:
        _, api = limiter()
        flooded = [
            api.call("first", answer_after=0.2, failures=[flood(first_retry_after)]),
            api.call("second", chat=2, answer_after=second_answered_after, failures=[flood(1)]),
        ]
        outcomes = await asyncio.gather(*flooded, after(0.5, api.call("r", chat=3)), return_exceptions=True)
        assert [type(outcome) for outcome in outcomes[:2]] == [RetryAfter, RetryAfter]
        assert api.times("r") == [reply_made_at]

    run_virtual(scenario())


def test_a_spare_call_is_dropped_during_a_pause_and_goes_once_it_ends() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        with pytest.raises(RetryAfter):
            await api.call("flooded", failures=[flood(1)])
        await asyncio.sleep(1.05)
        with pytest.raises(SkippedCosmeticCall):
            await api.call("s", SPARE)
        await asyncio.sleep(0.05)  # the pause ends at 1.1
        await api.call("s", SPARE)
        assert api.made == [("flooded", 0.0), ("s", 1.1)]
        assert rules.stats == {"reply": 1, "retry_after": 1, "skipped": 1, "spare": 1}

    run_virtual(scenario())


def test_a_spare_call_retried_after_a_429_goes_only_if_nothing_waits() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        retried = {"priority": PRIORITY_SPARE, "max_retries": 1}
        assert await api.call("s0", retried, failures=[flood(1)]) == {"sent": "s0"}
        assert api.times("s0") == [0.0, 1.1]  # nothing waited at the end of the pause: retried
        await asyncio.sleep(5)
        # s1 is answered with a 429 at 6.6: its retry at 6.8 finds replies that came meanwhile still waiting.
        edit = api.call("s1", retried, answer_after=0.5, failures=[flood(0.1)], endpoint="editMessageText")
        spare = asyncio.create_task(edit)
        replies = asyncio.gather(*(after(0.1, api.call(f"r{n}")) for n in range(10)))
        await asyncio.sleep(0.2)
        with pytest.raises(SkippedCosmeticCall):  # a spare call while the replies wait: dropped
            await api.call("s2", SPARE)
        with pytest.raises(SkippedCosmeticCall) as skipped:
            await spare
        assert skipped.value.endpoint == "editMessageText"
        await replies
        assert api.times("s1") == [6.1]
        assert rules.stats == {"spare": 3, "retry_after": 2, "reply": 10, "skipped": 2}

    run_virtual(scenario())


# What the budget leaves alone, and what it refuses.


def test_calls_without_a_chat_are_not_limited() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        await asyncio.gather(*(api.call(f"r{n}") for n in range(3)), api.call("getMe", SPARE, chat=None))
        assert api.times("getMe") == [0.0]
        assert rules.stats == {"reply": 3}

    run_virtual(scenario())


def test_paid_broadcasts_do_not_use_the_budget() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        replies = [api.call(f"r{n}") for n in range(3)]
        await asyncio.gather(*replies, api.call("paid", chat=7, paid=True), api.call("paid spare", SPARE, paid=True))
        assert api.times("paid") == [0.0]
        assert api.times("paid spare") == [0.0]
        assert rules.stats == {"reply": 3}

    run_virtual(scenario())


@pytest.mark.parametrize(("rate", "period"), [(0, 1), (30, 0)])
def test_a_zero_rate_or_period_turns_the_budget_off(rate: float, period: float) -> None:
    async def scenario() -> None:
        rules, api = limiter(overall_max_rate=rate, overall_time_period=period)
        await asyncio.gather(*(api.call(f"r{n}") for n in range(3)), api.call("p", PUSH), api.call("s", SPARE))
        assert [time for _, time in api.made] == [0.0] * 5
        assert rules.stats == {}

    run_virtual(scenario())


def test_the_call_is_made_with_its_own_arguments() -> None:
    async def scenario() -> None:
        rules, _ = limiter()
        received = []

        async def callback(*args: Any, **kwargs: Any) -> bool:
            received.append((args, kwargs))
            return True

        data = {"chat_id": 1}
        assert await rules.process_request(callback, ("url", data), {"read_timeout": 5}, "sendMessage", data, None)
        assert received == [(("url", data), {"read_timeout": 5})]

    run_virtual(scenario())


def test_no_rate_limit_args_means_a_reply() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        await api.call("r0", None)
        await api.call("r1", {"max_retries": 1}, failures=[flood(1)])
        assert rules.stats == {"reply": 3, "retry_after": 1}

    run_virtual(scenario())


def test_an_unknown_priority_is_refused_before_any_call() -> None:
    async def scenario() -> None:
        rules, api = limiter()
        with pytest.raises(
            ValueError, match=r"^unknown priority 'urgent'; expected one of \('reply', 'push', 'spare'\)$"
        ):
            await api.call("x", {"priority": "urgent"})
        assert api.made == []
        assert rules.stats == {}

    run_virtual(scenario())


# Group chats (negative ids, @usernames) also keep the group limit.


def test_group_chats_keep_the_group_limit() -> None:
    async def scenario() -> None:
        _, api = limiter(group_max_rate=2, group_time_period=1)
        await asyncio.gather(*(api.call(f"g{n}", chat=-100) for n in range(5)), api.call("private", chat=5))
        # Two at once (each in its slot of the overall budget), then one every half second.
        assert [(label, time) for label, time in api.made if label != "private"] == [
            ("g0", 0.0),
            ("g1", at(P)),
            ("g2", 0.5),
            ("g3", 1.0),
            ("g4", 1.5),
        ]
        assert api.times("private") == [at(2 * P)]

    run_virtual(scenario())


def test_a_channel_named_by_its_username_keeps_the_group_limit_over_its_period() -> None:
    async def scenario() -> None:
        _, api = limiter(group_max_rate=2, group_time_period=10)
        await asyncio.gather(*(api.call(f"g{n}", chat="@channel") for n in range(3)))
        assert [time for _, time in api.made] == [0.0, at(P), 5.0]

    run_virtual(scenario())


def test_the_default_group_limit_is_20_per_minute() -> None:
    async def scenario() -> None:
        api = defaults()
        await asyncio.gather(*(api.call(f"g{n}", chat=-100) for n in range(21)))
        assert api.times("g19") == [at(19 * 1.01 / 30)]
        assert api.times("g20") == [3.0]

    run_virtual(scenario())


def test_on_a_real_loop_the_default_clock_lets_a_first_call_go_at_once() -> None:
    """The default clock is the real loop's: the first call of a fresh limiter needs no slot wait at all."""

    async def scenario() -> None:
        rules = PriorityRateLimiter()
        api = Api(rules)
        assert await api.call("r") == {"sent": "r"}
        assert rules.stats == {"reply": 1}

    asyncio.run(scenario())
