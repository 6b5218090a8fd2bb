"""Someone whose account was entered, or who clicked a link, may have been hacked by a partner, an ex, family.

/piratage and the "I clicked" checklist (clic) ask that before any lock-down step (a new password, other sessions
signed out, recovery details removed): those show on the intruder's side. A yes, or "I don't know", leads to the
plan-first path, which names the risk and gives the country's help lines; no path reaches a lock-down step without
the user saying it was not someone close.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.dialogue import Content, Dialogue, Node

FORK = "who"  # the question, in both dialogues
PLAN_FIRST = "close"  # where someone close, or unsure, is sent
LOCKDOWN = {
    "piratage": {"account_out", "account_hour", "account_week", "phone", "phone_week"},
    "clic": {"gave_password", "gave_code", "installed"},
}


def _next(node: Node) -> Iterator[str]:
    """The nodes of the same dialogue that `node` leads to (a jump leaves the dialogue)."""
    targets = [choice.target for choice in node.choices] + [branch.target for branch in node.branch]
    targets += [node.target] if node.target else []
    yield from (target.goto for target in targets if target.goto)


def _reachable(dialogue: Dialogue, start: str, barrier: str) -> set[str]:
    """Every node reached from `start` without passing through `barrier` (which is reached, not crossed)."""
    seen, todo = set(), [start]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        if node_id != barrier:
            todo.extend(_next(dialogue.nodes[node_id]))
    return seen


@pytest.mark.parametrize("dialogue_id", sorted(LOCKDOWN))
def test_no_lock_down_step_is_reached_without_the_question(shipped: Content, dialogue_id: str) -> None:
    dialogue = shipped.dialogues[dialogue_id]
    assert FORK in dialogue.nodes, f"{dialogue_id} never asks whether the intruder could be someone close"
    before = _reachable(dialogue, dialogue.start, barrier=FORK)
    assert FORK in before
    assert not before & LOCKDOWN[dialogue_id], (
        f"{dialogue_id}: reached before the question: {before & LOCKDOWN[dialogue_id]}"
    )


@pytest.mark.parametrize("dialogue_id", sorted(LOCKDOWN))
def test_someone_close_or_unsure_goes_to_the_plan_and_never_to_a_lock_down(shipped: Content, dialogue_id: str) -> None:
    dialogue = shipped.dialogues[dialogue_id]
    fork = dialogue.nodes[FORK]
    to_lockdown = [c for c in fork.choices if c.target.goto != PLAN_FIRST]
    assert len(to_lockdown) == 1, "only the 'no, not someone close' answer may lead to the lock-down steps"
    assert len(fork.choices) - len(to_lockdown) >= 2, "'yes' and 'I don't know' both lead to the plan first"
    after = _reachable(dialogue, PLAN_FIRST, barrier=FORK)
    assert not after & LOCKDOWN[dialogue_id], (
        f"{dialogue_id}: the plan-first path reaches {after & LOCKDOWN[dialogue_id]}"
    )
    assert any(choice.target.jump == "espion" for choice in dialogue.nodes[PLAN_FIRST].choices)


@pytest.mark.parametrize("dialogue_id", sorted(LOCKDOWN))
def test_the_plan_first_path_names_the_risk_and_the_country_s_help_lines(shipped: Content, dialogue_id: str) -> None:
    text = shipped.dialogues[dialogue_id].nodes[PLAN_FIRST].text or ""
    assert "peut s'en rendre compte" in text.replace("\u00a0", " ") and "plan" in text
    for route in ("{route.domestic_violence}", "{route.victims}", "{route.emergency}"):
        assert route in text
    assert "112" not in text and "3919" not in text  # the region gives the numbers
