"""The glossary (`/lexique`, `/glossary`), a feature that exists only in the tests: it proves that a feature which
keeps rows, needs a data set and runs daily is its module, its YAML and messages, and one line in a feature list.

- The action `explain_term` (on the free-text node of lexique.yaml) looks the typed word up in the glossary, a
  public data set (`Glossary`): `update-data` downloads it from GAFFE_GLOSSARY_URL into the data directory, and
  start-up loads that copy. The typed text is never kept: only the glossary's own term, when it is found.
- It keeps each term looked up, with when (`glossary_lookups`, its migration 1): `/mesdonnees` exports them,
  `/oublie` erases them, and a daily job forgets those older than `KEPT_DAYS`.
- `/stats` counts them (its tally).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from bot.core.actions import Context, Effect, Outcome, Registry, Transaction, World
from bot.core.engine import Notice, Output
from bot.core.feature import Daily, DataSet, Feature, Jobs, Migration, Tally
from bot.lookups.download import DownloadError, get_bytes, write_atomically
from bot.lookups.normalise import fold

REGISTRY = Registry()
KEPT_DAYS = 30
FILE = "glossary.json"
SOURCE = "GAFFE_GLOSSARY_URL"  # where update-data downloads it from (this feature's own setting)
MESSAGES = ("glossary_definition", "glossary_unknown", "glossary_unavailable")


class GlossaryError(Exception):
    """The glossary file is not a list of {"term", "fr", "en"}."""


@dataclass(frozen=True)
class Glossary:
    """Terms and their definitions in French and English, found by any of their names, folded."""

    definitions: MappingProxyType[str, tuple[str, str, str]]  # folded name -> (term, French, English)

    @classmethod
    def parse(cls, raw: bytes) -> Glossary:
        try:
            entries = json.loads(raw)
            found = {fold(name): (e["term"], e["fr"], e["en"]) for e in entries for name in (e["term"], *e["aka"])}
        except (ValueError, TypeError, KeyError) as error:
            raise GlossaryError(f"not a glossary: {error}") from None
        return cls(MappingProxyType(found))

    def find(self, text: str) -> tuple[str, str, str] | None:
        return self.definitions.get(fold(text))


# --- the rows: every statement of this feature, by name (portable SQL, named parameters) -------------------
FIELDS = ("term", "looked_up_at")


class Lookups:
    """One user's terms looked up, in the step's transaction."""

    def __init__(self, db: Transaction, user_id: int) -> None:
        self.db = db
        self.user = {"user_id": user_id}

    async def add(self, term: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO glossary_lookups (user_id, term, looked_up_at) VALUES (:user_id, :term, :now)",
            {**self.user, "term": term, "now": now.isoformat(timespec="seconds")},
        )

    async def export(self) -> list[dict[str, object]]:
        rows = await self.db.fetch_all(
            "SELECT term, looked_up_at FROM glossary_lookups WHERE user_id = :user_id ORDER BY id", self.user
        )
        return [dict(zip(FIELDS, row, strict=True)) for row in rows]

    async def erase(self) -> int:
        return await self.db.execute("DELETE FROM glossary_lookups WHERE user_id = :user_id", self.user)


async def lookups_counted(db: Transaction) -> int:
    row = await db.fetch_one("SELECT COUNT(*) FROM glossary_lookups")
    return int(row[0]) if row else 0


async def forget_lookups_before(db: Transaction, horizon: datetime) -> int:
    """Everyone's look-ups older than `horizon`, forgotten; how many."""
    return await db.execute(
        "DELETE FROM glossary_lookups WHERE looked_up_at < :horizon", {"horizon": horizon.isoformat(timespec="seconds")}
    )


# --- the data set ---------------------------------------------------------------------------------------------
class Where(Protocol):
    @property
    def data_dir(self) -> Path: ...


def local_glossary(settings: Where) -> Glossary | None:
    try:
        return Glossary.parse((settings.data_dir / FILE).read_bytes())
    except (OSError, GlossaryError):
        return None


async def download_glossary(settings: Where) -> list[str]:
    raw = await get_bytes(os.environ[SOURCE])
    glossary = Glossary.parse(raw)  # a bad file never replaces a good copy
    write_atomically(settings.data_dir / FILE, raw)
    return [f"Glossary: {len(glossary.definitions)} names in {settings.data_dir / FILE}"]


GLOSSARY = DataSet(
    Glossary, "glossary", load=local_glossary, update=download_glossary,
    failures=(DownloadError, GlossaryError, OSError, KeyError),
)  # fmt: skip


# --- the action and its effect -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExplainTerm(Effect):
    typed: str  # for this step only


@REGISTRY.action("explain_term", "On a free-text node: explain the typed word from the glossary.", messages=MESSAGES)
def explain_term(context: Context) -> Outcome:
    return Outcome(effects=(ExplainTerm(context.typed or ""),))


@REGISTRY.applies(ExplainTerm)
async def look_up(world: World, effect: ExplainTerm) -> tuple[Output, ...]:
    glossary = world.data.get(Glossary)
    if glossary is None:
        return (Notice("glossary_unavailable"),)
    found = glossary.find(effect.typed)
    if found is None:
        return (Notice("glossary_unknown"),)
    term, french, english = found
    await Lookups(world.db, world.user_id).add(term, world.now)
    definition = french if world.state.language == "fr" else english
    return (Notice("glossary_definition", MappingProxyType({"term": term, "definition": definition})),)


# --- what it keeps, counts, and does daily -------------------------------------------------------------------
async def export_lookups(world: World) -> list[dict[str, object]]:
    return await Lookups(world.db, world.user_id).export()


async def erase_lookups(world: World) -> int:
    return await Lookups(world.db, world.user_id).erase()


REGISTRY.keeps(
    "glossary", tables=("glossary_lookups",), fields=FIELDS, export=export_lookups, erase=erase_lookups,
    explained="data_glossary",
)  # fmt: skip


async def count_lookups(world: World) -> dict[str, int]:
    return {"terms": await lookups_counted(world.db)}


async def forget_old_lookups(jobs: Jobs) -> str:
    """Daily: the terms looked up more than `KEPT_DAYS` days ago are forgotten."""
    async with jobs.transaction() as tx:
        forgotten = await forget_lookups_before(tx, jobs.now() - timedelta(days=KEPT_DAYS))
    return f"{forgotten} glossary look-ups forgotten"


MIGRATIONS = (
    Migration(1, (
        """CREATE TABLE glossary_lookups (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            term TEXT NOT NULL,
            looked_up_at TEXT NOT NULL
        )""",
        "CREATE INDEX glossary_lookups_by_user ON glossary_lookups(user_id)",
    )),
)  # fmt: skip

FEATURE = Feature(
    "glossary", REGISTRY, migrations=MIGRATIONS, data_sets=(GLOSSARY,),
    jobs=(Daily("glossary", forget_old_lookups),), tally=Tally("stats_glossary", count_lookups),
)  # fmt: skip
