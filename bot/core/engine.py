"""The pure dialogue engine: (content, user state, input) → (new state, outputs to render, effects to apply).

No I/O, no clock, no Telegram, no SQLite: the same input on the same state always gives the same
result, so adapters (Telegram, terminal) and tests share one behaviour. Outputs are untranslated
(French msgids and parameters); `bot.core.render` turns them into text in the user's language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from bot.core.actions import Context, Effect, FeatureOutput, Outcome
from bot.core.dialogue import ActionCall, Advice, Choice, Content, Node, Target
from bot.core.profile import Profile
from bot.core.sensitive import SecretKind, detect, name_problem

if TYPE_CHECKING:
    from bot.core.i18n import Translator

MAX_HOPS = 100  # a safety net: the validator already refuses loops that never ask anything
TOP_ACTIONS = 3
# Interface messages the engine says whatever the dialogues (`check` requires them: bot/content/needed.py).
NEEDED_MESSAGES = (
    "use_buttons", "unknown_command", "no_conversation", "invalid_choice", "stale_button", "stale_button_ended",
    "forged_button", "resumed", "resume_offer", "resume_yes", "resume_no", "resume_dropped",
)  # fmt: skip
NAME_MESSAGES = ("name_only", "name_no_email")  # said when a question has `is_a_name: true` and the name won't do
PUSHES_MESSAGES = ("pushes_paused", "pushes_resumed")  # said when a choice has `set_profile: {pushes}`


# --- state -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suspended:
    """What a left conversation needs to go on where it was, as plain values (State is saved as JSON: see
    bot/storage.py, which still reads the 8-item array this was before it had names)."""

    dialogue: str
    node: str
    points: int
    max_points: int
    answers: tuple[tuple[str, str], ...]  # as pairs: a frozen value, unlike State's mapping
    advice: tuple[str, ...]
    priorities: tuple[tuple[str, int], ...]
    gaps: tuple[str, ...]


@dataclass(frozen=True)
class State:
    """Everything Gaffe remembers about one user: their profile (settings, see bot/core/profile.py) and their
    conversation (the rest). `step` counts accepted inputs."""

    profile: Profile = field(default_factory=Profile)
    dialogue: str | None = None
    node: str | None = None
    step: int = 0
    answers: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    points: int = 0
    max_points: int = 0
    advice: tuple[str, ...] = ()
    # (advice id, priority) set by answers (`advice: [{id, priority}]`); the most urgent one wins.
    priorities: tuple[tuple[str, int], ...] = ()
    gaps: tuple[str, ...] = ()  # critical questions (node ids) answered with a 0-point choice
    # A conversation left half-way for another one (a command, a topic typed), offered back when that one ends.
    suspended: Suspended | None = None
    # The conversation that reached a text naming a route while the country was unknown: it goes on at that
    # node once the country picker ends (see `_run`).
    detour: Suspended | None = None

    @property
    def language(self) -> str:
        return self.profile.language

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
class Aside:
    """Text the user did not send as a message to Gaffe (a photo's caption, an edited message): only the
    secret filter reads it, so a secret there is refused (and erased) like a typed one; nothing else happens."""

    text: str


@dataclass(frozen=True)
class Command:
    name: str


@dataclass(frozen=True)
class Choose:
    """A choice typed as its number (the terminal): the n-th choice (1-based) of the question waiting now."""

    number: int


@dataclass(frozen=True)
class Push:
    """Something Gaffe says on its own (a due reminder): handled by the feature registered for `event`, which
    gets `payload` (its own frozen dataclass: what the push is about) as it was made."""

    event: str
    payload: object = None


@dataclass(frozen=True)
class Press:
    """A button bound to an object (not to a dialogue step): `kind` names the feature that owns the object,
    `stamp` which occurrence of its message the button was on, `verb` what the button does. The adapter
    decodes it once, typed and checked; the handler of `kind` gets it whole as its payload."""

    kind: str
    object_id: int
    stamp: int
    verb: str


Input = Pick | Text | Aside | Command | Choose | Push | Press


# --- outputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Say:
    """A text (French msgid) with its placeholder values."""

    text: str
    params: MappingProxyType[str, object] = field(default_factory=lambda: MappingProxyType({}))
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ask:
    """A question with buttons; `step` identifies it, so a later press can be told stale."""

    text: str
    labels: tuple[str, ...]
    step: int
    params: MappingProxyType[str, object] = field(default_factory=lambda: MappingProxyType({}))
    sources: tuple[str, ...] = ()
    in_place: bool = False  # a settings screen reached from another one: the adapter may replace that one


@dataclass(frozen=True)
class Picked:
    """The answer the user just picked, so the question can show it."""

    label: str


@dataclass(frozen=True)
class Notice:
    """An interface message (a key of messages.yaml), with its values; `count` picks a plural form."""

    key: str
    params: MappingProxyType[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class SecretRefused:
    """The user sent a secret (a password, a card…): what to do about that kind, and the message should go."""

    kind: str


@dataclass(frozen=True)
class LanguageChanged:
    """The user chose another language: what the adapter shows beside the chat (its command menu) follows."""

    language: str


@dataclass(frozen=True)
class ClearChat:
    """Delete this conversation's recent messages from the chat, the user's and Gaffe's, where the adapter can
    (Telegram: what is younger than 48 hours); the step's text then says what could not be deleted."""


@dataclass(frozen=True)
class Toast:
    """A short notice that needs no message of its own (a stale or repeated press): Telegram shows it over the
    chat. An effect's applier that refuses returns one; the reply is then that toast alone."""

    key: str


@dataclass(frozen=True)
class ObjectButton:
    label: str  # a msgid; may hold placeholders filled from `params` (plain text: buttons show no HTML)
    press: Press
    params: MappingProxyType[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Offer:
    """A message with buttons bound to an object (a reminder's "Done", "Later", "Stop")."""

    text: str
    buttons: tuple[ObjectButton, ...]
    params: MappingProxyType[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Result:
    """A finished checkup: the score out of 100 and the top actions in priority order."""

    dialogue: str
    score: int
    actions: tuple[Advice, ...]


@dataclass(frozen=True)
class RecordResult(Effect):
    """Keep a finished checkup in the user's history (its applier belongs to the progress feature)."""

    dialogue: str
    score: int
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Unrouted(Effect):
    """Text outside a question that no route claims: a feature may still answer it (an app's name gets the
    stalkerware look-up), else its applier says `no_conversation`. The text lives for this step only.
    `at_question`: typed at a question with buttons, which is asked again after this; the fallback is then
    `use_buttons`."""

    text: str
    at_question: bool = False


Output = (
    Say | Ask | Picked | Notice | SecretRefused | ClearChat | LanguageChanged | Toast | Offer | Result | FeatureOutput
)


@dataclass(frozen=True)
class Step:
    """What an input did: the new state, what to show, and what should happen in the world.

    Effects travel apart from the outputs; `effects_at` says where each effect's own outputs (its applier's)
    go in the reply: before `outputs[i]`, or after them all when `i == len(outputs)` (see `reply`)."""

    state: State
    outputs: tuple[Output, ...] = ()
    effects: tuple[Effect, ...] = ()
    effects_at: tuple[int, ...] = ()
    previous_step: int = -1  # the step counter before this input (set by `step`)

    def __post_init__(self) -> None:
        places = self.effects_at
        if len(places) != len(self.effects) or list(places) != sorted(places) or places[-1:] > (len(self.outputs),):
            raise ValueError(f"effects placed at {places} among {len(self.outputs)} outputs: {self.effects}")

    @property
    def changed(self) -> bool:
        """Whether the input was accepted (so the new state must be saved before replying).

        Every accepted input advances the step counter; a refused one (stale press, text where buttons
        are expected, a secret…) leaves the state exactly as it was."""
        return self.state.step != self.previous_step

    @property
    def commits(self) -> bool:
        """Whether the service must open a transaction: a new state to save, or effects to apply."""
        return self.changed or bool(self.effects)

    def reply(self, applied: Sequence[tuple[Output, ...]]) -> tuple[Output, ...]:
        """The outputs with each effect's applied outputs (`applied`, one tuple per effect) in its place."""
        placed: dict[int, list[Output]] = {}
        for at, outputs in zip(self.effects_at, applied, strict=True):
            placed.setdefault(at, []).extend(outputs)
        shown = [o for at, output in enumerate(self.outputs) for o in (*placed.get(at, ()), output)]
        return (*shown, *placed.get(len(self.outputs), ()))


class _Said:
    """A step's outputs and effects as the engine finds them, in order: effects apart, each placed after the
    outputs found before it."""

    def __init__(self) -> None:
        self.outputs: list[Output] = []
        self.effects: list[Effect] = []
        self.effects_at: list[int] = []

    def add(self, *outputs: Output) -> None:
        self.outputs.extend(outputs)

    def apply(self, *effects: Effect) -> None:
        self.effects.extend(effects)
        self.effects_at.extend(len(self.outputs) for _ in effects)

    def take(self, outcome: Outcome) -> None:
        """A handler's outcome: its outputs, then its effects (whose outputs follow them)."""
        self.add(*outcome.outputs)
        self.apply(*outcome.effects)

    def step(self, state: State) -> Step:
        return Step(state, tuple(self.outputs), tuple(self.effects), tuple(self.effects_at))


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
        case Aside(text):
            kind = detect(text)
            result = Step(state, (SecretRefused(kind),) if kind else ())
        case Choose(number):
            node = _current(content, state)
            if (node is not None and node.choices) or (node is None and state.suspended is not None):
                result = _pick(content, state, state.step, number - 1)
            else:
                result = _text(content, state, str(number))
        case Push(event, payload):
            result = _push(content, state, event, payload)
        case Press():
            result = _press(content, state, received)
        case _:
            result = Step(state, (Notice("use_buttons"),))
    return replace(result, previous_step=state.step)


def resume(content: Content, state: State) -> tuple[Output, ...]:
    """Show the current question again (after a restart, or when the user is lost), changing nothing."""
    node = _current(content, state)
    if node is None:
        waiting = state.suspended is not None and state.suspended.dialogue in content.dialogues
        return (_offer_resume(content, state),) if waiting else ()
    return (_ask(content, node, state),) if node.choices else (Say(node.text or "", _params(state), node.sources),)


def _command(content: Content, state: State, name: str) -> Step:
    dialogue = content.dialogue_for(name)
    if dialogue is None:
        return Step(state, (Notice("unknown_command"),))
    return _open(content, state, dialogue.id)


def _open(content: Content, state: State, dialogue_id: str) -> Step:
    """Start a dialogue afresh. A conversation with answers in it is not lost: it is kept aside, and offered
    back when the new one ends (opening the same dialogue again starts it over instead)."""
    suspended = state.suspended
    if state.detour is not None:  # left at the country picker: what may be kept aside is where it was before it
        state = _restored(state, state.detour)
    node = _current(content, state)
    if node is not None and state.dialogue != dialogue_id and (state.max_points or state.answers):
        suspended = _suspend(state)
    if suspended is not None and suspended.dialogue == dialogue_id:
        suspended = None
    fresh = State(profile=state.profile, dialogue=dialogue_id, step=state.step + 1, suspended=suspended)
    return _run(content, fresh, Target(jump=dialogue_id), _Said())


def _suspend(state: State) -> Suspended:
    answers = tuple((k, str(v)) for k, v in state.answers.items())
    return Suspended(
        state.dialogue or "", state.node or "", state.points, state.max_points, answers,
        state.advice, state.priorities, state.gaps,
    )  # fmt: skip


RESUME, DROP = 0, 1  # the offer's buttons


@dataclass(frozen=True)
class Title:
    """A dialogue's title as a placeholder value, in the user's language."""

    msgid: str

    def localize(self, content: Content, translator: Translator) -> str:
        return translator.text(self.msgid)


def _offer_resume(content: Content, state: State) -> Ask:
    """ "Pick up your checkup?" once the dialogue that interrupted it is over (Yes / No)."""
    assert state.suspended is not None
    title = content.dialogues[state.suspended.dialogue].title
    labels = (content.messages["resume_yes"].one, content.messages["resume_no"].one)
    return Ask(content.messages["resume_offer"].one, labels, state.step, MappingProxyType({"title": Title(title)}))


def _answer_offer(content: Content, state: State, index: int) -> Step:
    assert state.suspended is not None
    if index not in (RESUME, DROP):
        return Step(state, (Notice("invalid_choice"), _offer_resume(content, state)))
    labels = (content.messages["resume_yes"].one, content.messages["resume_no"].one)
    if index == DROP:
        dropped = replace(state, suspended=None, step=state.step + 1)
        return Step(dropped, (Picked(labels[DROP]), Notice("resume_dropped")))
    back = replace(_restored(state, state.suspended), suspended=None, step=state.step + 1)
    if _current(content, back) is None:  # the content changed since: nothing to go back to
        return Step(replace(state, suspended=None, step=state.step + 1), (Notice("resume_dropped"),))
    return Step(back, (Picked(labels[RESUME]), *resume(content, back)))


def _restored(state: State, left: Suspended) -> State:
    """The conversation `left` was, back in place (the profile and the step counter stay the current ones)."""
    return replace(
        state, dialogue=left.dialogue, node=left.node, points=left.points, max_points=left.max_points,
        answers=MappingProxyType(dict(left.answers)), advice=left.advice, priorities=left.priorities, gaps=left.gaps,
    )  # fmt: skip


def _pick(content: Content, state: State, asked_at: int, index: int) -> Step:
    node = _current(content, state)
    if node is None and state.suspended is not None and asked_at == state.step:
        return _answer_offer(content, state, index)
    if node is None or asked_at != state.step or not node.choices:
        # "Answer the latest question" only when there is one waiting for an answer.
        waiting = node is not None and node.waits
        return Step(state, (Toast("stale_button" if waiting else "stale_button_ended"),))
    choices = _choices(content, node, state)
    if not 0 <= index < len(choices):  # typed in a terminal; a Telegram button can't say this
        return Step(state, (Notice("invalid_choice"), _ask(content, node, state, with_text=False)))
    choice = choices[index]
    pushes_before, language_before = state.profile.pushes, state.language
    state = _apply(state, node, choice)
    said = _Said()
    said.add(Picked(choice.label))
    if state.language != language_before:  # the adapter's menus follow the user (Telegram: a chat-scoped menu)
        said.add(LanguageChanged(state.language))
    if choice.reply:
        said.add(Say(choice.reply, _params(state)))
    if state.profile.pushes != pushes_before:  # always told, in the same words, and how to undo it
        said.add(Notice("pushes_resumed" if state.profile.pushes else "pushes_paused"))
    state = _act(content, state, choice.actions, said)
    stepped = _run(content, state, choice.target, said)
    if not (node.in_place and _asked_in_place(content, stepped)):  # a settings screen, then another
        return stepped
    shown = tuple(replace(o, in_place=True) if isinstance(o, Ask) else o for o in stepped.outputs)
    return replace(stepped, outputs=shown)


def _asked_in_place(content: Content, stepped: Step) -> bool:
    """Whether the step ends at a settings-like question (`in_place: true`)."""
    node = _current(content, stepped.state)
    return node is not None and node.in_place


def _text(content: Content, state: State, text: str) -> Step:
    node = _current(content, state)
    expects_number = bool(node and node.input and node.input.expects_number)
    if kind := detect(text, expects_number=expects_number):  # before anything else: never saved, even as an answer
        named = node is not None and node.input is not None and node.input.is_a_name
        return Step(state, (SecretRefused(kind), *((Notice("name_only"),) if named else ())))
    if node is None or node.input is None:
        # Not an answer: text about a topic opens its dialogue, like its command would (even at another
        # dialogue's buttons: the user changed subject); at the same dialogue's buttons, ask again.
        routed = content.routes.route(text, state.language)
        if routed and routed != state.dialogue:
            return _open(content, state, routed)
        if node is None and state.suspended is not None:  # the resume offer is waiting: ask it again, briefly
            return Step(state, (Notice("use_buttons"), replace(_offer_resume(content, state), text="")))
        answered = Unrouted in content.registry.appliers  # without a feature to ask, the short answer
        if node is None or not node.choices:
            if answered:
                return Step(state, effects=(Unrouted(text),), effects_at=(0,))
            return Step(state, (Notice("no_conversation"),))
        if answered and not routed:  # an app's name typed here still gets its look-up, then the question again
            asked = _ask(content, node, state, with_text=False)
            return Step(state, (asked,), effects=(Unrouted(text, at_question=True),), effects_at=(0,))
        return Step(state, (Notice("use_buttons"), _ask(content, node, state, with_text=False)))
    answer = " ".join(text.split())
    spec = node.input
    if spec.is_a_name and (problem := name_problem(answer)):  # a label: not kept, not shown again
        if problem == "secret":
            return Step(state, (SecretRefused(SecretKind.PASSWORD), Notice("name_only")))
        return Step(state, (Notice("name_no_email"),))
    if not spec.min_length <= len(answer) <= spec.max_length or (
        spec.pattern and not re.fullmatch(spec.pattern, answer)
    ):
        return Step(state, (Say(spec.error, _params(state)),))
    kept = {spec.save_as: answer} if spec.save_as else {}  # without save_as, only the node's actions see it
    state = replace(state, answers=MappingProxyType({**state.answers, **kept}), step=state.step + 1)
    said = _Said()
    state = _act(content, state, node.actions, said, typed=answer)
    return _run(content, state, node.target or Target(), said)


def _push(content: Content, state: State, event: str, payload: object) -> Step:
    """A push shows its outputs and applies its effects; the conversation stays exactly where it was."""
    handle = content.registry.pushes.get(event)
    if handle is None:
        raise ValueError(f"no feature handles the push '{event}'")
    said = _Said()
    said.take(handle(Context(state, content, payload=payload)))
    return said.step(state)


def _press(content: Content, state: State, press: Press) -> Step:
    """A press on an object's button, at any time; then the question the user was answering, again."""
    handle = content.registry.presses.get(press.kind)
    if handle is None:
        return Step(state, (Toast("forged_button"),))
    said = _Said()
    said.take(handle(Context(state, content, payload=press)))
    node = _current(content, state)
    if node is not None and node.waits:
        said.add(Notice("resumed"), *resume(content, state))
    return said.step(state)


def _act(content: Content, state: State, calls: tuple[ActionCall, ...], said: _Said, typed: str | None = None) -> State:
    """Run a node's or a choice's actions in order: their outputs and effects join the step's."""
    for call in calls:
        outcome = content.registry.actions[call.name].run(Context(state, content, call.args, typed))
        said.take(outcome)
        if outcome.answers:
            state = replace(state, answers=MappingProxyType({**state.answers, **outcome.answers}))
        if outcome.forgets_conversation:
            state = State(Profile(state.language), dialogue=state.dialogue, node=state.node, step=state.step)
    return state


def _apply(state: State, node: Node, choice: Choice) -> State:
    best = node.best_points
    advice = state.advice + tuple(a for a in choice.advice if a not in state.advice)
    priorities = dict(state.priorities)
    for advice_id, priority in choice.priorities:
        priorities[advice_id] = min(priority, priorities.get(advice_id, priority))
    gap = node.critical and choice.points == 0 and node.id not in state.gaps
    return replace(
        state,
        step=state.step + 1,
        answers=MappingProxyType({**state.answers, **dict(choice.save)}),
        points=state.points + (choice.points or 0) * node.weight,
        max_points=state.max_points + (best or 0) * node.weight,
        advice=advice,
        priorities=tuple(priorities.items()),
        gaps=(*state.gaps, node.id) if gap else state.gaps,
        profile=replace(state.profile.changed(choice.set_profile), language=choice.set_language or state.language),
    )


def _run(content: Content, state: State, target: Target, said: _Said) -> Step:
    """Follow the dialogue from `target` until it waits for the user or ends."""
    dialogue_id = state.dialogue
    detoured = False  # the country is asked once per input at most: a picker left without a pick doesn't loop
    for _ in range(MAX_HOPS):
        if target.jump:
            dialogue_id = target.jump
            if state.suspended is not None and state.suspended.dialogue == dialogue_id:
                state = replace(state, suspended=None)  # started over: the unfinished one is replaced
            node_id = content.dialogues[dialogue_id].start
        else:
            node_id = target.goto or ""
        node = content.dialogues[dialogue_id or ""].nodes[node_id]
        state = replace(state, dialogue=dialogue_id, node=node_id)
        if node.needs_country and state.profile.country is None and content.country_picker and not detoured:
            # Its text gives local routes (or its branch reads the country): ask the country first, then come
            # back here (see below).
            state, target, detoured = replace(state, detour=_suspend(state)), Target(jump=content.country_picker), True
            continue
        if node.branch:
            target = next(
                b.target
                for b in node.branch
                if b.when is None or b.when.holds(dict(state.answers), state.score, state.gaps, state.profile)
            )
            continue
        if node.choices and not node.result:
            said.add(_ask(content, node, state))
            state = _act(content, state, node.actions, said)
            return said.step(state)
        if node.text:
            said.add(Say(node.text, _params(state), node.sources))
        if not node.input:  # a free-text node's actions run on the answer
            state = _act(content, state, node.actions, said)
        if node.result:
            top = _top_actions(content, state)
            said.add(Result(dialogue_id or "", state.score, top))
            said.apply(RecordResult(dialogue_id or "", state.score, tuple(a.id for a in top)))
        if node.choices:  # a result's follow-up buttons come after the result, without repeating the text
            said.add(_ask(content, node, state, with_text=False))
            return said.step(state)
        if node.input:
            return said.step(state)
        if (node.end or node.target is None) and state.detour is not None:
            # The country picker is over: on with the conversation, at the node that needed the country.
            state = replace(_restored(state, state.detour), detour=None)
            dialogue_id, target = state.dialogue, Target(goto=state.node)
            continue
        if node.end or node.target is None:
            state = replace(state, dialogue=None, node=None)
            if state.suspended is not None and state.suspended.dialogue in content.dialogues:
                said.add(_offer_resume(content, state))
            return said.step(state)
        target = node.target
    raise RuntimeError(f"dialogue '{dialogue_id}' loops for {MAX_HOPS} nodes without asking anything")


def _current(content: Content, state: State) -> Node | None:
    dialogue = content.dialogues.get(state.dialogue or "")
    return dialogue.nodes.get(state.node or "") if dialogue else None


def _choices(content: Content, node: Node, state: State) -> tuple[Choice, ...]:
    """A question's choices as shown: the country picker's in the order of the user's language."""
    if node.country_picker is None:
        return node.choices
    order = [region.id for region in content.regions.ordered_for(state.language)]
    return tuple(sorted(node.choices, key=lambda c: order.index(dict(c.set_profile)["country"])))


def _ask(content: Content, node: Node, state: State, with_text: bool = True) -> Ask:
    text = node.text or "" if with_text else ""
    sources = node.sources if with_text else ()
    return Ask(text, tuple(c.label for c in _choices(content, node, state)), state.step, _params(state), sources)


def _params(state: State) -> MappingProxyType[str, object]:
    return MappingProxyType({**state.answers, "score": state.score})


def _top_actions(content: Content, state: State) -> tuple[Advice, ...]:
    """The most urgent recommended actions: an answer's own priority for an action beats the catalogue's."""
    priorities = dict(state.priorities)
    ranked = sorted(
        (content.advice[a] for a in state.advice if a in content.advice),
        key=lambda advice: (priorities.get(advice.id, advice.priority), state.advice.index(advice.id)),
    )
    return tuple(ranked[:TOP_ACTIONS])
