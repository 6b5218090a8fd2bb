"""Run the writers' conversation transcripts (tests/conversations/*.yaml) through the service, as the adapters
do: a real SQLite file (so actions and their effects run), and a clock the transcript can move (so pushes such as
a due reminder can be part of the conversation), with the sample data sets of tests/fixtures/data (`data: false`
at the top of a transcript runs it without them).

A transcript says what the user says or picks, when time passes, and what Gaffe's replies must (or must not)
contain, in the transcript's language. See docs/writing.md, "Conversation tests".
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.app import open_store
from bot.core import html_text
from bot.core.actions import DataSets
from bot.core.dialogue import Content
from bot.core.engine import Command, Input, Push, State, Text
from bot.core.i18n import Translator
from bot.core.profile import Profile
from bot.core.render import Button, Reply
from bot.lookups.breaches import Catalogue
from bot.lookups.stalkerware import Indicators
from bot.scheduler import Scheduler
from bot.service import Gaffe
from tests.support.clock import START, FakeClock
from tests.support.screen import Screen

TRANSCRIPTS = sorted((Path(__file__).parent / "conversations").glob("*.yaml"))
DATA = Path(__file__).parent / "fixtures" / "data"
USER = 1
DURATION = re.compile(r"(\d+) (day|hour|minute)s?")


def sample_data() -> DataSets:
    """The sample data sets the look-ups read (tests/fixtures/data): part of the real catalogue and list."""
    return DataSets(
        {
            Catalogue: Catalogue.parse((DATA / "hibp-breaches-sample.json").read_bytes()),
            Indicators: Indicators.parse((DATA / "ioc-sample.yaml").read_bytes()),
        }
    )


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    return [plain(str(v)) for v in value] if isinstance(value, list) else [plain(str(value))]


def plain(text: str) -> str:
    """French typography's no-break spaces as plain ones: writers type what they see."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


class Session:
    """One user's chat with Gaffe: what was shown, the buttons on screen, and the clock."""

    def __init__(self, gaffe: Gaffe, language: str) -> None:
        self.gaffe, self.language = gaffe, language
        self.screen = Screen()
        self.replies = self.screen.replies
        self.buttons = Reply()
        self.clock = FakeClock(START)

    async def show(self, reply: Reply) -> None:
        await self.screen(reply)
        if reply.buttons:
            self.buttons = reply

    async def send(self, received: Input) -> None:
        await self.gaffe.handle(USER, received, self.show, self.language)

    async def wait(self, duration: str) -> None:
        """Time passes (`wait: 91 days`): whatever falls due meanwhile is pushed, as the scheduler does."""
        amount, unit = DURATION.fullmatch(duration.strip()).groups()  # type: ignore[union-attr]
        self.clock.advance(timedelta(**{f"{unit}s": int(amount)}))

        async def push(user: int, message: Push) -> bool:
            return await self.gaffe.push(user, message, self.show)

        async def resend(user: int, reply: Reply) -> None:
            await self.show(reply)

        await Scheduler(self.gaffe, push, resend, only_user=USER).tick()

    def shown_since(self, mark: int) -> str:
        """What appeared since `mark`: picks, texts, buttons and toasts."""
        parts = [[html_text.strip(r.picked or ""), html_text.strip(r.text), *r.labels, r.toast or ""]
                 for r in self.replies[mark:]]  # fmt: skip
        return plain("\n".join("\n".join(part) for part in parts))

    def button(self, wanted: int | str) -> Button:
        """A button of the last message that has some; by label, also one further up (as a user scrolls up)."""
        if isinstance(wanted, int):
            assert 1 <= wanted <= len(self.buttons.buttons), f"no button {wanted}"
            return self.buttons.buttons[wanted - 1]
        for reply in [self.buttons, *reversed(self.replies)]:
            if wanted in reply.labels:
                return reply.buttons[reply.labels.index(wanted)]
        raise AssertionError(f"no button {wanted!r}; buttons are {self.buttons.labels}")


async def run_transcript(path: Path, content: Content, translators: dict[str, Translator], db: Path) -> None:
    transcript = yaml.safe_load(path.read_text(encoding="utf-8"))
    store = await open_store(db)
    data = sample_data() if transcript.get("data", True) else DataSets()
    session = Session(Gaffe(content, translators, store, data=data), transcript.get("lang", "fr"))
    session.gaffe.clock = session.clock
    if "country" in transcript:  # the user picked it before (/pays): their profile says so from the start
        await store.save(USER, State(Profile(session.language, str(transcript["country"]))))
    try:
        for number, line in enumerate(transcript["steps"], start=1):
            where = f"{path.name}, step {number}"
            mark = len(session.replies)
            if "say" in line:
                said = str(line["say"])
                await session.send(Command(said[1:]) if said.startswith("/") else Text(said))
            elif "wait" in line:
                await session.wait(str(line["wait"]))
            else:
                await session.send(session.button(line["pick"]).press)
            shown = session.shown_since(mark)
            for fragment in _as_list(line.get("expect")):
                assert fragment in shown, f"{where}: expected {fragment!r} in:\n{shown}"
            for fragment in _as_list(line.get("absent")):
                assert fragment not in shown, f"{where}: {fragment!r} should not be in:\n{shown}"
    finally:
        await store.close()


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
async def test_transcript(path: Path, shipped: Content, translators: dict[str, Translator], tmp_path: Path) -> None:
    await run_transcript(path, shipped, translators, tmp_path / "gaffe.sqlite3")


def test_there_are_transcripts() -> None:
    assert len(TRANSCRIPTS) >= 3
