"""Crash safety at load, reduced: `python -m bot` killed with SIGKILL 3 times while 30 users press through
checkups and 30 due reminders go out (`python -m bench.crash` runs the full size, 20 kills and 200 users).

After each kill no step a user saw answered is lost and nothing beyond the unanswered inputs is saved; at
the end every reminder was delivered (but those of users who paused pushes on a safety ending, held on
purpose), duplicates are at most the kills, and the database is intact."""

from __future__ import annotations

import logging
from pathlib import Path

from tests.support import crash


async def test_kill_9_under_load_loses_no_step_and_no_reminder(tmp_path: Path) -> None:
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # the fake, when a killed bot hangs up
    report = await crash.run_crash(
        tmp_path / "crash.sqlite3", users=30, reminders=30, kills=3, seed_value=3, window=(0.5, 2.0), settle=20
    )
    summary = "\n".join(report.lines())
    assert report.kills == 3, summary
    assert report.steps_answered >= 30, summary  # the users really went through checkups between the kills
    assert report.steps_lost == 0 and report.steps_ahead == 0, summary
    assert report.reminders_lost == 0 and report.outbox_at_end == 0, summary
    assert report.reminders_held < report.reminders, summary  # most went out: the delivery itself was tested
    assert report.duplicates <= report.kills, summary
    assert not report.integrity, summary
    assert not [p for p in report.problems if p.startswith("bot log")], summary


def test_the_check_sees_a_lost_step(tmp_path: Path) -> None:
    """The check itself can fail: a question shown at a step the database never saved is counted lost."""
    import asyncio

    db = tmp_path / "g.sqlite3"
    asyncio.run(crash.seed(db, users=1, reminders=1))

    class Shown:
        def __init__(self) -> None:
            self.ids = [crash.FIRST_USER]
            self.unanswered = {crash.FIRST_USER: 0}

        def shown(self, user: int) -> tuple[int, dict[str, object]]:
            return 4, {}  # the user saw the question of step 4; the database still has step 0

    report = crash.CrashReport()
    crash.check(report, None, Shown(), db, "test")
    assert report.steps_lost == 4 and report.problems
