"""Gaffe next to its peers: CPU per step, Bot API calls per step, presses per second and latency, in one run.

Why it exists: the issue's first target is "the bot's own cost at or below the fastest Python peer's". Each
bot runs in its own process against its own fake Bot API (tests/support/fake_bot_api.py) on loopback, one bot at a
time, doing the same 10-question checkup; a step is a button press until the bot's next question:

- Gaffe, as shipped (`python -m bot`: aiohttp transport, durable SQLite state, the rate limiter);
- bare python-telegram-bot: httpx, edit the answered question then send the next, no database, no limiter
  (a tiny script written to a temporary folder);
- aiogram 3 + aiogram-dialog: the checkup as a Dialog of Windows (edit in place), memory storage, in a
  virtualenv this script makes with pip (kept in ~/.cache/gaffe-bench-aiogram for the next run).

Figures per bot: CPU per step (the bot process's user + system time from /proc/<pid>/stat, over the steps)
for 1 user pressing as soon as each reply arrives, for that user held to 14 presses per second (Gaffe's own
pace under Telegram's cap: without a limiter a peer runs many times faster, never idles, and looks cheaper
per step than it is) and for 20 users paced to 12 presses per second in all (under every bot's cap); Bot API
calls per step (getUpdates excluded) and the CPU per call; presses per second with 20 users pressing as
fast as they can; press → next question median / p99 at 20 paced users. Then the CPU of one sendMessage on
httpx and on aiohttp. Run: `python -m bench.peers` (about 3–5 minutes on 2 cores; `--quick` for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tests.support.fake_bot_api import Call, FakeBotApi
from tests.support.paths import ROOT
from tests.support.percentile import percentile
from tests.support.screen import Screen

TICK = os.sysconf("SC_CLK_TCK")
AIOGRAM_VENV = Path.home() / ".cache" / "gaffe-bench-aiogram"

PTB_BOT = '''
"""A bare python-telegram-bot checkup: Gaffe's texts and buttons, edit the answered question then send the next;
no storage."""
import json
import os
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

CHECKUP = json.loads(open(os.environ["CHECKUP_JSON"], encoding="utf-8").read())
QUESTIONS = CHECKUP["questions"]


def keyboard(number: int) -> InlineKeyboardMarkup:
    picks = QUESTIONS[number - 1]["picks"]
    return InlineKeyboardMarkup([[InlineKeyboardButton(p, callback_data=f"{number}:{i}")] for i, p in enumerate(picks)])


async def checkup(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    context.user_data["score"] = 0
    go = InlineKeyboardMarkup([[InlineKeyboardButton(CHECKUP["go"], callback_data="0:go")]])
    await update.message.reply_text(CHECKUP["intro"], reply_markup=go, parse_mode="HTML")


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    number, pick = query.data.split(":")
    number = int(number)
    if pick == "go":
        label = CHECKUP["go"]
    else:
        context.user_data["score"] = context.user_data.get("score", 0) + (2 - int(pick)) * 5
        label = QUESTIONS[number - 1]["picks"][int(pick)]
    if os.environ.get("EDIT_IN_PLACE"):  # aiogram-dialog's pattern: the next question replaces the answered one
        text, markup = (QUESTIONS[number]["text"], keyboard(number + 1)) if number < len(QUESTIONS) else (
            CHECKUP["result"], InlineKeyboardMarkup([[InlineKeyboardButton("Recommencer", callback_data="0:go")]]))
        await query.edit_message_text(text, reply_markup=markup, parse_mode="HTML")
        return
    await query.edit_message_text(f"{query.message.text_html}\\n\\n→ {label}", parse_mode="HTML")
    if number < len(QUESTIONS):
        await query.message.chat.send_message(QUESTIONS[number]["text"], reply_markup=keyboard(number + 1),
                                              parse_mode="HTML")
    else:
        again = InlineKeyboardMarkup([[InlineKeyboardButton("Recommencer", callback_data="0:go")]])
        await query.message.chat.send_message(CHECKUP["result"], reply_markup=again, parse_mode="HTML")


builder = Application.builder().token(os.environ["TOKEN"]).base_url(os.environ["API_URL"]).concurrent_updates(True)
if os.environ.get("GAFFE_ROOT"):  # Gaffe's own transport and loop: what python-telegram-bot costs at its best
    import asyncio, sys
    import uvloop
    from bot.adapters.aiohttp_request import AiohttpRequest
    builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(connection_pool_size=1))
    if os.environ.get("GAFFE_LIMITER"):  # and Gaffe's rate limiter, as the bot builds it
        from bot.adapters.rate_limit import PriorityRateLimiter
        builder = builder.rate_limiter(PriorityRateLimiter(overall_max_rate=30, max_retries=3))
    asyncio.set_event_loop(uvloop.new_event_loop())
app = builder.build()
app.add_handler(CommandHandler("checkup", checkup))
app.add_handler(CallbackQueryHandler(press))
app.run_polling()
'''

AIOGRAM_BOT = '''
"""Gaffe's checkup (its texts and buttons) the aiogram-dialog way: a StatesGroup, one Window per question, Select
widgets, memory storage."""
import asyncio
import json
import os
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, StartMode, Window, setup_dialogs
from aiogram_dialog.widgets.kbd import Button, Column, Select
from aiogram_dialog.widgets.text import Const, Format

CHECKUP = json.loads(open(os.environ["CHECKUP_JSON"], encoding="utf-8").read())
QUESTIONS = CHECKUP["questions"]
STATES = {"intro": State(), **{f"q{i}": State() for i in range(len(QUESTIONS))}, "result": State()}
Checkup = type("Checkup", (StatesGroup,), STATES)


async def go(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["score"] = 0
    await manager.next()


async def picked(callback: CallbackQuery, widget: Any, manager: DialogManager, item_id: str) -> None:
    manager.dialog_data["score"] = manager.dialog_data.get("score", 0) + (2 - int(item_id)) * 5
    await manager.next()


async def again(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.switch_to(Checkup.intro)


def question(number: int) -> Window:
    items = [(label, str(i)) for i, label in enumerate(QUESTIONS[number]["picks"])]
    return Window(
        Const(QUESTIONS[number]["text"]),
        Column(Select(Format("{item[0]}"), id=f"q{number}", item_id_getter=lambda item: item[1], items=items,
                      on_click=picked)),
        state=getattr(Checkup, f"q{number}"),
    )


dialog = Dialog(
    Window(Const(CHECKUP["intro"]), Button(Const(CHECKUP["go"]), id="go", on_click=go), state=Checkup.intro),
    *(question(n) for n in range(len(QUESTIONS))),
    Window(Const(CHECKUP["result"]), Button(Const("Recommencer"), id="again", on_click=again), state=Checkup.result),
)
router = Router()


@router.message(Command("checkup"))
async def checkup(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Checkup.intro, mode=StartMode.RESET_STACK)


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["API_BASE"]))
    bot = Bot(os.environ["TOKEN"], session=session, default=DefaultBotProperties(parse_mode="HTML"))
    dispatcher = Dispatcher(storage=MemoryStorage())
    dispatcher.include_router(router)
    dispatcher.include_router(dialog)
    setup_dialogs(dispatcher)
    await dispatcher.start_polling(bot, handle_signals=True)


asyncio.run(main())
'''


def aiogram_python() -> Path:
    """The aiogram virtualenv's python, made with pip on first use."""
    python = AIOGRAM_VENV / "bin" / "python"
    if not python.exists():
        print("  making the aiogram virtualenv (once)…", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(AIOGRAM_VENV)], check=True)
        subprocess.run(
            [str(AIOGRAM_VENV / "bin" / "pip"), "install", "-q", "aiogram>=3,<4", "aiogram-dialog>=2,<3"], check=True
        )
    return python


async def gaffe_checkup() -> dict[str, Any]:
    """Gaffe's own checkup as a user pressing the first button each time sees it (French HTML texts and button
    labels), so that the peers show the same messages and buttons: payload sizes and entities count."""
    from bot.app import load, open_gaffe
    from bot.config import Settings
    from bot.core.engine import Command

    with tempfile.TemporaryDirectory() as folder:
        settings = replace(Settings.from_env(), token=None, database=Path(folder) / "checkup.sqlite3")
        gaffe = await open_gaffe(settings, load(settings))
        screen = Screen()
        shown = screen.replies
        respond = screen

        try:
            await gaffe.handle(1, Command("checkup"), respond)
            intro = shown[-1]
            await gaffe.handle(1, intro.buttons[0].press, respond)
            questions = []
            while "/100" not in shown[-1].text:
                question = shown[-1]
                questions.append({"text": question.text, "picks": [b.label for b in question.buttons]})
                await gaffe.handle(1, question.buttons[0].press, respond)
        finally:
            await gaffe.close()
    return {"intro": intro.text, "go": intro.buttons[0].label, "questions": questions, "result": shown[-1].text}


@dataclass
class Peer:
    name: str
    command: Callable[[FakeBotApi, Path], tuple[list[str], dict[str, str]]]


def gaffe_command(fake: FakeBotApi, folder: Path) -> tuple[list[str], dict[str, str]]:
    database = os.environ.get("BENCH_DB", str(folder / "g.db"))  # BENCH_DB=/dev/shm/g.db: where fsync is free
    env = {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": f"{fake.url}/bot", "GAFFE_DB": database,
           # A simulated user presses as soon as the reply arrives, dozens of times a second: Gaffe's abuse limit
           # (20 updates in 10 s) would rightly stop it. The peers have none.
           "GAFFE_FLOOD_UPDATES": "1000000"}  # fmt: skip
    return [sys.executable, "-m", "bot"], env


def gaffe_asyncio_command(fake: FakeBotApi, folder: Path) -> tuple[list[str], dict[str, str]]:
    """Gaffe without uvloop (it ships with it where it installs), to see what uvloop saves."""
    _, env = gaffe_command(fake, folder)
    launch = "import sys, runpy; sys.modules['uvloop'] = None; runpy.run_module('bot', run_name='__main__')"
    return [sys.executable, "-c", launch], env


def ptb_command(fake: FakeBotApi, folder: Path) -> tuple[list[str], dict[str, str]]:
    script = folder / "ptb_bot.py"
    script.write_text(PTB_BOT)
    checkup = str(folder / "checkup.json")
    return [sys.executable, str(script)], {"TOKEN": fake.token, "API_URL": f"{fake.url}/bot", "CHECKUP_JSON": checkup}


def ptb_fast_command(fake: FakeBotApi, folder: Path) -> tuple[list[str], dict[str, str]]:
    command, env = ptb_command(fake, folder)
    return command, {**env, "GAFFE_ROOT": str(ROOT), "PYTHONPATH": str(ROOT)}  # where `bot` imports from


def ptb_limited_command(fake: FakeBotApi, folder: Path) -> tuple[list[str], dict[str, str]]:
    command, env = ptb_fast_command(fake, folder)
    return command, {**env, "GAFFE_LIMITER": "1"}


def ptb_in_place_command(fake: FakeBotApi, folder: Path) -> tuple[list[str], dict[str, str]]:
    command, env = ptb_fast_command(fake, folder)
    return command, {**env, "EDIT_IN_PLACE": "1"}


def aiogram_command(fake: FakeBotApi, folder: Path) -> tuple[list[str], dict[str, str]]:
    script = folder / "aiogram_bot.py"
    script.write_text(textwrap.dedent(AIOGRAM_BOT))
    checkup = str(folder / "checkup.json")
    return [str(aiogram_python()), str(script)], {"TOKEN": fake.token, "API_BASE": fake.url, "CHECKUP_JSON": checkup}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15 of the line)


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]  # not a site's button


def is_next(user: int) -> Callable[[Call], bool]:
    """The bot's next message: a new one, or (edit in place) an edit that brings buttons."""

    def matches(call: Call) -> bool:
        if not call.ok or not isinstance(call.result, dict) or call.result.get("chat", {}).get("id") != user:
            return False
        return call.method == "sendMessage" or (call.method == "editMessageText" and bool(buttons(call.result)))

    return matches


async def next_message(fake: FakeBotApi, user: int, after: int) -> dict[str, Any]:
    while True:
        call = await fake.wait_for(is_next(user), timeout=60, after=after)
        after = fake.sent.index(call) + 1
        if buttons(call.result):  # a long text may come in several messages: the question has buttons
            return call.result


@dataclass
class Run:
    steps: int = 0
    latencies: list[float] = field(default_factory=list)


async def user_loop(fake: FakeBotApi, user: int, run: Run, until: float, interval: float | None, offset: float) -> None:
    """Checkups one after another: /checkup, then the first button of each question until the result."""
    next_press = time.monotonic() + offset
    if interval is not None:  # paced users start staggered too: 20 /checkup at once would queue at Telegram's cap
        await asyncio.sleep(offset)
    while time.monotonic() < until:
        mark = len(fake.sent)
        fake.user_sends(user, "/checkup")
        message = await next_message(fake, user, mark)
        while "/100" not in message["text"] and time.monotonic() < until:
            if interval is not None:
                await asyncio.sleep(max(0.0, next_press - time.monotonic()))
                next_press += interval
            mark = len(fake.sent)
            pressed = time.monotonic()
            fake.user_presses(user, message["message_id"], buttons(message)[0])
            message = await next_message(fake, user, mark)
            run.latencies.append(time.monotonic() - pressed)
            run.steps += 1


@contextlib.asynccontextmanager
async def running(peer: Peer, fake: FakeBotApi, folder: Path) -> AsyncIterator[int]:
    command, env = peer.command(fake, folder)
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env={**os.environ, **env}, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        await fake.wait_for(lambda c: c.method == "getUpdates", timeout=120)
        yield process.pid
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()


async def scenario(
    fake: FakeBotApi, pid: int, users: int, seconds: float, total_rate: float | None
) -> dict[str, float]:
    run = Run()
    first = len(fake.sent)
    cpu = cpu_seconds(pid)
    started = time.monotonic()
    until = started + seconds
    interval = users / total_rate if total_rate else None
    await asyncio.gather(
        *(user_loop(fake, 50_000 + u, run, until, interval, (interval or 0) * u / users) for u in range(users))
    )
    elapsed = time.monotonic() - started
    used = cpu_seconds(pid) - cpu
    calls = [c for c in fake.sent[first:] if c.method != "getUpdates"]
    latencies = sorted(run.latencies)
    return {
        "cpu_ms": used / run.steps * 1000,
        "calls": len(calls) / run.steps,
        "per_second": run.steps / elapsed,
        "median_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "steps": run.steps,
    }


ONE_USER_PACE = 14.0  # presses per second


async def measure(peer: Peer, seconds: float) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="gaffe-peers-") as folder:
        (Path(folder) / "checkup.json").write_text(json.dumps(await gaffe_checkup(), ensure_ascii=False), "utf-8")
        async with FakeBotApi() as fake, running(peer, fake, Path(folder)) as pid:
            await scenario(fake, pid, 1, 2, None)  # warm up
            return {
                "one": await scenario(fake, pid, 1, seconds, None),
                # The same lone user held to 14 presses a second, the pace Telegram's cap (30 messages a
                # second) allows a bot that edits then sends: each bot then idles between presses as Gaffe does.
                "one_paced": await scenario(fake, pid, 1, seconds / 2, ONE_USER_PACE),
                "paced": await scenario(fake, pid, 20, seconds, 12.0),
                "flat_out": await scenario(fake, pid, 20, seconds / 2, None),
            }


PER_CALL = """
import asyncio, sys, time
from telegram import Bot
from telegram.request import HTTPXRequest
from bot.adapters.aiohttp_request import AiohttpRequest

async def main():
    request = AiohttpRequest() if sys.argv[1] == "aiohttp" else HTTPXRequest()
    async with Bot(sys.argv[3], base_url=sys.argv[2], request=request) as bot:
        for _ in range(50):
            await bot.send_message(7, "warm up")
        started = time.process_time()
        for _ in range(300):
            await bot.send_message(7, "Fais gaffe mon pote !")
        print((time.process_time() - started) / 300 * 1000)

asyncio.run(main())
"""


async def per_call() -> dict[str, float]:
    figures = {}
    async with FakeBotApi() as fake:
        fake.add_chat(7)
        for transport in ("httpx", "aiohttp"):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", PER_CALL, transport, f"{fake.url}/bot", fake.token,
                stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
            )  # fmt: skip
            out, _ = await process.communicate()
            figures[transport] = float(out.decode().strip().splitlines()[-1])
    return figures


PEERS = [
    Peer("Gaffe", gaffe_command),
    Peer("bare python-telegram-bot (httpx, edit + send, no database, no limiter)", ptb_command),
    Peer("aiogram 3 + aiogram-dialog (edit in place, memory storage, no limiter)", aiogram_command),
]


EXTRA_PEERS = [
    Peer("Gaffe on asyncio's own loop (before uvloop)", gaffe_asyncio_command),
    Peer("bare python-telegram-bot on Gaffe's transport (aiohttp, uvloop; edit + send, no database)", ptb_fast_command),
    Peer("the same with Gaffe's rate limiter (PriorityRateLimiter, 30/s)", ptb_limited_command),
    Peer(
        "bare python-telegram-bot on Gaffe's transport, edit in place as aiogram-dialog (no send, no database)",
        ptb_in_place_command,
    ),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s per scenario instead of 20")
    parser.add_argument(
        "--only",
        default=None,
        help="peer numbers: 1 Gaffe, 2 PTB, 3 aiogram, 4 Gaffe without uvloop, 5 PTB on aiohttp, 6 + limiter,"
        " 7 PTB on aiohttp editing in place",
    )
    args = parser.parse_args(argv)
    seconds = 5.0 if args.quick else 20.0
    chosen = [(PEERS + EXTRA_PEERS)[int(i) - 1] for i in args.only.split(",")] if args.only else PEERS
    results = {}
    for peer in chosen:
        print(f"  {peer.name}…", file=sys.stderr)
        results[peer.name] = asyncio.run(measure(peer, seconds))
    calls = asyncio.run(per_call())
    base = results.get("Gaffe")
    print(
        "| bot | CPU per step, 1 user | CPU per step, 1 user at 14 presses/s | CPU per step, 20 users (12 presses/s)"
        " | Bot API calls per step (1 / 20) | CPU per call, 20 users | presses/s, 20 users"
        " | press → next question, 20 paced users (median / p99) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, figures in results.items():
        one, one_paced, paced, flat = figures["one"], figures["one_paced"], figures["paced"], figures["flat_out"]

        def ratio(scenario: str, value: float, name: str = name) -> str:
            if base is None or name == "Gaffe":
                return ""
            return f" ({value / base[scenario]['cpu_ms']:.2f}× Gaffe)"

        print(
            f"| {name} | {one['cpu_ms']:.1f} ms{ratio('one', one['cpu_ms'])}"
            f" | {one_paced['cpu_ms']:.1f} ms{ratio('one_paced', one_paced['cpu_ms'])}"
            f" | {paced['cpu_ms']:.1f} ms{ratio('paced', paced['cpu_ms'])}"
            f" | {one['calls']:.1f} / {paced['calls']:.1f} | {paced['cpu_ms'] / paced['calls']:.1f} ms"
            f" | {flat['per_second']:.0f}"
            f" | {paced['median_ms']:.0f} / {paced['p99_ms']:.0f} ms |"
        )
    print(
        f"\nCPU of one sendMessage (python-telegram-bot, 300 calls): httpx {calls['httpx']:.2f} ms,"
        f" aiohttp {calls['aiohttp']:.2f} ms"
    )


if __name__ == "__main__":
    main()
