"""Run the writers' conversation transcripts (tests/conversations/*.yaml) through the service.

A transcript says what the user says or picks, and what Gaffe's reply must (or must not) contain, in
the transcript's language. See docs/dialogues.md, "Conversation tests".
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core import html_text
from bot.core.dialogue import Content
from bot.core.engine import Command, Input, Pick, Press, Text
from bot.core.i18n import Translator
from bot.core.render import Reply
from bot.lookups.breaches import Catalogue
from bot.lookups.stalkerware import Indicators
from bot.service import Gaffe
from bot.storage import Store

TRANSCRIPTS = sorted((Path(__file__).parent / "conversations").glob("*.yaml"))
DATA = Path(__file__).parent / "fixtures" / "data"
USER = 1


def sample_data() -> dict[str, object]:
    return {
        "breaches": Catalogue.parse((DATA / "hibp-breaches-sample.json").read_bytes()),
        "stalkerware": Indicators.parse((DATA / "ioc-sample.yaml").read_bytes()),
    }


async def _ignore(reply: Reply) -> None:
    pass


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
async def test_transcript(path: Path, shipped: Content, translators: dict[str, Translator], store: Store) -> None:
    """Through the service, so features' effects are applied too (on a real SQLite file, with the sample data
    sets of tests/fixtures/data; `data: false` at the top runs a transcript without them)."""
    transcript = yaml.safe_load(path.read_text(encoding="utf-8"))
    language = transcript.get("lang", "fr")
    data = sample_data() if transcript.get("data", True) else {"breaches": None, "stalkerware": None}
    gaffe = Gaffe(shipped, translators, store, data=data)
    reply = Reply("")
    for number, line in enumerate(transcript["steps"], start=1):
        where = f"{path.name}, step {number}"
        if "say" in line:
            said = str(line["say"])
            received: Input = Command(said[1:]) if said.startswith("/") else Text(said)
        else:
            wanted = line["pick"]
            if isinstance(wanted, int):
                index = wanted - 1
            else:
                assert wanted in reply.labels, f"{where}: no button {wanted!r}; buttons are {reply.labels}"
                index = reply.labels.index(wanted)
            press = reply.buttons[index].press if 0 <= index < len(reply.buttons) else None
            received = press if isinstance(press, Press) else Pick(reply.step if reply.step is not None else -1, index)
        reply = await gaffe.handle(USER, received, _ignore, language)
        shown = html_text.strip(reply.text) + "\n" + "\n".join(reply.labels) + "\n" + (reply.toast or "")
        for fragment in _as_list(line.get("expect")):
            assert fragment in shown, f"{where}: expected {fragment!r} in:\n{shown}"
        for fragment in _as_list(line.get("absent")):
            assert fragment not in shown, f"{where}: {fragment!r} should not be in:\n{shown}"


def test_there_are_transcripts() -> None:
    assert len(TRANSCRIPTS) >= 3
