"""Gaffe's benchmark: how fast each layer is on the shipped content, printed as one table of figures.

Why it exists: Gaffe's promises ("a reply implies a saved step", "each user in order, users
concurrently", Telegram's 30 messages/s) all have a cost, and this script shows where the time goes,
layer by layer, from the inside out:

1. start-up   loading + validating the content, compiling the catalogs;
2. engine     the pure `step()` function, single core;
3. render     outputs → HTML in French and English;
4. store      `Gaffe.handle` committing every step to SQLite (WAL, synchronous=FULL, as shipped);
5. e2e        the real python-telegram-bot Application over HTTP against tests/support/fake_bot_api.py;
6. memory     peak RSS and bytes per user state.

It prints figures only: no asserts, no pass/fail. Run `python -m bench.run --quick` for a smoke run
(< 20 s) or `python -m bench.run` for the default (< 2 min).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import platform
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import telegram

from bot.adapters import telegram as telegram_bot
from bot.app import load_content, open_store
from bot.config import Settings
from bot.core.dialogue import Content
from bot.core.engine import Ask, Command, Output, Pick, Result, State, Step, step
from bot.core.i18n import Translator, load_translators
from bot.core.profile import Profile
from bot.core.render import render
from bot.service import Gaffe
from bot.storage import Store
from tests.support.fake_bot_api import Call, FakeBotApi
from tests.support.paths import ROOT
from tests.support.percentile import percentile

DIALOGUES = ROOT / "dialogues"
LOCALES = ROOT / "locales"
CHAT_BOUND = ("sendMessage", "editMessageText", "editMessageReplyMarkup")  # what the limiter caps at 30/s
TELEGRAM_RATE = 30  # messages per second, overall: the cap build_application sets


@dataclass(frozen=True)
class Sizes:
    """How much work each section does; `--quick` shrinks everything."""

    startup_runs: int
    cpu_seconds: float  # time budget of each CPU-bound loop (engine, render)
    store_sequential_users: int
    store_concurrent_users: int
    store_rounds: int
    e2e_users: int
    e2e_unlimited: bool
    memory_states: int


QUICK = Sizes(3, 0.5, 10, 50, 1, 5, True, 10_000)
DEFAULT = Sizes(10, 3.0, 60, 50, 3, 50, True, 10_000)


@dataclass(frozen=True)
class Row:
    section: str
    metric: str
    value: float | int | str
    unit: str = ""


# --- helpers ---------------------------------------------------------------------------------------
def median_seconds(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def choose(rng: random.Random, presses: int, count: int) -> int:
    """Which button a simulated user presses: "C'est parti" first, then anything."""
    return 0 if presses == 0 else rng.randrange(count)


def last_ask(outputs: tuple[Output, ...]) -> Ask | None:
    asks = [o for o in outputs if isinstance(o, Ask)]
    return asks[-1] if asks else None


def finished(outputs: tuple[Output, ...]) -> bool:
    return any(isinstance(o, Result) for o in outputs)


def checkup_steps(content: Content, rng: random.Random, language: str = "fr") -> Iterator[Step]:
    """Every engine step of one complete checkup: /checkup, then presses until the result (or an ending)."""
    result = step(content, State(Profile(language)), Command("checkup"))
    yield result
    presses = 0
    while not finished(result.outputs):
        ask = last_ask(result.outputs)
        if ask is None:
            return  # an ending without a score (the safety one, or "later"): a complete conversation too
        result = step(content, result.state, Pick(ask.step, choose(rng, presses, len(ask.labels))))
        presses += 1
        yield result


def run_for(seconds: float, unit_of_work: Callable[[], int]) -> tuple[int, int, float]:
    """Repeat `unit_of_work` (which returns how many items it did) for about `seconds`."""
    rounds = items = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        items += unit_of_work()
        rounds += 1
    return rounds, items, elapsed


# --- 1. start-up -----------------------------------------------------------------------------------
def bench_startup(sizes: Sizes) -> list[Row]:
    load = median_seconds(lambda: load_content(DIALOGUES, LOCALES), sizes.startup_runs)
    compile_ = median_seconds(lambda: load_translators(LOCALES), sizes.startup_runs)
    note = f"median of {sizes.startup_runs}"
    return [
        Row("start-up", f"load_content (load + validate), {note}", load * 1000, "ms"),
        Row("start-up", f"load_translators (compile .po), {note}", compile_ * 1000, "ms"),
    ]


# --- 2. engine -------------------------------------------------------------------------------------
def bench_engine(content: Content, sizes: Sizes) -> list[Row]:
    rng = random.Random(1)
    checkups, steps, elapsed = run_for(sizes.cpu_seconds, lambda: sum(1 for _ in checkup_steps(content, rng)))
    return [
        Row("engine", "complete checkups (pure step(), 1 core)", checkups / elapsed, "checkups/s"),
        Row("engine", "steps", steps / elapsed, "steps/s"),
        Row("engine", "steps per checkup (mean)", steps / checkups, "steps"),
        Row("engine", "time per step", elapsed / steps * 1e6, "µs"),
    ]


# --- 3. render -------------------------------------------------------------------------------------
def bench_render(content: Content, translators: dict[str, Translator], sizes: Sizes) -> list[Row]:
    rng = random.Random(2)
    outputs = [s.outputs for _ in range(50) for s in checkup_steps(content, rng)]
    results = [o for o in outputs if finished(o)]
    rows = []
    for language in ("fr", "en"):
        translator = translators[language]
        _, replies, elapsed = run_for(sizes.cpu_seconds / 2, lambda t=translator: _render_all(content, t, outputs))
        rows.append(Row("render", f"replies rendered ({language}, a checkup's mix)", replies / elapsed, "replies/s"))
        _, replies, elapsed = run_for(sizes.cpu_seconds / 4, lambda t=translator: _render_all(content, t, results))
        label = f"result replies only ({language}, score + 3 actions)"
        rows.append(Row("render", label, replies / elapsed, "replies/s"))
    return rows


def _render_all(content: Content, translator: Translator, outputs: list[tuple[Output, ...]]) -> int:
    for output in outputs:
        render(content, translator, output)
    return len(outputs)


# --- 4. store --------------------------------------------------------------------------------------
async def drive_handle(gaffe: Gaffe, user_id: int, rng: random.Random, latencies: list[float]) -> int:
    """One complete checkup through `Gaffe.handle` (load → step → commit → render); returns the steps."""
    received: Command | Pick = Command("checkup")
    steps = presses = 0
    while True:
        start = time.perf_counter()
        reply = await gaffe.handle(user_id, received, _ignore)
        latencies.append(time.perf_counter() - start)
        steps += 1
        if "/100" in reply.text or reply.step is None:  # the result (or an ending without a score)
            return steps
        received = Pick(reply.step, choose(rng, presses, len(reply.buttons)))
        presses += 1


async def _ignore(reply: object) -> None:
    """The reply goes nowhere: this measures the service and the database, not an adapter."""


async def bench_store(content: Content, translators: dict[str, Translator], sizes: Sizes, db_dir: Path) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(dir=db_dir, prefix="gaffe-bench-") as folder:
        store = await open_store(Path(folder) / "gaffe.sqlite3")
        gaffe = Gaffe(content, translators, store)
        rng = random.Random(3)
        try:
            latencies: list[float] = []
            start = time.perf_counter()
            steps = 0
            for user in range(sizes.store_sequential_users):
                steps += await drive_handle(gaffe, 1_000_000 + user, rng, latencies)
            rows += _store_rows(f"sequential, {sizes.store_sequential_users} users", steps, start, latencies)

            latencies = []
            users = sizes.store_concurrent_users
            start = time.perf_counter()
            steps = 0
            for round_ in range(sizes.store_rounds):
                done = await asyncio.gather(
                    *(drive_handle(gaffe, 2_000_000 + round_ * users + u, rng, latencies) for u in range(users))
                )
                steps += sum(done)
            label = f"{users} concurrent users × {sizes.store_rounds} round(s)"
            rows += _store_rows(label, steps, start, latencies)
            expected = sizes.store_sequential_users + users * sizes.store_rounds
            saved = await _scalar(store, "SELECT COUNT(*) FROM checkups")
            rows.append(Row("store", "finished checkups saved / expected", f"{saved} / {expected}"))
            mode = await _scalar(store, "PRAGMA journal_mode"), await _scalar(store, "PRAGMA synchronous")
            rows.append(Row("store", "journal_mode / synchronous (2 = FULL)", f"{mode[0]} / {mode[1]}"))
        finally:
            await store.close()
    return rows


async def _scalar(store: Store, sql: str) -> str:
    rows = await store.fetch_all(sql)
    return str(rows[0][0]) if rows else "?"


def _store_rows(label: str, steps: int, start: float, latencies: list[float]) -> list[Row]:
    elapsed = time.perf_counter() - start
    return [
        Row("store", f"committed steps/s ({label})", steps / elapsed, "steps/s"),
        Row("store", f"  p50 latency per step ({label})", percentile(latencies, 0.5) * 1000, "ms"),
        Row("store", f"  p95 latency per step ({label})", percentile(latencies, 0.95) * 1000, "ms"),
    ]


# --- 5. end to end over HTTP -----------------------------------------------------------------------
class ErrorCount(logging.Handler):
    """Counts the bot's ERROR log records (an update that failed is logged, not raised)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


class Replies:
    """Hands each user the bot's next sendMessage to their chat.

    One watcher reads the fake server's call log once, instead of every simulated user re-scanning it
    on every call: the harness shares the event loop with the bot, so its own cost must stay small.
    """

    def __init__(self, fake: FakeBotApi) -> None:
        self._waiting: dict[int, asyncio.Future[Call]] = {}
        self._watch = asyncio.create_task(fake.wait_for(self._dispatch, timeout=3600, after=len(fake.sent)))

    def _dispatch(self, call: Call) -> bool:
        if call.ok and call.method == "sendMessage":
            future = self._waiting.pop(call.result["chat"]["id"], None)
            if future is not None and not future.done():
                future.set_result(call)
        return False  # keep watching

    def expect(self, chat_id: int) -> asyncio.Future[Call]:
        """Register before acting, then await: the next message the bot sends to `chat_id`."""
        future = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future

    async def close(self) -> None:
        self._watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._watch


def question_buttons(message: dict[str, Any]) -> list[str]:
    """The callback data of a checkup question's answers; none on the result, whose buttons lead elsewhere (a
    reminder, a link, the lists): the run ends there, as it did before the result had buttons."""
    if "/100" in message.get("text", ""):
        return []
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button["callback_data"] for row in keyboard for button in row if "callback_data" in button]


async def e2e_user(
    fake: FakeBotApi, replies: Replies, user_id: int, rng: random.Random, latencies: list[float]
) -> tuple[int, str]:
    """One Telegram user: /checkup, then presses a button of each new question until the result."""
    language = "en" if user_id % 2 else "fr"
    reply = replies.expect(user_id)
    fake.user_sends(user_id, "/checkup", language_code=language)
    message = (await asyncio.wait_for(reply, 120)).result
    presses = 0
    while datas := question_buttons(message):
        data = datas[choose(rng, presses, len(datas))]
        reply = replies.expect(user_id)
        pressed = time.monotonic()
        fake.user_presses(user_id, message["message_id"], data, language_code=language)
        call = await asyncio.wait_for(reply, 120)
        latencies.append(call.time - pressed)
        message = call.result
        presses += 1
    return presses, message["text"]


@contextlib.contextmanager
def rate_limit(limited: bool) -> Iterator[None]:
    """As shipped (30 messages/s overall), or with the cap off to see what the bot itself can do."""
    if limited:
        yield
        return
    shipped = telegram_bot.PriorityRateLimiter
    telegram_bot.PriorityRateLimiter = lambda **_: shipped(overall_max_rate=0, group_max_rate=0)  # type: ignore[misc]
    try:
        yield
    finally:
        telegram_bot.PriorityRateLimiter = shipped  # type: ignore[misc]


async def bench_e2e(users: int, limited: bool, db_dir: Path) -> tuple[list[Row], list[str]]:
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    rng = random.Random(4)
    latencies: list[float] = []
    try:
        with tempfile.TemporaryDirectory(dir=db_dir, prefix="gaffe-bench-") as folder:
            async with FakeBotApi() as fake:
                settings = _settings(fake, Path(folder) / "gaffe.sqlite3")
                with rate_limit(limited):
                    app = telegram_bot.build_application(settings)
                await _start(app)
                first = len(fake.sent)
                replies = Replies(fake)
                try:
                    start = time.monotonic()
                    done = await asyncio.gather(
                        *(e2e_user(fake, replies, 10_000 + u, rng, latencies) for u in range(users))
                    )
                    elapsed = time.monotonic() - start
                finally:
                    await replies.close()
                    await _stop(app)
                calls = Counter(call.method for call in fake.sent[first:])
                fake_errors = [f"{e.method} {e.code}: {e.description}" for e in fake.errors]
    finally:
        logging.getLogger().removeHandler(errors)
    presses = sum(p for p, _ in done)
    results = sum("/100" in text for _, text in done)
    label = "as shipped, ≤ 30 msg/s" if limited else "rate limiter OFF"
    chat_bound = sum(calls[m] for m in CHAT_BOUND) - users  # minus the reply to each /checkup
    rows = [
        Row("e2e", f"[{label}] users / presses / results seen", f"{users} / {presses} / {results}"),
        Row("e2e", f"[{label}] total time", elapsed, "s"),
        Row("e2e", f"[{label}] presses per second", presses / elapsed, "presses/s"),
        Row("e2e", f"[{label}]   p50 press → next question", percentile(latencies, 0.5) * 1000, "ms"),
        Row("e2e", f"[{label}]   p95 press → next question", percentile(latencies, 0.95) * 1000, "ms"),
        Row("e2e", f"[{label}] chat-bound calls per press (send+edit)", chat_bound / presses, "calls"),
        Row("e2e", f"[{label}] answerCallbackQuery per press", calls["answerCallbackQuery"] / presses, "calls"),
        Row("e2e", f"[{label}] getUpdates calls", calls["getUpdates"], "calls"),
        Row("e2e", f"[{label}] errors: fake server / bot log", f"{len(fake_errors)} / {len(errors.messages)}"),
    ]
    if limited:
        ceiling = TELEGRAM_RATE / ((chat_bound + users) / presses)
        rows.append(Row("e2e", f"[{label}] steady-state ceiling: 30 msg/s ÷ calls per press", ceiling, "presses/s"))
    return rows, fake_errors + errors.messages


def _settings(fake: FakeBotApi, database: Path) -> Settings:
    return Settings(
        token=fake.token,
        api_url=f"{fake.url}/bot",
        database=database,
        dialogues_dir=DIALOGUES,
        locales_dir=LOCALES,
        webhook_url=None,
        webhook_listen="127.0.0.1",
        webhook_port=8443,
        webhook_secret=None,
    )


async def _start(app: Any) -> None:
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()


async def _stop(app: Any) -> None:
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await app.post_shutdown(app)


# --- 6. memory -------------------------------------------------------------------------------------
def mid_checkup_states(content: Content, count: int) -> list[State]:
    """`count` users halfway through a checkup, as the engine leaves them (strings shared with content)."""
    rng = random.Random(5)
    states = []
    for _ in range(count):
        steps = list(checkup_steps(content, rng))
        states.append(steps[len(steps) // 2].state)
    return states


def _fresh(value: Any) -> Any:
    return json.loads(json.dumps(value))


def as_loaded(state: State) -> State:
    """The same state rebuilt the way `Store.load` does: every string its own object, as read from SQLite."""
    return State(
        profile=Profile(_fresh(state.language)),
        dialogue=_fresh(state.dialogue),
        node=_fresh(state.node),
        step=state.step,
        answers=MappingProxyType(_fresh(dict(state.answers))),
        points=state.points,
        max_points=state.max_points,
        advice=tuple(_fresh(list(state.advice))),
    )


def traced_bytes(build: Callable[[], list[Any]]) -> tuple[int, list[Any]]:
    """Bytes still allocated after `build()` (kept alive), measured by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    built = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, built


def as_stepped(state: State) -> State:
    """A copy with its own containers, as `step()` makes for each user (strings stay shared with content)."""
    return replace(state, answers=MappingProxyType(dict(state.answers)), advice=tuple(list(state.advice)))


def bench_memory(content: Content, sizes: Sizes) -> list[Row]:
    count = sizes.memory_states
    templates = mid_checkup_states(content, 200)
    rows = []
    for label, copy in (("as stepped", as_stepped), ("as loaded from SQLite", as_loaded)):
        used, kept = traced_bytes(lambda copy=copy: [copy(templates[i % len(templates)]) for i in range(count)])
        used -= sys.getsizeof(kept)  # the list holding them is not part of a user's state
        del kept
        rows.append(Row("memory", f"per State, {label} ({count:,} mid-checkup states)", used / count, "bytes"))
    answers = statistics.mean(len(t.answers) for t in templates)
    advice = statistics.mean(len(t.advice) for t in templates)
    rows.append(Row("memory", "  mean answers / advice ids in those states", f"{answers:.1f} / {advice:.1f}"))
    return rows


def peak_rss_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux (bytes on macOS)
    return kib / 1024 / (1024 if sys.platform == "darwin" else 1)


# --- output ----------------------------------------------------------------------------------------
def header(sizes: Sizes, quick: bool, db_dir: Path) -> str:
    return "\n".join(
        [
            f"Gaffe benchmark ({'--quick' if quick else 'default'}) — figures only, no pass/fail",
            f"Python {platform.python_version()} ({platform.python_implementation()}), "
            f"python-telegram-bot {telegram.__version__}, SQLite {sqlite3.sqlite_version}",
            f"Machine: {platform.platform()}, {platform.machine()}, os.cpu_count() = {os.cpu_count()}",
            f"Content: {DIALOGUES.relative_to(ROOT)}/ and {LOCALES.relative_to(ROOT)}/ (shipped); "
            f"temporary databases under {db_dir}",
        ]
    )


def format_value(value: float | int | str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 10 else f"{value:,.1f}"


def table(rows: list[Row]) -> str:
    width = max(len(r.metric) for r in rows)
    lines = [f"{'section':<9} {'metric':<{width}} {'value':>12}  unit", "-" * (width + 32)]
    previous = ""
    for row in rows:
        section = row.section if row.section != previous else ""
        previous = row.section
        lines.append(f"{section:<9} {row.metric:<{width}} {format_value(row.value):>12}  {row.unit}")
    return "\n".join(lines)


NOTES = """Notes:
- e2e "as shipped" is bounded ON PURPOSE by PriorityRateLimiter (30 chat-bound messages/s overall,
  Telegram's limit): each press costs a sendMessage (the next question) and, when the budget has a slot to
  spare, an editMessageText, so 15-30 presses/s is the ceiling whatever the machine; answerCallbackQuery has
  no chat_id and is not capped. The "rate limiter OFF" run swaps in an uncapped limiter (bench only) to show
  what the bot, PTB and the fake server manage on one event loop.
- e2e latency is measured from queueing the press on the fake server to the next question's sendMessage;
  it includes long polling (getUpdates) and, as shipped, the wait in the rate limiter's queue.
- store latency includes an fsync per step (synchronous=FULL); it depends on the disk under the temp dir.
- memory per State: tracemalloc, excluding the list holding them; "as stepped" states share their strings
  with the content, "as loaded" ones own theirs (JSON-decoded), like after a restart. Gaffe itself keeps
  no State between updates (it reloads from SQLite each time): this is the cost of holding one."""


# --- main ------------------------------------------------------------------------------------------
async def run(sizes: Sizes, db_dir: Path, progress: Callable[[str], None]) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    problems: list[str] = []
    progress("start-up")
    rows += bench_startup(sizes)
    content = load_content(DIALOGUES, LOCALES)
    translators = load_translators(LOCALES)
    progress("engine")
    rows += bench_engine(content, sizes)
    progress("render")
    rows += bench_render(content, translators, sizes)
    progress("store")
    rows += await bench_store(content, translators, sizes, db_dir)
    for limited in (True, False) if sizes.e2e_unlimited else (True,):
        progress(f"e2e ({'rate-limited' if limited else 'unlimited'}, {sizes.e2e_users} users)")
        e2e_rows, e2e_problems = await bench_e2e(sizes.e2e_users, limited, db_dir)
        rows += e2e_rows
        problems += e2e_problems
    progress("memory")
    rows += bench_memory(content, sizes)
    rows.append(Row("memory", "peak RSS of this whole run (getrusage)", peak_rss_mib(), "MiB"))
    return rows, problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run (< 20 s)")
    parser.add_argument("--users", type=int, help="e2e users (default 50; 5 with --quick)")
    parser.add_argument("--db-dir", type=Path, default=Path(tempfile.gettempdir()), help="where temp databases go")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else DEFAULT
    if args.users:
        sizes = replace(sizes, e2e_users=args.users)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    began = time.perf_counter()

    def progress(section: str) -> None:
        print(f"[{time.perf_counter() - began:5.1f} s] {section}…", file=sys.stderr, flush=True)

    rows, problems = asyncio.run(run(sizes, args.db_dir, progress))
    print(header(sizes, args.quick, args.db_dir))
    print()
    print(table(rows))
    print()
    print(NOTES)
    if problems:
        print(f"\nErrors seen during e2e ({len(problems)}, first 10):")
        for problem in problems[:10]:
            print(f"  {problem}")
    print(f"\nTotal run time: {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
