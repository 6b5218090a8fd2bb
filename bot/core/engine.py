"""The pure dialogue engine: (content, user state, input) → (new state, outputs to render).

No I/O, no clock, no Telegram, no SQLite: the same input on the same state always gives the same
result, so adapters (Telegram, terminal) and tests share one behaviour. Outputs are untranslated
(French msgids and parameters); `bot.core.render` turns them into text in the user's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from bot.core.dialogue import Advice, Choice, Content, Node, Target
from bot.core.sensitive import detect

MAX_HOPS = 100  # a safety net: the validator already refuses loops that never ask anything
TOP_ACTIONS = 3


# --- state -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class State:
    """Everything Gaffe remembers about one user's conversation. `step` counts accepted inputs."""

    language: str = "fr"
    dialogue: str | None = None
    node: str | None = None
    step: int = 0
    answers: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    points: int = 0
    max_points: int = 0
    advice: tuple[str, ...] = ()

    @property
    def score(self) -> int:
        return round(100 * self.points / self.max_points) if self.max_points else 0


# --- inputs ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pick:
    """A button press: the step the question was asked at, and the choice's position."""

    step: int
    index: int


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Command:
    name: str


Input = Pick | Text | Command


# --- outputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Say:
    """A text (French msgid) with its placeholder values."""

    text: str
    params: MappingProxyType[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Ask:
    """A question with buttons; `step` identifies it, so a later press can be told stale."""

    text: str
    labels: tuple[str, ...]
    step: int
    params: MappingProxyType[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Picked:
    """The answer the user just picked, so the question can show it."""

    label: str


@dataclass(frozen=True)
class Notice:
    """An interface message (a key of messages.yaml)."""

    key: str


@dataclass(frozen=True)
class Result:
    """A finished checkup: the score out of 100 and the top actions in priority order."""

    dialogue: str
    score: int
    actions: tuple[Advice, ...]


Output = Say | Ask | Picked | Notice | Result


@dataclass(frozen=True)
class Step:
    state: State
    outputs: tuple[Output, ...]
    previous_step: int = -1  # the step counter before this input (set by `step`)

    @property
    def changed(self) -> bool:
        """Whether the input was accepted (so the new state must be saved before replying).

        Every accepted input advances the step counter; a refused one (stale press, text where buttons
        are expected, a secret…) leaves the state exactly as it was."""
        return self.state.step != self.previous_step


# --- stepping --------------------------------------------------------------------------------------
def step(content: Content, state: State, received: Input) -> Step:
    """Apply one user input to one user's state."""
    match received:
        case Command(name):
            result = _command(content, state, name)
        case Pick(asked_at, index):
            result = _pick(content, state, asked_at, index)
        case Text(text):
            result = _text(content, state, text)
        case _:
            result = Step(state, (Notice("use_buttons"),))
    return replace(result, previous_step=state.step)


def resume(content: Content, state: State) -> tuple[Output, ...]:
    """Show the current question again (after a restart, or when the user is lost), changing nothing."""
    node = _current(content, state)
    if node is None:
        return ()
    return (_ask(node, state),) if node.choices else (Say(node.text or "", _params(state)),)


def _command(content: Content, state: State, name: str) -> Step:
    dialogue = content.dialogue_for(name)
    if dialogue is None:
        return Step(state, (Notice("unknown_command"),))
    fresh = State(language=state.language, dialogue=dialogue.id, step=state.step + 1)
    return _run(content, fresh, Target(jump=dialogue.id), [])


def _pick(content: Content, state: State, asked_at: int, index: int) -> Step:
    node = _current(content, state)
    if node is None or asked_at != state.step or not node.choices:
        return Step(state, (Notice("stale_button"),))
    if not 0 <= index < len(node.choices):  # typed in a terminal; a Telegram button can't say this
        return Step(state, (Notice("invalid_choice"), _ask(node, state)))
    choice = node.choices[index]
    state = _apply(state, node, choice)
    outputs: list[Output] = [Picked(choice.label)]
    if choice.reply:
        outputs.append(Say(choice.reply, _params(state)))
    return _run(content, state, choice.target, outputs)


def _text(content: Content, state: State, text: str) -> Step:
    node = _current(content, state)
    expects_number = bool(node and node.input and node.input.expects_number)
    if kind := detect(text, expects_number=expects_number):  # before anything else: never saved, even as an answer
        return Step(state, (Notice(f"secret_{kind}"),))
    if node is None or node.input is None:
        # Not an answer: text about a topic opens its dialogue, like its command would (even at another
        # dialogue's buttons: the user changed subject); at the same dialogue's buttons, ask again.
        routed = content.routes.route(text, state.language)
        if routed and routed != state.dialogue:
            fresh = State(language=state.language, dialogue=routed, step=state.step + 1)
            return _run(content, fresh, Target(jump=routed), [])
        if node is None or not node.choices:
            return Step(state, (Notice("no_conversation"),))
        return Step(state, (Notice("use_buttons"), _ask(node, state)))
    answer = " ".join(text.split())
    spec = node.input
    if not spec.min_length <= len(answer) <= spec.max_length or (
        spec.pattern and not re.fullmatch(spec.pattern, answer)
    ):
        return Step(state, (Say(spec.error, _params(state)),))
    answers = MappingProxyType({**state.answers, spec.save_as: answer})
    state = replace(state, answers=answers, step=state.step + 1)
    return _run(content, state, node.target or Target(), [])


def _apply(state: State, node: Node, choice: Choice) -> State:
    best = node.best_points
    advice = state.advice + tuple(a for a in choice.advice if a not in state.advice)
    return replace(
        state,
        step=state.step + 1,
        answers=MappingProxyType({**state.answers, **dict(choice.save)}),
        points=state.points + (choice.points or 0),
        max_points=state.max_points + (best or 0),
        advice=advice,
        language=choice.set_language or state.language,
    )


def _run(content: Content, state: State, target: Target, outputs: list[Output]) -> Step:
    """Follow the dialogue from `target` until it waits for the user or ends."""
    dialogue_id = state.dialogue
    for _ in range(MAX_HOPS):
        if target.jump:
            dialogue_id = target.jump
            node_id = content.dialogues[dialogue_id].start
        else:
            node_id = target.goto or ""
        node = content.dialogues[dialogue_id or ""].nodes[node_id]
        state = replace(state, dialogue=dialogue_id, node=node_id)
        if node.branch:
            target = next(
                b.target for b in node.branch if b.when is None or b.when.holds(dict(state.answers), state.score)
            )
            continue
        if node.choices and not node.result:
            outputs.append(_ask(node, state))
            return Step(state, tuple(outputs))
        if node.text:
            outputs.append(Say(node.text, _params(state)))
        if node.result:
            outputs.append(Result(dialogue_id or "", state.score, _top_actions(content, state)))
        if node.choices:  # a result's follow-up buttons come after the result, without repeating the text
            outputs.append(_ask(node, state, with_text=False))
            return Step(state, tuple(outputs))
        if node.input:
            return Step(state, tuple(outputs))
        if node.end or node.target is None:
            return Step(replace(state, dialogue=None, node=None), tuple(outputs))
        target = node.target
    raise RuntimeError(f"dialogue '{dialogue_id}' loops for {MAX_HOPS} nodes without asking anything")


def _current(content: Content, state: State) -> Node | None:
    dialogue = content.dialogues.get(state.dialogue or "")
    return dialogue.nodes.get(state.node or "") if dialogue else None


def _ask(node: Node, state: State, with_text: bool = True) -> Ask:
    text = node.text or "" if with_text else ""
    return Ask(text, tuple(c.label for c in node.choices), state.step, _params(state))


def _params(state: State) -> MappingProxyType[str, object]:
    return MappingProxyType({**state.answers, "score": state.score})


def _top_actions(content: Content, state: State) -> tuple[Advice, ...]:
    ranked = sorted(
        (content.advice[a] for a in state.advice if a in content.advice),
        key=lambda advice: (advice.priority, state.advice.index(advice.id)),
    )
    return tuple(ranked[:TOP_ACTIONS])
