"""Run the writers' conversation transcripts (tests/conversations/*.yaml) through the engine.

A transcript says what the user says or picks, and what Gaffe's reply must (or must not) contain, in
the transcript's language. See docs/dialogues.md, "Conversation tests".
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core import html_text
from bot.core.dialogue import Content
from bot.core.engine import Command, Pick, State, Text, step
from bot.core.i18n import Translator
from bot.core.render import Reply, render

TRANSCRIPTS = sorted((Path(__file__).parent / "conversations").glob("*.yaml"))


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript(path: Path, shipped: Content, translators: dict[str, Translator]) -> None:
    transcript = yaml.safe_load(path.read_text(encoding="utf-8"))
    state = State(language=transcript.get("lang", "fr"))
    reply = Reply("")
    for number, line in enumerate(transcript["steps"], start=1):
        where = f"{path.name}, step {number}"
        if "say" in line:
            said = str(line["say"])
            received = Command(said[1:]) if said.startswith("/") else Text(said)
        else:
            wanted = line["pick"]
            if isinstance(wanted, int):
                index = wanted - 1
            else:
                assert wanted in reply.labels, f"{where}: no button {wanted!r}; buttons are {reply.labels}"
                index = reply.labels.index(wanted)
            received = Pick(reply.step if reply.step is not None else -1, index)
        result = step(shipped, state, received)
        state = result.state
        reply = render(shipped, translators[state.language], result.outputs)
        shown = html_text.strip(reply.text) + "\n" + "\n".join(reply.labels)
        for fragment in _as_list(line.get("expect")):
            assert fragment in shown, f"{where}: expected {fragment!r} in:\n{shown}"
        for fragment in _as_list(line.get("absent")):
            assert fragment not in shown, f"{where}: {fragment!r} should not be in:\n{shown}"


def test_there_are_transcripts() -> None:
    assert len(TRANSCRIPTS) >= 3
