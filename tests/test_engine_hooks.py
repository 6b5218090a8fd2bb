"""The engine's hooks for features (bot/core/actions.py), on a small dialogue and a registry of the test's own:
actions' outputs, answers and effects in their place, the erasure that forgets the conversation, a push and a
press that leave the conversation where it was, and text no route claims with or without a feature to answer it.
The shipped features are tested through these hooks elsewhere; here the engine's side is pinned on its own."""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

import pytest
import yaml

from bot.core.actions import Context, Effect, Outcome, Registry, World
from bot.core.dialogue import Content, build_dialogue
from bot.core.engine import (
    Ask,
    Command,
    Notice,
    Output,
    Pick,
    Picked,
    Press,
    Push,
    Say,
    State,
    Step,
    Suspended,
    Text,
    Toast,
    Unrouted,
    step,
)
from bot.core.profile import Profile

NOTES = """
dialogue: notes
title: "Notes"
start: ask
nodes:
  ask:
    text: "Une note ?"
    sources: ["https://example.org/notes"]
    do: {mark: {what: asked}}
    choices:
      - label: "Oui"
        reply: "Bien."
        save: {kind: "oui"}
        do: {mark: {what: chose}, remember: {}}
        goto: label
      - label: "Efface tout"
        do: {forget: {}}
        goto: done
  label:
    text: "Laquelle ?"
    sources: ["https://example.org/labels"]
    input: {error: "Trop long.", max_length: 30}
    do: {note: {}}
    goto: done
  done:
    text: "Noté."
    end: true
"""

WIPE = """
dialogue: wipe
title: "Effacer"
start: wiped
nodes:
  wiped:
    text: "Tout est effacé. Autre chose ?"
    do: {forget: {}}
    choices:
      - {label: "Non", goto: bye}
  bye: {text: "Salut.", end: true}
"""
NOTES_SOURCE, LABELS_SOURCE = "https://example.org/notes", "https://example.org/labels"


def _no_answers() -> MappingProxyType[str, object]:
    return MappingProxyType({"score": 0})


@dataclass(frozen=True)
class Marked(Effect):
    what: str


@dataclass(frozen=True)
class Noted(Effect):
    text: str


def _where(context: Context) -> str:
    """Where the user is, read as real handlers read things: from the state, named from the content."""
    dialogue = context.content.dialogues.get(context.state.dialogue or "")
    return f"{dialogue.title}/{context.state.node}" if dialogue else "nowhere"


def _registry(answers_unrouted: bool) -> Registry:
    registry = Registry()

    @registry.action("mark", "says and marks where it ran")
    def mark(context: Context) -> Outcome:
        what = str(context.args["what"])
        return Outcome(outputs=(Say(f"mark {what} at {_where(context)}"),), effects=(Marked(what),))

    @registry.action("remember", "remembers an answer of its own")
    def remember(context: Context) -> Outcome:
        return Outcome(answers={"remembered": "yes"})

    @registry.action("note", "reads the text just typed")
    def note(context: Context) -> Outcome:
        typed = context.typed or ""
        said = Say(f"note at {_where(context)}", MappingProxyType({"typed": typed}))
        return Outcome(outputs=(said,), effects=(Noted(typed),))

    @registry.action("forget", "the erasure")
    def forget(context: Context) -> Outcome:
        return Outcome(effects=(Marked("erased"),), forgets_conversation=True)

    @registry.on_push("ping")
    def ping(context: Context) -> Outcome:
        said = Say(f"pong at {_where(context)}", MappingProxyType({"about": context.payload}))
        return Outcome(outputs=(said,), effects=(Marked("ping"),))

    @registry.on_press("note")
    def press(context: Context) -> Outcome:
        pressed = context.payload_as(Press)
        return Outcome(outputs=(Notice("pressed", MappingProxyType({"verb": pressed.verb, "at": _where(context)})),))

    if answers_unrouted:

        @registry.applies(Unrouted)
        async def answer(world: World, effect: Unrouted) -> tuple[Output, ...]:
            return ()

    return registry


def _content(mini: Content, answers_unrouted: bool = True) -> Content:
    """The mini content (its messages, its quiz) with the notes dialogue and this test's registry."""
    notes, wipe = build_dialogue(yaml.safe_load(NOTES)), build_dialogue(yaml.safe_load(WIPE))
    return replace(
        mini,
        dialogues={**mini.dialogues, "notes": notes, "wipe": wipe},
        commands={**mini.commands, "notes": "notes", "wipe": "wipe"},
        registry=_registry(answers_unrouted),
    )


@pytest.fixture
def notes(mini: Content) -> Content:
    return _content(mini)


def _at_label(content: Content) -> Step:
    opened = step(content, State(), Command("notes"))
    return step(content, opened.state, Pick(opened.state.step, 0))


# --- actions ----------------------------------------------------------------------------------------------------
def test_a_questions_actions_run_when_it_is_asked_their_effects_after_what_they_said(notes: Content) -> None:
    opened = step(notes, State(), Command("notes"))
    assert [type(o) for o in opened.outputs] == [Ask, Say] and opened.outputs[1] == Say("mark asked at Notes/ask")
    assert opened.outputs[0] == Ask("Une note ?", ("Oui", "Efface tout"), 1, _no_answers(), (NOTES_SOURCE,))
    assert opened.effects == (Marked("asked"),) and opened.effects_at == (2,)
    assert (opened.state.dialogue, opened.state.node) == ("notes", "ask")


def test_a_choices_actions_run_after_its_reply_and_their_answers_are_kept(notes: Content) -> None:
    picked = _at_label(notes)
    assert picked.outputs[:3] == (Picked("Oui"), Say("Bien.", picked.outputs[1].params), Say("mark chose at Notes/ask"))
    assert picked.outputs[3] == Say("Laquelle ?", picked.outputs[3].params, (LABELS_SOURCE,))
    assert picked.effects == (Marked("chose"),) and picked.effects_at == (3,)
    assert picked.state.answers == {"kind": "oui", "remembered": "yes"}  # the action's beside the choice's own
    assert picked.state.node == "label"


def test_a_free_text_nodes_actions_run_on_the_answer_which_is_not_kept_without_save_as(notes: Content) -> None:
    at_label = _at_label(notes).state
    answered = step(notes, at_label, Text("  ma   note  "))
    assert answered.outputs[0] == Say("note at Notes/label", MappingProxyType({"typed": "ma note"}))
    assert answered.outputs[1] == Say("Noté.", answered.outputs[1].params)
    assert answered.effects == (Noted("ma note"),) and answered.effects_at == (1,)
    assert answered.state.answers == at_label.answers and answered.state.step == at_label.step + 1
    assert answered.state.dialogue is None


def test_the_erasure_forgets_the_conversation_and_the_profile_but_the_language(notes: Content) -> None:
    kept = Suspended("quiz", "q2", 10, 10, (("name", "Ada"),), ("twofa",), (("twofa", 0),), ("q2",))
    opened = step(notes, State(Profile("en", "be", pushes=False), suspended=kept), Command("notes"))
    busy = replace(opened.state, points=10, max_points=20, advice=("twofa",), gaps=("q1",))
    erased = step(notes, busy, Pick(busy.step, 1))
    assert erased.state == State(Profile("en"), step=busy.step + 1)  # no offer of the quiz kept aside either
    assert erased.effects == (Marked("erased"),)
    assert erased.outputs == (Picked("Efface tout"), Say("Noté.", erased.outputs[1].params))


def test_an_erasure_run_when_a_question_is_asked_leaves_that_question_waiting(notes: Content) -> None:
    kept = Suspended("quiz", "q2", 10, 10, (("name", "Ada"),), (), (), ())
    erased = step(notes, State(Profile("en", "be"), suspended=kept), Command("wipe"))
    assert erased.state == State(Profile("en"), dialogue="wipe", node="wiped", step=1)
    assert step(notes, erased.state, Pick(1, 0)).state.dialogue is None  # and it is answered as usual


# --- pushes and presses -----------------------------------------------------------------------------------------
def test_a_push_says_its_outputs_and_leaves_the_conversation_where_it_was(notes: Content) -> None:
    at_label = _at_label(notes).state
    pushed = step(notes, at_label, Push("ping", payload="rappel 7"))
    assert pushed.state == at_label and not pushed.changed and pushed.commits
    assert pushed.outputs == (Say("pong at Notes/label", MappingProxyType({"about": "rappel 7"})),)
    assert pushed.effects == (Marked("ping"),) and pushed.effects_at == (1,)


def test_a_push_no_feature_handles_is_a_bug_named(notes: Content) -> None:
    with pytest.raises(ValueError, match="'pong'"):
        step(notes, State(), Push("pong"))


def test_a_press_gets_its_handlers_answer_then_the_question_waiting_again(notes: Content) -> None:
    opened = step(notes, State(), Command("notes")).state
    pressed = step(notes, opened, Press("note", 3, 1, "done"))
    said = Notice("pressed", MappingProxyType({"verb": "done", "at": "Notes/ask"}))
    assert pressed.outputs[:2] == (said, Notice("resumed"))
    assert pressed.outputs[2] == Ask("Une note ?", ("Oui", "Efface tout"), opened.step, _no_answers(), (NOTES_SOURCE,))
    assert pressed.state == opened and not pressed.changed
    at_label = _at_label(notes).state  # a free-text question is waiting too: asked again
    assert step(notes, at_label, Press("note", 3, 1, "done")).outputs[1:] == (
        Notice("resumed"),
        Say("Laquelle ?", MappingProxyType({**at_label.answers, "score": 0}), (LABELS_SOURCE,)),
    )


def test_a_press_with_nothing_waiting_is_its_handlers_answer_alone(notes: Content) -> None:
    pressed = step(notes, State(), Press("note", 3, 1, "later"))
    assert pressed.outputs == (Notice("pressed", MappingProxyType({"verb": "later", "at": "nowhere"})),)
    assert pressed.state == State()


def test_a_press_of_a_kind_no_feature_owns_is_forged(notes: Content) -> None:
    opened = step(notes, State(), Command("notes")).state
    forged = step(notes, opened, Press("nope", 3, 1, "done"))
    assert forged.outputs == (Toast("forged_button"),) and forged.state == opened and not forged.effects


# --- text no route claims ---------------------------------------------------------------------------------------
def test_unrouted_text_without_a_feature_to_answer_it_gets_the_short_answer(mini: Content) -> None:
    plain = _content(mini, answers_unrouted=False)
    alone = step(plain, State(), Text("blabla"))
    assert alone.outputs == (Notice("no_conversation"),) and not alone.effects and not alone.changed
    opened = step(plain, State(), Command("notes")).state
    at_buttons = step(plain, opened, Text("blabla"))
    assert at_buttons.outputs[0] == Notice("use_buttons") and not at_buttons.effects
    assert at_buttons.outputs[1] == Ask("", ("Oui", "Efface tout"), opened.step, _no_answers())  # nor its sources
    assert at_buttons.state == opened


def test_unrouted_text_goes_to_the_feature_that_answers_it(notes: Content) -> None:
    alone = step(notes, State(), Text("blabla"))
    assert alone.effects == (Unrouted("blabla"),) and alone.effects_at == (0,) and not alone.outputs
    opened = step(notes, State(), Command("notes")).state
    at_buttons = step(notes, opened, Text("blabla"))  # its answer first, then the buttons again without the text
    assert at_buttons.effects == (Unrouted("blabla", at_question=True),) and at_buttons.effects_at == (0,)
    assert at_buttons.outputs == (Ask("", ("Oui", "Efface tout"), opened.step, _no_answers()),)
    assert at_buttons.state == opened and not at_buttons.changed
