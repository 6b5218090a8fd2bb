"""The one path: effects from the pure engine, applied with the state in one transaction; pushes and presses
through the per-user turn; buttons bound to objects; the outbox. On the mini content, with the test feature
of tests/support/ping.py, against a real SQLite file."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import pytest

from bot import user_files
from bot.authoring.check import load_content
from bot.core.actions import DataSets, Effect, World
from bot.core.dialogue import Content
from bot.core.engine import Command, Notice, Output, Pick, Press, Push, RecordResult, State, Text, Unrouted, step
from bot.core.i18n import Translator
from bot.core.profile import Profile
from bot.core.render import Reply
from bot.features.progress import ShowProgress
from bot.limits import Limits
from bot.service import Gaffe, NotDelivered, Unreachable, system_clock
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
class InFlight(Screen):
    """A reply in flight: while it goes out (inside the user's turn), `meanwhile` starts, something else of the same
    user, and goes as far as it can before the reply is shown. No sleep, nothing timed: aiosqlite answers calls in
    the order they were made, so each round trip here lets a task that waits only on the database make one call
    of its own; a task that waits for the user's turn makes none. `said` gets the reply's text once shown."""

    def __init__(self, store: Store, meanwhile: Callable[[], Awaitable[object]], said: list[str]) -> None:
        super().__init__()
        self.store, self.meanwhile, self.said = store, meanwhile, said
        self.started: list[asyncio.Future[object]] = []

    async def __call__(self, reply: Reply) -> None:
        task = asyncio.ensure_future(self.meanwhile())
        self.started.append(task)
        for _ in range(20):
            if task.done():
                break
            await self.store.load(0)
        self.said.append(reply.text)
        await super().__call__(reply)

    async def finished(self) -> object:
        """What `meanwhile` returned, once the turn let it run."""
        [task] = self.started
        return await task


async def test_a_push_and_a_press_of_one_user_never_interleave(gaffe: Gaffe) -> None:
    """A press and a second push of the user arrive while a push to them goes out: each waits for the one before
    (the user's turn), in arrival order."""
    await gaffe.handle(9, Command("quiz"), Screen())
    await gaffe.handle(9, Text("Ada"), Screen())
    state = await gaffe.store.load(9)
    assert state is not None
    said: list[str] = []

    async def show(reply: Reply) -> None:
        said.append(reply.picked or reply.text)

    async def press_then_push() -> object:
        return await asyncio.gather(gaffe.handle(9, Pick(state.step, 0), show), gaffe.push(9, ping(2), show))

    in_flight = InFlight(gaffe.store, press_then_push, said)
    assert await gaffe.push(9, ping(1), in_flight) is True
    await in_flight.finished()
    assert said == ["Ping 1", "→ Oui", "Ping 2"]  # arrival order, none before the one in flight was shown


async def test_a_session_opened_while_a_reply_is_in_flight_resumes_after_it(gaffe: Gaffe) -> None:
    said: list[str] = []

    async def show(reply: Reply) -> None:
        said.append(reply.text)

    await gaffe.handle(100, Command("quiz"), show)
    in_flight = InFlight(gaffe.store, lambda: gaffe.start(100, None, show), said)
    await gaffe.handle(100, Text("Ada"), in_flight)
    assert await in_flight.finished() is False
    question = "Enchanté Ada. Tu utilises un gestionnaire de mots de passe ?"
    assert said[1:] == [question, f"On reprend.\n\n{question}"]  # the answer's reply first, then where it left them


async def test_a_reply_in_flight_is_not_sent_again_as_pending(gaffe: Gaffe) -> None:
    """The scheduler's tick finds the step saved and its reply not yet delivered: it waits for the user's turn,
    then sees it delivered, and sends no second copy."""
    await gaffe.handle(101, Command("quiz"), Screen())
    sent: list[str] = []

    async def send(user: int, reply: Reply) -> None:
        sent.append(reply.text)

    in_flight = InFlight(gaffe.store, lambda: gaffe.deliver_pending(send), sent)
    await gaffe.handle(101, Text("Ada"), in_flight)
    await in_flight.finished()
    assert sent == ["Enchanté Ada. Tu utilises un gestionnaire de mots de passe ?"]  # once
    assert await gaffe.store.pending_replies() == []


async def test_a_push_in_flight_is_not_sent_again_from_the_outbox(gaffe: Gaffe) -> None:
    await gaffe.store.save(102, State())
    sent: list[str] = []

    async def send(user: int, reply: Reply) -> None:
        sent.append(reply.text)

    in_flight = InFlight(gaffe.store, lambda: gaffe.flush_outbox(send), sent)
    assert await gaffe.push(102, ping(1), in_flight) is True
    await in_flight.finished()
    assert sent == ["Ping 1"] and await gaffe.store.outbox() == []  # once


async def test_a_flood_notice_waits_for_the_reply_in_flight(
    content: Content, mini_translators: dict[str, Translator], store: Store
) -> None:
    gaffe = Gaffe(content, mini_translators, store, limits=Limits(updates=1, window=60, quiet=60))
    said: list[str] = []

    async def show(reply: Reply) -> None:
        said.append(reply.text)

    in_flight = InFlight(store, lambda: gaffe.handle(103, Text("hi"), show), said)
    await gaffe.handle(103, Command("quiz"), in_flight)
    await in_flight.finished()
    assert said == ["Salut ! Comment je t'appelle ?", "Doucement, tu vas trop vite."]


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


async def test_a_user_who_blocked_gaffe_is_marked_inactive_by_a_push(gaffe: Gaffe, tmp_path: Path) -> None:
    await gaffe.store.save(13, State())

    async def blocked(reply: Reply) -> None:
        raise Unreachable("403")

    assert await gaffe.push(13, ping(1), blocked) is False
    assert await gaffe.store.is_active(13) is False and await gaffe.store.outbox() == []
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT count(*) FROM outbox") == [(0,)]  # dropped, not kept for later
    assert await gaffe.push(14, ping(1), Screen()) is False  # someone Gaffe never met gets nothing


# --- what adapters ask of the service: sessions, menus, links, limits, outages ----------------------------
async def test_a_session_opens_with_the_welcome_then_resumes_where_the_user_was(gaffe: Gaffe) -> None:
    screen = Screen()
    assert await gaffe.start(20, None, screen) is True  # someone new: the welcome, in French
    assert screen.last.text == "Tu veux faire quoi ?" and await gaffe.language_of(20) == "fr"
    await gaffe.handle(20, Command("quiz"), screen)
    assert await gaffe.start(20, None, screen) is False  # mid-quiz: where they were, not the welcome
    assert screen.last.text == "On reprend.\n\nSalut ! Comment je t'appelle ?"
    assert await gaffe.start(20, "en", screen) is False  # the language switched, and saved
    assert screen.last.text == "Picking up.\n\nHi! What should I call you?"
    assert await gaffe.language_of(20) == "en"
    assert await gaffe.start(21, "en", screen) is True and screen.last.text == "What do you want to do?"
    assert await gaffe.language_of(21) == "en" and await gaffe.language_of(22, "en") == "en"
    assert await gaffe.language_of(23) == "fr"  # someone never met, no language given: French
    await gaffe.handle(21, Pick(screen.last.step or 0, 2), screen)  # "Français": the menu ends, in French
    assert await gaffe.start(21, None, screen) is True and screen.last.text == "Tu veux faire quoi ?"


def test_the_command_menu_puts_start_then_the_urgent_commands_first(
    shipped: Content, translators: dict[str, Translator], store: Store
) -> None:
    gaffe = Gaffe(shipped, translators, store)
    french, english = gaffe.command_menu("fr"), gaffe.command_menu("en")
    assert [name for name, _ in french[:4]] == ["start", "arnaque", "espion", "piratage"]
    assert [name for name, _ in english[:4]] == ["start", "scam", "spyware", "hacked"]
    assert french[2][1] == "Je crois qu'on espionne mon téléphone" and french[2][1] != english[2][1]
    assert len(french) == len(english) == len({d.id for d in shipped.dialogues.values() if d.commands})
    dialogue_of = {d.commands.fr: d.id for d in shipped.dialogues.values() if d.commands}
    rest = [dialogue_of[name] for name, _ in french[4:]]
    assert rest == sorted(rest)  # the rest by dialogue id


def test_a_start_link_opens_a_command_in_either_language_or_the_welcome(
    shipped: Content, translators: dict[str, Translator], store: Store
) -> None:
    gaffe = Gaffe(shipped, translators, store)
    assert [gaffe.deep_link(p) for p in ("espion", "Spyware", "nope", "")] == ["espion", "spyware", "start", "start"]


async def test_a_flood_is_told_once_in_the_users_language(
    content: Content, mini_translators: dict[str, Translator], store: Store
) -> None:
    gaffe = Gaffe(content, mini_translators, store, limits=Limits(updates=1, window=60, quiet=60))
    await store.save(30, State(Profile("en")))
    screen = Screen()
    for received in (Command("quiz"), Text("hi"), Text("hi")):
        await gaffe.handle(30, received, screen, language="fr")
    assert [r.text for r in screen.replies] == ["Hi! What should I call you?", "Easy, you are going too fast."]
    newcomer = Screen()
    for _ in range(2):
        await gaffe.handle(31, Text("hi"), newcomer, language="en")  # never met: the language they came with
    assert newcomer.last.text == "Easy, you are going too fast."

    async def blocked(reply: Reply) -> None:
        raise Unreachable("403")

    await gaffe.handle(30, Text("hi"), blocked)  # still quiet: nothing said, nothing marked
    assert await store.is_active(30) is True
    await store.save(32, State())
    await gaffe.handle(32, Text("hi"), Screen())
    await gaffe.handle(32, Text("hi"), blocked)  # the warning finds them gone
    assert await store.is_active(32) is False


async def test_a_blocked_user_is_marked_inactive(gaffe: Gaffe) -> None:
    await gaffe.store.save(33, State())
    await gaffe.blocked(33)
    assert await gaffe.store.is_active(33) is False


async def test_a_reply_not_delivered_waits_whole_in_the_outbox_its_file_said_missing(
    shipped: Content, translators: dict[str, Translator], store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True)

    async def down(reply: Reply) -> None:
        raise NotDelivered("502")

    shown = await gaffe.handle(40, Command("mesdonnees"), down)
    assert [a.filename for a in shown.attachments] == ["gaffe-mes-donnees.json"]
    [(_, owner, saved)] = await store.outbox()
    kept = Reply.from_json(saved)
    missing = "Le fichier <code>gaffe-mes-donnees.json</code> est pas passé"
    assert owner == 40 and kept.labels == shown.labels and missing not in shown.text
    assert kept.text == shown.text + "\n\n" + gaffe.notice("fr", "file_not_sent", name="gaffe-mes-donnees.json")
    assert missing in kept.text
    assert await store.pending_replies() == []  # kept whole: not also "on reprend" and the question alone
    assert "user 40's reply was not sent (502): kept in the outbox for the next tick" in caplog.messages

    sent: list[tuple[int, Reply]] = []

    async def send_waiting(user: int, reply: Reply) -> None:
        sent.append((user, reply))

    gaffe.send_waiting = send_waiting
    screen = Screen()
    await gaffe.handle(40, Command("aide"), screen)  # their next message: the kept reply goes first
    assert sent == [(40, kept)] and len(screen.replies) == 1 and await store.outbox() == []
    await gaffe.handle(40, Command("aide"), screen)
    assert len(sent) == 1  # sent once


async def test_a_reply_not_delivered_is_raised_when_nothing_keeps_it(
    shipped: Content, translators: dict[str, Translator], store: Store
) -> None:
    async def down(reply: Reply) -> None:
        raise NotDelivered("502")

    untracked = Gaffe(shipped, translators, store)  # the terminal: it shows the question again anyway
    with pytest.raises(NotDelivered):
        await untracked.handle(41, Command("aide"), down)
    await untracked.handle(42, Command("aide"), Screen())
    assert await store.pending_replies() == []  # nothing is tracked: nothing to answer at the next start
    tracked = Gaffe(shipped, translators, store, tracks_delivery=True)
    await tracked.handle(41, Command("aide"), Screen())
    with pytest.raises(NotDelivered):  # a step that changed nothing: no saved step to answer later
        await tracked.handle(41, Press("nope", 1, 1, "ok"), down)
    assert await store.outbox() == []


async def test_a_reply_that_can_be_neither_sent_nor_kept_stays_pending(
    shipped: Content, translators: dict[str, Translator], store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True)

    async def down_and_read_only(reply: Reply) -> None:
        await store.connection.execute("PRAGMA query_only=ON")
        raise NotDelivered("502")

    await gaffe.handle(42, Command("aide"), down_and_read_only)
    await store.connection.execute("PRAGMA query_only=OFF")
    assert await store.outbox() == [] and await store.pending_replies() == [42]  # its question is shown again
    assert "user 42's reply was not sent (502) and could not be kept: attempt to write a readonly database" in (
        caplog.messages
    )


async def test_a_paused_user_gets_no_push_but_a_silent_one_still_runs(gaffe: Gaffe, tmp_path: Path) -> None:
    await gaffe.store.save(50, State(Profile("fr", pushes=False)))
    screen = Screen()
    assert await gaffe.push(50, ping(1), screen) is False
    assert screen.replies == [] and rows(tmp_path / "gaffe.sqlite3", "SELECT * FROM pings") == []  # not stepped
    assert await gaffe.push(50, Push("retention_erase"), screen) is False  # says nothing, but erases
    assert screen.replies == [] and await gaffe.store.load(50) is None


async def _left_pending(gaffe: Gaffe, user_id: int, language: str = "fr") -> None:
    """The user starts the quiz, and the process dies before the reply goes out (it stays pending)."""

    async def dies(reply: Reply) -> None:
        raise ConnectionError("killed")

    await gaffe.store.save(user_id, State(Profile(language)))
    with pytest.raises(ConnectionError):
        await gaffe.handle(user_id, Command("quiz"), dies)


async def test_replies_left_pending_by_a_crash_are_sent_at_start_up_once_each(
    gaffe: Gaffe, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gaffe.service")
    for user, language in ((60, "fr"), (61, "en"), (62, "fr"), (63, "fr")):
        await _left_pending(gaffe, user, language)
    assert await gaffe.store.pending_replies() == [60, 61, 62, 63]
    sent: list[tuple[int, str]] = []

    async def send(user: int, reply: Reply) -> None:
        if user == 62:
            raise ConnectionError("boom")  # one user's failure stops no one else's delivery
        if user == 63:
            raise Unreachable("403")
        sent.append((user, reply.text))

    await gaffe.deliver_pending(send, only=61)  # the terminal: its own user's only
    assert sent == [(61, "Picking up.\n\nHi! What should I call you?")]
    await gaffe.deliver_pending(send)
    assert sent[1:] == [(60, "On reprend.\n\nSalut ! Comment je t'appelle ?")]  # 61 was answered: no duplicate
    assert await gaffe.store.pending_replies() == [62]  # kept for the next tick; 63 is gone
    assert await gaffe.store.is_active(63) is False and await gaffe.store.is_active(62) is True
    assert "could not deliver a pending reply to user 62: boom" in caplog.messages
    assert "user 63 can't be reached: marked inactive" in caplog.messages


async def test_a_pending_reply_answered_or_erased_meanwhile_is_not_sent_again(gaffe: Gaffe) -> None:
    for user in (64, 65, 66, 67):
        await _left_pending(gaffe, user)
    sent: list[int] = []

    async def send(user: int, reply: Reply) -> None:
        sent.append(user)
        if user == 64:  # while 64's reply goes out, 65 answers and 66 is forgotten
            await gaffe.handle(65, Text("Ada"), Screen())
            async with gaffe.store.transaction() as tx:
                await tx.execute("DELETE FROM users WHERE user_id = :user_id", {"user_id": 66})

    await gaffe.deliver_pending(send)
    assert sent == [64, 67] and await gaffe.store.pending_replies() == []


async def test_pushes_waiting_in_the_outbox_go_out_once_each(gaffe: Gaffe) -> None:
    async def down(reply: Reply) -> None:
        raise ConnectionError("unreachable network")

    for user in (70, 71, 72, 73, 74):
        await gaffe.store.save(user, State())
        with pytest.raises(ConnectionError):
            await gaffe.push(user, ping(user), down)
    waiting = {owner: outbox_id for outbox_id, owner, _ in await gaffe.store.outbox()}
    sent: list[tuple[int, str]] = []

    async def send(user: int, reply: Reply) -> None:
        sent.append((user, reply.text))
        if user == 71:  # sent meanwhile by another path (the user's next reply)
            await gaffe.store.sent(waiting[72])

    await gaffe.deliver_pending(send, only=73)  # the terminal: its own user's messages only
    assert sent == [(73, "Ping 73")]
    await gaffe.flush_outbox(send)
    assert sent[1:] == [(70, "Ping 70"), (71, "Ping 71"), (74, "Ping 74")]  # 72's went out meanwhile: not twice
    assert await gaffe.store.outbox() == []


@dataclasses.dataclass(frozen=True)
class Heard(Effect):
    """An effect one feature raises for another that listens (bot/core/events.py)."""

    number: int


@dataclasses.dataclass(frozen=True)
class Unheard(Effect):
    """One no installed feature listens to."""


async def test_effects_raised_for_other_features_are_applied_in_order_in_the_same_step(
    content: Content, mini_translators: dict[str, Translator], store: Store, tmp_path: Path
) -> None:
    async def ping_and_raise(world: World, effect: Pinged) -> tuple[Output, ...]:
        await PINGS.appliers[Pinged](world, effect)
        world.follow.extend([Unheard(), Heard(50), Heard(51)])
        return ()

    async def hear(world: World, event: Heard) -> tuple[Output, ...]:
        await world.db.execute(
            "INSERT INTO pings VALUES (:user_id, :number, 2)", {"user_id": world.user_id, "number": event.number}
        )
        return (Notice("resumed"),)

    listening = dataclasses.replace(
        content.registry, appliers={**content.registry.appliers, Pinged: ping_and_raise, Heard: hear}
    )
    gaffe = Gaffe(dataclasses.replace(content, registry=listening), mini_translators, store)
    await create_table(store)
    await store.save(80, State())
    screen = Screen()
    assert await gaffe.push(80, ping(5), screen) is True
    assert rows(tmp_path / "gaffe.sqlite3", "SELECT * FROM pings ORDER BY rowid") == [
        (80, 5, 0),
        (80, 50, 2),
        (80, 51, 2),
    ]
    assert screen.last.text.count("On reprend.") == 2 and "Ping 5" in screen.last.text


async def test_a_user_who_blocked_gaffe_is_marked_inactive_by_a_reply(gaffe: Gaffe) -> None:
    async def blocked(reply: Reply) -> None:
        raise Unreachable("403")

    shown = await gaffe.handle(15, Command("quiz"), blocked)
    assert shown.text == "Salut ! Comment je t'appelle ?"  # the step is saved; only its reply is lost
    assert await gaffe.store.is_active(15) is False


def test_the_default_clock_is_utc() -> None:
    """Timestamps Gaffe stores and compares are aware, in UTC, whatever the machine's time zone."""
    assert system_clock().utcoffset() == timedelta(0)


async def test_every_reply_names_the_routes_of_the_users_country(
    shipped: Content, translators: dict[str, Translator], store: Store
) -> None:
    """A Belgian user gets Belgium's reporting address in the step's reply, when the session resumes, and in a
    reply sent again after a crash."""
    gaffe = Gaffe(shipped, translators, store, tracks_delivery=True)
    await store.save(90, State(Profile("fr", "be")))
    screen = Screen()
    asked = await gaffe.handle(90, Command("arnaque"), screen)
    shown = await gaffe.handle(90, Pick(asked.step or 0, 0), screen)  # "Un SMS louche"
    assert "suspect@safeonweb.be" in shown.text
    assert await gaffe.start(90, None, screen) is False and "suspect@safeonweb.be" in screen.last.text
    await store.save(90, (await store.load(90)) or State(), reply_pending=True)  # as if the process died there
    sent: list[Reply] = []

    async def send(user: int, reply: Reply) -> None:
        sent.append(reply)

    await gaffe.deliver_pending(send)
    assert len(sent) == 1 and "suspect@safeonweb.be" in sent[0].text


async def test_an_erasure_removes_the_files_the_terminal_wrote_for_the_user(
    shipped: Content, translators: dict[str, Translator], store: Store, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    gaffe = Gaffe(shipped, translators, store, files=files)
    mine, theirs = (user_files.write(files, user, "gaffe-mes-donnees.json", b"{}") for user in (91, 92))
    screen = Screen()
    asked = await gaffe.handle(91, Command("oublie"), screen)
    done = await gaffe.handle(91, Pick(asked.step or 0, asked.labels.index("Oui, efface tout")), screen)
    assert "j'ai tout effacé" in done.text
    assert not mine.exists() and theirs.exists()


def test_an_interface_message_takes_its_plural_from_the_count(gaffe: Gaffe) -> None:
    assert gaffe.notice("fr", "result_header", 2, score=50) == "Tes 2 priorités (50/100)"
    assert gaffe.notice("en", "file_not_sent", name="a.png") == "File a.png not sent."


async def test_a_press_that_changes_nothing_leaves_a_lost_reply_pending(gaffe: Gaffe) -> None:
    """A step's reply was lost (sending it failed); before the next tick sends it again, the user presses a button
    that changes nothing (its toast goes out, no step is saved): the lost question is still sent again."""
    await _left_pending(gaffe, 104)
    toasted = await gaffe.handle(104, Press("nope", 1, 1, "ok"), Screen())
    assert toasted.toast == "Bouton inconnu." and not toasted.text
    sent: list[tuple[int, str]] = []

    async def send(user: int, reply: Reply) -> None:
        sent.append((user, reply.text))

    await gaffe.deliver_pending(send)
    assert sent == [(104, "On reprend.\n\nSalut ! Comment je t'appelle ?")]


async def test_opening_a_session_where_the_user_was_saves_nothing_but_a_new_language(gaffe: Gaffe) -> None:
    """Reopening the terminal mid-quiz shows where the user was and is not a step: the time of their last step
    (`updated_at`, which the retention erasure counts inactivity from) stays; a language they switch to is saved."""
    await gaffe.handle(105, Command("quiz"), Screen())
    last_step = "2026-01-01T00:00:00+00:00"
    async with gaffe.store.transaction() as tx:
        await tx.execute("UPDATE users SET updated_at = :at WHERE user_id = 105", {"at": last_step})

    async def updated_at() -> object:
        async with gaffe.store.transaction() as tx:
            return await tx.fetch_one("SELECT updated_at FROM users WHERE user_id = 105")

    for language in (None, "fr"):  # as it was: nothing written
        assert await gaffe.start(105, language, Screen()) is False
        assert await updated_at() == (last_step,)
    assert await gaffe.start(105, "en", Screen()) is False
    assert await updated_at() != (last_step,) and await gaffe.language_of(105) == "en"


async def test_the_terminal_says_its_own_words_and_dates_a_result_by_the_services_clock(
    content: Content, mini_translators: dict[str, Translator], store: Store
) -> None:
    now = datetime(2027, 3, 5, 12, 0, tzinfo=UTC)
    gaffe = Gaffe(content, mini_translators, store, clock=lambda: now, variant="console")
    screen = Screen()
    for received in (Command("quiz"), Text("Ada"), Text("oui")):
        await gaffe.handle(106, received, screen)
    assert screen.last.text.startswith("Tape le numéro.")  # not "Utilise les boutons.": the terminal has none
    for _ in range(2):
        await gaffe.handle(106, Pick(screen.last.step or 0, 0), screen)
    assert "<i>Le 5 mars 2027</i>" in screen.last.text and "Parfait, Ada !" in screen.last.text


async def test_text_outside_a_conversation_names_the_users_emergency_numbers_without_the_look_up(
    shipped: Content, translators: dict[str, Translator], store: Store
) -> None:
    """Content without the feature that answers free text (a deployment's own feature list) gives the short answer
    alone, a step that saves nothing: it names the emergency numbers of the user's country all the same."""
    appliers = {kind: apply for kind, apply in shipped.registry.appliers.items() if kind is not Unrouted}
    without = dataclasses.replace(shipped, registry=dataclasses.replace(shipped.registry, appliers=appliers))
    gaffe = Gaffe(without, translators, store)
    await store.save(107, State(Profile("en", "gb")))
    shown = await gaffe.handle(107, Text("hello there"), Screen())
    assert "999" in shown.text  # the United Kingdom's, not "your country's emergency number"


@dataclasses.dataclass(frozen=True)
class Listed:
    """A data set loaded at start-up, as a feature's is (the breach catalogue, the stalkerware list)."""

    names: tuple[str, ...]


async def test_an_applier_reads_the_users_state_and_the_data_sets_loaded_at_start_up(
    content: Content, mini_translators: dict[str, Translator], store: Store
) -> None:
    """An applier answers in the user's language (world.state: tests/feature_example/glossary.py) and looks things up
    in the data sets the service was given (world.data)."""
    seen: list[tuple[str, Listed | None]] = []

    async def look(world: World, effect: Pinged) -> tuple[Output, ...]:
        seen.append((world.state.language, world.data.get(Listed)))
        return ()

    looking = dataclasses.replace(content.registry, appliers={**content.registry.appliers, Pinged: look})
    listed = Listed(("mSpy",))
    gaffe = Gaffe(
        dataclasses.replace(content, registry=looking), mini_translators, store, data=DataSets({Listed: listed})
    )
    await store.save(108, State(Profile("en")))
    await gaffe.push(108, ping(1), Screen())
    assert seen == [("en", listed)]
