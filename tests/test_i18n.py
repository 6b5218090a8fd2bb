"""Loading the catalogues: each language says its own words, counts by its own plural rule, dates its own way.

These build their translators themselves rather than through the session fixtures: a fixture is built once,
for whichever test asks first, and a broken loader must fail the tests that read both languages.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from babel.messages.catalog import Catalog

from bot.core.i18n import load_translators, translated

MINI_LOCALES = Path(__file__).resolve().parent / "fixtures" / "mini" / "locales"
HEADER = ("Ta priorité ({score}/100)", "Tes {count} priorités ({score}/100)")


def test_each_language_speaks_its_own_words_and_dates() -> None:
    translators = load_translators(MINI_LOCALES)
    french, english = translators["fr"], translators["en"]
    assert (french.language, english.language) == ("fr", "en")
    assert (french.text("Oui"), english.text("Oui")) == ("Oui", "Yes")
    assert french.date(date(2026, 12, 7)) == "7 décembre 2026"
    assert english.date(date(2026, 12, 7)) == "December 7, 2026"


def test_each_language_counts_by_its_own_plural_rule() -> None:
    translators = load_translators(MINI_LOCALES)
    french, english = translators["fr"], translators["en"]
    assert [french.plural(*HEADER, n) for n in (0, 1, 2)] == [HEADER[0], HEADER[0], HEADER[1]]
    assert [english.plural(*HEADER, n) for n in (0, 1, 2)] == [
        "Your {count} priorities ({score}/100)",
        "Your priority ({score}/100)",
        "Your {count} priorities ({score}/100)",
    ]


def test_french_keeps_its_plural_rule_without_a_french_catalogue(tmp_path: Path) -> None:
    shutil.copytree(MINI_LOCALES / "en", tmp_path / "en")  # a translator's tree: English only
    french = load_translators(tmp_path)["fr"]
    assert [french.plural("une action", "des actions", n) for n in (0, 1, 2)] == [
        "une action",
        "une action",
        "des actions",
    ]


def test_only_a_usable_translation_counts() -> None:
    catalog = Catalog(locale="en")
    catalog.add("Oui", "Yes")
    catalog.add("Non", "")
    catalog.add("Peut-être", "Maybe", flags=["fuzzy"])
    catalog.add(("une action", "des actions"), ("one action", "actions"))
    catalog.add(("un jour", "des jours"), ("one day", ""))
    assert translated(catalog, "Oui") == "Yes"
    assert translated(catalog, "une action") == ("one action", "actions")
    assert [translated(catalog, m) for m in ("Non", "Peut-être", "un jour", "Absent")] == [None] * 4
