"""How a feature plugs into the engine without the engine knowing it: actions, effects, pushes and presses.

- An **action** is named in YAML (`do: {name: {args}}` on a node or a choice). It is a pure function of the
  user's state, the content, its arguments and, on a free-text node, the text just typed; it returns an
  `Outcome`: outputs to show, answers to remember, and effects.
- An **effect** is data: what should happen in the world (a row to write or delete, a picture to draw from
  the user's history). The engine returns effects beside the new state; the service applies them and saves
  the state in one transaction before replying. An effect's applier may add outputs to the reply.
- A **push** is a message Gaffe sends on its own (a due reminder). Its handler is pure like an action; a push
  never moves the conversation, so the question a user was answering stays answerable.
- A **press** is a button bound to an object (a reminder's "Done"), not to a dialogue step: it works whenever
  it is pressed. The object's feature decides, in its effect's applier, whether the press still means
  something (a second press changes nothing and says so).
- What a push or a press is about travels as a typed value, its **payload** (the feature's own frozen
  dataclass for a push, the decoded `Press` for a press): handlers read it with `Context.payload_as`, never
  re-parse strings. The adapter decodes and checks a press once (bot/adapters/buttons.py); a payload of the
  wrong type is a bug, refused with a TypeError.

Each feature registers its handlers in a `Registry` of its own, with a JSON Schema for each action's arguments,
and exports it in its manifest (bot/core/feature.py); bot/app.py merges the features' registries into the one
the content carries (`Registry.merge`, which refuses a name two features register). So `python -m bot check`
refuses an unknown action or bad arguments with file:line, and editors autocomplete them. Nothing registers
by being imported: there is no global registry.

A feature that keeps personal data declares it (`Registry.keeps`): which tables, how to export the user's rows
and how to erase them, and a translatable explanation of every field. `/mesdonnees` and `/oublie` (and the
retention sweep) go through these declarations only, and a test fails if a table with a `user_id` column is
declared by none, so nothing about a user can be kept without being exported and erased with the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")

if TYPE_CHECKING:
    from bot.core.dialogue import Content
    from bot.core.engine import Output, State
    from bot.core.feature import Job, Tally
    from bot.core.i18n import Translator


P = TypeVar("P")


class Effect:
    """Base of every effect: a frozen dataclass saying what should happen, applied by the service."""


Parameters = Mapping[str, object]
NO_PARAMETERS: Parameters = MappingProxyType({})


class DataSets:
    """The loaded data sets, by type: what appliers read (`world.data.get(Catalogue)`: None when absent)."""

    def __init__(self, sets: Mapping[type, object] | None = None) -> None:
        self._sets = MappingProxyType(dict(sets or {}))

    def get(self, kind: type[T]) -> T | None:
        value = self._sets.get(kind)
        return value if isinstance(value, kind) else None

    def replaced(self, value: object) -> DataSets:
        """These data sets with a newer copy of one (the daily refresh's)."""
        return DataSets({**self._sets, type(value): value})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataSets) and self._sets == other._sets

    def __repr__(self) -> str:
        return f"DataSets({', '.join(kind.__name__ for kind in self._sets)})"


class Transaction(Protocol):
    """The open database transaction an applier works in (committed with the step, or rolled back).

    Features reach it through small repositories of their own, at the top of their module (`Reminders.claim_due`),
    never with SQL text in their appliers. Statements are portable SQL with named parameters (`:name`, given as a
    mapping): SQLite reads them as they are, a PostgreSQL store translates them to its driver's style. Nothing
    SQLite-only (`?`, `INSERT OR IGNORE`, `sqlite_master`, `lastrowid`, PRAGMAs): tests/test_portable_sql.py.
    The database being unusable (locked, full, read-only) comes out as `bot.errors.StorageUnavailable`."""

    async def execute(self, statement: str, parameters: Parameters = NO_PARAMETERS) -> int:
        """Run a statement; the number of rows it changed."""

    async def fetch_all(self, statement: str, parameters: Parameters = NO_PARAMETERS) -> list[tuple[Any, ...]]: ...

    async def fetch_one(self, statement: str, parameters: Parameters = NO_PARAMETERS) -> tuple[Any, ...] | None: ...


class Database(Protocol):
    """What work after a commit may ask of the database (no transaction is open then)."""

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the file and empty it (erased rows leave the `-wal` too)."""


class Transactions(Protocol):
    """Where a feature's scheduled job opens a transaction of its own (the store), without the whole service."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...


AfterCommit = Callable[[Database], Awaitable[None]]


@dataclass(frozen=True)
class World:
    """What an effect's applier may touch: the transaction, whose data it is, the time, loaded data sets.

    `after_commit` collects work that must wait until the step's transaction is committed (an erasure's WAL
    checkpoint): the service runs it then, in order, and only if the commit succeeded."""

    db: Transaction
    user_id: int
    now: datetime
    state: State
    content: Content
    data: DataSets = field(default_factory=lambda: DataSets())
    after_commit: list[AfterCommit] = field(default_factory=list)
    # Effects an applier raises for other features to apply in the same transaction (bot/core/events.py): applied
    # after it, each by its feature's applier if one is installed (none: nobody listens, nothing happens).
    follow: list[Effect] = field(default_factory=list)
    files: Path | None = None  # where the adapter writes files for users (the terminal's), per user: bot/user_files.py


@dataclass(frozen=True)
class Context:
    """What a pure handler reads."""

    state: State
    content: Content
    args: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    typed: str | None = None  # the free text accepted at this node, for this step only (never stored by this)
    payload: object = None  # what a push or a press is about, typed (read it with `payload_as`)

    def payload_as(self, kind: type[P]) -> P:
        """The push's or press's payload as the type its handler expects."""
        if not isinstance(self.payload, kind):
            raise TypeError(f"expected a {kind.__name__} payload, got {self.payload!r}")
        return self.payload


@dataclass(frozen=True)
class Outcome:
    outputs: tuple[Output, ...] = ()
    effects: tuple[Effect, ...] = ()
    answers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # The erasure: the conversation forgets its answers, its score and any conversation kept aside, so nothing
    # of the old one is offered back ("on le reprend ?") once everything is erased.
    forgets_conversation: bool = False


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply: Telegram sends it (sendPhoto / sendDocument), the terminal saves it."""

    kind: Literal["photo", "document"]
    filename: str
    data: bytes
    caption: str = ""  # HTML


@runtime_checkable
class Localized(Protocol):
    """A placeholder value that depends on the user's language (a date, a duration, a translated label):
    put it in an output's params, and the renderer asks it for its text."""

    def localize(self, content: Content, translator: Translator) -> str: ...


class FeatureOutput(Protocol):
    """An output a feature defines; it renders itself (text in HTML, and any attachments)."""

    def render(self, content: Content, translator: Translator) -> tuple[str, tuple[Attachment, ...]]: ...


Handler = Callable[[Context], Outcome]
Exporter = Callable[[World], Awaitable[list[dict[str, Any]]]]
Eraser = Callable[[World], Awaitable[int]]


@dataclass(frozen=True)
class PersonalData:
    """Personal data a feature keeps: its tables, how to export and erase one user's rows, and the
    interface messages that explain it, named from `explained`: `<explained>` says what it is (a few words),
    `<explained>_why` why it is kept and for how long, `<explained>_<field>` each field an exported row has
    (rows have no other field)."""

    name: str
    tables: tuple[str, ...]
    fields: tuple[str, ...]
    export: Exporter
    erase: Eraser
    explained: str
    erased_last: bool = False  # the `users` row: other tables may refer to it

    @property
    def messages(self) -> frozenset[str]:
        return frozenset({self.explained, f"{self.explained}_why", *(f"{self.explained}_{f}" for f in self.fields)})


Applier = Callable[[World, Any], Awaitable[tuple["Output", ...]]]
E = TypeVar("E", bound=Effect)
MAX_OBJECT_KIND = 8  # object kinds travel in 64-byte button payloads (bot/adapters/buttons.py)


@dataclass(frozen=True)
class ActionSpec:
    name: str
    run: Handler
    schema: Mapping[str, Any]  # JSON Schema of the arguments
    description: str
    messages: frozenset[str] = frozenset()  # interface messages it says: `check` requires them where it is used
    explains_personal_data: bool = False  # it shows the explanations of every `keeps` declaration


@dataclass
class Registry:
    """A feature's actions, effect appliers, push and press handlers, and the interface messages they say; merged
    (`merge`, by bot/app.py), every feature's, with their jobs and /stats tallies (bot/core/feature.py).

    Registering a name (or an effect type) a second time is refused with a ValueError, and so is merging two
    registries that both register it: a feature never silently replaces another's handler."""

    actions: dict[str, ActionSpec] = field(default_factory=dict)
    appliers: dict[type[Effect], Applier] = field(default_factory=dict)
    pushes: dict[str, Handler] = field(default_factory=dict)
    silent_pushes: set[str] = field(default_factory=set)  # pushes that say nothing (an erasure)
    presses: dict[str, Handler] = field(default_factory=dict)
    personal_data: dict[str, PersonalData] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)  # what the scheduler runs (merged from the features)
    tallies: dict[str, Tally] = field(default_factory=dict)  # feature name -> its /stats line

    @classmethod
    def merge(cls, *registries: Registry) -> Registry:
        """One registry holding every registration of `registries`; ValueError names what two of them register."""
        merged = cls()
        for registry in registries:
            for kind, what in (("action", "actions"), ("applier of effect", "appliers"), ("push", "pushes"),
                               ("press of object kind", "presses"), ("personal data", "personal_data"),
                               ("job", "jobs"), ("tally of feature", "tallies")):  # fmt: skip
                mine, theirs = getattr(merged, what), getattr(registry, what)
                for key in theirs.keys() & mine.keys():
                    name = key.__name__ if isinstance(key, type) else key
                    raise ValueError(f"{kind} '{name}' is registered twice (by two features)")
                mine.update(theirs)
            merged.silent_pushes |= registry.silent_pushes
        return merged

    def schedule(self, job: Job) -> None:
        """Add a job the scheduler runs (bot/core/feature.py: `Due` every tick, `Daily` once a day)."""
        if job.name in self.jobs:
            raise ValueError(f"job '{job.name}' is registered twice")
        self.jobs[job.name] = job

    def action(
        self,
        name: str,
        description: str,
        schema: Mapping[str, Any] | None = None,
        messages: tuple[str, ...] = (),
        explains_personal_data: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register a pure action under `name`; `schema` describes its arguments (default: none), `messages`
        the keys of messages.yaml it (and its effects) may say; `explains_personal_data`: it also says every
        `keeps` declaration's explanations (the export)."""

        def register(run: Handler) -> Handler:
            if name in self.actions:
                raise ValueError(f"action '{name}' is registered twice")
            arguments = schema or {"type": "object", "additionalProperties": False}
            self.actions[name] = ActionSpec(
                name, run, arguments, description, frozenset(messages), explains_personal_data
            )
            return run

        return register

    def messages_of(self, action: str) -> frozenset[str]:
        """The interface messages an action may say (with the personal-data explanations, for the export)."""
        spec = self.actions[action]
        if not spec.explains_personal_data:
            return spec.messages
        tallies = frozenset(tally.message for tally in self.tallies.values())  # /stats, checked with the export's
        return spec.messages.union(tallies, *(kept.messages for kept in self.personal_data.values()))

    def keeps(
        self,
        name: str,
        *,
        tables: tuple[str, ...],
        fields: tuple[str, ...],
        export: Exporter,
        erase: Eraser,
        explained: str,
        erased_last: bool = False,
    ) -> None:
        """Declare personal data this feature keeps (see `PersonalData`): `/mesdonnees` exports it under
        `name`, `/oublie` and the retention sweep erase it with `erase` (which returns the rows it deleted)."""
        if name in self.personal_data:
            raise ValueError(f"personal data '{name}' is declared twice")
        self.personal_data[name] = PersonalData(name, tables, fields, export, erase, explained, erased_last)

    def erasure_order(self) -> list[PersonalData]:
        """Every declaration, the ones others refer to (the `users` row) last."""
        return sorted(self.personal_data.values(), key=lambda kept: kept.erased_last)

    def applies(self, effect_type: type[E]) -> Callable[[Callable[[World, E], Awaitable[tuple[Output, ...]]]], Any]:
        """Register the applier of an effect type: it runs inside the step's transaction."""

        def register(apply: Callable[[World, E], Awaitable[tuple[Output, ...]]]) -> Any:
            if effect_type in self.appliers:
                raise ValueError(f"the applier of effect '{effect_type.__name__}' is registered twice")
            self.appliers[effect_type] = apply
            return apply

        return register

    def on_push(self, event: str, silent: bool = False) -> Callable[[Handler], Handler]:
        """Register the handler of a push; `silent`: it never says anything to the user (the retention erasure),
        so it runs even for a user who paused pushes."""

        def register(handle: Handler) -> Handler:
            if event in self.pushes:
                raise ValueError(f"push '{event}' is registered twice")
            self.pushes[event] = handle
            if silent:
                self.silent_pushes.add(event)
            return handle

        return register

    def speaks(self, event: str) -> bool:
        """Whether a push may write to the user (what a user who paused pushes must not get)."""
        return event not in self.silent_pushes

    def on_press(self, kind: str) -> Callable[[Handler], Handler]:
        """Register the handler of buttons bound to objects of `kind` (its payload: the `Press`)."""
        if len(kind) > MAX_OBJECT_KIND or ":" in kind:
            raise ValueError(f"object kind '{kind}' must be at most {MAX_OBJECT_KIND} characters, without ':'")

        def register(handle: Handler) -> Handler:
            if kind in self.presses:
                raise ValueError(f"press of object kind '{kind}' is registered twice")
            self.presses[kind] = handle
            return handle

        return register
