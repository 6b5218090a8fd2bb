"""The content Gaffe runs, as plain immutable data: dialogues, advice, interface messages and data class labels.

Built from already validated YAML (see `bot.authoring.check`); nothing here knows about Telegram, SQLite or files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from bot.core.actions import Registry
from bot.core.profile import OFF, Profile
from bot.core.regions import Regions, route_keys
from bot.core.routing import Route, RouteIndex, routes_of


@dataclass(frozen=True)
class Condition:
    answer: str | None = None
    values: tuple[str, ...] = ()
    score_at_least: int | None = None
    score_below: int | None = None
    critical_gap: bool | None = None  # True: some critical question got a 0-point answer; False: none did
    countries: tuple[str, ...] | None = None  # the user's country is one of these (region ids)
    pushes: bool | None = None  # Gaffe may (True) or may not (False) write unasked

    def holds(
        self, answers: dict[str, str], score: int, gaps: tuple[str, ...] = (), profile: Profile | None = None
    ) -> bool:
        if self.answer is not None and answers.get(self.answer) not in self.values:
            return False
        profile = profile or Profile()
        if self.countries is not None and profile.country not in self.countries:
            return False
        if self.pushes is not None and profile.pushes != self.pushes:
            return False
        if self.score_at_least is not None and score < self.score_at_least:
            return False
        if self.critical_gap is not None and bool(gaps) != self.critical_gap:
            return False
        return not (self.score_below is not None and score >= self.score_below)


@dataclass(frozen=True)
class Target:
    """Where to go next: a node of the same dialogue, or the start of another dialogue."""

    goto: str | None = None
    jump: str | None = None


@dataclass(frozen=True)
class ActionCall:
    """`do: {name: {args}}`: an action a feature registered, with the arguments the YAML gives it."""

    name: str
    args: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Branch:
    when: Condition | None
    target: Target


@dataclass(frozen=True)
class Choice:
    label: str
    target: Target
    points: int | None = None
    advice: tuple[str, ...] = ()
    # (advice id, priority) for the advice this answer ranks itself, e.g. no screen lock at all ranks
    # the screen-lock action higher than a 4-digit code does; the others keep the catalogue's priority.
    priorities: tuple[tuple[str, int], ...] = ()
    save: tuple[tuple[str, str], ...] = ()
    reply: str | None = None
    set_language: str | None = None
    set_profile: tuple[tuple[str, str], ...] = ()  # (key, value): `set_profile: {country: be}`
    actions: tuple[ActionCall, ...] = ()


@dataclass(frozen=True)
class TextInput:
    save_as: str | None  # None: the answer only goes to the node's actions, for this step, and is not kept
    error: str
    min_length: int = 1
    max_length: int = 100
    pattern: str | None = None
    is_a_name: bool = False  # the answer names something Gaffe keeps and shows again: no secret, no e-mail in it

    @cached_property
    def expects_number(self) -> bool:
        """Whether the answer is a number: the pattern accepts digits (1 to 8 of them) and no letters.

        A lone number typed there is then an answer, not a PIN or a one-time code (see `bot.core.sensitive`)."""
        if not self.pattern:
            return False
        lengths = range(1, 9)
        accepts_digits = any(re.fullmatch(self.pattern, "1" * n) for n in lengths)
        return accepts_digits and not any(re.fullmatch(self.pattern, "a" * n) for n in lengths)


@dataclass(frozen=True)
class Node:
    id: str
    text: str | None = None
    choices: tuple[Choice, ...] = ()
    input: TextInput | None = None
    target: Target | None = None
    branch: tuple[Branch, ...] = ()
    end: bool = False
    result: bool = False
    sources: tuple[str, ...] = ()  # the pages that back what `text` advises
    actions: tuple[ActionCall, ...] = ()
    weight: int = 1  # a question's points and best points count this many times in the score
    critical: bool = False  # a 0-point answer here is a critical gap: no "great" result while one is open
    in_place: bool = False  # a settings-like screen: reached by a button of another one, it replaces that one
    # `pick_country: {goto: X}`: where picking goes; the choices are then the regions, one per button, ordered
    # for the user's language
    country_picker: Target | None = None
    routes: tuple[str, ...] = ()  # the route keys its texts name ({route.KEY}): it needs the user's country

    @property
    def waits(self) -> bool:
        """A node that stops the conversation until the user answers."""
        return bool(self.choices) or self.input is not None

    @property
    def needs_country(self) -> bool:
        """Its texts give local routes, or its branch reads the country: the country must be known first."""
        return bool(self.routes) or any(b.when is not None and b.when.countries is not None for b in self.branch)

    @property
    def best_points(self) -> int | None:
        scored = [c.points for c in self.choices if c.points is not None]
        return max(scored) if scored else None


@dataclass(frozen=True)
class Commands:
    fr: str
    en: str
    description: str
    urgent: bool = False  # listed right after /start in the command menus


@dataclass(frozen=True)
class Dialogue:
    id: str
    title: str
    start: str
    nodes: dict[str, Node]
    commands: Commands | None = None
    routes: tuple[Route, ...] = ()  # phrases that open it from free text (see bot.core.routing)


@dataclass(frozen=True)
class Advice:
    id: str
    priority: int
    title: str
    how: str
    source: str


@dataclass(frozen=True)
class Message:
    """An interface message; `other` is set for messages whose wording depends on a count."""

    one: str
    other: str | None = None


@dataclass(frozen=True)
class Content:
    dialogues: dict[str, Dialogue]
    advice: dict[str, Advice]
    messages: dict[str, Message]
    commands: dict[str, str] = field(default_factory=dict)  # command name -> dialogue id
    registry: Registry = field(default_factory=Registry)  # the features' actions, effects, pushes and presses
    # Have I Been Pwned's data class (English, as in its catalogue) -> French label, a msgid like any text.
    data_classes: dict[str, str] = field(default_factory=dict)
    routes: RouteIndex = field(default_factory=RouteIndex)  # free text -> dialogue id, built once at load
    regions: Regions = field(default_factory=Regions)  # routes by country (dialogues/regions.yaml)

    @cached_property
    def country_picker(self) -> str | None:
        """The dialogue that asks the user's country (its start node is a `pick_country:`), if any."""
        return next((d.id for d in self.dialogues.values() if d.nodes[d.start].country_picker is not None), None)

    def dialogue_for(self, command: str) -> Dialogue | None:
        dialogue_id = self.commands.get(command.lower())
        return self.dialogues.get(dialogue_id) if dialogue_id else None


def _target(raw: dict[str, Any]) -> Target | None:
    if "goto" in raw or "jump" in raw:
        return Target(goto=raw.get("goto"), jump=raw.get("jump"))
    return None


def _condition(raw: dict[str, Any]) -> Condition:
    countries = None if "country" not in raw else tuple(str(c) for c in raw["country"])
    pushes = None if "pushes" not in raw else raw["pushes"] != OFF
    values = raw["in"] if "in" in raw else [raw["is"]] if "is" in raw else []
    return Condition(
        answer=raw.get("answer"),
        values=tuple(str(v) for v in values),
        score_at_least=raw.get("score_at_least"),
        score_below=raw.get("score_below"),
        critical_gap=raw.get("critical_gap"),
        countries=countries,
        pushes=pushes,
    )


def advice_id(entry: str | dict[str, Any]) -> str:
    """An `advice:` entry is an id, or `{id: ..., priority: N}`."""
    return entry if isinstance(entry, str) else str(entry["id"])


def _actions(raw: dict[str, Any]) -> tuple[ActionCall, ...]:
    return tuple(
        ActionCall(str(name), MappingProxyType(dict(args or {}))) for name, args in (raw.get("do") or {}).items()
    )


def _choice(raw: dict[str, Any]) -> Choice:
    entries = raw.get("advice", ())
    return Choice(
        label=raw["label"],
        target=_target(raw) or Target(),
        points=raw.get("points"),
        advice=tuple(advice_id(e) for e in entries),
        priorities=tuple(
            (str(e["id"]), int(e["priority"])) for e in entries if isinstance(e, dict) and "priority" in e
        ),
        save=tuple((str(k), str(v)) for k, v in raw.get("save", {}).items()),
        reply=raw.get("reply"),
        set_language=raw.get("set_language"),
        set_profile=tuple((str(k), str(v)) for k, v in (raw.get("set_profile") or {}).items()),
        actions=_actions(raw),
    )


def _country_choices(raw: dict[str, Any], regions: Regions) -> tuple[Choice, ...]:
    """`pick_country: {goto: X}`: one choice per region (in file order; the engine orders them per language)."""
    target = _target(raw) or Target()
    return tuple(Choice(r.name, target, set_profile=(("country", r.id),)) for r in regions.regions.values())


def _texts(raw: dict[str, Any]) -> list[str | None]:
    choices = raw.get("choices") or ()
    return [raw.get("text"), *(c.get("reply") for c in choices), (raw.get("input") or {}).get("error")]


def _node(node_id: str, raw: dict[str, Any], regions: Regions) -> Node:
    raw_input = raw.get("input")
    text_input = None
    if raw_input is not None:
        text_input = TextInput(
            save_as=raw_input.get("save_as"),
            error=raw_input["error"],
            min_length=raw_input.get("min_length", 1),
            max_length=raw_input.get("max_length", 100),
            pattern=raw_input.get("pattern"),
            is_a_name=raw_input.get("is_a_name", False),
        )
    return Node(
        id=node_id,
        text=raw.get("text"),
        choices=(
            _country_choices(raw["pick_country"], regions)
            if "pick_country" in raw
            else tuple(_choice(c) for c in raw.get("choices", ()))
        ),
        input=text_input,
        target=_target(raw),
        branch=tuple(
            Branch(_condition(b["when"]) if "when" in b else None, _target(b) or Target())
            for b in raw.get("branch", ())
        ),
        end=bool(raw.get("end", False)),
        result=bool(raw.get("result", False)),
        sources=tuple(raw.get("sources", ())),
        actions=_actions(raw),
        weight=int(raw.get("weight", 1)),
        critical=bool(raw.get("critical", False)),
        in_place=bool(raw.get("in_place", False)),
        country_picker=_target(raw["pick_country"]) if "pick_country" in raw else None,
        routes=tuple(key for text in _texts(raw) for key in route_keys(text)),
    )


def build_dialogue(raw: dict[str, Any], regions: Regions | None = None) -> Dialogue:
    commands = raw.get("commands")
    return Dialogue(
        id=raw["dialogue"],
        title=raw["title"],
        start=raw["start"],
        nodes={str(node_id): _node(str(node_id), node, regions or Regions()) for node_id, node in raw["nodes"].items()},
        commands=(
            Commands(commands["fr"], commands["en"], commands["description"], bool(commands.get("urgent")))
            if commands
            else None
        ),
        routes=tuple(routes_of(raw["dialogue"], raw.get("routes") or {})),
    )


def build_advice(raw: dict[str, Any]) -> dict[str, Advice]:
    return {
        str(advice_id): Advice(str(advice_id), item["priority"], item["title"], item["how"], item["source"])
        for advice_id, item in raw["advice"].items()
    }


def build_messages(raw: dict[str, Any]) -> dict[str, Message]:
    return {
        str(key): Message(value) if isinstance(value, str) else Message(value["one"], value["other"])
        for key, value in raw["messages"].items()
    }


def build_data_classes(raw: dict[str, Any]) -> dict[str, str]:
    return {str(name): str(label) for name, label in raw["data_classes"].items()}
