"""The pure engine, on the small test content: every kind of input and node."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from bot.core.dialogue import Content
from bot.core.engine import (
    Ask,
    Command,
    Notice,
    Pick,
    Picked,
    Result,
    Say,
    State,
    Step,
    Text,
    Toast,
    Unrouted,
    resume,
    step,
)


def run(content: Content, *inputs: object, state: State | None = None) -> list[Step]:
    """Feed inputs in order; a Pick given as an int picks that choice of the current question."""
    state = state or State()
    steps = []
    for received in inputs:
        if isinstance(received, int):
            received = Pick(state.step, received)
        result = step(content, state, received)  # type: ignore[arg-type]
        steps.append(result)
        state = result.state
    return steps


def last_ask(result: Step) -> Ask:
    asks = [o for o in result.outputs if isinstance(o, Ask)]
    assert asks, result.outputs
    return asks[-1]


def test_command_starts_a_dialogue_at_its_start(mini: Content) -> None:
    (result,) = run(mini, Command("quiz"))
    assert result.state.dialogue == "quiz" and result.state.node == "hello"
    assert result.outputs == (Say("Salut ! Comment je t'appelle ?", result.outputs[0].params),)
    assert result.changed


def test_commands_are_case_insensitive_and_both_languages_work(mini: Content) -> None:
    assert run(mini, Command("QUIZ"))[0].state.node == "hello"


def test_unknown_command_changes_nothing(mini: Content) -> None:
    state = State(dialogue="quiz", node="q1", step=4)
    result = step(mini, state, Command("nope"))
    assert result.state == state
    assert result.outputs == (Notice("unknown_command"),)
    assert not result.changed


def test_free_text_is_validated_and_reasked(mini: Content) -> None:
    started, too_short, too_long, bad_chars, good = run(
        mini, Command("quiz"), Text("A"), Text("x" * 10_000), Text("<script>"), Text("  Ada   Lovelace ")
    )
    for bad in (too_short, too_long, bad_chars):
        assert bad.state == started.state
        # with the answers so far and the score, which an error text may name like any other text
        assert bad.outputs == (Say("Entre 2 et 20 lettres, s'il te plaît.", MappingProxyType({"score": 0})),)
    assert good.state.answers["name"] == "Ada Lovelace"
    assert good.state.node == "q1"
    ask = last_ask(good)
    assert ask.params["name"] == "Ada Lovelace"
    assert ask.labels == ("Oui", "Non")


def test_best_answers_score_100_and_end_with_no_action(mini: Content) -> None:
    *_, last = run(mini, Command("quiz"), Text("Ada"), 0, 0)
    result = next(o for o in last.outputs if isinstance(o, Result))
    assert result.score == 100 and result.actions == ()
    assert Say("Parfait, {name} !", last.outputs[1].params) in last.outputs
    assert last.state.node is None and last.state.dialogue is None


def test_choice_reply_and_picked_come_before_the_next_question(mini: Content) -> None:
    _, _, picked = run(mini, Command("quiz"), Text("Ada"), 0)
    kinds = [type(o) for o in picked.outputs]
    assert kinds == [Picked, Say, Ask]
    assert picked.outputs[0] == Picked("Oui")
    assert picked.outputs[1].text == "Propre."


def test_partial_answers_branch_on_saved_answer_and_score(mini: Content) -> None:
    *_, last = run(mini, Command("quiz"), Text("Ada"), 0, 1)  # manager yes, 2FA halfway: 15/20
    result = next(o for o in last.outputs if isinstance(o, Result))
    assert result.score == 75
    assert [a.id for a in result.actions] == ["twofa"]
    assert any(isinstance(o, Say) and o.text == "Pas mal : {score}/100." for o in last.outputs)
    assert any(isinstance(o, Say) and o.text == "À plus !" for o in last.outputs)


def test_top_three_actions_in_priority_order_and_jump(mini: Content) -> None:
    *_, last = run(mini, Command("quiz"), Text("Ada"), 1, 2)  # no manager, no 2FA: 0/20
    result = next(o for o in last.outputs if isinstance(o, Result))
    assert result.score == 0
    # recommended in the order manager, backup, updates, twofa; shown by priority, three at most
    assert [a.id for a in result.actions] == ["twofa", "manager", "updates"]
    assert last.state.dialogue == "menu" and last.state.node == "menu"  # jumped to another dialogue


def _both_answers_rank_backup(content: Content, first: int, second: int) -> Content:
    """The mini quiz where "Non" to q1 and "Non" to q2 both recommend backup, each with its own priority."""
    quiz = content.dialogues["quiz"]
    nodes = dict(quiz.nodes)
    for node_id, priority in (("q1", first), ("q2", second)):
        *others, no = nodes[node_id].choices
        ranked = replace(no, advice=(*no.advice, "backup"), priorities=(("backup", priority),))
        nodes[node_id] = replace(nodes[node_id], choices=(*others, ranked))
    return replace(content, dialogues={**content.dialogues, "quiz": replace(quiz, nodes=nodes)})


@pytest.mark.parametrize(("first", "second"), [(0, 9), (9, 0)])
def test_the_most_urgent_priority_wins_when_two_answers_set_one(mini: Content, first: int, second: int) -> None:
    content = _both_answers_rank_backup(mini, first, second)
    *_, last = run(content, Command("quiz"), Text("Ada"), 1, 2)
    result = next(o for o in last.outputs if isinstance(o, Result))
    assert [a.id for a in result.actions] == ["backup", "twofa", "manager"]  # 0 beats the catalogue's 1 and 2


def test_different_answers_give_different_scores(mini: Content) -> None:
    scores = set()
    for first, second in [(0, 0), (0, 1), (0, 2), (1, 0), (1, 2)]:
        *_, last = run(mini, Command("quiz"), Text("Ada"), first, second)
        scores.add(next(o.score for o in last.outputs if isinstance(o, Result)))
    assert scores == {100, 75, 50, 0}


def test_stale_press_is_ignored_with_a_notice(mini: Content) -> None:
    _, _, first = run(mini, Command("quiz"), Text("Ada"), 0)
    old_question_step = first.state.step - 1
    replay = step(mini, first.state, Pick(old_question_step, 1))
    assert replay.state == first.state
    assert replay.outputs == (Toast("stale_button"),)


def test_out_of_range_or_negative_choice_asks_again(mini: Content) -> None:
    _, at_q1 = run(mini, Command("quiz"), Text("Ada"))
    for index in (2, 99, -1):
        result = step(mini, at_q1.state, Pick(at_q1.state.step, index))
        assert result.state == at_q1.state and result.outputs[0] == Notice("invalid_choice")
        assert last_ask(result).step == at_q1.state.step  # the question again


def test_press_with_no_conversation_is_stale_and_points_to_no_question(mini: Content) -> None:
    """With nothing waiting, the notice never says "answer the latest question": there is none."""
    assert step(mini, State(), Pick(0, 0)).outputs == (Toast("stale_button_ended"),)
    _, at_q1 = run(mini, Command("quiz"), Text("Ada"))
    assert step(mini, at_q1.state, Pick(at_q1.state.step - 1, 0)).outputs == (Toast("stale_button"),)


def test_text_on_a_button_question_reasks_it(mini: Content) -> None:
    _, at_q1 = run(mini, Command("quiz"), Text("Ada"))
    result = step(mini, at_q1.state, Text("oui"))
    assert result.state == at_q1.state
    # An app's name would get its look-up first, before the question.
    assert result.effects == (Unrouted("oui", at_question=True),) and result.effects_at == (0,)
    assert last_ask(result).step == at_q1.state.step
    assert not result.changed  # asking again is not a step: nothing to save


def test_garbage_outside_a_conversation(mini: Content) -> None:
    for garbage in (Text(""), Text("\x00\ufffd"), Text("🙂" * 5000)):
        result = step(mini, State(), garbage)
        # text no route claims goes to the feature that may answer it (its applier falls back to no_conversation)
        assert (
            result.effects == (Unrouted(garbage.text),)
            and not result.outputs
            and result.state == State()
            and not result.changed
        )


def test_set_language_choice_changes_the_state_language(mini: Content) -> None:
    _, switched = run(mini, Command("start"), 1)
    assert switched.state.language == "en"
    assert switched.state.node is None


def test_a_new_command_restarts_cleanly(mini: Content) -> None:
    *_, mid = run(mini, Command("quiz"), Text("Ada"), 1)
    restarted = step(mini, mid.state, Command("quiz"))
    assert restarted.state.answers == {} and restarted.state.points == 0 and restarted.state.advice == ()
    assert restarted.state.step == mid.state.step + 1


def test_resume_shows_the_current_question_without_changing_anything(mini: Content) -> None:
    _, at_q1 = run(mini, Command("quiz"), Text("Ada"))
    (ask,) = resume(mini, at_q1.state)
    assert isinstance(ask, Ask) and ask.step == at_q1.state.step
    assert resume(mini, State()) == ()


def test_engine_is_deterministic(mini: Content) -> None:
    inputs = (Command("quiz"), Text("Ada"), 1, 2)
    assert run(mini, *inputs) == run(mini, *inputs)


# --- a step's effects travel apart from its outputs, each with its place in the reply ------------------------
def test_each_effects_outputs_go_where_the_effect_was_found(mini: Content) -> None:
    at_q1 = run(mini, Command("quiz"), Text("Ada"))[-1]
    result = step(mini, at_q1.state, Text("oui"))  # the look-up's answer, then the question again
    assert result.reply(((Notice("looked_up"),),)) == (Notice("looked_up"), *result.outputs)
    first, second = Say("a"), Say("b")
    placed = Step(State(), (first, second), (Unrouted("x"), Unrouted("y"), Unrouted("z")), (0, 2, 2))
    applied = ((Notice("x"),), (), (Notice("z"), Notice("z2")))
    assert placed.reply(applied) == (Notice("x"), first, second, Notice("z"), Notice("z2"))


def test_a_step_refuses_effects_without_a_place_among_its_outputs() -> None:
    for places in ((), (0, 1), (2,)):
        with pytest.raises(ValueError, match="effects placed"):
            Step(State(), (Say("a"),), (Unrouted("x"),), places)
    with pytest.raises(ValueError, match="effects placed"):
        Step(State(), (Say("a"),), (Unrouted("x"), Unrouted("y")), (1, 0))


def test_free_text_of_exactly_the_shortest_or_the_longest_length_is_an_answer(mini: Content) -> None:
    asking = run(mini, Command("quiz"))[-1].state  # 2 to 20 characters
    for name in ("Al", "A" * 20):
        assert step(mini, asking, Text(name)).state.answers == {"name": name}


def test_a_press_while_free_text_is_awaited_is_stale_and_changes_nothing(mini: Content) -> None:
    asking = run(mini, Command("quiz"))[-1].state
    pressed = step(mini, asking, Pick(asking.step, 0))
    assert pressed.outputs == (Toast("stale_button"),) and pressed.state == asking
    assert not pressed.changed and not pressed.commits  # nothing to save, nothing to apply


def test_a_reply_needs_the_outputs_of_every_effect_and_no_more() -> None:
    placed = Step(State(), (Say("a"),), (Unrouted("x"),), (1,))
    for applied in ((), ((), ())):
        with pytest.raises(ValueError, match="zip"):
            placed.reply(applied)
