"""Shared fixtures: the small test content (tests/fixtures/mini), the shipped content, and stores."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import load_content, open_store
from bot.core.dialogue import Content
from bot.core.i18n import Translator, load_translators
from bot.service import Gaffe
from bot.storage import Store
from tests.support.fake_bot_api import FakeBotApi
from tests.support.paths import MINI, ROOT


@pytest.fixture(scope="session")
def mini() -> Content:
    return load_content(MINI / "dialogues", MINI / "locales")


@pytest.fixture(scope="session")
def mini_translators() -> dict[str, Translator]:
    return load_translators(MINI / "locales")


@pytest.fixture(scope="session")
def shipped() -> Content:
    return load_content(ROOT / "dialogues", ROOT / "locales")


@pytest.fixture(scope="session")
def translators() -> dict[str, Translator]:
    return load_translators(ROOT / "locales")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "gaffe.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
def mini_gaffe(mini: Content, mini_translators: dict[str, Translator], store: Store) -> Gaffe:
    return Gaffe(mini, mini_translators, store)


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    """A test that fails between `Store.open` and `close` leaves aiosqlite's thread running, and it is not a
    daemon: Python would then wait for it forever after the summary, and CI would time out instead of showing
    the failure. Name the threads left, and exit with pytest's own status."""
    left = [t.name for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if left:
        print(f"\nthreads left running after the tests (a store not closed?): {left}", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)
