"""The one path every input takes, whatever the adapter: load the user's state, step the engine,
commit the new state, then render the reply. Committing before rendering is what makes "a reply implies
a saved step" true for Telegram and the terminal alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.core.dialogue import Content
from bot.core.engine import Input, Notice, Output, Result, State, Step, resume, step
from bot.core.i18n import Translator
from bot.core.render import Reply, render
from bot.storage import Store


@dataclass
class Gaffe:
    content: Content
    translators: dict[str, Translator]
    store: Store
    # Telegram delivers replies over the network and may die before one arrives: it keeps each reply
    # pending until `delivered`, and resends at start-up. The terminal shows the question again anyway.
    tracks_delivery: bool = False

    async def state_of(self, user_id: int, language: str = "fr") -> State:
        return await self.store.load(user_id) or State(language=language)

    async def handle(self, user_id: int, received: Input, language: str = "fr") -> tuple[Step, Reply]:
        """Apply one input for one user; `language` is used only for someone new.

        An accepted step is committed (with its reply marked pending when delivery is tracked: call
        `delivered` once it is shown)."""
        state = await self.state_of(user_id, language)
        result = step(self.content, state, received)
        if result.changed:
            results = [o for o in result.outputs if isinstance(o, Result)]
            await self.store.save(user_id, result.state, results, reply_pending=self.tracks_delivery)
        return result, self.reply(result.state.language, result.outputs)

    async def delivered(self, user_id: int) -> None:
        await self.store.delivered(user_id)

    async def set_language(self, user_id: int, language: str) -> State:
        state = replace(await self.state_of(user_id, language), language=language)
        await self.store.save(user_id, state)
        return state

    def reply(self, language: str, outputs: tuple[Output, ...]) -> Reply:
        return render(self.content, self.translators[language], outputs, today=date.today())

    def resume(self, state: State, notice: bool = False) -> Reply:
        """The current question again, after a short "where we were" notice if asked."""
        outputs = ((Notice("resumed"),) if notice else ()) + resume(self.content, state)
        return self.reply(state.language, outputs)
