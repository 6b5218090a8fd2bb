"""Privacy you can verify: what Gaffe keeps about a user, shown (`/mesdonnees`), erased (`/oublie`), and erased
on its own after a period without activity; counts for admins (`/stats`); deleting a conversation from the chat.

- Every feature declares the personal data it keeps (`Registry.keeps`, see bot/core/actions.py). This module
  declares the core's: the `users` row and the `outbox`. The export and the erasure only go through the
  declarations, so a feature's data is exported and erased with the rest as soon as it is declared (and
  tests/test_privacy.py fails on any table with a `user_id` column that no declaration covers).
- The export is a JSON document, each field explained in the user's language (interface messages named
  `<explained>_<field>`), sent as a file.
- The erasure runs in the step's transaction, after the state is saved (so that save can't undo it); the
  database overwrites deleted rows with zeros (`secure_delete`) and, once committed, the write-ahead log is
  checkpointed and truncated, so the erased strings leave the file and its `-wal`.
- Files an adapter wrote for the user (the terminal's export and chart: bot/user_files.py) leave with the rest,
  once the erasure is committed: their folder is removed whole.
- Retention (`retention_tick`, a daily job of its manifest, `FEATURE`): a user inactive for `days` days is told a week
  before (a push, once), then erased through the same path (a push whose effect is the erasure).
- `/stats` is a push the service makes of an admin's /stats: counts, never anyone's data: the users', then each
  feature's line (its manifest's `Tally`), so no table of another feature is counted here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from bot import user_files
from bot.core.actions import Attachment, Context, Database, Effect, Outcome, PersonalData, Registry, Transaction, World
from bot.core.dialogue import Content
from bot.core.engine import ClearChat, Notice, Output, Push
from bot.core.feature import Daily, Feature, Jobs
from bot.core.i18n import Translator
from bot.core.render import message

REGISTRY = Registry()  # this feature's own (bot/app.py merges every feature's)
NOTICE_DAYS = 7  # the retention notice goes out this many days before the erasure
ACTIVE_DAYS = 7  # "active this week" in /stats
EXPORT_MESSAGES = ("mydata_summary", "mydata_section", "mydata_document", "mydata_filename", "mydata_caption")
FORGET_MESSAGES = ("retention_notice",)  # said by the retention push, part of the same erasure story
CLEAR_MESSAGES = ("chat_cleared", "chat_cleared_older", "chat_nothing_to_delete")
STATS_MESSAGES = ("stats", "stats_command")  # said for admins; checked with the export's


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


PROFILE_FIELDS = (
    "user_id", "language", "conversation", "created_at", "updated_at", "active", "reply_pending",
    "retention_notice_at", "country", "pushes",
)  # fmt: skip


# --- the rows: every statement of this feature, by name (portable SQL, named parameters) -------------------
class UserRows:
    """The core's rows about one user (their `users` row, their outbox), in the step's transaction."""

    def __init__(self, db: Transaction, user_id: int) -> None:
        self.db = db
        self.user = {"user_id": user_id}

    async def profile(self) -> dict[str, Any] | None:
        """The `users` row (`PROFILE_FIELDS`), the conversation as JSON and the flags as booleans."""
        row = await self.db.fetch_one(
            f"SELECT {', '.join(PROFILE_FIELDS)} FROM users WHERE user_id = :user_id", self.user
        )
        if row is None:
            return None
        profile = dict(zip(PROFILE_FIELDS, row, strict=True))
        profile["conversation"] = json.loads(profile["conversation"])
        for flag in ("active", "reply_pending", "pushes"):
            profile[flag] = bool(profile[flag])
        return profile

    async def erase_profile(self) -> int:
        return await self.db.execute("DELETE FROM users WHERE user_id = :user_id", self.user)

    async def outbox(self) -> list[dict[str, Any]]:
        rows = await self.db.fetch_all(
            "SELECT created_at, reply FROM outbox WHERE user_id = :user_id ORDER BY id", self.user
        )
        return [{"created_at": created_at, "reply": json.loads(reply)} for created_at, reply in rows]

    async def erase_outbox(self) -> int:
        return await self.db.execute("DELETE FROM outbox WHERE user_id = :user_id", self.user)

    async def noticed(self, at: str) -> None:
        """The retention notice was sent at `at`."""
        await self.db.execute(
            "UPDATE users SET retention_notice_at = :at WHERE user_id = :user_id", {**self.user, "at": at}
        )


async def to_erase(db: Transaction, horizon: str, noticed_before: str) -> list[int]:
    """Users inactive since `horizon` whom the retention sweep erases now: blocked, pushes paused, or told (after
    their last step) before `noticed_before`."""
    rows = await db.fetch_all(
        """SELECT user_id FROM users WHERE updated_at < :horizon AND (active = 0 OR pushes = 0 OR
               (retention_notice_at >= updated_at AND retention_notice_at <= :noticed_before))""",
        {"horizon": horizon, "noticed_before": noticed_before},
    )
    return [int(row[0]) for row in rows]


async def to_notify(db: Transaction, horizon: str) -> list[int]:
    """Users inactive since `horizon`, reachable, and not yet told since their last step."""
    rows = await db.fetch_all(
        """SELECT user_id FROM users WHERE active = 1 AND pushes = 1 AND updated_at < :horizon
               AND (retention_notice_at IS NULL OR retention_notice_at < updated_at)""",
        {"horizon": horizon},
    )
    return [int(row[0]) for row in rows]


async def users_counted(db: Transaction, since: datetime) -> tuple[int, int, int]:
    """Counts of users only, for /stats: all of them, those active since `since`, those who blocked Gaffe."""
    row = await db.fetch_one(
        "SELECT COUNT(*), COUNT(CASE WHEN updated_at >= :since THEN 1 END), COUNT(CASE WHEN active = 0 THEN 1 END)"
        " FROM users",
        {"since": _iso(since)},
    )
    return (int(row[0]), int(row[1] or 0), int(row[2] or 0)) if row else (0, 0, 0)


# --- the core's personal data -------------------------------------------------------------------------------
async def export_profile(world: World) -> list[dict[str, Any]]:
    profile = await UserRows(world.db, world.user_id).profile()
    return [] if profile is None else [profile]


async def erase_profile(world: World) -> int:
    return await UserRows(world.db, world.user_id).erase_profile()


async def export_outbox(world: World) -> list[dict[str, Any]]:
    return await UserRows(world.db, world.user_id).outbox()


async def erase_outbox(world: World) -> int:
    return await UserRows(world.db, world.user_id).erase_outbox()


REGISTRY.keeps(
    "profile", tables=("users",), fields=PROFILE_FIELDS, export=export_profile, erase=erase_profile,
    explained="data_profile", erased_last=True,
)  # fmt: skip
REGISTRY.keeps(
    "outbox", tables=("outbox",), fields=("created_at", "reply"), export=export_outbox, erase=erase_outbox,
    explained="data_outbox",
)  # fmt: skip


# --- /mesdonnees: the export ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportData(Effect):
    """Read everything every declaration keeps about the user."""

    kept: tuple[PersonalData, ...]


@dataclass(frozen=True)
class DataExport:
    """The user's data, section by section; renders as a short text and a JSON file explained in their language."""

    user_id: int
    exported_at: datetime
    sections: tuple[tuple[PersonalData, tuple[dict[str, Any], ...]], ...]

    def document(self, content: Content, translator: Translator) -> dict[str, Any]:
        def say(key: str) -> str:
            return message(content, translator, key)

        data = {
            kept.name: {
                "what": say(kept.explained),
                "why": say(f"{kept.explained}_why"),
                "fields": {name: say(f"{kept.explained}_{name}") for name in kept.fields},
                "rows": list(rows),
            }
            for kept, rows in self.sections
        }
        return {
            "about": message(content, translator, "mydata_document", date=translator.date(self.exported_at.date())),
            "telegram_user_id": self.user_id,
            "exported_at": _iso(self.exported_at),
            "data": data,
        }

    def render(self, content: Content, translator: Translator) -> tuple[str, tuple[Attachment, ...]]:
        lines = [message(content, translator, "mydata_summary")]
        for kept, rows in self.sections:
            what = message(content, translator, kept.explained)
            lines.append(message(content, translator, "mydata_section", count=len(rows), what=what))
        document = json.dumps(self.document(content, translator), ensure_ascii=False, indent=2, default=str)
        file = Attachment(
            "document",
            message(content, translator, "mydata_filename"),
            document.encode("utf-8"),
            message(content, translator, "mydata_caption"),
        )
        return "\n".join(lines), (file,)


@REGISTRY.action(
    "export_data",
    "Send the user everything Gaffe keeps about them, as a JSON file with every field explained.",
    messages=(*EXPORT_MESSAGES, *STATS_MESSAGES),
    explains_personal_data=True,
)
def export_data(context: Context) -> Outcome:
    return Outcome(effects=(ExportData(tuple(context.content.registry.personal_data.values())),))


@REGISTRY.applies(ExportData)
async def read_everything(world: World, effect: ExportData) -> tuple[Output, ...]:
    sections = []
    for kept in effect.kept:
        sections.append((kept, tuple(await kept.export(world))))
    return (DataExport(world.user_id, world.now, tuple(sections)),)


# --- /oublie: the erasure -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EraseEverything(Effect):
    """Erase everything every declaration keeps about the user (after the step's state is saved)."""

    kept: tuple[PersonalData, ...]


def erasure(content: Content) -> EraseEverything:
    return EraseEverything(tuple(content.registry.erasure_order()))


@REGISTRY.action("forget", "Erase everything Gaffe keeps about the user, for good.", messages=FORGET_MESSAGES)
def forget(context: Context) -> Outcome:
    return Outcome(effects=(erasure(context.content),), forgets_conversation=True)


async def checkpoint(database: Database) -> None:
    await database.checkpoint()


@REGISTRY.applies(EraseEverything)
async def erase_everything(world: World, effect: EraseEverything) -> tuple[Output, ...]:
    for kept in effect.kept:
        await kept.erase(world)
    world.after_commit.append(checkpoint)  # the erased rows leave the -wal once the erasure is committed
    if world.files is not None:  # and the files written for the user (the terminal's export and chart) go too
        world.after_commit.append(partial(_erase_files, world.files, world.user_id))
    return ()


async def _erase_files(root: Path, user_id: int, database: Database) -> None:
    user_files.erase(root, user_id)


# --- retention -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoticeSent(Effect):
    at: str


@dataclass(frozen=True)
class RetentionNotice:
    """The payload of a `retention_notice` push: when the notice went out (ISO 8601, UTC)."""

    at: str


@REGISTRY.on_push("retention_notice")
def retention_notice(context: Context) -> Outcome:
    return Outcome(outputs=(Notice("retention_notice"),), effects=(NoticeSent(context.payload_as(RetentionNotice).at),))


@REGISTRY.applies(NoticeSent)
async def remember_notice(world: World, effect: NoticeSent) -> tuple[Output, ...]:
    await UserRows(world.db, world.user_id).noticed(effect.at)
    return ()


@REGISTRY.on_push("retention_erase", silent=True)
def retention_erase(context: Context) -> Outcome:
    return Outcome(effects=(erasure(context.content),))


class RetentionSettings(Protocol):
    @property
    def retention_days(self) -> int:
        """GAFFE_RETENTION_DAYS: inactive users' data is erased after this many days."""


async def retention_tick(jobs: Jobs) -> tuple[int, int]:
    """Erase the users inactive for the retention period (the settings' days), and tell those who will be in a
    week (once each).

    Inactive means no accepted step (`updated_at`) since then. A user who blocked the bot (`active = 0`), or who
    paused pushes (`pushes = 0`: nothing of Gaffe may appear on their phone unasked, the notice neither), is
    erased without a notice; any other is erased only a week after their notice, even if the tick ran late.
    Returns (notices sent, users erased)."""
    settings: RetentionSettings = jobs.settings
    now, days = jobs.now(), settings.retention_days
    horizon, noticed_before = _iso(now - timedelta(days=days)), _iso(now - timedelta(days=NOTICE_DAYS))
    notice_horizon = _iso(now - timedelta(days=max(days - NOTICE_DAYS, 0)))
    async with jobs.transaction() as tx:
        erasing = await to_erase(tx, horizon, noticed_before)
        notifying = await to_notify(tx, notice_horizon)
    for user_id in erasing:  # the erasure says nothing: the rows are gone
        await jobs.push_silently(user_id, Push("retention_erase"))
    erased = len(erasing)
    sent = 0
    for user_id in notifying:
        sent += await jobs.push(user_id, Push("retention_notice", RetentionNotice(_iso(now))))
    return sent, erased


async def daily_retention(jobs: Jobs) -> str:
    sent, erased = await retention_tick(jobs)
    return f"{sent} retention notices, {erased} users erased"


# --- /stats for admins ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CountEverything(Effect):
    """Counts for an admin: how many, never who or what."""


@dataclass(frozen=True)
class Stats:
    """The users' counts, then each feature's line: (its message, its counts)."""

    counts: MappingProxyType[str, object]
    lines: tuple[tuple[str, MappingProxyType[str, int]], ...] = ()

    def render(self, content: Content, translator: Translator) -> tuple[str, tuple[Attachment, ...]]:
        said = [message(content, translator, "stats", None, **self.counts)]
        said += [message(content, translator, key, None, **counts) for key, counts in self.lines]
        return "\n".join(said), ()


@REGISTRY.on_push("stats")
def stats(context: Context) -> Outcome:
    return Outcome(effects=(CountEverything(),))


@REGISTRY.applies(CountEverything)
async def count_everything(world: World, effect: CountEverything) -> tuple[Output, ...]:
    """The users (the core's), then each feature's line (its `Tally`, in the order of the feature list)."""
    users, active, blocked = await users_counted(world.db, world.now - timedelta(days=ACTIVE_DAYS))
    counts = {
        "users": users,
        "active": active,
        "blocked": blocked,
    }
    lines = [(tally.message, MappingProxyType(dict(await tally.count(world))))
             for tally in world.content.registry.tallies.values()]  # fmt: skip
    return (Stats(MappingProxyType(counts), tuple(lines)),)


# --- deleting the conversation from the chat (issue 8) -----------------------------------------------------------
@REGISTRY.action(
    "delete_chat",
    "Delete this conversation's recent messages from the chat, both sides (Telegram: younger than 48 hours).",
    messages=CLEAR_MESSAGES,
)
def delete_chat(context: Context) -> Outcome:
    return Outcome(outputs=(ClearChat(),))


FEATURE = Feature("privacy", REGISTRY, jobs=(Daily("retention", daily_retention),))
