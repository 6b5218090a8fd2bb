"""Progress (`/progres`, `/progress`): past checkups with their dates and scores, the trend since the first,
what improved, a chart for Telegram and a sparkline for the terminal.

The first feature built on actions and effects, and the one to copy (docs/writing.md, "Adding a feature"):
- YAML names the action (`do: {progress: {}}` in dialogues/progres.yaml);
- the action is pure: it only says what should happen (`ShowProgress`);
- the effect's applier reads the user's history inside the step's transaction and returns an output;
- the output renders itself in the user's language: text, plus the chart as a PNG attachment.
It also keeps that history: every finished checkup (the engine's `RecordResult` effect) is a row here, in its
own table (`MIGRATIONS`), counted in /stats; all of it is in its manifest, `FEATURE`.

The chart is drawn with Pillow: one wheel of a few MB with its own FreeType, no system library; matplotlib
would bring numpy and tens of MB for one line chart. Pillow's default font has ASCII only ("7 d□c."), so
the chart uses DejaVu Sans, shipped in bot/assets with its licence: every French and English month draws.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from babel.dates import format_date, format_time
from PIL import Image, ImageDraw, ImageFont

from bot.assets import asset
from bot.core.actions import Attachment, Context, Effect, Outcome, Registry, Transaction, World
from bot.core.dialogue import Content
from bot.core.engine import Output, RecordResult
from bot.core.feature import Feature, Migration, Tally
from bot.core.i18n import Translator
from bot.core.render import message

REGISTRY = Registry()  # this feature's own (bot/app.py merges every feature's)
SPARKS = "▁▂▃▄▅▆▇█"
SHOWN = 10  # checkups listed in the text; the chart shows up to CHARTED
CHARTED = 30
FONT = "DejaVuSans.ttf"

MESSAGES = (
    "progress_none", "progress_header", "progress_line", "progress_up", "progress_down", "progress_same",
    "progress_fixed", "progress_todo", "progress_curve", "progress_chart",
)  # fmt: skip


@dataclass(frozen=True)
class PastCheckup:
    finished_at: datetime
    score: int
    actions: tuple[str, ...]


class CheckupRow(NamedTuple):
    """A checkup as kept (and exported)."""

    dialogue: str
    finished_at: str
    score: int
    actions: list[str]


CHECKUP_FIELDS = CheckupRow._fields


# --- the rows: every statement of this feature, by name (portable SQL, named parameters) -------------------
class Checkups:
    """One user's finished checkups, in the step's transaction."""

    def __init__(self, db: Transaction, user_id: int) -> None:
        self.db = db
        self.user_id = user_id

    async def add(self, dialogue: str, finished_at: datetime, score: int, actions: tuple[str, ...]) -> None:
        await self.db.execute(
            "INSERT INTO checkups (user_id, dialogue, finished_at, score, actions)"
            " VALUES (:user_id, :dialogue, :finished_at, :score, :actions)",
            {"user_id": self.user_id, "dialogue": dialogue, "finished_at": finished_at.isoformat(timespec="seconds"),
             "score": score, "actions": json.dumps(list(actions))},
        )  # fmt: skip

    async def all(self) -> list[CheckupRow]:
        """Every checkup, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT dialogue, finished_at, score, actions FROM checkups WHERE user_id = :user_id"
            " ORDER BY finished_at, id",
            {"user_id": self.user_id},
        )
        return [CheckupRow(d, f, s, json.loads(a)) for d, f, s, a in rows]

    async def erase(self) -> int:
        return await self.db.execute("DELETE FROM checkups WHERE user_id = :user_id", {"user_id": self.user_id})


async def checkups_counted(db: Transaction, since: datetime) -> tuple[int, int]:
    """Everyone's checkups: how many in all, and how many finished since `since` (counts only, for /stats)."""
    row = await db.fetch_one(
        "SELECT COUNT(*), COUNT(CASE WHEN finished_at >= :since THEN 1 END) FROM checkups",
        {"since": since.isoformat(timespec="seconds")},
    )
    return (int(row[0]), int(row[1] or 0)) if row else (0, 0)


@dataclass(frozen=True)
class ShowProgress(Effect):
    """Read the user's checkup history and show it."""


@REGISTRY.action(
    "progress", "Show the user's past checkups: dates, scores, trend, what improved, a chart.", messages=MESSAGES
)
def show_progress(context: Context) -> Outcome:
    return Outcome(effects=(ShowProgress(),))


@REGISTRY.applies(RecordResult)
async def record_checkup(world: World, result: RecordResult) -> tuple[Output, ...]:
    await Checkups(world.db, world.user_id).add(result.dialogue, world.now, result.score, result.actions)
    return ()


@REGISTRY.applies(ShowProgress)
async def read_history(world: World, effect: ShowProgress) -> tuple[Output, ...]:
    rows = await Checkups(world.db, world.user_id).all()
    history = tuple(PastCheckup(datetime.fromisoformat(r.finished_at), r.score, tuple(r.actions)) for r in rows)
    return (Progress(history),)


async def export_checkups(world: World) -> list[dict[str, object]]:
    return [row._asdict() for row in await Checkups(world.db, world.user_id).all()]


async def erase_checkups(world: World) -> int:
    return await Checkups(world.db, world.user_id).erase()


# The history is personal data: /mesdonnees exports it, /oublie erases it (bot/features/privacy.py).
REGISTRY.keeps(
    "checkups", tables=("checkups",), fields=CHECKUP_FIELDS, export=export_checkups, erase=erase_checkups,
    explained="data_checkups",
)  # fmt: skip


async def count_checkups(world: World) -> dict[str, int]:
    """/stats: the checkups finished, and those of the past week."""
    total, recent = await checkups_counted(world.db, world.now - timedelta(days=7))
    return {"checkups": total, "checkups_week": recent}


MIGRATIONS = (
    # 1: finished checkups (version 1 of the schema every feature shared until then)
    Migration(1, (
        """CREATE TABLE checkups (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            dialogue TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            score INTEGER NOT NULL,
            actions TEXT NOT NULL
        )""",
        "CREATE INDEX checkups_by_user ON checkups(user_id, finished_at)",
    ), shared=1),
)  # fmt: skip

FEATURE = Feature("progress", REGISTRY, migrations=MIGRATIONS, tally=Tally("stats_checkups", count_checkups))


def sparkline(scores: list[int]) -> str:
    """Scores out of 100 as one line of block characters (the terminal's chart)."""
    return "".join(SPARKS[min(len(SPARKS) - 1, score * len(SPARKS) // 101)] for score in scores)


@dataclass(frozen=True)
class Progress:
    """The history, rendered as text (every adapter) and a PNG chart (an attachment)."""

    history: tuple[PastCheckup, ...]

    def render(self, content: Content, translator: Translator) -> tuple[str, tuple[Attachment, ...]]:
        if not self.history:
            return message(content, translator, "progress_none"), ()
        first, last = self.history[0], self.history[-1]
        lines = [f"<b>{message(content, translator, 'progress_header', count=len(self.history))}</b>"]
        lines += [
            message(content, translator, "progress_line", date=translator.date(c.finished_at.date()), score=c.score)
            for c in self.history[-SHOWN:]
        ]
        parts = ["\n".join(lines)]
        if len(self.history) > 1:
            delta = last.score - first.score
            key = "progress_up" if delta > 0 else "progress_down" if delta < 0 else "progress_same"
            parts.append(message(content, translator, key, count=abs(delta)))
            fixed = [a for a in first.actions if a not in last.actions and a in content.advice]
            if fixed:
                titles = "\n".join(f"• {translator.text(content.advice[a].title)}" for a in fixed)
                parts.append(message(content, translator, "progress_fixed", count=len(fixed)) + "\n" + titles)
        todo = [a for a in last.actions if a in content.advice]
        if todo:
            titles = "\n".join(f"• {translator.text(content.advice[a].title)}" for a in todo)
            parts.append(message(content, translator, "progress_todo", count=len(todo)) + "\n" + titles)
        curve = sparkline([c.score for c in self.history[-CHARTED:]])
        parts.append(message(content, translator, "progress_curve", curve=curve))
        caption = message(content, translator, "progress_chart")
        chart = Attachment("photo", "progress.png", draw_chart(self.history[-CHARTED:], translator, caption), caption)
        return "\n\n".join(parts), (chart,)


def chart_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(asset(FONT), size)


def date_labels(history: tuple[PastCheckup, ...], language: str) -> list[str]:
    """Each checkup's label: its day ("7 déc."), and its time too when another checkup shares that day, so
    two checkups of one day read apart."""
    days = [c.finished_at.date() for c in history]
    return [
        format_date(day, format="d MMM", locale=language)
        + (f"\n{format_time(c.finished_at, format='short', locale=language)}" if days.count(day) > 1 else "")
        for day, c in zip(days, history, strict=True)
    ]


def draw_chart(history: tuple[PastCheckup, ...], translator: Translator, title: str = "") -> bytes:
    """A line chart of the scores (0–100) over the checkups, titled and dated in the user's language, as PNG."""
    width, height, left, right, top, bottom = 800, 440, 70, 50, 60, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, title_font = chart_font(16), chart_font(22)
    plot_w, plot_h = width - left - right, height - top - bottom
    if title:
        draw.text((width / 2, top / 2), title, fill="#222222", font=title_font, anchor="mm")

    def y_of(score: int) -> float:
        return top + plot_h * (1 - score / 100)

    for score in (0, 25, 50, 75, 100):
        y = y_of(score)
        draw.line([(left, y), (width - right, y)], fill="#dddddd", width=1)
        draw.text((left - 10, y), str(score), fill="#555555", font=font, anchor="rm")
    step = plot_w / max(1, len(history) - 1)
    points = [(left + (plot_w / 2 if len(history) == 1 else i * step), y_of(c.score)) for i, c in enumerate(history)]
    if len(points) > 1:
        draw.line(points, fill="#1f6feb", width=4)  # no rounded joints: every point's dot covers its joint
    labels = date_labels(history, translator.language)
    every = max(1, len(history) // 6)  # at most about six date labels
    for i, ((x, y), label) in enumerate(zip(points, labels, strict=True)):
        draw.ellipse([(x - 6, y - 6), (x + 6, y + 6)], fill="#1f6feb")
        if i % every == 0 or i == len(history) - 1:
            draw.multiline_text(
                (x, height - bottom + 12), label, fill="#555555", font=font, anchor="ma", align="center"
            )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
