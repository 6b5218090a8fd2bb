"""Free text from a worried person reaches the right dialogue, and ordinary chat never opens an abuse flow.

The figures come from bench/routing.py on the two labelled sets of tests/corpus/: the tuning set's share must stay
at the level the routes were tuned to, and no ordinary line of either set may open espion, mspy or harcelement
(someone who may be watched is taken there; a false alarm there is a harm of its own). The held-out set's share
is a measurement (bench/README.md), not asserted here: asserting it would invite tuning on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.dialogue import Content
from tests.support import routing_corpus as routing

TUNING_RIGHT = 204  # worried lines of the tuning set routed right when the routes were last tuned (all of them)


@pytest.mark.parametrize("name", sorted(routing.SETS))
def test_each_set_is_big_enough_in_both_languages(name: str) -> None:
    lines = routing.read_set(routing.SETS[name])
    worried = [line for line in lines if line.label != routing.NONE]
    ordinary = [line for line in lines if line.label == routing.NONE]
    assert len(worried) >= 200 and len(ordinary) >= 100
    for language in ("fr", "en"):
        assert sum(line.language == language for line in worried) >= 70
        assert sum(line.language == language for line in ordinary) >= 40


def test_the_tuning_set_stays_routed_as_tuned(shipped: Content) -> None:
    found = routing.score(shipped, routing.read_set(routing.SETS["tuning"]))
    assert found.worried_right >= TUNING_RIGHT, "\n".join(found.misses)


@pytest.mark.parametrize("name", sorted(routing.SETS))
def test_no_ordinary_line_opens_an_abuse_flow(shipped: Content, name: str) -> None:
    found = routing.score(shipped, routing.read_set(routing.SETS[name]))
    assert found.ordinary_to_abuse == 0, "\n".join(m for m in found.misses if "ordinary" in m)


@pytest.mark.parametrize(
    ("language", "text", "dialogue"),
    [
        ("fr", "il sait toujours où je suis", "espion"),
        ("fr", "mon ex a mis un traceur", "espion"),
        ("en", "someone is blackmailing me", "piratage"),
        ("fr", "je suis harcelée en ligne", "harcelement"),
        ("en", "I think my phone is being spied on", "espion"),
        ("fr", "mon téléphone n'a plus de réseau d'un coup", "sim"),
    ],
)
def test_the_issue_examples_reach_their_dialogue(shipped: Content, language: str, text: str, dialogue: str) -> None:
    assert routing.opened(shipped, routing.Line(dialogue, language, text, "issue")) == dialogue
    other = "en" if language == "fr" else "fr"  # typed in the other language than the user's: still found
    assert routing.opened(shipped, routing.Line(dialogue, other, text, "issue")) == dialogue


def test_a_malformed_corpus_line_names_its_place(tmp_path: Path) -> None:
    broken = tmp_path / "set.txt"
    broken.write_text("# comment\nespion fr | ok\nespion | no language\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"set.txt:3"):
        routing.read_set(broken)
