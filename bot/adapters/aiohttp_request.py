"""python-telegram-bot's HTTP transport on aiohttp instead of httpx: the same requests for a third of the CPU.

Why it exists: profiled under load, about two thirds of Gaffe's CPU went to python-telegram-bot's default
transport (httpx, httpcore, h11, anyio); one sendMessage cost about 3 ms of CPU on httpx and about 1 ms on
aiohttp (bench/peers.py measures both). `telegram.request.BaseRequest` is python-telegram-bot's documented
extension point for this; ptbcontrib's `aiohttp_request` was the reference, this is a smaller, typed take on it
that keeps `HTTPXRequest`'s behaviour:

- the same defaults: read, write and connect timeouts of 5 s, a pool timeout of 1 s, 20 s to write a file
  upload, connection pools of 256 (1 for getUpdates, as `ApplicationBuilder` sizes them);
- proxies: an explicit ``proxy`` URL, else the ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` environment
  variables, as httpx reads them;
- errors mapped the same way: a timeout is `telegram.error.TimedOut`, any other client error is
  `telegram.error.NetworkError`, so python-telegram-bot's retries and Gaffe's `_retry_network` work unchanged;
- the token (part of every URL) is never logged: aiohttp logs nothing about requests by default, and the
  URL is cut out of the error messages this class raises.

Requests without files go as one JSON body (one `json.dumps` in C, cheaper than url-encoding each parameter);
uploads go as multipart form data.
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from typing import Final

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

JSON_HEADERS: Final = {"Content-Type": "application/json"}
TOKEN_IN_URL: Final = re.compile(r"/(file/)?bot[^/\s'\"]+")


def _without_token(text: str) -> str:
    return TOKEN_IN_URL.sub(lambda match: f"/{match.group(1) or ''}bot<token>", text)


def _total(*timeouts: float | None) -> float | None:
    """aiohttp has no write timeout; the whole request is bounded by the sum of the phases instead."""
    return None if any(t is None for t in timeouts) else sum(t for t in timeouts if t is not None)


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one `aiohttp.ClientSession`, made at `initialize` and closed at `shutdown`.

    Usage: ``ApplicationBuilder().request(AiohttpRequest()).get_updates_request(AiohttpRequest(1))``."""

    __slots__ = (
        "_connect_timeout",
        "_environment_proxies",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._environment_proxies: dict[str, str] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # Made here, on the running loop (python-telegram-bot initializes the bot inside it).
            # httpx reads the proxy variables too; they are read here once: aiohttp's trust_env would read
            # them and ~/.netrc again on every request, in a thread (a fifth of Gaffe's CPU per step).
            self._environment_proxies = urllib.request.getproxies_environment()
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                skip_auto_headers=("User-Agent",),
                headers={"User-Agent": self.USER_AGENT},
            )

    def _proxy_from_environment(self, url: str) -> str | None:
        if not self._environment_proxies:
            return None
        parts = urllib.parse.urlsplit(url)
        if urllib.request.proxy_bypass(parts.hostname or ""):
            return None
        return self._environment_proxies.get(parts.scheme) or self._environment_proxies.get("all")

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        has_files = bool(request_data and request_data.contains_files)
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if has_files else self._write_timeout
        timeout = aiohttp.ClientTimeout(
            total=_total(read, write_timeout, connect, pool),
            connect=_total(pool, connect),  # aiohttp's "connect" is waiting for the pool plus connecting
            sock_connect=connect,
            sock_read=read,
        )
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data is not None and has_files:
            form = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, *mime) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mime[0] if mime else None)
            body = form
        elif request_data is not None and request_data.parameters:
            body, headers = request_data.json_payload, JSON_HEADERS
        proxy = self._proxy or self._proxy_from_environment(url)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=proxy
            ) as response:
                return response.status, await response.read()
        # Some aiohttp errors quote the URL, which holds the token: the message is kept without it, and the
        # original is not chained (a logged traceback would print it).
        except TimeoutError as error:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut(f"Timed out ({error.__class__.__name__})") from None
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {_without_token(str(error))}") from None
