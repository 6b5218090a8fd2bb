"""Send free text typed outside a question to the dialogue it is about, by phrases the writers declared.

Each dialogue may list, per language, the words and phrases that open it (`routes:` in its YAML:
"piraté", "on m'a piraté", "hacked", "mspy"…). A message matches a phrase when the phrase's words
appear in it, in order and next to each other, whatever the case, the accents and the punctuation:
"Je crois qu'on m'A PIRATÉ !!" contains "on m'a piraté". A phrase ending in `*` matches any word
that starts with it ("pirat*": piraté, piratage, pirater).

When several phrases match, the most specific wins: the one with the most words, then the longest,
and an exact word before a `*` prefix. Phrases of the user's language are tried first, then the other
languages' (someone who set French may still type "hacked"); the dialogue then runs in the user's
language. The index is built once, when the content is loaded; matching a message is a few substring
searches, and nothing of the message is kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_NOT_A_WORD = re.compile(r"[^\w*]+|_")
_COMBINING_MARKS = re.compile(r"[\u0300-\u036f]")

_IDENTIFIER = re.compile(r"\S*\w[./]\w\S*")  # one token with a dot or slash inside: com.mspy.lite, https://x.y/z


def normalise(text: str) -> str:
    """Casefolded, without accents, punctuation turned into spaces, spaces collapsed: "on m a pirate"."""
    folded = text.casefold()
    if not folded.isascii():
        folded = _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", folded))
    return " ".join(_NOT_A_WORD.sub(" ", folded).split())


@dataclass(frozen=True)
class Route:
    phrase: str  # as written in the YAML
    language: str
    dialogue: str

    @property
    def words(self) -> str:
        """The normalised phrase, without its `*`."""
        return normalise(self.phrase).replace("*", "").strip()

    @property
    def prefix(self) -> bool:
        return self.phrase.rstrip().endswith("*")

    @property
    def specificity(self) -> tuple[int, int, int]:
        return len(self.words.split()), len(self.words), 0 if self.prefix else 1


@dataclass(frozen=True)
class RouteIndex:
    """Routes per language, most specific first, with the padded form each is searched by."""

    by_language: Mapping[str, tuple[tuple[str, Route], ...]] = field(default_factory=lambda: MappingProxyType({}))

    def route(self, text: str, language: str) -> str | None:
        """The dialogue a message is about, or None. A lone identifier (a package name, a domain, a URL:
        `com.mspy.lite`) is not words about a topic: it is left for the look-ups."""
        if not self.by_language or _IDENTIFIER.fullmatch(text.strip()):
            return None
        padded = f" {normalise(text)} "
        languages = [language, *sorted(lang for lang in self.by_language if lang != language)]
        for lang in languages:
            for needle, route in self.by_language.get(lang, ()):
                if needle in padded:
                    return route.dialogue
        return None


def build_routes(routes: Iterable[Route]) -> RouteIndex:
    by_language: dict[str, list[Route]] = {}
    for route in routes:
        if route.words:
            by_language.setdefault(route.language, []).append(route)
    return RouteIndex(
        MappingProxyType(
            {
                language: tuple(
                    (f" {r.words}" if r.prefix else f" {r.words} ", r)
                    for r in sorted(found, key=lambda r: r.specificity, reverse=True)
                )
                for language, found in by_language.items()
            }
        )
    )


def routes_of(dialogue_id: str, declared: Mapping[str, Iterable[str]]) -> list[Route]:
    """The routes a dialogue declares (`{language: [phrase, …]}`)."""
    return [Route(phrase, language, dialogue_id) for language, phrases in declared.items() for phrase in phrases]
