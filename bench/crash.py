"""Crash safety at load: `kill -9` at random moments while users take checkups and reminders go out.

Why it exists: Gaffe promises that a reply implies a saved step, and that a pushed message (a reminder) waits
in the outbox from its commit until Telegram has it. This script checks both promises the hard way: `python -m
bot` runs as a real process against tests/support/fake_bot_api.py, N users press the buttons of the last question
they received (as a person would, pressing again when nothing comes back for a while), the database is
seeded with a reminder already due for each of them, and the process is killed with SIGKILL at random
moments, then started again on the same database; the fake keeps the chats across restarts.

After each kill (the database at rest), for every user: the step of the last question the fake delivered
("shown") must be saved (no step a user saw answered is lost), and the saved step may be ahead of it only by
the inputs still unanswered; `PRAGMA integrity_check` must say ok. At the end: every seeded reminder was
delivered at least once, and the duplicates (a reminder delivered twice) are at most the number of kills.

    python -m bench.crash                      # 20 kills, 200 users, 200 reminders (a few minutes)
    python -m bench.crash --kills 3 --users 30 --reminders 30

It prints figures; tests/test_crash.py runs a reduced version and asserts them. The scenario itself is
tests/support/crash.py, which both share. Run it from the repository's root, as a module (bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
from collections import Counter
from pathlib import Path

from tests.support.crash import run_crash


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--reminders", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--db-dir", type=Path, default=None, help="where the database goes (default: a temp dir)")
    args = parser.parse_args()
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # the fake, when a killed bot hangs up
    with tempfile.TemporaryDirectory(dir=args.db_dir) as directory:
        report = asyncio.run(
            run_crash(
                Path(directory) / "crash.sqlite3",
                args.users,
                args.reminders,
                args.kills,
                args.seed,
                say=lambda line: print(line, flush=True),
            )
        )
    print("\n".join(report.lines()))
    if report.fake_errors:
        print(f"requests the fake refused: {len(report.fake_errors)}", *Counter(report.fake_errors).most_common(5))


if __name__ == "__main__":
    main()
