"""Stalkerware look-up: is the app, package or site a user types in Echap's list of known stalkerware?

Asked in /espion (`do: {stalkerware_lookup: {}}` on a free-text node), and at any time: text outside a
question that no route claims reaches `Unrouted`'s applier here, which answers the look-up when the text
names a listed app and says `no_conversation` otherwise.

Three answers, never confused: found (the app and its aliases, and that the list says the app exists, not
that it is on the phone), not found ("not in the list, which proves nothing"), and no data ("the look-up is
unavailable": never "not found" without a list to look in). Echap's list is CC BY 4.0: every answer credits
it. What is typed lives in the step's effect only: never stored, never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.actions import REGISTRY, Attachment, Context, Effect, Outcome, World
from bot.core.dialogue import Content
from bot.core.engine import Notice, Output, Unrouted
from bot.core.i18n import Translator
from bot.core.render import dated, message
from bot.lookups.stalkerware import Indicators, StalkerwareApp

MESSAGES = ("stalkerware_found", "stalkerware_aliases", "stalkerware_warning", "stalkerware_not_found",
            "stalkerware_unavailable", "stalkerware_credit", "data_as_of")  # fmt: skip
SHOWN_ALIASES = 12  # the real list gives some apps dozens of names


@dataclass(frozen=True)
class LookUpStalkerware(Effect):
    query: str  # for this step only


@dataclass(frozen=True)
class LookUpAnswer:
    """The look-up's answer: `app` when listed; `available` False when there is no list to look in."""

    app: StalkerwareApp | None
    available: bool = True
    as_of: date | None = None  # the list's date, said under the credit

    def render(self, content: Content, translator: Translator) -> tuple[str, tuple[Attachment, ...]]:
        if not all(key in content.messages for key in MESSAGES):  # content without the look-up (GAFFE_DIALOGUES)
            return message(content, translator, "no_conversation"), ()
        if not self.available:
            return message(content, translator, "stalkerware_unavailable"), ()
        credit = message(content, translator, "stalkerware_credit") + dated(content, translator, self.as_of)
        if self.app is None:
            return f"{message(content, translator, 'stalkerware_not_found')}\n\n{credit}", ()
        parts = [message(content, translator, "stalkerware_found", name=self.app.name)]
        if self.app.aliases:
            aliases = self.app.aliases
            names = ", ".join(aliases[:SHOWN_ALIASES]) + (", …" if len(aliases) > SHOWN_ALIASES else "")
            parts[0] += "\n" + message(content, translator, "stalkerware_aliases", count=len(aliases), names=names)
        parts += [message(content, translator, "stalkerware_warning"), credit]
        return "\n\n".join(parts), ()


def _indicators(world: World) -> Indicators | None:
    indicators = world.data.get("stalkerware")
    return indicators if isinstance(indicators, Indicators) else None


@REGISTRY.action(
    "stalkerware_lookup",
    "On a free-text node: look the typed app name, alias, package or domain up in Echap's stalkerware list.",
    messages=(*MESSAGES, "no_conversation"),
)
def stalkerware_lookup(context: Context) -> Outcome:
    return Outcome(effects=(LookUpStalkerware(context.typed or ""),))


@REGISTRY.applies(LookUpStalkerware)
async def look_up(world: World, effect: LookUpStalkerware) -> tuple[Output, ...]:
    indicators = _indicators(world)
    if indicators is None:
        return (LookUpAnswer(None, available=False),)
    return (LookUpAnswer(indicators.find(effect.query), as_of=indicators.as_of),)


@REGISTRY.applies(Unrouted)
async def answer_unrouted(world: World, effect: Unrouted) -> tuple[Output, ...]:
    """An app typed at any time gets the look-up; anything else, the usual short answer."""
    indicators = _indicators(world)
    app = indicators.find(effect.text) if indicators else None
    return (LookUpAnswer(app, as_of=indicators.as_of),) if indicators and app else (Notice("no_conversation"),)
