"""What Gaffe does on its own, on a clock: due reminders go out, pushed messages the network failed to deliver
are sent again, and once a day the breach catalogue is refreshed (alerting watchers of new breaches) and
inactive users' data is erased (after a notice a week before).

`tick()` runs every GAFFE_REMINDER_CHECK_SECONDS: python-telegram-bot's JobQueue calls it in the bot, a small
task in the terminal. It reads the clock through the service (`Gaffe.clock`: the system clock, so `faketime`
works; tests inject one). It never overlaps itself (a long drain makes later ticks return at once), and it
sends through the same path as everything else: each due reminder is a push for its user, under that
user's turn, so it never interleaves with their button presses and never moves their conversation.
Reminders that fell due while Gaffe was down are simply due at the next tick, and go out once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import Settings
from bot.core.engine import Push
from bot.core.render import Reply
from bot.errors import StorageUnavailable
from bot.features.breaches import refresh_breaches
from bot.features.privacy import retention_tick
from bot.features.reminders import ReminderDue, due_reminders
from bot.service import Gaffe
from bot.storage import Outage

log = logging.getLogger("gaffe.scheduler")
PushTo = Callable[[int, Push], Awaitable[bool]]
SendTo = Callable[[int, Reply], Awaitable[None]]


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
        """One round: replies still pending and the outbox, every reminder due now, and the daily jobs when a
        day has passed since they last ran (at start-up too). The number of reminders pushed."""
        if self._running.locked():
            return 0
        async with self._running:
            try:
                await self.gaffe.deliver_pending(self.send, self.only_user)  # what the network lost, the outbox
                sent = await self._reminders()
            except StorageUnavailable as error:  # locked by another program: the next tick tries again
                self._outage.failed(error)
                return 0
            self._outage.worked()
            await self._daily()
            self.rounds += 1
            return sent

    async def _daily(self) -> None:
        """The breach catalogue (fetched at most daily anyway) and the retention sweep; both are safe to run
        again, so a restart simply runs them once more."""
        now = self.gaffe.clock()
        if self.settings is None or (self._daily_done and now - self._daily_done < timedelta(days=1)):
            return
        try:
            alerts = await refresh_breaches(self.gaffe, self.settings, self.push, now)
            notices, erased = await retention_tick(self.gaffe, self.push, now, self.settings.retention_days)
        except StorageUnavailable as error:  # the database locked: not done, the next tick tries again
            self._daily_outage.failed(error)
            return
        except Exception:  # a daily job failing must not stop reminders: try again tomorrow
            log.exception("a daily job failed")
            self._daily_done = now
            return
        self._daily_done = now
        self._daily_outage.worked()
        log.info("daily: %s breach alerts, %s retention notices, %s users erased", alerts, notices, erased)

    async def _reminders(self) -> int:
        sent = 0
        slots = asyncio.Semaphore(self.concurrency)

        async def push(user_id: int, reminder_id: int) -> bool:
            async with slots:
                try:
                    return await self.push(user_id, Push("reminder_due", ReminderDue(reminder_id)))
                except Exception as error:  # the network: its outbox row is sent again next tick
                    log.warning("a reminder to user %s could not be sent: %s", user_id, error)
                    return False

        while True:
            due = await due_reminders(self.gaffe.store, self.gaffe.clock(), self.batch, self.only_user)
            if not due:
                return sent
            results = await asyncio.gather(*(push(user_id, reminder_id) for reminder_id, user_id in due))
            sent += sum(results)
            if len(due) < self.batch or not any(results):
                return sent
