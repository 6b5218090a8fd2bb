"""The aiohttp transport behaves as python-telegram-bot's httpx one: requests, uploads, timeouts, errors."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut

from bot.adapters.aiohttp_request import AiohttpRequest
from tests.support.fake_bot_api import FakeBotApi


@pytest.fixture
async def slow_server() -> AsyncIterator[str]:
    """A server that answers after 2 s, and records what it was sent."""

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{path:.*}", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_bot_talks_to_the_bot_api_through_it(fake: FakeBotApi) -> None:
    fake.add_chat(5)
    request = AiohttpRequest()
    bot = Bot(fake.token, base_url=f"{fake.url}/bot", request=request, get_updates_request=AiohttpRequest(1))
    async with bot:
        me = await bot.get_me()
        sent = await bot.send_message(5, "<b>Fais gaffe</b> mon pote", parse_mode="HTML")
        document = await bot.send_document(5, InputFile(b"%PDF-1.4 tiny", filename="guide.pdf"), caption="ton guide")
    assert me.username == fake.bot_user["username"]
    assert sent.text == "Fais gaffe mon pote" and sent.entities[0].type == "bold"
    assert document.document is not None and document.document.file_name == "guide.pdf"
    upload = next(c for c in fake.calls("sendDocument")).params["document"]
    assert upload.data == b"%PDF-1.4 tiny"  # the multipart upload arrived whole
    assert fake.errors == []


async def test_a_slow_answer_is_timed_out(slow_server: str) -> None:
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"{slow_server}/bot123:SECRET/getMe", "POST")
        with pytest.raises(TimedOut):  # a per-call timeout wins over the default
            await AiohttpRequest.do_request(request, f"{slow_server}/bot123:SECRET/getMe", "POST", read_timeout=0.1)
    finally:
        await request.shutdown()


async def test_network_errors_are_network_errors_without_the_token() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as refused:
            await request.do_request(f"http://127.0.0.1:{port}/bot123:SECRET/getMe", "POST")
        with pytest.raises(NetworkError) as invalid:
            await request.do_request("http://[bad/bot123:SECRET/getMe", "POST")
    finally:
        await request.shutdown()
    for error in (refused.value, invalid.value):
        assert not isinstance(error, TimedOut)
        assert "SECRET" not in str(error) and error.__cause__ is None, error


async def test_it_must_be_initialized_and_can_be_again(fake: FakeBotApi) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request(f"{fake.url}/bot{fake.token}/getMe", "POST")
    for _ in range(2):  # python-telegram-bot may initialize again after a shutdown
        await request.initialize()
        status, body = await request.do_request(f"{fake.url}/bot{fake.token}/getMe", "POST")
        await request.shutdown()
        assert status == 200 and json.loads(body)["ok"] is True
    assert request.read_timeout == 5.0
