"""The one path everything Gaffe does takes, whatever the adapter or the scheduler calling it:
load the user's state → step the pure engine → commit (the new state and every effect, in one transaction)
→ reply.

Why it is shaped this way:
- committing before replying makes "a reply implies a saved step" true everywhere; effects are applied in the
  same transaction as the state, so a crash leaves both or neither;
- each user's inputs and pushes go through the same per-user turn, in arrival order, so a reminder going out
  and a button press of the same user never interleave (different users are served concurrently);
- what users send passes the abuse limits first (bot/limits.py: a flood gets one notice, then silence; long
  texts are cut), and an admin's /stats becomes a push of the privacy feature (counts only);
- an applier may ask for work after the commit (`World.after_commit`: an erasure's WAL checkpoint);
- adapters only call this class: they turn what users do into inputs, and show the `Reply` they are given
  through the `Respond` callback they pass (the callback runs inside the user's turn, so replies keep their
  order too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.core import html_text
from bot.core.actions import DataSets, World
from bot.core.dialogue import Content
from bot.core.engine import (
    Aside,
    Command,
    Input,
    Notice,
    Output,
    Pick,
    Press,
    Push,
    State,
    Step,
    Text,
    Toast,
    resume,
    step,
)
from bot.core.i18n import Translator
from bot.core.profile import Profile
from bot.core.render import Reply, message, render
from bot.core.sensitive import detect
from bot.errors import StorageUnavailable
from bot.limits import FloodGuard, Limits, Verdict
from bot.storage import Store

log = logging.getLogger("gaffe.service")
Respond = Callable[[Reply], Awaitable[None]]
Clock = Callable[[], datetime]
# Interface messages the service says whatever the dialogues (`check` requires them: bot/content/needed.py).
NEEDED_MESSAGES = ("slow_down", "file_not_sent", "try_again", "resumed")


class Unreachable(Exception):
    """Raised by an adapter's Respond when the user can't be reached any more (they blocked the bot)."""


class NotDelivered(Exception):
    """Raised by an adapter's Respond when the reply could not go out for now (the network, or the Bot API down
    past the retries): the service keeps it whole and sends it again."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def _cut(received: Input, flood: FloodGuard) -> Input:
    """A text past the length limit, cut; the secret filter reads it whole first, so that a secret past the cut is
    refused by the engine (it gets the text whole, and keeps nothing of it) rather than kept cut."""
    if not isinstance(received, Text | Aside) or len(received.text) <= flood.limits.text_chars:
        return received
    return received if detect(received.text) else replace(received, text=flood.cut(received.text))


@dataclass
class Gaffe:
    content: Content
    translators: dict[str, Translator]
    store: Store
    # Telegram delivers replies over the network and may die before one arrives: it keeps each reply
    # pending until delivered, and resends at start-up. The terminal shows the question again anyway.
    tracks_delivery: bool = False
    clock: Clock = system_clock
    data: DataSets = field(default_factory=DataSets)  # loaded data sets effects may read (by type)
    admins: frozenset[int] = frozenset()  # user ids whose /stats is the privacy feature's counts (a push)
    limits: Limits | None = None  # abuse limits (bot/limits.py); bot/app.py's `open_gaffe` sets the configured ones
    _flood: FloodGuard | None = field(init=False, repr=False)
    variant: str = ""  # the adapter's own words: "console" says `console_…` messages where there are some
    files: Path | None = None  # where the adapter writes files for users (the terminal): an erasure removes theirs
    _turns: dict[int, asyncio.Lock] = field(default_factory=dict, init=False, repr=False)
    _waiting: dict[int, int] = field(default_factory=dict, init=False, repr=False)
    # How the adapter sends a waiting reply (Telegram: to the user's private chat); with it, a user's replies kept
    # in the outbox by this run go out before their next reply, in order, rather than after it at the next tick.
    send_waiting: Callable[[int, Reply], Awaitable[None]] | None = None
    _kept: set[int] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        self._flood = FloodGuard(self.limits) if self.limits else None

    async def close(self) -> None:
        await self.store.close()

    async def button_secret(self) -> bytes:
        """The per-database secret that signs buttons (an adapter's business, kept with the data)."""
        return await self.store.secret()

    def command_menu(self, language: str) -> list[tuple[str, str]]:
        """The commands to show in a language's menu, with their descriptions: /start, then the urgent ones
        (`urgent: true` in a dialogue's `commands`: someone in trouble finds them first), then the rest."""
        translator = self.translators[language]
        rank = lambda d: (d.id != "start", not (d.commands and d.commands.urgent), d.id)  # noqa: E731
        dialogues = sorted(self.content.dialogues.values(), key=rank)
        return [
            (d.commands.fr if language == "fr" else d.commands.en, translator.text(d.commands.description))
            for d in dialogues
            if d.commands
        ]

    def deep_link(self, payload: str) -> str:
        """The command a `/start` payload opens (t.me/<bot>?start=espion): a dialogue's command, in either
        language; anything else is the usual welcome."""
        name = payload.lower()
        return name if name in self.content.commands else "start"

    # --- the one path --------------------------------------------------------------------------------
    async def handle(self, user_id: int, received: Input, respond: Respond, language: str = "fr") -> Reply:
        """One input of one user: step, commit, then `respond` with the reply (inside the user's turn).

        `language` is only used for someone Gaffe has never met."""
        if self._flood:  # abuse limits (bot/limits.py), before anything reads the input
            verdict = self._flood.admit(user_id)
            if verdict is not Verdict.ADMIT:
                if verdict is Verdict.WARN:
                    await self._say(user_id, "slow_down", respond, language)
                return Reply()
            received = _cut(received, self._flood)
        if received == Command("stats") and user_id in self.admins:
            received = Push("stats")  # counts for admins only; anyone else gets "unknown command"
        async with self.turn(user_id):
            try:
                state = await self.store.load(user_id) or State(Profile(language))
                language = state.language
                result = step(self.content, state, received)
                reply = await self._commit(user_id, result, reply_pending=self.tracks_delivery and result.changed)
            except StorageUnavailable as error:  # disk full, read-only, locked past the busy timeout
                return await self._not_saved(user_id, received, respond, language, error)
            try:
                if user_id in self._kept:
                    await self._send_kept(user_id)
                await respond(reply)
            except Unreachable:
                await self._unreachable(user_id)
                return reply
            except NotDelivered as error:
                if not (self.tracks_delivery and result.changed):
                    raise
                await self._send_later(user_id, reply, language, error)
                return reply
            if self.tracks_delivery and result.changed:  # written down later, in the background (Store.delivered)
                await self.store.delivered(user_id)
            return reply

    async def _send_later(self, user_id: int, reply: Reply, language: str, error: Exception) -> None:
        """The reply could not go out (the Bot API down past the retries): the whole of it, the reaction to the
        answer included, waits in the outbox and goes with the next tick, like a push. The outbox keeps no file:
        one the reply carried is said missing instead. If even that can't be written, the step stays pending
        (its question is shown again)."""
        missing = [self.notice(language, "file_not_sent", name=file.filename) for file in reply.attachments]
        kept = replace(reply, text="\n\n".join(part for part in (reply.text, *missing) if part))  # to_json: no files
        try:
            await self.store.send_later(user_id, kept.to_json())
        except StorageUnavailable as db_error:
            log.warning("user %s's reply was not sent (%s) and could not be kept: %s", user_id, error, db_error)
            return
        self._kept.add(user_id)
        log.warning("user %s's reply was not sent (%s): kept in the outbox for the next tick", user_id, error)

    async def _send_kept(self, user_id: int) -> None:
        """The user's replies kept in the outbox, first (inside their turn): a failure stops their new reply too,
        which is then kept after them."""
        if self.send_waiting is None:
            return
        for outbox_id, owner, saved in await self.store.outbox():
            if owner == user_id:
                await self.send_waiting(user_id, Reply.from_json(saved))
                await self.store.sent(outbox_id)
        self._kept.discard(user_id)

    async def _not_saved(
        self, user_id: int, received: Input, respond: Respond, language: str, error: StorageUnavailable
    ) -> Reply:
        """The step could not be saved, so nothing of it was (the transaction rolled back): say "try again"
        rather than crash or stay silent. A press gets it as a toast, so its question keeps its buttons."""
        log.warning("a step of user %s was not saved: %s", user_id, error)
        text = self.notice(language, "try_again")
        reply = Reply(toast=html_text.strip(text)) if isinstance(received, Pick | Press) else Reply(text)
        with contextlib.suppress(Unreachable):
            await respond(reply)
        return reply

    async def push(self, user_id: int, push: Push, respond: Respond) -> bool:
        """Something Gaffe says on its own, through the same path. The reply waits in the outbox from the
        commit until `respond` returns, so it is never lost: it is sent again after a crash (a duplicate is
        only possible if the process dies between Telegram accepting it and the outbox row's deletion).

        True when a message went out; False when there was nothing to say, or the user can't be reached (they
        are then marked inactive), or has never talked to Gaffe, or has paused pushes (`set_profile: {pushes:
        "off"}`): then a push that would speak is not even stepped, so what it is about (a due reminder) stays
        as it was, and goes out once they turn pushes back on. A silent push (the retention erasure) still runs."""
        async with self.turn(user_id):
            state = await self.store.load(user_id)
            if state is None:
                return False
            if not state.profile.pushes and self.content.registry.speaks(push.event):
                return False
            result = step(self.content, state, push)
            outbox_id: list[int] = []
            reply = await self._commit(user_id, result, outbox=outbox_id)
            if not outbox_id:  # nothing to say (a reminder already sent, or due at night)
                return False
            try:
                await respond(reply)
            except Unreachable:  # blocked: this message is dropped; their reminders wait until they come back
                await self._unreachable(user_id)
                await self.store.sent(outbox_id[0])
                return False
            await self.store.sent(outbox_id[0])
            return True

    async def _commit(
        self, user_id: int, result: Step, reply_pending: bool = False, outbox: list[int] | None = None
    ) -> Reply:
        """Save the state and apply the effects in one transaction, then render; nothing if nothing changed.
        Work the appliers asked for after the commit (`World.after_commit`) runs once it is committed."""
        if not result.commits:
            return self.render(result.state.language, result.outputs, result.state.profile.country)
        async with self.store.transaction() as tx:
            if result.changed:
                await tx.save_state(user_id, result.state, reply_pending)
            world = World(tx, user_id, self.clock(), result.state, self.content, self.data, files=self.files)
            outputs = await self._apply(world, result)
            reply = self.render(result.state.language, outputs, result.state.profile.country)
            if outbox is not None and not reply.empty:
                outbox.append(await tx.add_to_outbox(user_id, reply.to_json()))
        for job in world.after_commit:
            await job(self.store)
        return reply

    async def _apply(self, world: World, result: Step) -> tuple[Output, ...]:
        """Apply each effect, in order, after the state is saved (so an erasure is not undone by that save); its
        outputs take its place in the reply. An applier that refuses returns a Toast: the reply is then that toast
        alone."""
        applied: list[tuple[Output, ...]] = []
        for effect in result.effects:
            outputs = await self.content.registry.appliers[type(effect)](world, effect)
            refusals = [o for o in outputs if isinstance(o, Toast)]
            if refusals:
                return (refusals[0],)
            applied.append((*outputs, *await self._follow(world)))
        return result.reply(applied)

    async def _follow(self, world: World) -> list[Output]:
        """The effects an applier raised for other features (bot/core/events.py), each applied by the feature that
        listens, if one is installed; in the same transaction."""
        outputs: list[Output] = []
        while world.follow:
            event = world.follow.pop(0)
            listener = self.content.registry.appliers.get(type(event))
            if listener is not None:
                outputs.extend(await listener(world, event))
        return outputs

    # --- around it ------------------------------------------------------------------------------------
    @asynccontextmanager
    async def turn(self, user_id: int) -> AsyncIterator[None]:
        """The user's turn: their inputs and pushes one at a time, in arrival order (asyncio locks are FIFO).
        Idle users are forgotten, so memory stays bounded by the active ones."""
        lock = self._turns.setdefault(user_id, asyncio.Lock())
        self._waiting[user_id] = self._waiting.get(user_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[user_id] -= 1
            if not self._waiting[user_id]:
                del self._waiting[user_id], self._turns[user_id]

    async def start(self, user_id: int, language: str | None, respond: Respond) -> bool:
        """Open a session (the terminal): where we were, or the welcome; `language` switches it if given.
        Whether it was the welcome (the answer to /start)."""
        async with self.turn(user_id):
            saved = await self.store.load(user_id)
            state = saved or State(Profile(language or "fr"))
            if saved is None or (language and language != state.language):
                state = replace(state, profile=replace(state.profile, language=language or state.language))
                await self.store.save(user_id, state)
            if state.node:
                shown = (Notice("resumed"), *resume(self.content, state))
                await respond(self.render(state.language, shown, state.profile.country))
                return False
        await self.handle(user_id, Command("start"), respond)  # saved above: handle reads their language
        return True

    async def deliver_pending(self, send: Callable[[int, Reply], Awaitable[None]], only: int | None = None) -> None:
        """Answer the steps that were saved but maybe not answered (the last run died, or the Bot API was
        unreachable when the reply went out), and send the pushed messages still in the outbox. At start-up,
        then on every scheduler tick. `only`: one user's (the terminal shares the database with the bot)."""
        for user_id in await self.store.pending_replies():
            if only is not None and user_id != only:
                continue
            async with self.turn(user_id):
                state = await self.store.load(user_id)
                if state is None or not await self.store.reply_pending(user_id):
                    continue  # answered meanwhile (a step of theirs was in flight): no duplicate
                shown = (Notice("resumed"), *resume(self.content, state))
                again = self.render(state.language, shown, state.profile.country)
                if await self._try(send, user_id, again):
                    await self.store.delivered(user_id)
        await self.flush_outbox(send, only)

    async def flush_outbox(self, send: Callable[[int, Reply], Awaitable[None]], only: int | None = None) -> None:
        """Send the pushed messages still waiting (the network failed, or the process died, after their commit)."""
        for outbox_id, user_id, saved in await self.store.outbox():
            if only is not None and user_id != only:
                continue
            async with self.turn(user_id):
                if not await self.store.in_outbox(outbox_id):  # sent meanwhile, before the user's next reply
                    continue
                if await self._try(send, user_id, Reply.from_json(saved)):
                    await self.store.sent(outbox_id)
                    self._kept.discard(user_id)

    async def _try(self, send: Callable[[int, Reply], Awaitable[None]], user_id: int, reply: Reply) -> bool:
        try:
            await send(user_id, reply)
        except Unreachable:
            await self._unreachable(user_id)
            return False
        except Exception as error:  # one user's failure must not stop the others' delivery
            log.warning("could not deliver a pending reply to user %s: %s", user_id, error)
            return False
        return True

    async def _say(self, user_id: int, key: str, respond: Respond, language: str) -> None:
        """An interface message alone, in the user's turn, changing nothing."""
        async with self.turn(user_id):
            reply = self.render(await self.language_of(user_id, language), (Notice(key),))
            try:
                await respond(reply)
            except Unreachable:
                await self._unreachable(user_id)

    async def blocked(self, user_id: int) -> None:
        """The user blocked Gaffe (Telegram answered 403)."""
        await self._unreachable(user_id)

    async def _unreachable(self, user_id: int) -> None:
        await self.store.set_active(user_id, False)
        log.info("user %s can't be reached: marked inactive", user_id)

    async def language_of(self, user_id: int, default: str = "fr") -> str:
        state = await self.store.load(user_id)
        return state.language if state else default

    def render(self, language: str, outputs: tuple[Output, ...], country: str | None = None) -> Reply:
        """The outputs in a language; `country` says whose routes `{route.KEY}` gives (`other`'s if None)."""
        today = self.clock().date()
        translator = self.translators[language]
        return render(self.content, translator, outputs, today=today, variant=self.variant, country=country)

    def notice(self, language: str, key: str, count: int | None = None, **params: object) -> str:
        """An interface message (HTML) in a language, for what adapters say on their own."""
        return message(self.content, self.translators[language], key, count, **params)
