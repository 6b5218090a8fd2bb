"""A feature as one manifest: everything Gaffe must know of it, in one value its module exports (`FEATURE`).

Why: adding a feature used to mean editing the shared migrations, the service's data loading, the scheduler,
`update-data` and `/stats`. Now the feature's module says it all here, and `bot/app.py` assembles Gaffe from the
list of features (`FEATURES`): the storage runs each feature's migrations, the service loads its data sets,
the scheduler runs its jobs, `update-data` fetches its data, `/stats` shows its counts, and `check` knows its
actions. Nothing is registered by importing a module: a feature's registry is its own, and assembling refuses
a name (or an effect type) two features register (`Registry.merge`).

- **registry**: its actions, effect appliers, push and press handlers, and the personal data it keeps
  (`Registry.keeps`: `/mesdonnees` and `/oublie` go through those declarations only);
- **migrations**: its tables, versioned per feature (`Migration`; bot/storage.py records each feature's version);
- **data_sets**: the public data it looks things up in (`DataSet`), keyed by the data's type;
- **jobs**: what it does on a clock (`Due`: pushes due now, every tick; `Daily`: once a day), given a narrow
  context (`Jobs`), not the running service;
- **tally**: its line in `/stats` (counts, never anyone's data).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from bot.core.actions import NO_PARAMETERS, DataSets, Parameters, PersonalData, Registry, Transaction, World

if TYPE_CHECKING:
    from bot.core.engine import Push

T = TypeVar("T")


@dataclass(frozen=True)
class Migration:
    """One version of a feature's tables: statements run in one transaction, never edited once released.

    `shared`: the version of the schema shared by every feature before each had its own (bot/storage.py) that
    already made these tables; a database from then has them, and is recorded at this version without running it."""

    version: int
    statements: tuple[str, ...]
    shared: int | None = None


@dataclass(frozen=True)
class DataSet(Generic[T]):
    """A public data set a feature looks things up in, keyed by its type (`world.data.get(Catalogue)`).

    `load` gives the newest local copy at start-up (a file `update-data` or a daily job wrote, or one the
    settings name; never a download), None when there is none or it is unusable; `shipped` the dated copy in the
    package (None: none ships); `update` is `update-data`'s: download it, and return the lines to print; a
    failure is one of `failures` (update-data says it and carries on). The settings are bot/config.Settings;
    each feature states what it reads of them as a Protocol of its own."""

    kind: type[T]
    name: str  # as update-data names it ("breach catalogue")
    load: Callable[[Any], T | None]
    shipped: Callable[[], T | None] = lambda: None
    update: Callable[[Any], Awaitable[list[str]]] | None = None
    failures: tuple[type[Exception], ...] = ()

    def loaded(self, settings: Any) -> T | None:
        """The local copy, else the shipped one."""
        return self.load(settings) or self.shipped()


class Jobs(Protocol):
    """What a scheduled job may use of the running Gaffe (the scheduler gives it; never the whole service)."""

    @property
    def settings(self) -> Any:
        """bot/config.Settings; each feature states what it reads of them as a Protocol of its own."""

    @property
    def data(self) -> DataSets: ...

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    def now(self) -> datetime: ...

    async def push(self, user_id: int, push: Push) -> bool:
        """Push to a user through the one path (the adapter sends it); whether a message went out."""

    async def push_silently(self, user_id: int, push: Push) -> bool:
        """A push that says nothing (an erasure): stepped and committed, nothing sent."""

    def refreshed(self, value: object) -> None:
        """A newer copy of a data set: answers use it from now on (replaces the one of its type)."""


class Reader(Protocol):
    """A read outside any transaction (what a tick looks up: what is due)."""

    async def fetch_all(self, statement: str, parameters: Parameters = NO_PARAMETERS) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True)
class Due:
    """Pushes due now, looked for every tick (GAFFE_REMINDER_CHECK_SECONDS): `find(db, now, limit, only_user)`
    gives up to `limit` (user id, push) pairs, oldest first, of `only_user` when given (the terminal's); the
    scheduler pushes them and asks again while a full batch goes out."""

    name: str
    find: Callable[[Reader, datetime, int, int | None], Awaitable[list[tuple[int, Push]]]]


@dataclass(frozen=True)
class Daily:
    """A job run once a day (and at start-up), safe to run again; `run` returns what it did, for the log line."""

    name: str
    run: Callable[[Jobs], Awaitable[str]]


Job = Due | Daily


@dataclass(frozen=True)
class Tally:
    """A feature's line in `/stats`: `count` gives the placeholders of the interface message `message`."""

    message: str
    count: Callable[[World], Awaitable[Mapping[str, int]]]


@dataclass(frozen=True)
class Feature:
    """One feature's manifest (see the module's docstring)."""

    name: str
    registry: Registry
    migrations: tuple[Migration, ...] = ()
    data_sets: tuple[DataSet[Any], ...] = ()
    jobs: tuple[Job, ...] = ()
    tally: Tally | None = None

    @property
    def keeps(self) -> Mapping[str, PersonalData]:
        """The personal data it keeps (declared in its registry with `keeps`)."""
        return self.registry.personal_data

    def __post_init__(self) -> None:
        versions = [migration.version for migration in self.migrations]
        if versions != list(range(1, len(versions) + 1)):
            raise ValueError(f"feature '{self.name}': migrations must be versions 1, 2, 3… in order, not {versions}")


def merged(features: Iterable[Feature]) -> Registry:
    """One registry of every feature's registrations, jobs and tallies; a name (or an effect type) registered by
    two features is refused (ValueError), as a second registration within one registry is."""
    features = tuple(features)
    names = [feature.name for feature in features]
    if len(set(names)) != len(names):
        raise ValueError(f"a feature is listed twice: {names}")
    registry = Registry.merge(*(feature.registry for feature in features))
    for feature in features:
        for job in feature.jobs:
            registry.schedule(job)
        if feature.tally is not None:
            registry.tallies[feature.name] = feature.tally
    return registry
