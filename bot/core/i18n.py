"""French and English through babel and gettext.

French is the source language: msgids are the French texts written in `dialogues/`. English comes from
`locales/en/LC_MESSAGES/messages.po`. The `.po` files are compiled in memory at start-up, so a stale
`.mo` can never be served and none has to be built or committed. `locales/fr/` holds no translations,
only French plural forms (0 and 1 are singular), used for messages that depend on a count.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("fr", "en")
SOURCE_LANGUAGE = "fr"
DOMAIN = "messages"


def language_for(telegram_code: str | None) -> str:
    """fr… → French; anything else, or no code, → English, as Telegram advises bots for a language they don't
    speak (a German speaker reads English more often than French). `/langue` changes it at any time."""
    code = (telegram_code or "").lower()
    return "fr" if code.startswith("fr") else "en"


def po_path(locales_dir: Path, language: str) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locales_dir: Path, language: str) -> Catalog:
    """The catalog of one language, or an empty one when its `.po` file is missing."""
    path = po_path(locales_dir, language)
    if not path.exists():
        return Catalog(locale=language)
    with path.open("rb") as po_file:
        return read_po(po_file, locale=language)


def translated(catalog: Catalog, msgid: str) -> str | tuple[str, ...] | None:
    """The usable translation of `msgid` (not empty, not fuzzy), or None."""
    message = catalog.get(msgid)
    if message is None or message.fuzzy:
        return None
    raw = message.string
    strings: tuple[str, ...] = tuple(raw) if isinstance(raw, tuple | list) else (raw or "",)
    if not all(strings):
        return None
    return strings if isinstance(raw, tuple | list) else strings[0]


class _SourceLanguage(gettext.NullTranslations):
    """What the source language falls back to: the msgid itself, with the language's plural rule."""

    def __init__(self, plural: object) -> None:
        super().__init__()
        self._plural = plural

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return msgid1 if self._plural(n) == 0 else msgid2  # type: ignore[operator]


def _compile(catalog: Catalog) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass
class Translator:
    """Everything language-dependent for one language: strings, plurals, dates and numbers."""

    language: str
    _translations: gettext.GNUTranslations

    def text(self, msgid: str) -> str:
        return self._translations.gettext(msgid)

    def plural(self, singular: str, plural: str, count: int) -> str:
        return self._translations.ngettext(singular, plural, count)

    def date(self, value: date) -> str:
        return format_date(value, format="long", locale=self.language)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.language)


def load_translators(locales_dir: Path) -> dict[str, Translator]:
    """Compile every language's `.po` file into a ready Translator."""
    translators: dict[str, Translator] = {}
    source = _compile(read_catalog(locales_dir, SOURCE_LANGUAGE))
    source_fallback = _SourceLanguage(source.plural)  # type: ignore[attr-defined]  # set from Plural-Forms
    for language in LANGUAGES:
        translations = source if language == SOURCE_LANGUAGE else _compile(read_catalog(locales_dir, language))
        translations.add_fallback(source_fallback)
        translators[language] = Translator(language, translations)
    return translators
