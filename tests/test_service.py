"""The one path: effects from the pure engine, applied with the state in one transaction; pushes and presses
through the per-user turn; buttons bound to objects; the outbox. On the mini content, with the test feature
of tests/support/ping.py, against a real SQLite file."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from types import MappingProxyType

import pytest

from bot.authoring.check import load_content
from bot.core.actions import World
from bot.core.dialogue import Content
from bot.core.engine import Command, Output, Pick, Press, Push, RecordResult, State, Text, step
from bot.core.i18n import Translator
from bot.core.render import Reply
from bot.features.progress import ShowProgress
from bot.service import Gaffe, Unreachable
from bot.storage import Store
from tests.support.database import rows
from tests.support.paths import MINI
from tests.support.ping import PINGS, Answered, Ping, Pinged, create_table
from tests.support.screen import Screen


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(MINI / "dialogues", MINI / "locales", PINGS)


@pytest.fixture
async def gaffe(content: Content, mini_translators: dict[str, Translator], store: Store) -> Gaffe:
    await create_table(store)
    return Gaffe(content, mini_translators, store, tracks_delivery=True)


def ping(number: int) -> Push:
    return Push("ping", Ping(number))


# --- the pure engine returns effects; no database here --------------------------------------------------
def test_the_engine_returns_effects_as_data(content: Content, shipped: Content) -> None:
    state = State(dialogue="quiz", node="q1", step=3)
    pushed = step(content, state, ping(7))
    assert pushed.effects == (Pinged(7),) and pushed.state == state and not pushed.changed
    pressed = step(content, state, Press("ping", 7, 1, "ok"))
    assert pressed.effects == (Answered(7),) and pressed.state == state
    assert step(shipped, State(), Command("progres")).effects == (ShowProgress(),)


def test_handlers_get_their_payload_typed_and_refuse_another(content: Content) -> None:
    """A push's payload reaches its handler as it was made; an untyped one (a mapping to re-parse) is a bug."""
    state = State(dialogue="quiz", node="q1", step=3)
    with pytest.raises(TypeError, match="expected a Ping payload"):
        step(content, state, Push("ping", MappingProxyType({"number": 7})))
    assert step(content, state, Push("ping", Ping(7))).effects == (Pinged(7),)


def test_a_result_node_records_the_checkup_as_an_effect(content: Content) -> None:
    state = State()
    for received in (Command("quiz"), Text("Ada"), None, None):
        result = step(content, state, received or Pick(state.step, 0))
        state = result.state
    assert result.effects == (RecordResult("quiz", 100, ()),)


def test_an_unknown_object_kind_is_refused_as_forged(content: Content) -> None:
    result = step(content, State(step=2), Press("nope", 1, 1, "ok"))
    assert [type(o).__name__ for o in result.outputs] == ["Toast"] and not result.commits


# --- effects against a real SQLite file ---------------------------------------------------------------
async def test_a_step_and_its_effects_are_committed_together(gaffe: Gaffe, tmp_path: Path) -> None:
    screen = Screen()
    for received in (Command("quiz"), Text("Ada")):
        await gaffe.handle(5, received, screen)
    await gaffe.handle(5, Pick(screen.last.step or 0, 1), screen)
    await gaffe.handle(5, Pick(screen.last.step or 0, 2), screen)
    db = tmp_path / "gaffe.sqlite3"
    assert rows(db, "SELECT user_id, dialogue, score FROM checkups") == [(5, "quiz", 0)]
    saved = await gaffe.store.load(5)
    assert saved is not None and saved.dialogue == "menu" and saved.answers["name"] == "Ada"


async def test_a_failing_effect_rolls_the_whole_step_back_and_nothing_is_sent(
    content: Content, mini_translators: dict[str, Translator], store: Store, tmp_path: Path
) -> None:
    async def record_then_fail(world: World, effect: RecordResult) -> tuple[Output, ...]:
        await PINGS.appliers[RecordResult](world, effect)
        raise OSError("disk full")

    broken = dataclasses.replace(
        content.registry, appliers={**content.registry.appliers, RecordResult: record_then_fail}
    )
    gaffe = Gaffe(dataclasses.replace(content, registry=broken), mini_translators, store, tracks_delivery=True)
    screen = Screen()
    await gaffe.handle(6, Command("quiz"), screen)
    await gaffe.handle(6, Text("Ada"), screen)
    await gaffe.handle(6, Pick(screen.last.step or 0, 0), screen)
    before, sent = await store.load(6), len(screen.replies)
    with pytest.raises(OSError, match="disk full"):
        await gaffe.handle(6, Pick(screen.last.step or 0, 0), screen)
    assert await store.load(6) == before  # the state did not move…
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT * FROM checkups") == []  # …and the effect's row is gone
    assert len(screen.replies) == sent  # nothing was sent
    assert await store.pending_replies() == []


# --- pushes and presses -------------------------------------------------------------------------------
async def test_a_push_and_a_press_of_one_user_never_interleave(gaffe: Gaffe) -> None:
    events: list[tuple[str, str]] = []

    def slow(tag: str) -> Screen:
        class Slow(Screen):
            async def __call__(self, reply: Reply) -> None:
                events.append(("start", tag))
                await asyncio.sleep(0.05)
                events.append(("end", tag))

        return Slow()

    await gaffe.handle(9, Command("quiz"), Screen())
    await gaffe.handle(9, Text("Ada"), Screen())
    state = await gaffe.store.load(9)
    assert state is not None
    await asyncio.gather(
        gaffe.push(9, ping(1), slow("push")),
        gaffe.handle(9, Pick(state.step, 0), slow("press")),
        gaffe.push(9, ping(2), slow("push2")),
    )
    assert [kind for kind, _ in events] == ["start", "end"] * 3
    assert [tag for _, tag in events[::2]] == ["push", "press", "push2"]  # arrival order


async def test_pushes_to_200_users_while_they_press_lose_and_duplicate_nothing(gaffe: Gaffe, tmp_path: Path) -> None:
    users = range(1000, 1200)
    delivered: dict[int, list[str]] = {u: [] for u in users}

    async def takes_a_checkup(user: int) -> None:
        screen = Screen()
        await gaffe.handle(user, Command("quiz"), screen)
        await gaffe.handle(user, Text("Ada"), screen)
        for choice in (user % 2, user % 3):
            await gaffe.handle(user, Pick(screen.last.step or 0, choice), screen)

    async def is_pinged(user: int, number: int) -> None:
        async def show(reply: Reply) -> None:
            delivered[user].append(reply.text)

        assert await gaffe.push(user, ping(number), show)

    for user in users:  # pushes only go to people Gaffe knows
        await gaffe.store.save(user, State())
    await asyncio.gather(*(takes_a_checkup(u) for u in users), *(is_pinged(u, n) for u in users for n in (1, 2, 3)))
    db = tmp_path / "gaffe.sqlite3"
    assert sorted(rows(db, "SELECT user_id, number FROM pings")) == [(u, n) for u in users for n in (1, 2, 3)]
    assert all(sorted(texts) == ["Ping 1", "Ping 2", "Ping 3"] for texts in delivered.values())
    assert rows(db, "SELECT count(*) FROM outbox") == [(0,)]
    assert sorted(rows(db, "SELECT user_id FROM checkups")) == [(u,) for u in users]  # every checkup finished


async def test_an_object_button_pressed_mid_checkup_then_the_checkup_goes_on(gaffe: Gaffe) -> None:
    screen = Screen()
    await gaffe.handle(11, Command("quiz"), screen)
    await gaffe.handle(11, Text("Ada"), screen)
    question = screen.last
    assert question.labels == ("Oui", "Non")
    await gaffe.push(11, ping(4), screen)
    offered = screen.last
    assert offered.text == "Ping 4" and offered.buttons[0].press == Press("ping", 4, 1, "ok")

    await gaffe.handle(11, offered.buttons[0].press, screen)
    again = screen.last
    assert again.picked == "→ Oui" and "On reprend." in again.text
    assert again.labels == question.labels and again.step == question.step  # the same question, still live
    await gaffe.handle(11, offered.buttons[0].press, screen)  # a second press: nothing changes, briefly said
    assert screen.last.toast == "Bouton expiré." and not screen.last.text
    await gaffe.handle(11, again.buttons[0].press, screen)  # the checkup goes on from where it was
    state = await gaffe.store.load(11)
    assert state is not None and state.node == "q2" and state.answers["manager"] == "yes"


async def test_a_push_waits_in_the_outbox_until_delivered(gaffe: Gaffe, tmp_path: Path) -> None:
    await gaffe.store.save(12, State())

    async def network_down(reply: Reply) -> None:
        raise ConnectionError("unreachable network")

    with pytest.raises(ConnectionError):
        await gaffe.push(12, ping(1), network_down)
    db = tmp_path / "gaffe.sqlite3"
    assert rows(db, "SELECT user_id, number FROM pings") == [(12, 1)]  # committed before sending
    assert len(rows(db, "SELECT * FROM outbox")) == 1
    sent: list[tuple[int, Reply]] = []

    async def send(user: int, reply: Reply) -> None:
        sent.append((user, reply))

    await gaffe.deliver_pending(send)
    assert [(u, r.text, r.buttons[0].press) for u, r in sent] == [(12, "Ping 1", Press("ping", 1, 1, "ok"))]
    assert rows(db, "SELECT * FROM outbox") == []
    await gaffe.deliver_pending(send)
    assert len(sent) == 1  # sent once


async def test_a_user_who_blocked_gaffe_is_marked_inactive_by_a_push(gaffe: Gaffe) -> None:
    await gaffe.store.save(13, State())

    async def blocked(reply: Reply) -> None:
        raise Unreachable("403")

    assert await gaffe.push(13, ping(1), blocked) is False
    assert await gaffe.store.is_active(13) is False
    assert await gaffe.push(14, ping(1), Screen()) is False  # someone Gaffe never met gets nothing
