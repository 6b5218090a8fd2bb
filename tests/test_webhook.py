"""The webhook server, as Telegram (and anyone else who finds the port) reaches it, on 127.0.0.1: the secret
header is checked before the body is read, the body is capped, a malformed one gets 400, and what it said
reaches no log. Requests are written on a raw socket, so "before the body is read" can be shown: the answer
comes while the announced body has not been sent at all."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from bot.adapters.telegram import WEBHOOK_PATH
from bot.adapters.webhook import MAX_UPDATE_BYTES
from tests.support.bot_harness import running_bot, settings_for
from tests.support.fake_bot_api import FakeBotApi

SECRET = "s3cret-token"
SAID = "mon-texte-a-moi-QX7"  # what a user wrote: it must reach no log


@asynccontextmanager
async def webhook_bot(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = replace(
        settings_for(fake, tmp_path / "g.sqlite3"),
        webhook_url=f"https://gaffe.example.org/{WEBHOOK_PATH}",
        webhook_port=port,
        webhook_secret=SECRET,
    )
    async with running_bot(fake, settings.database, settings):
        yield port


async def _status(port: int, headers: dict[str, str], body: bytes = b"") -> int:
    """Send the request line and headers (and `body`, maybe less than announced); the answer's status code."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(f"POST /{WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode() + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)  # no answer while it waits for a body
        return int(status_line.split()[1])
    finally:
        writer.close()


async def test_a_wrong_secret_is_refused_before_the_body_is_read(fake: FakeBotApi, tmp_path: Path) -> None:
    async with webhook_bot(fake, tmp_path) as port:
        announced = {"Content-Type": "application/json", "Content-Length": str(50 * 1024 * 1024)}
        assert await _status(port, {**announced, "X-Telegram-Bot-Api-Secret-Token": "guess"}) == 403
        assert await _status(port, announced) == 403


async def test_an_oversized_body_gets_413(fake: FakeBotApi, tmp_path: Path) -> None:
    async with webhook_bot(fake, tmp_path) as port:
        secret = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        announced = {**secret, "Content-Length": str(MAX_UPDATE_BYTES + 1)}
        assert await _status(port, announced) == 413  # refused on the header: nothing sent yet
        chunk = b"x" * (MAX_UPDATE_BYTES + 1)  # no length announced: read up to the cap, then refused
        chunked = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n"
        assert await _status(port, {**secret, "Transfer-Encoding": "chunked"}, chunked) == 413


@pytest.mark.parametrize(
    "body",
    [
        f'{{"update_id": 5, "message": {{"text": "{SAID}"'.encode(),  # cut: not JSON
        json.dumps({"update_id": 5, "message": {"text": SAID, "chat": "?"}}).encode(),  # JSON, not an update
        json.dumps([SAID]).encode(),
    ],
)
async def test_a_malformed_update_gets_400_and_no_log_shows_it(
    fake: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    caplog.set_level(logging.DEBUG)
    async with webhook_bot(fake, tmp_path) as port:
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert await _status(port, {**headers, "Content-Length": str(len(body))}, body) == 400
    logged = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records)
    assert "not an update" in logged  # it is said, by its size
    assert SAID not in logged and SAID not in caplog.text


async def test_an_update_python_telegram_bot_cannot_parse_is_not_logged_by_polling_either(
    fake: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """Polling's path: python-telegram-bot logs what getUpdates returned, whole, when it cannot parse it;
    through Gaffe's logging (`python -m bot` sets it up so) the record keeps its words, not the data."""
    from telegram import Bot

    from bot.logs import setup_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup_logging(fake.token)  # its handler writes to stderr, captured here
    try:
        fake.queue_update({"message": {"text": SAID, "chat": "?"}})
        async with Bot(fake.token, base_url=f"{fake.url}/bot") as bot:
            with pytest.raises(Exception):  # noqa: B017 (whatever python-telegram-bot raises on it)
                await bot.get_updates(timeout=0)
    finally:
        root.handlers[:], root.level = saved
    logged = capsys.readouterr().err
    assert "Error while parsing updates" in logged  # the record is there, without the data
    assert SAID not in logged
