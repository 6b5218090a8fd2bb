"""A tiny HTTP server on 127.0.0.1 serving data files to the look-up tests, recording every request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class DataServer:
    """`files` maps a path ("/ioc.yaml") to (status, body); change it between requests to serve a newer file."""

    files: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, User-Agent)
    base_url: str = ""

    def serve(self, path: str, body: bytes, status: int = 200) -> None:
        self.files[path] = (status, body)

    async def answer(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, request.headers.get("User-Agent")))
        status, body = self.files.get(request.path, (404, b"not found"))
        return web.Response(status=status, body=body)


@asynccontextmanager
async def data_server() -> AsyncIterator[DataServer]:
    server = DataServer()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", server.answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()
