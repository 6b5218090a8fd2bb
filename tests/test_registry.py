"""The registry refuses a second registration of the same name or effect type, whichever decorator makes it, and
so does assembling features whose registries both register it: a feature that silently replaced another's handler
would change behaviour without any error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.app import FEATURES, registry
from bot.core.actions import Context, Effect, Outcome, Registry, World
from bot.core.engine import Output
from bot.core.feature import Daily, Feature, Jobs, merged


@dataclass(frozen=True)
class Nudged(Effect):
    pass


def handler(context: Context) -> Outcome:
    return Outcome()


async def applier(world: World, effect: Nudged) -> tuple[Output, ...]:
    return ()


async def export(world: World) -> list[dict[str, object]]:
    return []


async def erase(world: World) -> int:
    return 0


def register_action(registry: Registry) -> object:
    return registry.action("nudge", "Nudges.")(handler)


def register_applier(registry: Registry) -> object:
    return registry.applies(Nudged)(applier)


def register_push(registry: Registry) -> object:
    return registry.on_push("nudge")(handler)


def register_silent_push(registry: Registry) -> object:
    return registry.on_push("nudge", silent=True)(handler)


def register_press(registry: Registry) -> object:
    return registry.on_press("nudge")(handler)


def register_personal_data(registry: Registry) -> object:
    fields = ("when",)
    return registry.keeps("nudges", tables=("nudges",), fields=fields, export=export, erase=erase, explained="n")


REGISTRATIONS: dict[str, Callable[[Registry], object]] = {
    "action": register_action,
    "applies": register_applier,
    "on_push": register_push,
    "on_push silent": register_silent_push,
    "on_press": register_press,
    "keeps": register_personal_data,
}


@pytest.mark.parametrize("register", REGISTRATIONS.values(), ids=REGISTRATIONS.keys())
def test_a_second_registration_is_refused_and_keeps_the_first(register: Callable[[Registry], object]) -> None:
    registry = Registry()
    register(registry)
    before = (dict(registry.actions), dict(registry.appliers), dict(registry.pushes), dict(registry.presses))
    with pytest.raises(ValueError, match="twice"):
        register(registry)
    after = (dict(registry.actions), dict(registry.appliers), dict(registry.pushes), dict(registry.presses))
    assert after == before, "the refused registration must leave the first one in place"


def test_one_name_may_be_an_action_a_push_and_a_press() -> None:
    """Refusal is per kind of registration: the same word in different tables is no conflict."""
    registry = Registry()
    register_action(registry)
    register_push(registry)
    register_press(registry)
    assert {*registry.actions, *registry.pushes, *registry.presses} == {"nudge"}


@pytest.mark.parametrize("register", REGISTRATIONS.values(), ids=REGISTRATIONS.keys())
def test_merging_two_features_that_register_the_same_thing_is_refused(register: Callable[[Registry], object]) -> None:
    """Each feature has a registry of its own; assembling them (bot/app.py) refuses what two of them register."""
    first, second = Registry(), Registry()
    register(first)
    register(second)
    with pytest.raises(ValueError, match="twice"):
        Registry.merge(first, second)


def test_merging_keeps_every_features_registrations_and_silent_pushes() -> None:
    first, second = Registry(), Registry()
    register_action(first)
    register_silent_push(second)
    merged = Registry.merge(first, second)
    assert set(merged.actions) == set(merged.pushes) == {"nudge"} and not merged.speaks("nudge")


def test_the_shipped_features_merge_and_a_feature_listed_twice_is_refused() -> None:
    assert {"remind", "watch_service", "export_data", "progress", "stalkerware_lookup"} <= set(registry().actions)
    with pytest.raises(ValueError, match="twice"):
        merged((*FEATURES, FEATURES[0]))
    with pytest.raises(ValueError, match="twice"):  # two features, one job name
        merged(
            (
                Feature("a", Registry(), jobs=(Daily("sweep", job),)),
                Feature("b", Registry(), jobs=(Daily("sweep", job),)),
            )
        )


async def job(jobs: Jobs) -> str:
    return ""
