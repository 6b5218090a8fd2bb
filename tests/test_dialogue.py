"""From a dialogue's YAML to the content that runs: every key a writer may use lands where the engine reads it,
and the conditions of a `branch:` hold exactly when the docs say.

Built here, not through the session fixtures: those build the content once, for whichever test asks first.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from bot.core.dialogue import (
    ActionCall,
    Advice,
    Branch,
    Choice,
    Commands,
    Condition,
    Content,
    Dialogue,
    Message,
    Node,
    Target,
    TextInput,
    build_advice,
    build_data_classes,
    build_dialogue,
    build_messages,
)
from bot.core.profile import Profile
from bot.core.regions import Region, Regions, RouteInfo
from bot.core.routing import Route

POLICE = {"police": RouteInfo("17", "Appelle le 17.", "https://police.example/")}
REGIONS = Regions(
    ("police",),
    {
        "be": Region("be", "Belgique", ("fr",), "2026-12-01", POLICE),
        "other": Region("other", "Ailleurs", (), "2026-12-01", POLICE),
    },
)

RAW: dict[str, Any] = {
    "dialogue": "quiz",
    "title": "Le quiz",
    "start": "hello",
    "commands": {"fr": "quiz", "en": "quiz_en", "description": "Un quiz", "urgent": True},
    "routes": {"fr": ["mon téléphone"]},
    "nodes": {
        "hello": {
            "text": "Salut",
            "sources": ["https://a.example/"],
            "weight": 2,
            "critical": True,
            "in_place": True,
            "do": {"remember": {"days": 3}, "forget": None},
            "choices": [
                {
                    "label": "Oui",
                    "goto": "name",
                    "points": 2,
                    "advice": ["twofa", {"id": "lock", "priority": 1}],
                    "save": {"lock": 4},
                    "reply": "Bien, {route.police}",
                    "set_language": "en",
                    "set_profile": {"pushes": "off"},
                    "do": {"note": {"what": "x"}},
                },
                {"label": "Autre", "jump": "other"},
                {"label": "Rien"},
            ],
        },
        "name": {
            "text": "Ton nom ?",
            "input": {
                "save_as": "name",
                "error": "Trop long : {route.police.name}",
                "min_length": 2,
                "max_length": 20,
                "pattern": "[a-z]+",
                "is_a_name": True,
            },
            "goto": "age",
        },
        "age": {"text": "Ton âge ?", "input": {"save_as": None, "error": "Un nombre."}, "goto": "where"},
        "where": {
            "branch": [
                {"when": {"answer": "lock", "in": [4, 6]}, "goto": "end"},
                {
                    "when": {
                        "answer": "name",
                        "is": "zoé",
                        "score_at_least": 10,
                        "score_below": 50,
                        "critical_gap": True,
                        "country": ["be"],
                        "pushes": "off",
                    },
                    "jump": "other",
                },
                {"when": {"pushes": "on"}, "goto": "country"},
                {"goto": "end"},
            ]
        },
        "country": {"text": "Ton pays ?", "pick_country": {"goto": "end"}},
        "end": {"text": "Fini : {route.police}", "end": True, "result": True},
    },
}

EXPECTED = Dialogue(
    id="quiz",
    title="Le quiz",
    start="hello",
    commands=Commands("quiz", "quiz_en", "Un quiz", urgent=True),
    routes=(Route("mon téléphone", "fr", "quiz"),),
    nodes={
        "hello": Node(
            "hello",
            text="Salut",
            sources=("https://a.example/",),
            weight=2,
            critical=True,
            in_place=True,
            actions=(
                ActionCall("remember", MappingProxyType({"days": 3})),
                ActionCall("forget", MappingProxyType({})),
            ),
            choices=(
                Choice(
                    "Oui",
                    Target(goto="name"),
                    points=2,
                    advice=("twofa", "lock"),
                    priorities=(("lock", 1),),
                    save=(("lock", "4"),),
                    reply="Bien, {route.police}",
                    set_language="en",
                    set_profile=(("pushes", "off"),),
                    actions=(ActionCall("note", MappingProxyType({"what": "x"})),),
                ),
                Choice("Autre", Target(jump="other")),
                Choice("Rien", Target()),
            ),
            routes=("police",),
        ),
        "name": Node(
            "name",
            text="Ton nom ?",
            input=TextInput("name", "Trop long : {route.police.name}", 2, 20, "[a-z]+", is_a_name=True),
            target=Target(goto="age"),
            routes=("police",),
        ),
        "age": Node("age", text="Ton âge ?", input=TextInput(None, "Un nombre."), target=Target(goto="where")),
        "where": Node(
            "where",
            branch=(
                Branch(Condition(answer="lock", values=("4", "6")), Target(goto="end")),
                Branch(
                    Condition("name", ("zoé",), 10, 50, critical_gap=True, countries=("be",), pushes=False),
                    Target(jump="other"),
                ),
                Branch(Condition(pushes=True), Target(goto="country")),
                Branch(None, Target(goto="end")),
            ),
        ),
        "country": Node(
            "country",
            text="Ton pays ?",
            choices=(
                Choice("Belgique", Target(goto="end"), set_profile=(("country", "be"),)),
                Choice("Ailleurs", Target(goto="end"), set_profile=(("country", "other"),)),
            ),
            country_picker=Target(goto="end"),
        ),
        "end": Node("end", text="Fini : {route.police}", end=True, result=True, routes=("police",)),
    },
)


def test_every_key_a_writer_uses_lands_where_the_engine_reads_it() -> None:
    built = build_dialogue(RAW, REGIONS)
    for node_id, node in EXPECTED.nodes.items():
        assert built.nodes[node_id] == node, node_id
    assert built == EXPECTED


def test_an_input_left_to_its_defaults_takes_one_to_a_hundred_characters() -> None:
    age = build_dialogue(RAW, REGIONS).nodes["age"].input
    assert age is not None
    assert (age.min_length, age.max_length, age.pattern, age.is_a_name) == (1, 100, None, False)


def test_a_condition_holds_exactly_when_each_of_its_parts_does() -> None:
    belgian, paused = Profile(country="be"), Profile(country="be", pushes=False)
    assert Condition(countries=("be",)).holds({}, 0, profile=belgian)
    assert not Condition(countries=("be",)).holds({}, 0, profile=Profile(country="fr"))
    assert not Condition(countries=("be",)).holds({}, 0)  # no profile: the country is not known yet
    assert Condition(pushes=False).holds({}, 0, profile=paused)
    assert not Condition(pushes=False).holds({}, 0, profile=belgian)
    assert Condition(pushes=True).holds({}, 0)  # pushes are on until the user turns them off
    assert Condition(score_below=50).holds({}, 49) and not Condition(score_below=50).holds({}, 50)
    assert Condition(score_at_least=50).holds({}, 50) and not Condition(score_at_least=50).holds({}, 49)


def test_a_command_opens_its_dialogue_in_any_case_and_nothing_else_does() -> None:
    quiz = build_dialogue(RAW, REGIONS)
    content = Content({"quiz": quiz}, {"twofa": Advice("twofa", 1, "t", "h", "s")}, {}, commands={"quiz": "quiz"})
    assert content.dialogue_for("QUIZ") is quiz
    assert content.dialogue_for("autre") is None
    assert content.country_picker is None  # its start node is a question, not a `pick_country:`


def test_advice_messages_and_data_class_labels_are_read_as_written() -> None:
    raw_advice = {"advice": {"twofa": {"priority": 2, "title": "T", "how": "H", "source": "https://s.example/"}}}
    assert build_advice(raw_advice) == {"twofa": Advice("twofa", 2, "T", "H", "https://s.example/")}
    raw_messages = {"messages": {"hi": "Salut", "n": {"one": "Un rappel", "other": "{count} rappels"}}}
    assert build_messages(raw_messages) == {"hi": Message("Salut"), "n": Message("Un rappel", "{count} rappels")}
    assert build_data_classes({"data_classes": {"Passwords": "Mots de passe"}}) == {"Passwords": "Mots de passe"}
