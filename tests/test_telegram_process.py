"""`python -m bot` as an operator runs it, in its own process, against the fake Bot API on loopback:
TELEGRAM_API_URL is honoured, SIGTERM stops it cleanly, `kill -9` loses no answered step, and a
rejected token is reported without being printed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.support.bot_harness import buttons, menus_set, next_message, press
from tests.support.fake_bot_api import FakeBotApi
from tests.support.paths import ROOT


def _env(fake: FakeBotApi, db: Path, token: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(TELEGRAM_BOT_TOKEN=token or fake.token, TELEGRAM_API_URL=f"{fake.url}/bot", GAFFE_DB=str(db))
    env.update(GAFFE_HIBP_BREACHES=str(ROOT / "tests" / "fixtures" / "data" / "hibp-breaches-sample.json"))
    return env


@asynccontextmanager
async def bot_process(fake: FakeBotApi, db: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=_env(fake, db),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_kill_9_loses_no_answered_step_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite3"
    async with FakeBotApi() as fake:
        async with bot_process(fake, db) as first:
            mark = len(fake.sent)
            fake.user_sends(42, "/checkup")
            intro, mark = await next_message(fake, 42, mark)
            question, mark = await press(fake, 42, intro, 0, mark)
            current, mark = await press(fake, 42, question, 3, mark)
            first.send_signal(signal.SIGKILL)  # right after the reply: the answer must be saved
            await first.wait()

        async with bot_process(fake, db) as second:
            after_restart, mark = await press(fake, 42, current, 0, mark)  # the old message's button
            if "On reprend" in after_restart["text"]:  # killed before the delivery was noted: asked again
                after_restart, mark = await next_message(fake, 42, mark)
            assert buttons(after_restart) and after_restart["text"] != current["text"]
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 30) == 0
            output = (await second.stdout.read()).decode() if second.stdout else ""
        assert fake.token not in output and fake.token.split(":")[1] not in output

    from bot.app import load_content, open_store

    store = await open_store(db)
    state = await store.load(42)
    await store.close()
    assert state is not None and state.dialogue == "checkup"
    nodes = load_content(ROOT / "dialogues", ROOT / "locales").dialogues["checkup"].nodes
    answered = sum((nodes[n].best_points or 0) * nodes[n].weight for n in ("manager", "reuse"))
    assert state.max_points == answered  # the two answers given across the kill are both counted
    assert state.advice  # including the weak one before the kill


async def test_rejected_token_is_reported_without_being_printed(tmp_path: Path) -> None:
    async with FakeBotApi() as fake:
        wrong = "987654:WRONG-TOKEN-abcdefghijklmnopqrstuvwxyz0123"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=ROOT, env=_env(fake, tmp_path / "g.sqlite3", token=wrong),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode()
    assert process.returncode == 1, text
    assert "Telegram rejected the token: check TELEGRAM_BOT_TOKEN" in text, text
    assert wrong not in text and wrong.split(":")[1] not in text


async def test_a_failing_command_menu_does_not_stop_the_bot_and_is_set_later(tmp_path: Path) -> None:
    """setMyCommands is cosmetic: answered 500 at start-up, the bot serves anyway and sets the menus after."""
    async with FakeBotApi() as fake:
        fake.fail_next("setMyCommands", code=500)
        async with bot_process(fake, tmp_path / "g.sqlite3") as process:
            fake.user_sends(61, "/start")
            await fake.wait_for_message(61, contains="Fais gaffe", timeout=30)
            await menus_set(fake)
            assert process.returncode is None
        failed = [e for e in fake.errors if e.method == "setMyCommands"]
        assert len(failed) == 1 and failed[0].code == 500
        assert fake.my_commands("fr") and fake.my_commands("en") and fake.my_commands("") == fake.my_commands("en")
