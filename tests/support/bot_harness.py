"""Running the real Telegram bot against the fake Bot API, and pressing its buttons as a user would.

Shared by the end-to-end tests: `running_bot` starts the Application as `bot.adapters.telegram.serve` does
(long polling, or Gaffe's webhook server), and the helpers wait for the bot's messages and press their buttons.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.adapters.telegram import build_application, start_receiving
from bot.config import Settings
from bot.core.dialogue import Content
from bot.core.engine import Command, Pick, Result, State, step
from bot.service import Clock, system_clock
from tests.support.fake_bot_api import Call, FakeBotApi
from tests.support.paths import ROOT

CHAT_METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup")


def settings_for(fake: FakeBotApi, db: Path) -> Settings:
    return replace(
        Settings.from_env(),
        token=fake.token,
        api_url=f"{fake.url}/bot",
        database=db,
        dialogues_dir=ROOT / "dialogues",
        locales_dir=ROOT / "locales",
        webhook_url=None,
        webhook_listen="127.0.0.1",
        webhook_port=0,
        webhook_secret=None,
        flood_updates=10_000,  # tests press faster than people: the abuse limits have their own tests
        data_dir=db.parent / "gaffe-data",  # no download from the internet in tests: the sample data sets
        hibp_breaches=str(ROOT / "tests" / "fixtures" / "data" / "hibp-breaches-sample.json"),
        stalkerware_ioc=ROOT / "tests" / "fixtures" / "data" / "ioc-sample.yaml",
    )


@asynccontextmanager
async def running_bot(
    fake: FakeBotApi, db: Path, settings: Settings | None = None, clock: Clock = system_clock
) -> AsyncIterator[Application]:
    """The Application as `serve` runs it (polling, or with a webhook URL, Gaffe's webhook server): initialize,
    post_init, receiving, start; then stopped the same way. `clock` is what Gaffe reads as the time."""
    settings = settings or settings_for(fake, db)
    app = build_application(settings, clock)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    assert app.updater is not None
    if settings.webhook_url:
        stop_receiving = await start_receiving(app, settings)
    else:
        await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
        stop_receiving = app.updater.stop
    await app.start()
    try:
        yield app
    finally:
        await stop_receiving()
        await app.stop()
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)


async def after_rounds(app: Application, count: int = 2) -> None:  # type: ignore[type-arg]
    """Wait until the scheduler has completed `count` more rounds (the first may have begun before the call,
    so 2 means one whole round since): "nothing happened" is then checked after an event, not a sleep."""
    scheduler = app.bot_data["scheduler"]
    target = scheduler.rounds + count
    while scheduler.rounds < target:
        await asyncio.sleep(0.02)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row if "callback_data" in b]  # not a site's


def sent_to(user: int) -> Callable[[Call], bool]:
    return lambda c: c.ok and c.method == "sendMessage" and c.result["chat"]["id"] == user


def _edits(call: Call, user: int, message_id: int) -> bool:
    return (
        call.method.startswith("editMessage")
        and call.params.get("chat_id") == user
        and (call.params.get("message_id") == message_id)
    )


async def marked(fake: FakeBotApi, user: int, message: dict[str, Any], after: int) -> dict[str, Any]:
    """The pressed question once Gaffe has marked it with the pick (an edit, just after the next question)."""
    await fake.wait_for(lambda c: _edits(c, user, message["message_id"]), after=after)
    return next(m for m in fake.messages(user) if m["message_id"] == message["message_id"])


async def next_message(fake: FakeBotApi, user: int, after: int) -> tuple[dict[str, Any], int]:
    call = await fake.wait_for(sent_to(user), timeout=15, after=after)
    return call.result, fake.sent.index(call) + 1


async def press(
    fake: FakeBotApi, user: int, message: dict[str, Any], index: int, after: int
) -> tuple[dict[str, Any], int]:
    """Press a button of `message` and wait for the bot's next message."""
    fake.user_presses(user, message["message_id"], buttons(message)[index][1])
    return await next_message(fake, user, after)


@dataclass
class Crowd:
    """What a crowd pressing at once saw: each press → next question latency, and the calls made meanwhile."""

    latencies: list[float]
    seconds: float
    calls: list[Call]


async def crowd_presses(fake: FakeBotApi, users: range, presses_each: int) -> Crowd:
    """`users` start a checkup together, then all press at once, each as soon as their next question arrives:
    the first button, `presses_each` times (the intro's "go", then questions)."""
    mark = len(fake.sent)
    for user in users:
        fake.user_sends(user, "/checkup")
    intros = await asyncio.gather(*(next_message(fake, user, mark) for user in users))
    await asyncio.sleep(1.1)  # the intros' second of budget is over: start from a quiet second
    latencies: list[float] = []

    async def press_through(user: int, message: dict[str, Any]) -> None:
        for _ in range(presses_each):
            pressed, after = time.monotonic(), len(fake.sent)
            message, _ = await press(fake, user, message, 0, after)
            latencies.append(time.monotonic() - pressed)

    first, started = len(fake.sent), time.monotonic()
    await asyncio.gather(*(press_through(u, m) for u, (m, _) in zip(users, intros, strict=True)))
    return Crowd(latencies, time.monotonic() - started, fake.sent[first:])


def chat_calls(fake: FakeBotApi, user: int, start: int, end: int | None = None) -> list[Call]:
    return [c for c in fake.sent[start:end] if c.method in CHAT_METHODS and c.params.get("chat_id") == user]


async def checkup_by_buttons(
    fake: FakeBotApi, user: int, choose: Callable[[int, int], int], language: str = "fr", at_load: bool = False
) -> tuple[str, int]:
    """Run /checkup by pressing buttons; `choose(question_number, button_count)` picks one.

    Returns the result text (or the last text, on an ending without a score) and the number of presses.
    Checks the budget of every press on the way. `at_load`: many users at once, when marking the answered
    question is cosmetic and may be dropped (then the question is left exactly as it was)."""
    mark = len(fake.sent)
    fake.user_sends(user, "/checkup", language_code=language)
    message, mark = await next_message(fake, user, mark)
    presses = 0
    while buttons(message) and "/100" not in message["text"]:  # the result comes with a reminder offer
        choices = buttons(message)
        label, data = choices[choose(presses, len(choices)) if presses else 0]  # the intro: go
        before = len(fake.sent)
        query = fake.user_presses(user, message["message_id"], data, language_code=language)
        presses += 1
        answered, mark = await next_message(fake, user, mark)
        await fake.wait_for(
            lambda c, q=query: c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == q
        )
        # The question keeps its text, shows the pick, loses its buttons, just after the next question is sent
        # (or, dropped at load, is untouched).
        shown = (
            await marked(fake, user, message, before)
            if not at_load
            else next(m for m in fake.messages(user) if m["message_id"] == message["message_id"])
        )
        picked = label in shown["text"] and "reply_markup" not in shown
        assert picked or (at_load and shown == message), shown
        assert len(chat_calls(fake, user, before)) <= 2  # one new message, one edit
        message = answered
    return message["text"], presses


def expected_score(content: Content, choose: Callable[[int, int], int]) -> int | None:
    """The score the pure engine gives for the same picks (None: an ending without a score, e.g. the safety one)."""
    result = step(content, State(), Command("checkup"))
    presses = 0
    while True:
        scores = [o.score for o in result.outputs if isinstance(o, Result)]
        if scores:
            return scores[0]
        state = result.state
        if state.node is None:
            return None
        count = len(content.dialogues[state.dialogue or ""].nodes[state.node or ""].choices)
        result = step(content, state, Pick(state.step, choose(presses, count) if presses else 0))
        presses += 1


def best(number: int, count: int) -> int:
    return 0


async def menus_set(fake: FakeBotApi) -> None:
    """Wait until the start-up round of menus and descriptions is done (its last call: the default short
    description, set after every language's)."""
    await fake.wait_for(lambda c: c.ok and c.method == "setMyShortDescription" and not c.params.get("language_code"))
