"""The Telegram HTML subset: what `check` tells a writer, what a user's value becomes, what a terminal shows.

Each message of `problem` is what a writer reads in `python -m bot check` (file:line: message), so it must
name the problem and point at the place; `escape` and `link` build what Telegram receives; `strip` is what
the terminal prints.
"""

from __future__ import annotations

import pytest

from bot.core import html_text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3 < 4", "a bare '<' (write &lt; or &amp;) near \"3 < 4\""),
        ("Tom & Jerry", "a bare '&' (write &lt; or &amp;) near \"Tom & Jerry\""),
        ("<blink>x</blink>", "the tag <blink> is not allowed (only a, b, code, i, s, u)"),
        ("<a>cnil.fr</a>", "<a> needs an href"),
        ("<b><i><u>x", "<u> is never closed"),
        ("<b>x</i>", "</i> closes nothing that is open"),
    ],
)
def test_check_names_what_telegram_would_refuse(text: str, message: str) -> None:
    assert html_text.problem(text) == message


def test_a_problem_after_an_entity_is_still_found() -> None:
    assert html_text.problem("Réglages &gt; Sécurité, puis <blink>") is not None


def test_the_place_of_a_bare_character_is_shown_on_one_line_with_15_characters_each_side() -> None:
    text = "Première ligne\nassez longue & la suite de la phrase"
    assert html_text.problem(text) == "a bare '&' (write &lt; or &amp;) near \"e assez longue & la suite de l\""
    assert html_text.problem("Ligne\n& fin") == "a bare '&' (write &lt; or &amp;) near \"Ligne & fin\""


def test_a_users_quotes_and_apostrophes_reach_telegram_as_they_are() -> None:
    assert html_text.escape('l\'appli "Find My" <b>') == 'l\'appli "Find My" &lt;b&gt;'


def test_a_quote_in_a_links_address_stays_inside_the_attribute() -> None:
    rebuilt = '<a href="https://a.example/?q=&quot;x&quot;&amp;p=1">a.example</a>'
    assert html_text.escape_hrefs(rebuilt) == rebuilt
    linked = html_text.link('https://www.a.example/?q="x"')
    assert linked == '<a href="https://www.a.example/?q=&quot;x&quot;">a.example</a>'
    assert html_text.problem(linked) is None


def test_the_terminal_shows_no_tags_in_either_case_and_decodes_entities() -> None:
    shown = html_text.strip("<b>Attention</b> : <I>Réglages</I> &gt; <code>x &amp; y</code>")  # noqa: B005
    assert shown == "Attention : Réglages > x & y"
