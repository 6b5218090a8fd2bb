"""What Gaffe does on its own, on a clock: pushed messages the network failed to deliver are sent again, and the
features' jobs run (their manifests' `jobs`, bot/core/feature.py): every tick, what is due now is pushed (due
reminders); once a day, the daily jobs (the breach catalogue refreshed, alerting watchers of new breaches;
inactive users' data erased, after a notice a week before).

`tick()` runs every GAFFE_REMINDER_CHECK_SECONDS: python-telegram-bot's JobQueue calls it in the bot, a small
task in the terminal. It reads the clock through the service (`Gaffe.clock`: the system clock, so `faketime`
works; tests inject one). It never overlaps itself (a long drain makes later ticks return at once), and it
sends through the same path as everything else: each due push is a push for its user, under that user's turn,
so it never interleaves with their button presses and never moves their conversation. What fell due while
Gaffe was down is simply due at the next tick, and goes out once. A job gets a narrow context (`JobContext`:
transactions, the time, a push, the settings and data sets), never the service itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.config import Settings
from bot.core.actions import DataSets, Transaction
from bot.core.engine import Push
from bot.core.feature import Daily, Due
from bot.core.render import Reply
from bot.errors import StorageUnavailable
from bot.service import Gaffe
from bot.storage import Outage

log = logging.getLogger("gaffe.scheduler")
PushTo = Callable[[int, Push], Awaitable[bool]]
SendTo = Callable[[int, Reply], Awaitable[None]]
J = TypeVar("J", Due, Daily)


async def _say_nothing(reply: Reply) -> None:
    """A silent push replies nothing (its reply is empty, so this is never called)."""


@dataclass
class JobContext:
    """What a feature's job may use (`bot.core.feature.Jobs`): the store's transactions, the time the job started,
    the adapter's push, the settings, the loaded data sets (and replacing one with a newer copy)."""

    gaffe: Gaffe
    push_to: PushTo
    settings: Any  # bot/config.Settings (a test may give a stand-in with the fields its job reads)
    at: datetime

    @property
    def data(self) -> DataSets:
        return self.gaffe.data

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self.gaffe.store.transaction() as tx:
            yield tx

    def now(self) -> datetime:
        return self.at

    async def push(self, user_id: int, push: Push) -> bool:
        return await self.push_to(user_id, push)

    async def push_silently(self, user_id: int, push: Push) -> bool:
        return await self.gaffe.push(user_id, push, _say_nothing)

    def refreshed(self, value: object) -> None:
        self.gaffe.data = self.gaffe.data.replaced(value)


@dataclass
class Scheduler:
    gaffe: Gaffe
    push: PushTo  # the adapter's way to push to a user (Telegram: after people's replies)
    send: SendTo  # the adapter's way to send a waiting reply again
    settings: Settings | None = None  # with settings, the daily jobs run too (the bot; not the terminal)
    only_user: int | None = None  # the terminal serves one user: it pushes to nobody else
    batch: int = 500
    concurrency: int = 32  # pushes in flight: the rate limiter paces them, this keeps the HTTP pipe full
    _running: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _daily_done: datetime | None = field(default=None, init=False, repr=False)
    _outage: Outage = field(default_factory=lambda: Outage("the scheduler's tick", log), init=False, repr=False)
    _daily_outage: Outage = field(default_factory=lambda: Outage("the daily jobs", log), init=False, repr=False)
    rounds: int = field(default=0, init=False)  # rounds completed: a test waits for one instead of sleeping

    async def tick(self) -> int:
        """One round: replies still pending and the outbox, every push due now (reminders), and the daily jobs when
        a day has passed since they last ran (at start-up too). The number of due pushes that went out."""
        if self._running.locked():
            return 0
        async with self._running:
            try:
                await self.gaffe.deliver_pending(self.send, self.only_user)  # what the network lost, the outbox
                sent = await self._due()
            except StorageUnavailable as error:  # locked by another program: the next tick tries again
                self._outage.failed(error)
                return 0
            self._outage.worked()
            await self._daily()
            self.rounds += 1
            return sent

    async def _daily(self) -> None:
        """The features' daily jobs (the breach catalogue, fetched at most daily anyway, and the retention sweep);
        each is safe to run again, so a restart simply runs them once more."""
        now = self.gaffe.clock()
        if self.settings is None or (self._daily_done and now - self._daily_done < timedelta(days=1)):
            return
        context = JobContext(self.gaffe, self.push, self.settings, now)
        try:
            done = [await job.run(context) for job in self._jobs(Daily)]
        except StorageUnavailable as error:  # the database locked: not done, the next tick tries again
            self._daily_outage.failed(error)
            return
        except Exception:  # a daily job failing must not stop reminders: try again tomorrow
            log.exception("a daily job failed")
            self._daily_done = now
            return
        self._daily_done = now
        self._daily_outage.worked()
        log.info("daily: %s", ", ".join(done))

    def _jobs(self, kind: type[J]) -> list[J]:
        return [job for job in self.gaffe.content.registry.jobs.values() if isinstance(job, kind)]

    async def _due(self) -> int:
        return sum([await self._push_due(job) for job in self._jobs(Due)])

    async def _push_due(self, job: Due) -> int:
        sent = 0
        slots = asyncio.Semaphore(self.concurrency)

        async def push(user_id: int, due: Push) -> bool:
            async with slots:
                try:
                    return await self.push(user_id, due)
                except Exception as error:  # the network: its outbox row is sent again next tick
                    log.warning("a push (%s) to user %s could not be sent: %s", job.name, user_id, error)
                    return False

        while True:
            due = await job.find(self.gaffe.store, self.gaffe.clock(), self.batch, self.only_user)
            if not due:
                return sent
            results = await asyncio.gather(*(push(user_id, pushed) for user_id, pushed in due))
            sent += sum(results)
            if len(due) < self.batch or not any(results):
                return sent
