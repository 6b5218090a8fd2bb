"""Drain a batch of pushes at Telegram's 30 messages per second while users chat: do the users wait?

Why it exists: issue 7's promise, "a batch of reminders never makes someone who is chatting wait", has to
hold at full size: 10,000 pushes due at once against a Bot API that answers 429 past 30 messages per
second, while 20 users each get replies. This script measures it with the real python-telegram-bot
client (`ExtBot`, httpx) and `bot.adapters.rate_limit.PriorityRateLimiter` against tests/support/fake_bot_api.py
(run in its own process, as Telegram is another machine).

Phases: an idle phase (users only) gives the reference latency; then all pushes are queued at once and
the users go on until the last push is delivered. A simulated user sends an input, waits for the reply,
thinks for a random time in ``--think LOW HIGH`` seconds and sends again. It prints messages per second,
429 answers, duplicates, losses, and the users' send-to-delivered median and p99 (delivered = the fake
accepted the reply) during the drain next to the idle phase.

Pacing: the replies share the 30 per second with the pushes and go first, so the drain takes about
pushes / (30 - replies per second). The default think time (2-4 s: about 7 replies per second for 20
users) drains 10,000 pushes in about 7 minutes. With ``--think 0.5 1`` the replies alone take about 25
of the 30 slots and 10,000 pushes would need half an hour: lower ``--pushes`` for that pacing.

    python -m bench.drain                     # 10,000 pushes, 20 users, under 10 minutes
    python -m bench.drain --pushes 1000 --idle 5   # a quick look (about a minute)
    python -m bench.drain --senders 60        # pushes sent by 60 tasks from a queue, not 10,000 tasks
    python -m bench.drain --limiter aio       # the same with python-telegram-bot's AIORateLimiter
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from telegram.ext import AIORateLimiter, BaseRateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.adapters.rate_limit import PUSH, PriorityRateLimiter
from tests.support.fake_bot_api import FakeBotApi
from tests.support.percentile import percentile

TOKEN = "123456:BENCH-TOKEN-abcdefghijklmnopqrstuvwxyz"
FIRST_PUSH_CHAT = 10_000_000


@dataclass
class Reply:
    chat_id: int
    text: str
    phase: str
    sent_at: float  # time.monotonic()


@dataclass
class Run:
    replies: list[Reply] = field(default_factory=list)
    phase: str = "idle"
    drain_started: float = 0.0
    drain_ended: float = 0.0


@dataclass(frozen=True)
class Delivery:
    """One sendMessage the fake answered: to whom, what, when (time.monotonic(), system-wide on Linux)."""

    chat_id: int
    text: str
    time: float
    code: int  # 200, or the error code


def serve_fake(connection: Connection, cap: int, chats: list[int]) -> None:
    """The child process: run the fake until told to stop, then send back what it answered."""

    async def serve() -> None:
        fake = FakeBotApi(token=TOKEN, max_messages_per_second=cap)
        for chat in chats:
            fake.add_chat(chat)
        await fake.start()
        connection.send(fake.url)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, connection.recv)  # "stop"
        await fake.stop()
        deliveries = [
            Delivery(call.params["chat_id"], call.params["text"], call.time, call.error.code if call.error else 200)
            for call in fake.calls("sendMessage")
        ]
        connection.send((deliveries, fake.flood_errors))

    asyncio.run(serve())


class FakeInProcess:
    """The fake Bot API in its own process, as Telegram is another machine: its work does not slow the bot."""

    def __init__(self, cap: int, chats: list[int]) -> None:
        self._connection, child = multiprocessing.get_context("fork").Pipe()
        self._process = multiprocessing.get_context("fork").Process(target=serve_fake, args=(child, cap, chats))
        self._process.start()
        self.url: str = self._connection.recv()

    def stop(self) -> tuple[list[Delivery], int]:
        """Stop the server; return its sendMessage answers and its count of 429s."""
        self._connection.send("stop")
        deliveries, flood_errors = self._connection.recv()
        self._process.join()
        return deliveries, flood_errors


async def user(bot: ExtBot, chat_id: int, run: Run, think: tuple[float, float], rng: random.Random) -> None:  # type: ignore[type-arg]
    """Send, wait for the reply, think, again, until the run is over."""
    n = 0
    while run.phase != "done":
        await asyncio.sleep(rng.uniform(*think))
        if run.phase == "done":
            break
        n += 1
        reply = Reply(chat_id, f"reply {chat_id}-{n}", run.phase, time.monotonic())
        run.replies.append(reply)
        await bot.send_message(chat_id, reply.text)


async def send_with_workers(
    bot: ExtBot,  # type: ignore[type-arg]
    chats: range,
    push_args: Any,
    senders: int,
) -> list[object]:
    """Send the pushes with a fixed number of tasks taking them from a queue."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for chat in chats:
        queue.put_nowait(chat)
    outcomes: list[object] = []

    async def worker() -> None:
        while not queue.empty():
            chat = queue.get_nowait()
            try:
                outcomes.append(await bot.send_message(chat, f"push {chat}", rate_limit_args=push_args))
            except Exception as error:
                outcomes.append(error)

    await asyncio.gather(*(worker() for _ in range(senders)))
    return outcomes


async def bench(args: argparse.Namespace) -> None:
    push_chats = range(FIRST_PUSH_CHAT, FIRST_PUSH_CHAT + args.pushes)
    user_chats = range(1, args.users + 1)
    server = FakeInProcess(args.cap, [*user_chats, *push_chats])
    limiter: BaseRateLimiter[Any]
    if args.limiter == "priority":
        limiter = PriorityRateLimiter(overall_max_rate=args.rate, overall_time_period=args.period, max_retries=5)
        push_args: Any = PUSH
    else:
        limiter = AIORateLimiter(overall_max_rate=args.rate, overall_time_period=args.period, max_retries=5)
        push_args = None
    request = HTTPXRequest(connection_pool_size=64, pool_timeout=60)
    rng = random.Random(args.seed)
    run = Run()
    async with ExtBot(TOKEN, base_url=f"{server.url}/bot", request=request, rate_limiter=limiter) as bot:
        users = [asyncio.create_task(user(bot, chat, run, (args.think[0], args.think[1]), rng)) for chat in user_chats]
        print(f"idle phase: {args.users} users for {args.idle:g} s ...", flush=True)
        await asyncio.sleep(args.idle)
        run.phase = "drain"
        run.drain_started = time.monotonic()
        how = f"by {args.senders} tasks" if args.senders else "at once"
        print(f"drain: {args.pushes} pushes queued {how} ...", flush=True)
        if args.senders:
            outcomes = await send_with_workers(bot, push_chats, push_args, args.senders)
        else:  # one task per push, all waiting in the limiter
            pushes = [
                asyncio.create_task(bot.send_message(chat, f"push {chat}", rate_limit_args=push_args))
                for chat in push_chats
            ]
            outcomes = await asyncio.gather(*pushes, return_exceptions=True)
        run.drain_ended = time.monotonic()
        run.phase = "done"
        await asyncio.gather(*users)
    deliveries, flood_errors = server.stop()
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    report(args, deliveries, flood_errors, run, limiter, failures)


def report(
    args: argparse.Namespace,
    deliveries: list[Delivery],
    flood_errors: int,
    run: Run,
    limiter: BaseRateLimiter[Any],
    failures: list[BaseException],
) -> None:
    delivered_at: dict[tuple[int, str], float] = {}
    delivered: Counter[tuple[int, str]] = Counter()
    in_drain = 0
    for delivery in deliveries:
        if delivery.code == 200:
            key = (delivery.chat_id, delivery.text)
            delivered[key] += 1
            delivered_at.setdefault(key, delivery.time)
            in_drain += run.drain_started <= delivery.time <= run.drain_ended
    expected = [(chat, f"push {chat}") for chat in range(FIRST_PUSH_CHAT, FIRST_PUSH_CHAT + args.pushes)]
    expected += [(reply.chat_id, reply.text) for reply in run.replies]
    lost = sum(1 for key in expected if delivered[key] == 0)
    duplicated = sum(count - 1 for count in delivered.values() if count > 1)
    duration = run.drain_ended - run.drain_started
    latency: dict[str, list[float]] = {"idle": [], "drain": []}
    for reply in run.replies:
        if reply.phase in latency and (reply.chat_id, reply.text) in delivered_at:
            latency[reply.phase].append(delivered_at[(reply.chat_id, reply.text)] - reply.sent_at)
    pushes_in_drain = sum(1 for key in expected[: args.pushes] if delivered[key])
    print()
    print(
        f"limiter: {type(limiter).__name__}, {args.rate} per {args.period:g} s"
        "; "
        f"fake Bot API: {args.cap} per sliding second"
    )
    print(f"users: {args.users}, think {args.think[0]:g}-{args.think[1]:g} s; pushes: {args.pushes}")
    rates = f"{in_drain / duration:.2f} messages/s in all ({pushes_in_drain / duration:.2f} pushes/s)"
    print(f"drain: {duration:.1f} s, {rates}")
    print(f"429 answers: {flood_errors}; failed sends: {len(failures)}; lost: {lost}; duplicated: {duplicated}")
    flooded = [f"{d.time - run.drain_started:+.1f}" for d in deliveries if d.code == 429]
    if flooded:
        print(f"429 answers at (s from the drain's start): {', '.join(flooded[:20])}")
    print("users' send -> delivered:")
    for phase in ("idle", "drain"):
        values = latency[phase]
        if values:
            print(
                f"  {phase:<6} {len(values):>5} replies  median {statistics.median(values) * 1000:7.1f} ms"
                f"  p99 {percentile(values, 0.99) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms"
            )
    if latency["idle"] and latency["drain"]:
        ratio = percentile(latency["drain"], 0.99) / percentile(latency["idle"], 0.99)
        print(f"  p99 during the drain / idle: {ratio:.2f}")
    stats = getattr(limiter, "stats", None)
    if stats:
        print(f"limiter stats: {dict(stats)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pushes", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 4.0), metavar=("LOW", "HIGH"))
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of the idle phase")
    parser.add_argument("--cap", type=int, default=30, help="the fake's messages per second")
    parser.add_argument("--rate", type=int, default=30, help="the limiter's messages per --period")
    parser.add_argument("--period", type=float, default=1.0, help="the limiter's period (s)")
    parser.add_argument("--limiter", choices=("priority", "aio"), default="priority")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--senders", type=int, default=0, help="send the pushes with this many tasks (default: one task per push)"
    )
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
