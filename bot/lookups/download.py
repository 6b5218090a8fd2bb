"""Fetching a public data file over HTTP, and replacing a local copy without ever leaving half of one.

One client per download (they are rare: at most daily), a User-Agent naming the project (HIBP
refuses requests without one), a timeout and a size cap, so a misbehaving server can neither hang
nor fill the disk. Every failure becomes a `DownloadError` with a one-line reason.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

USER_AGENT = "Gaffe-bot/0.1 (+https://github.com/gaffe-bot/gaffe)"
TIMEOUT_SECONDS = 30.0
MAX_BYTES = 32 * 1024 * 1024  # the breach catalogue is about 1 MB, ioc.yaml about 100 KB


class DownloadError(Exception):
    """A download failed; the message says why in one line."""


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def get_bytes(
    url: str, *, user_agent: str = USER_AGENT, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_BYTES
) -> bytes:
    """The body of a GET on `url`, or DownloadError (network error, non-200 status, body over max_bytes)."""
    try:
        async with (
            httpx.AsyncClient(timeout=timeout, follow_redirects=True, headers={"User-Agent": user_agent}) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise DownloadError(f"{url} answered HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(f"{url} sent more than {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as error:
        raise DownloadError(f"{url} could not be fetched: {type(error).__name__}: {error}") from error


def modified_on(path: Path) -> date:
    """The day a local copy was last written (by `update-data`, or by hand): how old its data is."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).date()


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
