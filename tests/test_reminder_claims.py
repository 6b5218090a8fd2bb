"""A due reminder is claimed by one conditional update (`Reminders.claim_due`): only while it is still due, not
paused, and not claimed since it was read. So two ticks, or two processes sharing the database, that read the same
occurrence send it once: the second claim finds it claimed and says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.engine import State
from bot.features.reminders import Reminder, Reminders
from bot.storage import Store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=90)


async def one_due_reminder(store: Store, user: int = 1) -> Reminder:
    await store.save(user, State())
    async with store.transaction() as tx:
        rows = Reminders(tx, user)
        await rows.add("mail", None, 90, NOW - timedelta(minutes=1), NOW - timedelta(days=90))
        (reminder,) = await rows.all()
    return reminder


async def test_an_occurrence_is_claimed_once_even_by_two_readers(store: Store) -> None:
    read_by_one = await one_due_reminder(store)
    read_by_two = read_by_one  # a second tick (or process) read the same row before either claimed it
    async with store.transaction() as tx:
        assert await Reminders(tx, 1).claim_due(read_by_one, NOW, LATER)
    async with store.transaction() as tx:
        assert not await Reminders(tx, 1).claim_due(read_by_two, NOW, LATER)
        claimed = await Reminders(tx, 1).get(read_by_one.id)
    assert claimed is not None
    assert (claimed.sent, claimed.next_due_at) == (1, LATER)  # counted once, moved once


async def test_nothing_is_claimed_that_is_not_due_paused_or_not_the_users(store: Store) -> None:
    reminder = await one_due_reminder(store)
    async with store.transaction() as tx:
        assert not await Reminders(tx, 1).claim_due(reminder, NOW - timedelta(hours=1), LATER)  # not due yet
        assert not await Reminders(tx, 2).claim_due(reminder, NOW, LATER)  # someone else's
        await Reminders(tx, 1).pause(reminder, True, reminder.next_due_at)
        assert not await Reminders(tx, 1).claim_due(reminder, NOW, LATER)  # paused
        assert (await Reminders(tx, 1).all())[0].sent == 0


async def test_a_reminder_postponed_at_night_is_then_not_due(store: Store) -> None:
    reminder = await one_due_reminder(store)
    morning = NOW + timedelta(hours=10)
    async with store.transaction() as tx:
        assert await Reminders(tx, 1).postpone(reminder, NOW, morning)
        assert not await Reminders(tx, 1).postpone(reminder, NOW, morning)  # no longer due: nothing moved
        assert not await Reminders(tx, 1).claim_due(reminder, NOW, LATER)
        assert (await Reminders(tx, 1).get(reminder.id)) == Reminder(**{**reminder.__dict__, "next_due_at": morning})
