"""The incident conversations (/piratage, /espion, /arnaque and their shared clic checklist) keep their promises.

Every button of theirs is pressed by a transcript in each language, every node that gives advice names its sources,
and the spyware conversation never tells anyone their phone is clean.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.dialogue import Content
from bot.core.engine import Command, Pick, State, Text, step
from bot.core.i18n import Translator
from bot.core.profile import Profile
from bot.core.render import Reply, render

INCIDENTS = ("piratage", "espion", "arnaque", "clic")
# The transcripts of these dialogues (the others may hold steps the pure engine can't replay, like `wait`).
TRANSCRIPTS = sorted(
    p for p in (Path(__file__).parent / "conversations").glob("*.yaml") if p.stem.startswith(INCIDENTS)
)

# Nodes that only ask, open or close: they advise nothing, so they cite nothing.
NO_ADVICE = {
    ("piratage", "intro"),
    ("piratage", "account"),
    ("piratage", "leak"),
    ("piratage", "sextortion"),
    ("piratage", "bye"),
    ("espion", "lookup_more"),
    ("espion", "bye"),
    ("espion", "erased"),  # after the chat was deleted: what erase_info (sourced) said, and /oublie
    ("arnaque", "intro"),
    ("arnaque", "bye"),
    ("clic", "what"),
    ("clic", "bye"),
}


@pytest.fixture(scope="module")
def pressed(shipped: Content, translators: dict[str, Translator]) -> set[tuple[str, str, str, int]]:
    """(language, dialogue, node, choice index) of every button pressed by the transcripts."""
    return _pressed(shipped, translators)


def _pressed(content: Content, translators: dict[str, Translator]) -> set[tuple[str, str, str, int]]:
    pressed: set[tuple[str, str, str, int]] = set()
    for path in TRANSCRIPTS:
        transcript = yaml.safe_load(path.read_text(encoding="utf-8"))
        country = transcript.get("country")
        state = State(Profile(transcript.get("lang", "fr"), str(country) if country else None))
        reply = Reply("")
        for line in transcript["steps"]:
            if "say" in line:
                said = str(line["say"])
                received: Command | Text | Pick = Command(said[1:]) if said.startswith("/") else Text(said)
            else:
                wanted = line["pick"]
                if isinstance(wanted, str) and wanted not in reply.labels:
                    break  # a button a feature's effect adds (a list's "remove"): only the service shows it
                index = wanted - 1 if isinstance(wanted, int) else reply.labels.index(wanted)
                if state.node is None:  # the offer to resume a conversation left half-way: no node of its own
                    assert state.suspended is not None
                else:
                    assert state.dialogue is not None
                    pressed.add((state.language, state.dialogue, state.node, index))
                received = Pick(reply.step if reply.step is not None else -1, index)
            result = step(content, state, received)
            state = result.state
            reply = render(content, translators[state.language], result.outputs)
    return pressed


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("dialogue_id", INCIDENTS)
def test_every_button_is_pressed_by_a_transcript(
    dialogue_id: str, language: str, shipped: Content, pressed: set[tuple[str, str, str, int]]
) -> None:
    dialogue = shipped.dialogues[dialogue_id]
    missing = [
        f"{node.id}: {choice.label!r}"
        for node in dialogue.nodes.values()
        for index, choice in enumerate(node.choices)
        if (language, dialogue_id, node.id, index) not in pressed
    ]
    assert not missing, f"no {language} transcript presses, in {dialogue_id}: {missing}"


@pytest.mark.parametrize("dialogue_id", INCIDENTS)
def test_every_advising_node_names_its_sources(dialogue_id: str, shipped: Content) -> None:
    unsourced = [
        node.id
        for node in shipped.dialogues[dialogue_id].nodes.values()
        if node.text and not (node.sources or node.routes) and (dialogue_id, node.id) not in NO_ADVICE
    ]
    assert not unsourced, f"{dialogue_id}: these nodes advise without a source: {unsourced}"


def test_the_spyware_conversation_never_says_clean(shipped: Content, translators: dict[str, Translator]) -> None:
    texts = [
        text
        for node in shipped.dialogues["espion"].nodes.values()
        for text in (node.text or "", *(choice.label for choice in node.choices))
    ]
    for language in ("fr", "en"):
        for text in texts:
            shown = translators[language].text(text).lower()
            for promise in ("clean", "propre", "you're safe", "t'es en sécurité", "aucun logiciel espion"):
                assert promise not in shown, f"{language}: {promise!r} in {shown[:80]!r}"
