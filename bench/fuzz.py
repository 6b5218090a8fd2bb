"""Fuzzing: thousands of random and malformed updates against the running bot, then a normal checkup.

Why it exists: Telegram sends far more than the texts and button presses Gaffe is written for, and users
(and modified clients) send odd things. This script feeds the real python-telegram-bot Application
(tests/support/bot_harness.py's `running_bot`, polling tests/support/fake_bot_api.py) a seeded random mix:
texts huge, empty,
binary-looking or full of unicode oddities; commands known, unknown and addressed to another bot; stickers,
photos, voice, locations, contacts, service messages; groups, supergroups and channels; edited messages;
callback queries with random, forged, stale, foreign or missing data, from inaccessible messages; update
kinds Gaffe has no handler for and kinds python-telegram-bot does not know; negative and 52-bit ids.

Every update is one Telegram could send: it follows the Bot API's schema (optional fields come and go,
required ones are there; each is parsed by python-telegram-bot before it is queued, so a wrong generator
fails loudly instead of jamming the polling), and a new message is dated now (date 0 only marks a message
too old to show, inside a callback query or a pinned message).

It counts: log records at ERROR or above (must be 0), requests the fake refused (must be 0), and whether a
checkup by buttons still works afterwards. The bot's own 30-messages-per-second limiter is lifted for the
run (what is measured is robustness, not pacing).

    python -m bench.fuzz                 # 10,000 updates
    python -m bench.fuzz --updates 1000 --seed 2

tests/test_fuzz.py runs 1,000 and asserts the same; the scenario is tests/support/fuzz.py, which both share.
Run it from the repository's root, as a module (bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
from pathlib import Path

from tests.support.fuzz import run_fuzz


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory() as directory:
        report = asyncio.run(run_fuzz(Path(directory) / "fuzz.sqlite3", args.updates, args.seed))
    print("\n".join(report.lines()))


if __name__ == "__main__":
    main()
