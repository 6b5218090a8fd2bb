"""A small feature for testing the mechanism itself: a push ("ping n") with buttons bound to it, answered once.

It registers into a registry merged afresh from the shipped features (bot/app.py), so they are there too and
nothing leaks into them. Its table is made by `create_table`, inside a test's database.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from bot.app import registry
from bot.core.actions import Context, Effect, Outcome, Registry, World
from bot.core.engine import ObjectButton, Offer, Output, Picked, Press, Toast
from bot.storage import Store

PINGS: Registry = registry()


@dataclass(frozen=True)
class Pinged(Effect):
    number: int


@dataclass(frozen=True)
class Answered(Effect):
    number: int


async def create_table(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.execute("CREATE TABLE IF NOT EXISTS pings (user_id INTEGER, number INTEGER, answered INTEGER)")


@dataclass(frozen=True)
class Ping:
    """The payload of a `ping` push."""

    number: int


@PINGS.on_push("ping")
def ping(context: Context) -> Outcome:
    number = context.payload_as(Ping).number
    button = ObjectButton("Oui", Press("ping", number, 1, "ok"))
    offer = Offer("Ping {number}", (button,), MappingProxyType({"number": number}))
    return Outcome(outputs=(offer,), effects=(Pinged(number),))


@PINGS.on_press("ping")
def answer(context: Context) -> Outcome:
    return Outcome(outputs=(Picked("Oui"),), effects=(Answered(context.payload_as(Press).object_id),))


@PINGS.applies(Pinged)
async def record_ping(world: World, effect: Pinged) -> tuple[Output, ...]:
    await world.db.execute(
        "INSERT INTO pings VALUES (:user_id, :number, 0)", {"user_id": world.user_id, "number": effect.number}
    )
    return ()


@PINGS.applies(Answered)
async def record_answer(world: World, effect: Answered) -> tuple[Output, ...]:
    changed = await world.db.execute(
        "UPDATE pings SET answered = 1 WHERE user_id = :user_id AND number = :number AND answered = 0",
        {"user_id": world.user_id, "number": effect.number},
    )
    return () if changed else (Toast("stale_button"),)
