"""The registry refuses a second registration of the same name or effect type, whichever decorator makes it, and
so does assembling features whose registries both register it: a feature that silently replaced another's handler
would change behaviour without any error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.app import FEATURES, registry
from bot.core.actions import ActionSpec, Context, DataSets, Effect, Outcome, PersonalData, Registry, World
from bot.core.engine import Output
from bot.core.feature import Daily, Feature, Jobs, Tally, merged


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


# --- what a refusal says: the kind and the name, so the author knows which feature to fix --------------------------
async def tally(world: World) -> dict[str, int]:
    return {}


def register_job(registry: Registry) -> object:
    registry.schedule(Daily("sweep", job))
    return None


def register_tally(registry: Registry) -> object:
    registry.tallies["nudges"] = Tally("stats_nudges", tally)  # as bot/core/feature.py's `merged` files a tally
    return None


REFUSALS: dict[str, tuple[Callable[[Registry], object], str]] = {
    "action": (register_action, "action 'nudge' is registered twice"),
    "applies": (register_applier, "the applier of effect 'Nudged' is registered twice"),
    "on_push": (register_push, "push 'nudge' is registered twice"),
    "on_press": (register_press, "press of object kind 'nudge' is registered twice"),
    "keeps": (register_personal_data, "personal data 'nudges' is declared twice"),
    "schedule": (register_job, "job 'sweep' is registered twice"),
}
MERGE_REFUSALS: dict[str, tuple[Callable[[Registry], object], str]] = {
    "action": (register_action, "action 'nudge'"),
    "applies": (register_applier, "applier of effect 'Nudged'"),
    "on_push": (register_push, "push 'nudge'"),
    "on_press": (register_press, "press of object kind 'nudge'"),
    "keeps": (register_personal_data, "personal data 'nudges'"),
    "schedule": (register_job, "job 'sweep'"),
    "tally": (register_tally, "tally of feature 'nudges'"),
}


@pytest.mark.parametrize(("register", "said"), REFUSALS.values(), ids=REFUSALS.keys())
def test_a_second_registration_says_what_is_registered_twice(register: Callable[[Registry], object], said: str) -> None:
    registry = Registry()
    register(registry)
    with pytest.raises(ValueError) as refused:
        register(registry)
    assert str(refused.value) == said


@pytest.mark.parametrize(("register", "said"), MERGE_REFUSALS.values(), ids=MERGE_REFUSALS.keys())
def test_merging_says_what_two_features_register(register: Callable[[Registry], object], said: str) -> None:
    first, second = Registry(), Registry()
    register(first)
    register(second)
    with pytest.raises(ValueError) as refused:
        Registry.merge(first, second)
    assert str(refused.value) == f"{said} is registered twice (by two features)"


# --- what a registration keeps -------------------------------------------------------------------------------------
def test_each_registration_keeps_what_was_registered() -> None:
    registry = Registry()
    for register in (*REGISTRATIONS.values(), register_job):
        if register is not register_silent_push:
            register(registry)
    assert registry.actions["nudge"] == ActionSpec(
        "nudge", handler, {"type": "object", "additionalProperties": False}, "Nudges.", frozenset(), False
    )  # no schema: an action that takes no arguments (`check` refuses any)
    assert registry.appliers[Nudged] is applier
    assert registry.pushes["nudge"] is handler and registry.speaks("nudge")  # a push speaks unless said silent
    assert registry.presses["nudge"] is handler
    assert registry.personal_data["nudges"] == PersonalData("nudges", ("nudges",), ("when",), export, erase, "n")
    assert registry.jobs == {"sweep": Daily("sweep", job)}


def test_an_action_keeps_its_schema_and_the_messages_it_says() -> None:
    registry = Registry()
    schema = {"type": "object", "properties": {"days": {"type": "integer"}}}
    registry.action("nudge", "Nudges.", schema, ("nudge_said",))(handler)
    assert registry.actions["nudge"].schema == schema
    assert registry.messages_of("nudge") == {"nudge_said"}


def test_the_export_action_may_say_every_personal_data_explanation_and_every_stats_line() -> None:
    registry = Registry()
    registry.action("export", "Exports.", None, ("export_said",), explains_personal_data=True)(handler)
    registry.action("plain", "Says one thing.", None, ("plain_said",))(handler)
    register_personal_data(registry)
    register_tally(registry)
    assert registry.messages_of("export") == {"export_said", "n", "n_why", "n_when", "stats_nudges"}
    assert registry.messages_of("plain") == {"plain_said"}


def test_the_users_row_is_erased_after_every_table_that_refers_to_it() -> None:
    registry = Registry()
    registry.keeps("profile", tables=("users",), fields=(), export=export, erase=erase, explained="p", erased_last=True)
    register_personal_data(registry)
    assert [kept.name for kept in registry.erasure_order()] == ["nudges", "profile"]


@pytest.mark.parametrize("kind", ["reminders", "a:b"])
def test_an_object_kind_too_long_for_a_button_or_with_a_colon_is_refused(kind: str) -> None:
    with pytest.raises(ValueError) as refused:
        Registry().on_press(kind)
    assert str(refused.value) == f"object kind '{kind}' must be at most 8 characters, without ':'"
    assert Registry().on_press("reminder")(handler) is handler  # 8 characters: fits


# --- the loaded data sets ------------------------------------------------------------------------------------------
class Catalogue(dict[str, int]):
    pass


class Indicators(list[str]):
    pass


def test_data_sets_hand_out_each_set_by_its_type_and_a_refresh_replaces_one() -> None:
    catalogue, indicators = Catalogue(mspy=2015), Indicators(["mspy"])
    sets = DataSets({Catalogue: catalogue})
    assert sets.get(Catalogue) is catalogue and sets.get(Indicators) is None
    assert DataSets({Catalogue: indicators}).get(Catalogue) is None  # filed under the wrong type: not handed out
    fresher = Catalogue(mspy=2024)
    refreshed = DataSets({Catalogue: catalogue, Indicators: indicators}).replaced(fresher)
    assert refreshed.get(Catalogue) is fresher and refreshed.get(Indicators) is indicators
    assert refreshed == DataSets({Catalogue: fresher, Indicators: indicators})
    assert refreshed != DataSets({Catalogue: catalogue, Indicators: indicators})
    assert sets != {Catalogue: catalogue}  # only data sets equal data sets
    assert repr(refreshed) == "DataSets(Catalogue, Indicators)"


def test_a_silent_push_stays_silent_whichever_feature_comes_after_it() -> None:
    """A feature merged after the one that registers a silent push (the retention erasure) must not make it speak."""
    silent, other = Registry(), Registry()
    register_silent_push(silent)
    register_action(other)
    assert not Registry.merge(silent, other).speaks("nudge")
