"""Another dialogue started in the middle of one: the unfinished one is kept aside and offered back when the
new one ends (Yes: where it was, with its points and answers; No: dropped). Nothing is lost silently."""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

from bot.core.dialogue import Content
from bot.core.engine import Ask, Choose, Command, Notice, Pick, Picked, Say, State, Text, Toast, resume, step
from bot.core.i18n import Translator
from bot.core.render import render
from bot.storage import conversation_json, state_from_row
from tests.test_engine import last_ask, run


def _mid_quiz(mini: Content) -> State:
    """At q2 of the quiz: a name typed, one question answered (10 points)."""
    return run(mini, Command("quiz"), Text("Ada"), 0)[-1].state


def test_a_command_mid_dialogue_keeps_it_aside_and_offers_it_back_when_the_other_ends(mini: Content) -> None:
    mid = _mid_quiz(mini)
    assert mid.node == "q2" and mid.points == 10
    at_menu, switched = run(mini, Command("start"), 1, state=mid)  # the menu, then "English": the menu ends
    assert at_menu.state.dialogue == "menu" and at_menu.state.suspended is not None
    offer = last_ask(switched)
    assert offer.text == "Tu reprends {title} ?" and offer.labels == ("Reprendre", "Laisser")
    assert switched.state.dialogue is None and switched.state.language == "en"
    (back,) = run(mini, 0, state=switched.state)
    assert back.state.dialogue == "quiz" and back.state.node == "q2"
    assert (back.state.points, back.state.max_points, back.state.answers) == (10, 10, mid.answers)
    assert back.state.suspended is None and back.state.step == switched.state.step + 1
    assert back.outputs[0] == Picked("Reprendre") and last_ask(back).text == "Et la double authentification ?"
    (done,) = run(mini, 0, state=back.state)  # and it ends as it would have: 100/100
    assert done.state.score == 100


def test_no_drops_the_unfinished_one(mini: Content) -> None:
    switched = run(mini, Command("start"), 1, state=_mid_quiz(mini))[-1]
    (dropped,) = run(mini, 1, state=switched.state)
    assert dropped.state == replace(switched.state, suspended=None, step=switched.state.step + 1)
    assert dropped.outputs == (Picked("Laisser"), Notice("resume_dropped"))


def test_yes_to_a_conversation_the_content_no_longer_has_drops_it_and_says_so(mini: Content) -> None:
    """A dialogue edited between two runs: the node kept aside is gone, there is nothing to go back to."""
    switched = run(mini, Command("start"), 1, state=_mid_quiz(mini))[-1].state
    assert switched.suspended is not None
    gone = replace(switched, suspended=replace(switched.suspended, node="q9"))
    (dropped,) = run(mini, 0, state=gone)
    assert dropped.state == replace(gone, suspended=None, step=gone.step + 1)
    assert dropped.outputs == (Notice("resume_dropped"),)


def test_the_offer_names_the_conversation_in_the_users_language(
    mini: Content, mini_translators: dict[str, Translator]
) -> None:
    switched = run(mini, Command("start"), 1, state=_mid_quiz(mini))[-1]
    assert render(mini, mini_translators["en"], (last_ask(switched),)).text == "Back to Quiz?"


def test_a_dialogue_that_ends_at_once_offers_it_back_in_the_same_reply(mini: Content) -> None:
    """Like /aide: its text, then the offer, in one step."""
    mid = _mid_quiz(mini)
    (menu,) = run(mini, Command("start"), state=mid)
    result = step(mini, menu.state, Choose(2))  # typed in the terminal: "English" ends the menu
    assert isinstance(result.outputs[-2], Say) and isinstance(result.outputs[-1], Ask)
    assert result.outputs[-1].labels == ("Reprendre", "Laisser")
    assert step(mini, result.state, Choose(1)).state.node == "q2"  # the offer answered by its number too
    refused = step(mini, result.state, Choose(3))
    assert refused.outputs[0] == Notice("invalid_choice") and not refused.changed


def test_text_at_the_offer_asks_again_briefly(mini: Content) -> None:
    switched = run(mini, Command("start"), 1, state=_mid_quiz(mini))[-1]
    result = step(mini, switched.state, Text("bof"))
    assert result.outputs[0] == Notice("use_buttons")
    assert isinstance(result.outputs[1], Ask) and result.outputs[1].text == "" and not result.changed


def test_starting_the_same_dialogue_again_starts_it_over(mini: Content) -> None:
    (again,) = run(mini, Command("quiz"), state=_mid_quiz(mini))
    assert again.state.suspended is None and again.state.node == "hello" and again.state.points == 0


def test_jumping_into_the_suspended_dialogue_replaces_it(mini: Content) -> None:
    """From the menu, "Le quiz" jumps into a fresh quiz: no offer of the old one at its end."""
    at_menu, fresh = run(mini, Command("start"), 0, state=_mid_quiz(mini))
    assert at_menu.state.suspended is not None
    assert fresh.state.dialogue == "quiz" and fresh.state.suspended is None


def test_nothing_answered_nothing_kept(mini: Content) -> None:
    """At the quiz's first question nothing would be lost: no offer afterwards."""
    at_hello = run(mini, Command("quiz"))[-1].state
    switched = run(mini, Command("start"), 1, state=at_hello)[-1]
    assert switched.state.suspended is None and not any(isinstance(o, Ask) for o in switched.outputs)


def test_a_press_on_the_offer_after_a_restart_is_shown_again_by_resume(mini: Content) -> None:
    switched = run(mini, Command("start"), 1, state=_mid_quiz(mini))[-1]
    (again,) = resume(mini, switched.state)
    assert isinstance(again, Ask) and again.labels == ("Reprendre", "Laisser")


def test_the_suspended_conversation_survives_the_database_json(mini: Content) -> None:
    switched = run(mini, Command("start"), 1, state=_mid_quiz(mini))[-1].state
    saved = state_from_row(switched.language, conversation_json(switched))
    assert saved == switched
    assert run(mini, 0, state=saved)[0].state.node == "q2"


def test_a_conversation_kept_aside_by_an_older_gaffe_still_loads(mini: Content) -> None:
    """Databases written before `Suspended` had names hold it as an array of its 8 values, in field order."""
    switched = run(mini, Command("start"), 1, state=_mid_quiz(mini))[-1].state
    assert switched.suspended is not None
    saved = json.loads(conversation_json(switched))
    left = switched.suspended
    answers = [["name", "Ada"], ["manager", "yes"]]
    saved["suspended"] = ["quiz", "q2", 10, 10, answers, list(left.advice), list(left.priorities), list(left.gaps)]
    loaded = state_from_row(switched.language, json.dumps(saved))
    assert loaded.suspended == switched.suspended and loaded.suspended.dialogue == "quiz"
    assert run(mini, 0, state=loaded)[0].state.node == "q2"


def test_everything_kept_aside_comes_back_as_it_was(mini: Content) -> None:
    """Its advice, the priorities its answers set and its critical gaps too, not only its points and answers."""
    mid = replace(
        _mid_quiz(mini), advice=("manager", "backup"), priorities=(("backup", 0),), gaps=("q1",), max_points=20
    )
    switched = run(mini, Command("start"), 1, state=mid)[-1].state
    assert switched.suspended is not None and switched.suspended.node == "q2"
    (back,) = run(mini, 0, state=switched)
    assert back.state == replace(mid, profile=switched.profile, step=switched.step + 1)


def test_points_alone_or_answers_alone_are_worth_keeping(mini: Content) -> None:
    at_q1 = run(mini, Command("quiz"), Text("Ada"))[-1].state  # a name typed, no points yet
    assert at_q1.max_points == 0 and at_q1.answers
    scored = replace(_mid_quiz(mini), answers=MappingProxyType({}))  # points, no answers
    for mid in (at_q1, scored):
        (menu,) = run(mini, Command("start"), state=mid)
        assert menu.state.suspended is not None and menu.state.suspended.node == mid.node


def test_the_offer_asked_again_after_a_wrong_number_and_a_stale_press_on_it(mini: Content) -> None:
    switched = run(mini, Command("start"), 1, state=_mid_quiz(mini))[-1]
    offer = last_ask(switched)
    assert offer.step == switched.state.step
    refused = step(mini, switched.state, Choose(3))
    assert refused.outputs == (Notice("invalid_choice"), offer) and refused.state == switched.state
    stale = step(mini, switched.state, Pick(switched.state.step - 1, 0))
    assert stale.outputs == (Toast("stale_button_ended"),) and stale.state == switched.state


def test_a_conversation_kept_aside_that_the_content_no_longer_has_is_not_offered(mini: Content) -> None:
    at_menu = run(mini, Command("start"), state=_mid_quiz(mini))[-1].state
    assert at_menu.suspended is not None
    gone = replace(at_menu, suspended=replace(at_menu.suspended, dialogue="old"))
    ended = step(mini, gone, Pick(gone.step, 1))  # "English": the menu ends
    assert ended.state.dialogue is None and not any(isinstance(o, Ask) for o in ended.outputs)
    assert resume(mini, ended.state) == ()


def test_a_second_interruption_keeps_the_first_conversation_aside(mini: Content) -> None:
    """At the menu (nothing answered there) a topic typed opens another dialogue: the quiz stays kept aside."""
    (at_menu,) = run(mini, Command("start"), state=_mid_quiz(mini))
    moved = step(mini, at_menu.state, Text("arnaque"))
    assert moved.state.dialogue == "incident" and moved.state.suspended == at_menu.state.suspended
    ended = step(mini, moved.state, Pick(moved.state.step, 1))  # "Autre chose": the incident ends
    assert last_ask(ended).labels == ("Reprendre", "Laisser")


def test_the_command_of_the_conversation_kept_aside_starts_it_over(mini: Content) -> None:
    (at_menu,) = run(mini, Command("start"), state=_mid_quiz(mini))
    assert at_menu.state.suspended is not None
    (again,) = run(mini, Command("quiz"), state=at_menu.state)
    assert again.state.suspended is None and again.state.node == "hello" and again.state.answers == {}
