"""The webhook server: Telegram's POSTs of updates, on aiohttp, checked before they cost anything.

Why Gaffe has its own instead of python-telegram-bot's (tornado): that one reads a body of up to 100 MB
before it looks at the secret header, so anyone who can reach the port could make Gaffe hold hundreds of
megabytes; and it logs a malformed update's whole payload (what a user wrote) at CRITICAL. Here:
- the secret header (`X-Telegram-Bot-Api-Secret-Token`, compared in constant time) is checked first, on the
  headers alone: a wrong one gets 403 and the connection is closed without the body being read;
- the body is capped at `MAX_UPDATE_BYTES` (1 MiB): an update is one user's message or button press, and
  Telegram caps a message at 4096 characters (a few kB of JSON even with every entity and a long caption),
  files come as ids, never inline; a larger body gets 413, announced (Content-Length) or read up to the cap;
- a body that is not JSON, or not an update, gets 400 and a log line with its size only, never its content;
- nothing else is logged per request (no access log).
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger("gaffe.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024


@dataclass
class WebhookServer:
    """Listens on `listen:port` at `/path`; updates go to the application's queue, as polling's do."""

    application: Application[Any, Any, Any, Any, Any, Any]
    secret: str
    listen: str
    port: int
    path: str
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)

    async def start(self) -> None:
        """Listen (an OSError when the port is taken or the address is not this machine's)."""
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(f"/{self.path.strip('/')}", self._receive)
        # lingering_time=0: a refused request's unread body is not drained, the connection is closed instead.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, lingering_time=0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.listen, self.port).start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), self.secret.encode()):
            return _closing(web.Response(status=403))
        if request.content_length is not None and request.content_length > MAX_UPDATE_BYTES:
            return _closing(web.Response(status=413))
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _closing(web.Response(status=413))
        update = self._update(body)
        if update is None:
            log.warning("refused a webhook request that is not an update (%s bytes)", len(body))
            return web.Response(status=400)
        await self.application.update_queue.put(update)
        return web.Response()

    def _update(self, body: bytes) -> Update | None:
        try:
            data = json.loads(body)
            return Update.de_json(data, self.application.bot) if isinstance(data, dict) else None
        except Exception:  # anything python-telegram-bot fails on while parsing: the sender's problem
            return None


def _closing(response: web.Response) -> web.Response:
    response.force_close()
    return response
