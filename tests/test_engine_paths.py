"""The engine's paths the checkup and the quiz do not take, on a settings dialogue of the test's own: screens
that replace each other in place, a language or pushes setting said at once, a name refused when it looks like
a secret or an e-mail, text read only by the secret filter (a caption, an edit), numbers typed in the terminal,
a result with buttons after it, and a dialogue that loops without asking anything."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest
import yaml

from bot.core.dialogue import Content, Node, Target, build_dialogue
from bot.core.engine import (
    Aside,
    Ask,
    Choose,
    Command,
    LanguageChanged,
    Notice,
    Pick,
    Picked,
    RecordResult,
    Result,
    Say,
    SecretRefused,
    State,
    Step,
    Text,
    Unrouted,
    resume,
    step,
)
from bot.core.profile import Profile
from bot.core.routing import build_routes, routes_of
from tests.test_engine import last_ask

SETTINGS = """
dialogue: settings
title: "Réglages"
start: main
nodes:
  main:
    text: "Tes réglages"
    in_place: true
    choices:
      - {label: "Langue", goto: language}
      - {label: "Pause", set_profile: {pushes: "off"}, goto: main}
      - {label: "Reprise", set_profile: {pushes: "on"}, goto: main}
      - {label: "Un nom", goto: name}
      - {label: "Fini", goto: bye}
  language:
    text: "Quelle langue ?"
    in_place: true
    choices:
      - {label: "English", set_language: en, reply: "Noted.", goto: main}
      - {label: "Français", set_language: fr, goto: bye}
  name:
    text: "Quel nom ?"
    input: {save_as: label, error: "Trop long.", max_length: 40, is_a_name: true}
    goto: bye
  bye:
    text: "Salut."
    end: true
  welcome:
    text: "Bienvenue"
    choices:
      - {label: "Tes réglages", goto: main}
"""


@pytest.fixture
def settings(mini: Content) -> Content:
    dialogue = build_dialogue(yaml.safe_load(SETTINGS))
    return replace(
        mini, dialogues={**mini.dialogues, "settings": dialogue}, commands={**mini.commands, "set": "settings"}
    )


def _open(content: Content, state: State | None = None) -> Step:
    return step(content, state or State(), Command("set"))


def _pick(content: Content, state: State, label: str) -> Step:
    node = content.dialogues[state.dialogue or ""].nodes[state.node or ""]
    return step(content, state, Pick(state.step, [c.label for c in node.choices].index(label)))


def _asks(result: Step) -> list[Ask]:
    return [o for o in result.outputs if isinstance(o, Ask)]


# --- settings screens -------------------------------------------------------------------------------------------
def test_a_settings_screen_reached_from_another_replaces_it(settings: Content) -> None:
    opened = _open(settings)
    assert [a.in_place for a in _asks(opened)] == [False]  # the first screen is a message of its own
    language = _pick(settings, opened.state, "Langue")
    asked = Ask("Quelle langue ?", ("English", "Français"), language.state.step, _params(language), in_place=True)
    assert _asks(language) == [asked]


def test_a_settings_screen_reached_from_an_ordinary_question_is_a_message_of_its_own(settings: Content) -> None:
    welcome = State(dialogue="settings", node="welcome", step=4)
    main = step(settings, welcome, Pick(4, 0))
    assert [(a.text, a.in_place) for a in _asks(main)] == [("Tes réglages", False)]


def test_a_settings_screen_that_ends_the_dialogue_replaces_nothing(settings: Content) -> None:
    language = _pick(settings, _open(settings).state, "Langue")
    left = _pick(settings, language.state, "Français")
    assert left.state.dialogue is None and not _asks(left)
    name = _pick(settings, _open(settings).state, "Un nom")  # from a settings screen to a free-text question
    assert name.outputs[-1] == Say("Quel nom ?", _params(name)) and name.state.node == "name"


def _params(result: Step) -> MappingProxyType[str, object]:
    return MappingProxyType({**result.state.answers, "score": result.state.score})


def test_a_language_chosen_is_said_to_the_adapter_right_after_the_pick(settings: Content) -> None:
    language = _pick(settings, _open(settings).state, "Langue")
    english = _pick(settings, language.state, "English")
    assert english.outputs[:3] == (Picked("English"), LanguageChanged("en"), Say("Noted.", _params(english)))
    assert english.state.language == "en"
    same = _pick(settings, replace(language.state, profile=Profile("fr")), "Français")
    assert not any(isinstance(o, LanguageChanged) for o in same.outputs)  # French already: nothing to follow


def test_pushes_paused_or_resumed_are_said_once_each_time_they_change(settings: Content) -> None:
    opened = _open(settings)
    paused = _pick(settings, opened.state, "Pause")
    assert paused.outputs[:2] == (Picked("Pause"), Notice("pushes_paused")) and not paused.state.profile.pushes
    again = _pick(settings, paused.state, "Pause")  # already paused: nothing to say
    assert Notice("pushes_paused") not in again.outputs and not again.state.profile.pushes
    resumed = _pick(settings, again.state, "Reprise")
    assert resumed.outputs[:2] == (Picked("Reprise"), Notice("pushes_resumed")) and resumed.state.profile.pushes


# --- a name: never a secret, never an e-mail ----------------------------------------------------------------------
def test_a_name_that_looks_like_a_secret_or_an_email_is_refused_and_not_kept(settings: Content) -> None:
    asking = _pick(settings, _open(settings).state, "Un nom").state
    # A long number is fine in a message but may be a code in a label kept and shown again.
    secret = step(settings, asking, Text("Casier 48213377"))
    assert secret.outputs == (SecretRefused("password"), Notice("name_only")) and secret.state == asking
    typed = step(settings, asking, Text("mon mdp: soleil123"))  # what the filter refuses anywhere: said why too
    assert typed.outputs == (SecretRefused("password"), Notice("name_only")) and typed.state == asking
    email = step(settings, asking, Text("ada@example.org"))
    assert email.outputs == (Notice("name_no_email"),) and email.state == asking
    named = step(settings, asking, Text("  Le   vélo "))
    assert named.state.answers == {"label": "Le vélo"} and named.state.dialogue is None


def test_a_secret_typed_where_no_name_is_asked_says_nothing_about_names(settings: Content) -> None:
    opened = _open(settings).state
    assert step(settings, opened, Text("mon mdp: soleil123")).outputs == (SecretRefused("password"),)


# --- asides: the secret filter only -------------------------------------------------------------------------------
def test_an_aside_with_a_secret_is_refused_and_anything_else_changes_nothing(settings: Content) -> None:
    asking = _pick(settings, _open(settings).state, "Un nom").state
    refused = step(settings, asking, Aside("mon mdp: soleil123"))
    assert refused.outputs == (SecretRefused("password"),) and refused.state == asking and not refused.changed
    for text in ("Le vélo", "on m'a piraté"):  # neither an answer nor a topic to open
        ignored = step(settings, asking, Aside(text))
        assert ignored.outputs == () and ignored.state == asking and not ignored.effects and not ignored.changed


# --- numbers typed in the terminal --------------------------------------------------------------------------------
def test_a_number_typed_picks_that_choice_or_is_text_where_no_choice_is_waiting(settings: Content) -> None:
    opened = _open(settings).state
    assert step(settings, opened, Choose(2)).outputs[:2] == (Picked("Pause"), Notice("pushes_paused"))
    asking_days = step(settings, step(settings, State(), Text("on m'a piraté")).state, Choose(1)).state
    assert asking_days.node == "since"  # "Mon mail", the incident's first choice
    answered = step(settings, asking_days, Choose(12))  # a free-text question: the number is the answer
    assert answered.state.answers == {"days": "12"}
    alone = step(settings, State(), Choose(3))
    assert alone.effects == (Unrouted("3"),) and alone.state == State()


# --- results and loops --------------------------------------------------------------------------------------------
RESULT_WITH_BUTTONS = """
dialogue: graded
title: "Noté"
start: q
nodes:
  q:
    text: "Q"
    choices:
      - {label: "bien", points: 2, advice: [gone, twofa], goto: done}
      - {label: "bof", points: 1, advice: [updates, manager, {id: backup, priority: 1}, twofa], goto: done}
  done:
    text: "Fini : {score}/100."
    result: true
    choices:
      - {label: "Encore", jump: graded}
      - {label: "Stop", goto: bye}
  bye: {text: "Salut.", end: true}
"""


def test_a_result_with_buttons_shows_them_after_it_without_its_text_again(mini: Content) -> None:
    graded = build_dialogue(yaml.safe_load(RESULT_WITH_BUTTONS))
    content = replace(mini, dialogues={**mini.dialogues, "graded": graded}, commands={"graded": "graded"})
    opened = step(content, State(), Command("graded"))
    done = step(content, opened.state, Pick(opened.state.step, 0))
    shown = [type(o) for o in done.outputs]
    assert shown == [Picked, Say, Result, Ask] and done.outputs[1] == Say("Fini : {score}/100.", _params(done))
    assert done.outputs[3] == Ask("", ("Encore", "Stop"), done.state.step, _params(done))
    result = done.outputs[2]
    assert isinstance(result, Result) and (result.dialogue, result.score) == ("graded", 100)
    assert [a.id for a in result.actions] == ["twofa"]  # advice the catalogue no longer has is left out
    assert (done.state.dialogue, done.state.node) == ("graded", "done")
    assert done.effects == (RecordResult("graded", 100, ("twofa",)),) and done.effects_at == (3,)
    again = step(content, done.state, Pick(done.state.step, 0))
    assert (again.state.dialogue, again.state.node) == ("graded", "q") and last_ask(again).text == "Q"


def test_three_actions_at_most_ties_in_the_order_they_were_recommended(mini: Content) -> None:
    graded = build_dialogue(yaml.safe_load(RESULT_WITH_BUTTONS))
    content = replace(mini, dialogues={**mini.dialogues, "graded": graded}, commands={"graded": "graded"})
    opened = step(content, State(), Command("graded"))
    done = step(content, opened.state, Pick(opened.state.step, 1))
    result = next(o for o in done.outputs if isinstance(o, Result))
    # backup ranked 1 by the answer, twofa 1 in the catalogue: the one recommended first comes first
    assert result.score == 50 and [a.id for a in result.actions] == ["backup", "twofa", "manager"]


def test_a_dialogue_that_loops_without_asking_stops_with_its_name(mini: Content) -> None:
    quiz = mini.dialogues["quiz"]
    looping = {**quiz.nodes, "bye": replace(quiz.nodes["bye"], end=False, target=Target(goto="bye"))}
    content = replace(mini, dialogues={**mini.dialogues, "quiz": replace(quiz, nodes=looping)})
    at_q2 = step(content, step(content, step(content, State(), Command("quiz")).state, Text("Ada")).state, Pick(2, 0))
    with pytest.raises(RuntimeError, match="'quiz' loops for 100 nodes"):
        step(content, at_q2.state, Pick(at_q2.state.step, 1))  # 15/20 with a manager: good, then bye forever


def test_after_a_restart_the_country_picker_is_shown_again_in_the_users_order(shipped: Content) -> None:
    asked = step(shipped, State(Profile("en")), Command("country"))
    (again,) = resume(shipped, asked.state)
    assert again == _asks(asked)[0] and again.labels[0] != shipped.regions.regions["fr"].name


def test_a_topic_typed_is_looked_for_in_the_users_language_first(mini: Content) -> None:
    """The same words name one dialogue in French and another in English: the user's language decides."""
    routes = build_routes([*routes_of("quiz", {"fr": ["le test"]}), *routes_of("incident", {"en": ["le test"]})])
    content = replace(mini, routes=routes)
    assert step(content, State(Profile("fr")), Text("je veux faire le test")).state.dialogue == "quiz"
    assert step(content, State(Profile("en")), Text("je veux faire le test")).state.dialogue == "incident"


def test_the_country_picker_asked_again_keeps_the_users_order(shipped: Content) -> None:
    """After a wrong number, text no feature answers, or its own topic typed again."""
    asked = step(shipped, State(Profile("en")), Command("country"))
    question = _asks(asked)[0]
    again = replace(question, text="", sources=())
    wrong = step(shipped, asked.state, Choose(999))
    assert wrong.outputs == (Notice("invalid_choice"), again)
    assert step(shipped, asked.state, Text("blablabla")).outputs == (again,)
    assert step(shipped, asked.state, Text("my country")).outputs == (Notice("use_buttons"), again)


def test_a_country_picker_whose_own_text_names_a_route_is_asked_once(shipped: Content) -> None:
    """Its text may give a local number too: the detour then asks it, and does not detour to itself again."""
    picker = shipped.dialogues["pays"]
    ask = replace(picker.nodes[picker.start], routes=("emergency",))
    content = replace(
        shipped, dialogues={**shipped.dialogues, "pays": replace(picker, nodes={**picker.nodes, picker.start: ask})}
    )
    asked = step(content, State(Profile("fr")), Command("pays"))
    assert (asked.state.dialogue, asked.state.node) == ("pays", picker.start) and len(_asks(asked)) == 1


# --- the country picker's own ending, while a detour waits ----------------------------------------------------
def _with_picker_end(shipped: Content, **nodes: Node) -> Content:
    picker = shipped.dialogues["pays"]
    return replace(shipped, dialogues={**shipped.dialogues, "pays": replace(picker, nodes={**picker.nodes, **nodes})})


def _detour_to_picker(content: Content) -> Step:
    """The scam dialogue's SMS branch reads the country: unknown, the picker is asked first."""
    opened = step(content, State(Profile("fr")), Command("arnaque"))
    sms = _asks(opened)[0].labels.index("Un SMS louche (colis, amende…)")
    asked = step(content, opened.state, Pick(opened.state.step, sms))
    assert asked.state.dialogue == "pays" and asked.state.detour is not None
    return asked


def _pick_belgium(content: Content, asked: Step) -> Step:
    return step(content, asked.state, Pick(asked.state.step, _asks(asked)[-1].labels.index("Belgique")))


def test_a_picker_that_says_two_things_says_both_before_going_back_where_it_was(shipped: Content) -> None:
    """Only its last node ends the detour: a text node with a `goto` inside it goes on within the picker."""
    done = shipped.dialogues["pays"].nodes["done"]
    content = _with_picker_end(
        shipped,
        done=replace(done, end=False, target=Target(goto="more")),
        more=replace(done, id="more", text="Et voilà."),
    )
    back = _pick_belgium(content, _detour_to_picker(content))
    said = [o.text for o in back.outputs if isinstance(o, Say)]
    assert said == [done.text, "Et voilà."]
    assert (back.state.dialogue, back.state.node, back.state.detour) == ("arnaque", "sms_other", None)


def test_a_node_that_neither_ends_nor_goes_on_ends_the_conversation_or_the_detour(shipped: Content) -> None:
    """The content check refuses such a dead end; content built without it (tests, tools) still ends there."""
    content = _with_picker_end(shipped, done=replace(shipped.dialogues["pays"].nodes["done"], end=False))
    assert content.dialogues["pays"].nodes["done"].target is None
    asked = step(content, State(Profile("fr")), Command("pays"))
    ended = _pick_belgium(content, asked)
    assert ended.state.profile.country == "be" and (ended.state.dialogue, ended.state.node) == (None, None)
    back = _pick_belgium(content, _detour_to_picker(content))
    assert (back.state.dialogue, back.state.node, back.state.detour) == ("arnaque", "sms_other", None)
