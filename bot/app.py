"""Gaffe, assembled: the list of features, and everything built from it.

Each feature's module exports its manifest (`FEATURE`, bot/core/feature.py); `FEATURES` lists them, and adding a
feature is one line here. From the list come the registry the content carries (`registry`: every feature's
actions, appliers, pushes, presses, personal data, jobs and /stats lines, merged; a name two features register is
refused), the database's tables (`open_store`: the core's migrations, then each feature's), the data sets
(`load_data` at start-up, `update_data` for `python -m bot update-data`), and so the service, the scheduler
(which runs the registry's jobs), `check` and the preview. Nothing else in `bot/` names a feature.

Every function takes the feature list, the shipped one by default: a test assembles Gaffe with a feature of its
own by passing `(*FEATURES, its_feature)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.authoring import check
from bot.config import Settings
from bot.content import loader
from bot.core.actions import DataSets, Registry
from bot.core.dialogue import Content
from bot.core.feature import DataSet, Feature, merged
from bot.core.i18n import Translator, load_translators
from bot.features import breaches, privacy, progress, reminders, stalkerware
from bot.limits import Limits
from bot.lookups import update
from bot.service import Gaffe
from bot.storage import Store

# The features, in the order their personal data is exported and their lines are shown in /stats.
FEATURES: tuple[Feature, ...] = (
    reminders.FEATURE,
    breaches.FEATURE,
    privacy.FEATURE,
    progress.FEATURE,
    stalkerware.FEATURE,
)
Features = Sequence[Feature]


def registry(features: Features = FEATURES) -> Registry:
    """Every feature's registrations in one registry (ValueError when two features register the same name)."""
    return merged(features)


def check_content(
    dialogues_dir: Path, locales_dir: Path, features: Features = FEATURES
) -> tuple[Content | None, list[check.Problem]]:
    """`python -m bot check`: the content checked against the features' actions (see `check.check_content`)."""
    return check.check_content(dialogues_dir, locales_dir, registry(features))


def load_content(dialogues_dir: Path, locales_dir: Path, features: Features = FEATURES) -> Content:
    """The content, or ContentError naming every problem `check` finds (the writers' diagnostics too)."""
    return check.load_content(dialogues_dir, locales_dir, registry(features))


@dataclass(frozen=True)
class Loaded:
    """The checked content and its translations: what Gaffe says, ready before any connection is opened."""

    content: Content
    translators: dict[str, Translator]


def load(settings: Settings, features: Features = FEATURES) -> Loaded:
    """Load the content for the features (ContentError names every problem that keeps it from running;
    `python -m bot check` adds the writers' diagnostics)."""
    content = loader.load_content(settings.dialogues_dir, settings.locales_dir, registry(features))
    return Loaded(content, load_translators(settings.locales_dir))


def data_sets(features: Features = FEATURES) -> list[DataSet[Any]]:
    return [data_set for feature in features for data_set in feature.data_sets]


def load_data(settings: Settings, features: Features = FEATURES) -> DataSets:
    """The public data sets features look things up in: the newest local copy (`update-data`, a daily refresh, or a
    file named in the settings), else the dated snapshot shipped in the package. Nothing is downloaded here."""
    return DataSets({data_set.kind: data_set.loaded(settings) for data_set in data_sets(features)})


async def update_data(settings: Settings, features: Features = FEATURES) -> int:
    """`python -m bot update-data`: download every feature's data sets (see bot/lookups/update.py)."""
    return await update.update_data(settings, data_sets(features))


async def open_store(path: str | Path, features: Features = FEATURES) -> Store:
    """The database, with the core's tables and every feature's, migrated (close it with `close`)."""
    return await Store.open(path, features)


async def open_gaffe(
    settings: Settings, loaded: Loaded | None = None, features: Features = FEATURES, **options: Any
) -> Gaffe:
    """The service on the configured database, with the configured limits and admins (close it with `close`)."""
    loaded = loaded or load(settings, features)
    options.setdefault("admins", settings.admins)
    options.setdefault(
        "limits",
        Limits(settings.flood_updates, settings.flood_seconds, settings.flood_quiet_seconds, settings.max_text_chars),
    )
    store = await open_store(settings.database, features)
    options.setdefault("data", load_data(settings, features))
    return Gaffe(loaded.content, loaded.translators, store, **options)
