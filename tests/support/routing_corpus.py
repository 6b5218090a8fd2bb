"""The routing corpus: the labelled lines of tests/corpus/routing_*.txt, the dialogue each opens through the
engine, and the score. Shared by tests/test_routing_corpus.py (which asserts the tuning set's level and that no
ordinary line opens an abuse flow) and bench/routing.py (which prints both sets' figures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.core.dialogue import Content
from bot.core.engine import State, Text, step
from bot.core.profile import Profile
from tests.support.paths import ROOT

CORPUS = ROOT / "tests" / "corpus"
SETS = {"tuning": CORPUS / "routing_tuning.txt", "held-out": CORPUS / "routing_heldout.txt"}
ABUSE_FLOWS = frozenset({"espion", "mspy", "harcelement"})  # where someone who may be watched is taken
NONE = "none"


@dataclass(frozen=True)
class Line:
    label: str  # the dialogue it should open, or "none"
    language: str
    text: str
    where: str  # file:line


@dataclass
class Score:
    worried: int = 0
    worried_right: int = 0
    ordinary: int = 0
    ordinary_to_abuse: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def share_right(self) -> float:
        return self.worried_right / self.worried if self.worried else 0.0


def read_set(path: Path) -> list[Line]:
    """The labelled lines of a set; a malformed line fails naming file:line."""
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        head, bar, text = raw.partition(" | ")
        label, _, language = head.strip().partition(" ")
        if not bar or not text.strip() or language not in ("fr", "en"):
            raise ValueError(f"{path.name}:{number}: expected 'label fr|en | text'")
        lines.append(Line(label, language, text.strip(), f"{path.name}:{number}"))
    return lines


def opened(content: Content, line: Line) -> str:
    """The dialogue a message opens from a fresh conversation (a new user: no country yet), or "none"."""
    result = step(content, State(Profile(language=line.language)), Text(line.text))
    return result.state.dialogue or NONE


def score(content: Content, lines: list[Line]) -> Score:
    result = Score()
    for line in lines:
        got = opened(content, line)
        if line.label == NONE:
            result.ordinary += 1
            if got in ABUSE_FLOWS:
                result.ordinary_to_abuse += 1
                result.misses.append(f"{line.where}: ordinary → {got}: {line.text}")
            continue
        result.worried += 1
        if got == line.label:
            result.worried_right += 1
        else:
            result.misses.append(f"{line.where}: {line.label} → {got}: {line.text}")
    return result
