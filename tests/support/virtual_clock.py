"""An asyncio event loop on virtual time: whenever every task waits, its clock jumps to the next timer.

Why: the rate limiter's rules are about time (one slot every 1/30 s, a pause of retry_after + 0.1 s after a
429, a call waiting until the one 30 places earlier was answered a second ago). On this loop, a test of them
takes no real time and its times are exact: `asyncio.sleep`, `asyncio.wait_for` and aiolimiter all count
in `loop.time()`, which only moves when nothing is ready to run (code that reads a clock of its own is
handed `loop.time`: the limiter's `clock`). A test then asserts at what virtual time
each call was made, which says what the limiter waited for, with no real sleep and no timing flakiness.
"""

from __future__ import annotations

import asyncio
import gc
import selectors
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Deadlock(RuntimeError):
    """Every task waits and no timer is set: on a real loop, the test would hang."""


class _JumpingSelector(selectors.DefaultSelector):
    """Polls without blocking; where the loop would block until its next timer, moves the clock there."""

    def __init__(self, clock: VirtualClockLoop) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise Deadlock("every task waits and no timer is set")
        self._clock.now += timeout
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A loop whose `time()` starts at 0 and moves only when every task waits for a timer."""

    def __init__(self) -> None:
        self.now = 0.0
        self.futures: weakref.WeakSet[asyncio.Future[Any]] = weakref.WeakSet()  # what `live_futures` counts
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self.now

    def create_future(self) -> asyncio.Future[Any]:
        future = super().create_future()
        self.futures.add(future)
        return future


def live_futures() -> int:
    """How many futures made with the running virtual loop's `create_future` are still referenced: what
    code that must not grow with each call (a record per call kept forever) still holds."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualClockLoop)
    gc.collect()
    return len(loop.futures)


def run_virtual(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion on a fresh virtual-clock loop, then cancel what it left running (as
    `asyncio.run` does)."""
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(main)
