"""Flat with size: Gaffe's cost with 0, 100,000 and 1,000,000 stored users (and as many reminders).

Why it exists: the issue's third target says per-step cost and start-up must not grow with the number of
users. For each size it fills a fresh database (plain sqlite3 executemany, the schema made by Gaffe's own
migrations), then, in a fresh process, measures what a restart and a busy minute cost:

- bytes per user on disk (database file ÷ users; target ≤ 1 KB, reminders included);
- start-up: open + migrate + the start-up check + content load (target ≤ 1 s);
- the due-reminder look-up, `bot.features.reminders.due_reminders` (target ≤ 10 ms);
- a step: `Gaffe.handle` of a press by a random stored user, committed (median and p95);
- resident memory after all that (peak RSS of the measuring process; target ≤ 150 MB).

Run: `python -m bench.size` (about 1–2 minutes; `--sizes 0,100000` for a quicker run, `--db-dir` to put the
databases on another disk). It prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.paths import ROOT
from tests.support.percentile import percentile

TARGETS = {"bytes/user": 1024, "start-up ms": 1000, "due look-up ms": 10, "RSS MB": 150}


def fill(path: Path, users: int) -> None:
    """Gaffe's schema (its migrations), then `users` users mid-checkup and one reminder each."""

    async def create() -> None:
        from bot.app import open_store

        store = await open_store(path)
        await store.close()

    asyncio.run(create())
    rng = random.Random(11)
    now = datetime.now(UTC)
    conversation = json.dumps(
        {"dialogue": "checkup", "node": "passwords", "step": 3, "answers": {"manager": "no", "reuse": "some"}},
        separators=(",", ":"),
    )
    created = now.isoformat(timespec="seconds")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        batch = 50_000
        for start in range(1, users + 1, batch):
            ids = range(start, min(start + batch, users + 1))
            db.executemany(
                "INSERT INTO users (user_id, language, conversation, created_at, updated_at, active, reply_pending)"
                " VALUES (?, ?, ?, ?, ?, 1, 0)",
                ((100_000_000 + i, "fr" if i % 3 else "en", conversation, created, created) for i in ids),
            )
            db.executemany(
                "INSERT INTO reminders (user_id, account, label, every_days, next_due_at, created_at)"
                " VALUES (?, 'email', NULL, 90, ?, ?)",
                (
                    (100_000_000 + i, (now + timedelta(minutes=rng.randrange(1, 90 * 24 * 60))).isoformat(), created)
                    for i in ids
                ),
            )
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def measure(path: Path, users: int) -> dict[str, float]:
    """Runs in a fresh process: what a restart and some steps cost on this database."""
    from bot.app import load, open_store
    from bot.config import Settings
    from bot.features.reminders import due_reminders
    from bot.service import Gaffe

    settings = Settings.from_env()
    settings = type(settings)(
        **{**settings.__dict__, "database": path, "dialogues_dir": ROOT / "dialogues", "locales_dir": ROOT / "locales"}
    )

    async def run() -> dict[str, float]:
        startups = []
        for _ in range(3):  # the median of three restarts: the machine is shared
            started = time.perf_counter()
            loaded = load(settings)
            store = await open_store(path)
            startups.append(time.perf_counter() - started)
            await store.close()
        startup = statistics.median(startups)
        store = await open_store(path)
        gaffe = Gaffe(loaded.content, loaded.translators, store, tracks_delivery=True)
        lookups = []
        for _ in range(20):
            begun = time.perf_counter()
            await due_reminders(store, datetime.now(UTC) + timedelta(days=1), 500)
            lookups.append(time.perf_counter() - begun)
        from bot.core.engine import Command

        rng = random.Random(5)
        steps = []

        async def ignore(reply: object) -> None:
            return None

        for _ in range(300):
            user = 100_000_000 + rng.randrange(1, users + 1) if users else rng.randrange(1, 10**6)
            begun = time.perf_counter()
            await gaffe.handle(user, Command("checkup"), ignore)
            steps.append(time.perf_counter() - begun)
        await gaffe.close()
        steps.sort()
        return {
            "start-up ms": startup * 1000,
            "due look-up ms": statistics.median(lookups) * 1000,
            "step median ms": statistics.median(steps) * 1000,
            "step p95 ms": percentile(steps, 0.95) * 1000,
        }

    figures = asyncio.run(run())
    figures["RSS MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0,100000,1000000")
    parser.add_argument("--db-dir", default=None)
    parser.add_argument("--measure", nargs=2, metavar=("DB", "USERS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), int(args.measure[1]))))
        return
    rows = []
    for users in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(dir=args.db_dir, prefix="gaffe-size-") as folder:
            path = Path(folder) / "gaffe.sqlite3"
            begun = time.perf_counter()
            fill(path, users)
            filled = time.perf_counter() - begun
            size = path.stat().st_size
            out = subprocess.run(
                [sys.executable, "-m", "bench.size", "--measure", str(path), str(users)],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            figures = json.loads(out.strip().splitlines()[-1])
            figures["bytes/user"] = size / users if users else float("nan")
            rows.append((users, figures, size, filled))
            print(f"  {users:>9,} users: filled in {filled:.1f} s, {size / 1e6:.1f} MB", file=sys.stderr)
    columns = ["bytes/user", "start-up ms", "due look-up ms", "step median ms", "step p95 ms", "RSS MB"]
    print("| users | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for users, figures, _, _ in rows:
        cells = []
        for column in columns:
            value = figures[column]
            target = TARGETS.get(column)
            mark = "" if target is None or value != value else (" ✓" if value <= target else " ✗")
            cells.append(("–" if value != value else f"{value:,.1f}") + mark)
        print(f"| {users:,} | " + " | ".join(cells) + " |")
    print("targets: " + ", ".join(f"{k} ≤ {v}" for k, v in TARGETS.items()))


if __name__ == "__main__":
    main()
