"""Stalkerware look-up: is the app, package or site a user types in Echap's list of known stalkerware?

Asked in /espion (`do: {stalkerware_lookup: {}}` on a free-text node), and at any time: text that no route
claims (outside a question, or at a question with buttons) reaches `Unrouted`'s applier here. It answers the
look-up when the text names an app: a listed one (the whole text, or a word of it that can only be an app's
name), or one that looks like an app (a package name such as com.whatsapp, a name such as eyeZy or WhatsApp),
which gets "not in the list". Anything else keeps the usual short answer (`no_conversation`, or `use_buttons`
at a question). A plain word is never taken for an app: Echap's list has apps called Observer, Dash or bark.

Three answers, never confused: found (the app and its aliases, and that the list says the app exists, not
that it is on the phone), not found ("not in the list, which proves nothing"), and no data ("the look-up is
unavailable": never "not found" without a list to look in). Echap's list is CC BY 4.0: every answer credits
it. What is typed lives in the step's effect only: never stored, never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from bot.core.actions import Attachment, Context, Effect, Outcome, Registry, World
from bot.core.dialogue import Content
from bot.core.engine import Notice, Output, Unrouted
from bot.core.feature import DataSet, Feature
from bot.core.i18n import Translator
from bot.core.render import dated, message
from bot.lookups.download import DownloadError
from bot.lookups.normalise import fold
from bot.lookups.snapshots import shipped_indicators
from bot.lookups.stalkerware import (
    CREDIT,
    Indicators,
    IndicatorsError,
    StalkerwareApp,
    download_indicators,
    load_indicators,
)

REGISTRY = Registry()  # this feature's own (bot/app.py merges every feature's)
MESSAGES = ("stalkerware_found", "stalkerware_aliases", "stalkerware_warning", "stalkerware_not_found",
            "stalkerware_unavailable", "stalkerware_credit", "data_as_of", "stalkerware_app_like")  # fmt: skip
SHOWN_ALIASES = 12  # the real list gives some apps dozens of names

# The first label of Android package names (reverse domain names): com.whatsapp, org.telegram.messenger.
_PACKAGE_ROOTS = frozenset({"com", "org", "net", "io", "android", "app", "me", "de", "fr", "co", "uk", "info",
                            "ru", "cn", "eu", "in", "br", "tv", "mobi", "biz"})  # fmt: skip
_PACKAGE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+", re.IGNORECASE)
_INNER_CAPITAL = re.compile(r"[A-Za-z0-9]*[a-z][A-Z][A-Za-z0-9]*")  # eyeZy, mSpy, WhatsApp, iKeyMonitor
# Written like apps, but devices and systems someone may name at a question ("iPhone ou Android ?").
_NOT_APPS = frozenset({"iphone", "ipad", "ipod", "ios", "ipados", "macos", "imac", "macbook", "icloud", "airpods"})
_EDGES = "\"'.,;:!?()[]«»“”‘’"


@dataclass(frozen=True)
class LookUpStalkerware(Effect):
    query: str  # for this step only


@dataclass(frozen=True)
class LookUpAnswer:
    """The look-up's answer: `app` when listed; `available` False when there is no list to look in."""

    app: StalkerwareApp | None
    available: bool = True
    as_of: date | None = None  # the list's date, said under the credit
    unasked: bool = False  # reached at any time, not in /espion: say first what was looked up
    fallback: str = "no_conversation"  # what content without the look-up says instead

    def render(self, content: Content, translator: Translator) -> tuple[str, tuple[Attachment, ...]]:
        if not all(key in content.messages for key in MESSAGES):  # content without the look-up (GAFFE_DIALOGUES)
            return message(content, translator, self.fallback), ()
        if not self.available:
            return message(content, translator, "stalkerware_unavailable"), ()
        credit = message(content, translator, "stalkerware_credit") + dated(content, translator, self.as_of)
        if self.app is None:
            not_found = message(content, translator, "stalkerware_not_found")
            if self.unasked:
                not_found = f"{message(content, translator, 'stalkerware_app_like')}\n{not_found}"
            return f"{not_found}\n\n{credit}", ()
        parts = [message(content, translator, "stalkerware_found", name=self.app.name)]
        if self.app.aliases:
            aliases = self.app.aliases
            names = ", ".join(aliases[:SHOWN_ALIASES]) + (", …" if len(aliases) > SHOWN_ALIASES else "")
            parts[0] += "\n" + message(content, translator, "stalkerware_aliases", count=len(aliases), names=names)
        parts += [message(content, translator, "stalkerware_warning"), credit]
        return "\n\n".join(parts), ()


def _indicators(world: World) -> Indicators | None:
    return world.data.get(Indicators)


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
    fallback = "use_buttons" if effect.at_question else "no_conversation"
    named = named_app(_indicators(world), effect.text)
    if named is None:
        return (Notice(fallback),)
    looked_up, app = named
    as_of = indicators.as_of if (indicators := _indicators(world)) else None
    return (LookUpAnswer(app, available=looked_up, as_of=as_of, unasked=True, fallback=fallback),)


def looks_like_app(word: str) -> bool:
    """A package name (com.whatsapp) or a name no dictionary word is written like (eyeZy, WhatsApp)."""
    if _PACKAGE.fullmatch(word):
        return word.split(".", 1)[0].casefold() in _PACKAGE_ROOTS
    return bool(_INNER_CAPITAL.fullmatch(word)) and word.casefold() not in _NOT_APPS


def _only_an_app(word: str, app: StalkerwareApp) -> bool:
    """Whether a word of a sentence that names a listed app can only mean that app: written like an app, a
    domain, or one of the app's names that holds "spy", a digit or an inner capital (not Observer, Dash, bark)."""
    if looks_like_app(word) or "." in word:
        return True
    folded = fold(word)
    return any(
        fold(name) == folded and ("spy" in folded or any(c.isdigit() for c in name) or _INNER_CAPITAL.search(name))
        for name in (app.name, *app.aliases)
    )


def named_app(indicators: Indicators | None, text: str) -> tuple[bool, StalkerwareApp | None] | None:
    """Whether a message names an app: None when it does not; else (looked up, the listed app or None).
    Looked up is False when there is no list to look in (the answer is then "unavailable", never "not found")."""
    words = [word.strip(_EDGES) for word in text.split()]
    app_like = [word for word in words if looks_like_app(word)]
    if indicators is None:
        return (False, None) if app_like else None
    if app := indicators.find(text):
        return True, app
    for word in words:
        if word and (app := indicators.find(word)) and _only_an_app(word, app):
            return True, app
    return (True, None) if app_like else None


# --- the list: loaded at start-up, downloaded by update-data -------------------------------------------------
class IndicatorsSource(Protocol):
    """Where the list comes from (the settings: GAFFE_STALKERWARE_URL, GAFFE_STALKERWARE_IOC, GAFFE_DATA_DIR)."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def stalkerware_url(self) -> str: ...

    @property
    def stalkerware_ioc_path(self) -> Path: ...


def local_indicators(settings: IndicatorsSource) -> Indicators | None:
    return load_indicators(settings.stalkerware_ioc_path)


async def download(settings: IndicatorsSource) -> list[str]:
    """update-data's: download ioc.yaml into the data directory, and say what came."""
    target = settings.data_dir / "ioc.yaml"
    count = await download_indicators(settings.stalkerware_url, target)
    said = [f"Stalkerware indicators: {count} apps in {target}", f"  Credit: {CREDIT}"]
    if settings.stalkerware_ioc_path != target:
        said.append(f"  GAFFE_STALKERWARE_IOC is set: Gaffe reads {settings.stalkerware_ioc_path}, not this copy")
    return said


INDICATORS = DataSet(
    Indicators, "stalkerware indicators", load=local_indicators, shipped=shipped_indicators, update=download,
    failures=(DownloadError, IndicatorsError, OSError),
)  # fmt: skip
FEATURE = Feature("stalkerware", REGISTRY, data_sets=(INDICATORS,))
