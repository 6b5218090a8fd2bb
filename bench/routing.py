"""How well free text reaches the right dialogue: the share of worried lines routed right, and the number of
ordinary lines that open an abuse flow, on the tuning set and on the held-out set.

Why: someone frightened types "il sait toujours où je suis", not /espion. Routes are keyword rules in the
dialogues' YAML; this measures them on two labelled sets (tests/corpus/routing_*.txt): the routes were tuned on
the first, the second was written before any tuning and is never tuned on, so its figure is the honest one.
Each line goes through the engine's own step (the secret filter, then the routes), in the line's language, from
a fresh conversation: the dialogue it opens is compared with its label. Prints figures only.

    python bench/routing.py [--misses]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bot.app import load_content
from bot.core.dialogue import Content
from bot.core.engine import State, Text, step
from bot.core.profile import Profile

ROOT = Path(__file__).resolve().parent.parent
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every line routed wrong")
    args = parser.parse_args()
    content = load_content(ROOT / "dialogues", ROOT / "locales")
    for name, path in SETS.items():
        found = score(content, read_set(path))
        print(
            f"{name:9} worried lines routed right: {found.worried_right}/{found.worried} ({found.share_right:.1%}); "
            f"ordinary lines to an abuse flow: {found.ordinary_to_abuse}/{found.ordinary}"
        )
        if args.misses:
            for miss in found.misses:
                print(f"    {miss}")


if __name__ == "__main__":
    main()
