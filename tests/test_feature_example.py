"""A feature added as docs/writing.md says ("Adding a feature"), without touching any other module of Gaffe: the
glossary of tests/feature_example keeps rows (its migration), needs a data set (downloaded by update-data from the
local data server, then loaded at start-up) and runs daily (a job). Assembled with the shipped features by one
line, `(*FEATURES, glossary.FEATURE)`, it is checked, talked to, exported, erased, counted and scheduled."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import FEATURES, check_content, open_gaffe, update_data
from bot.config import Settings
from bot.core.engine import Command, Pick, Push, Text
from bot.core.render import Reply
from bot.scheduler import Scheduler
from tests.feature_example import glossary
from tests.support.data_server import data_server
from tests.support.paths import ROOT
from tests.support.screen import Screen

EXAMPLE = Path(__file__).parent / "feature_example"
DATA = ROOT / "tests" / "fixtures" / "data"
WITH_GLOSSARY = (*FEATURES, glossary.FEATURE)  # the one line a feature adds to bot/app.py's list
USER, ADMIN = 7, 8


def content_with_the_glossary(folder: Path) -> tuple[Path, Path]:
    """The shipped content plus the feature's: its dialogue and messages beside the others, its English appended
    to the catalogue (what a writer does in dialogues/ and locales/)."""
    dialogues, locales = folder / "dialogues", folder / "locales"
    shutil.copytree(ROOT / "dialogues", dialogues)
    shutil.copytree(ROOT / "locales", locales)
    shutil.copy(EXAMPLE / "lexique.yaml", dialogues / "lexique.yaml")
    shutil.copy(EXAMPLE / "messages.yaml", dialogues / "glossary_messages.yaml")
    catalogue = locales / "en" / "LC_MESSAGES" / "messages.po"
    with catalogue.open("a", encoding="utf-8") as file:
        file.write((EXAMPLE / "messages.po").read_text(encoding="utf-8"))
    return dialogues, locales


def rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT user_id, term FROM glossary_lookups ORDER BY id").fetchall()


async def test_a_feature_added_by_one_line_keeps_rows_needs_data_and_runs_daily(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialogues, locales = content_with_the_glossary(tmp_path)
    assert check_content(dialogues, locales, WITH_GLOSSARY)[1] == []
    unknown = [str(p) for p in check_content(dialogues, locales)[1]]  # without the feature: its action is unknown
    assert any("explain_term" in problem for problem in unknown), unknown

    async with data_server() as server:
        server.serve("/glossary.json", (EXAMPLE / "glossary.json").read_bytes())
        server.serve("/breaches", (DATA / "hibp-breaches-sample.json").read_bytes())
        server.serve("/ioc.yaml", (DATA / "ioc-sample.yaml").read_bytes())
        monkeypatch.setenv(glossary.SOURCE, f"{server.base_url}/glossary.json")
        settings = Settings(
            None, "", tmp_path / "gaffe.sqlite3", dialogues, locales, None, "127.0.0.1", 8443, None,
            data_dir=tmp_path / "data", hibp_breaches=f"{server.base_url}/breaches",
            stalkerware_url=f"{server.base_url}/ioc.yaml", admins=frozenset({ADMIN}),
        )  # fmt: skip
        assert await update_data(settings, WITH_GLOSSARY) == 0  # every feature's data set, the glossary's too
        assert (tmp_path / "data" / glossary.FILE).is_file()

        gaffe = await open_gaffe(settings, features=WITH_GLOSSARY)
        try:
            loaded = gaffe.data.get(glossary.Glossary)
            assert loaded is not None and loaded.find("hameçonnage") is not None  # the downloaded copy
            now = datetime.now(UTC).replace(microsecond=0)
            gaffe.clock = lambda: now
            phone = Screen()

            # The dialogue, the action, the rows kept (the glossary's term, never the text typed).
            asked = await gaffe.handle(USER, Command("lexique"), phone)
            assert "Quel mot" in asked.text
            explained = await gaffe.handle(USER, Text("Hameçonnage"), phone)
            assert "<b>phishing</b>" in explained.text and "faux message" in explained.text
            await gaffe.handle(USER, Pick(explained.step or 0, 0), phone)
            assert "pas dans mon lexique" in (await gaffe.handle(USER, Text("zorglub"), phone)).text
            later = now + timedelta(days=20)
            gaffe.clock = lambda: later
            await gaffe.handle(USER, Command("lexique"), phone)
            await gaffe.handle(USER, Text("double authentification"), phone)
            assert rows(settings.database) == [(USER, "phishing"), (USER, "2FA")]

            # /stats counts them, on the feature's own line.
            stats = await gaffe.handle(ADMIN, Command("stats"), Screen())
            assert "Mots cherchés dans le lexique\u00a0: 2" in stats.text

            # The daily job, run by the scheduler at the injected time: the look-up older than 30 days goes.
            gaffe.clock = lambda: now + timedelta(days=31)
            pushed: list[tuple[int, Push]] = []

            async def push(user_id: int, message: Push) -> bool:
                pushed.append((user_id, message))
                return False

            async def send(user_id: int, reply: Reply) -> None:
                raise AssertionError("nothing is waiting")

            await Scheduler(gaffe, push, send, settings).tick()
            assert rows(settings.database) == [(USER, "2FA")] and pushed == []

            # /mesdonnees exports what is kept, explained; /oublie erases it.
            export = await gaffe.handle(USER, Command("mesdonnees"), phone)
            document = json.loads(export.attachments[0].data)
            section = document["data"]["glossary"]
            assert section["rows"] == [{"term": "2FA", "looked_up_at": later.isoformat()}]
            assert section["what"] == "Les mots que t'as cherchés dans le lexique"
            asked = await gaffe.handle(USER, Command("oublie"), phone)
            await gaffe.handle(USER, Pick(asked.step or 0, asked.labels.index("Oui, efface tout")), phone)
            assert rows(settings.database) == []
        finally:
            await gaffe.close()


def test_no_module_of_bot_knows_the_glossary() -> None:
    """The feature lives in the tests only: nothing in bot/ (nor the shipped content) names it."""
    names = ("glossary", "lexique", "explain_term", "feature_example")
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "dialogues").glob("*.yaml")]:
        text = path.read_text(encoding="utf-8").lower()
        assert not [name for name in names if name in text], path
