"""Abuse limits: how much one user may send before Gaffe stops listening for a while, and how long a text may be.

One small mechanism, applied by the service to every input of every adapter before anything reads it:
- a user who sends more than `updates` inputs within `window` seconds gets one "doucement" notice, then is
  ignored for `quiet` seconds (a flood costs Gaffe one counter per input, never a database write);
- a text longer than `text_chars` is cut to that length before the engine sees it, unless the secret filter,
  which reads it whole first, finds a secret in it (then the engine refuses it whole, and nothing of it is kept).
Pushes (what Gaffe sends on its own) are not counted: only what users send is.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

SWEEP_ABOVE = 10_000  # users remembered before idle ones are forgotten (memory stays bounded)


@dataclass(frozen=True)
class Limits:
    updates: int = 20  # inputs a user may send within `window` seconds
    window: float = 10.0
    quiet: float = 60.0  # seconds a flooding user is ignored after the one notice
    text_chars: int = 2000  # longer texts are cut to this many characters


class Verdict(Enum):
    ADMIT = "admit"
    WARN = "warn"  # the input that crossed the limit: answer it with the notice, nothing else
    IGNORE = "ignore"


class FloodGuard:
    """Counts each user's recent inputs in a sliding window."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._recent: dict[int, deque[float]] = {}
        self._quiet_until: dict[int, float] = {}

    def admit(self, user_id: int) -> Verdict:
        now = self._clock()
        until = self._quiet_until.get(user_id)
        if until is not None:
            if now < until:
                return Verdict.IGNORE
            del self._quiet_until[user_id]
        recent = self._recent.setdefault(user_id, deque())
        while recent and recent[0] <= now - self.limits.window:
            recent.popleft()
        recent.append(now)
        if len(recent) > self.limits.updates:
            recent.clear()
            self._quiet_until[user_id] = now + self.limits.quiet
            return Verdict.WARN
        if len(self._recent) > SWEEP_ABOVE:
            self._sweep(now)
        return Verdict.ADMIT

    def _sweep(self, now: float) -> None:
        idle = [user for user, recent in self._recent.items() if not recent or recent[-1] <= now - self.limits.window]
        for user in idle:
            del self._recent[user]

    def cut(self, text: str) -> str:
        return text[: self.limits.text_chars]
