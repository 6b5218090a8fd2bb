"""The small subset of Telegram HTML that dialogue texts may use, checked, escaped and stripped.

Telegram rejects a whole message whose HTML is malformed, so texts are checked at start-up rather than
discovered broken in front of a user. The terminal shows the same texts without tags.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "code", "a"})
_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<tag>[a-zA-Z]+)(?P<attrs>(?:\s+[a-z]+=\"[^\"<>]*\")*)\s*>"
    r"|&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);"
    r"|(?P<bare>[<&])"  # a bare ">" is accepted by Telegram, and writers use it ("Réglages > Sécurité")
)


def problem(text: str) -> str | None:
    """Why Telegram would refuse `text` as HTML, or None when it is fine."""
    open_tags: list[str] = []
    for match in _TOKEN.finditer(text):
        if match["bare"]:
            return f"a bare '{match['bare']}' (write &lt; or &amp;) near \"{_around(text, match.start())}\""
        tag = match["tag"]
        if tag is None:
            continue
        tag = tag.lower()
        if tag not in ALLOWED_TAGS:
            return f"the tag <{tag}> is not allowed (only {', '.join(sorted(ALLOWED_TAGS))})"
        if _BARE_AMPERSAND.search(match["attrs"]):
            return f"a bare '&' in <{tag}>'s attribute (write &amp;) near \"{_around(text, match.start())}\""
        if match["close"]:
            if not open_tags or open_tags.pop() != tag:
                return f"</{tag}> closes nothing that is open"
        else:
            if tag == "a" and 'href="' not in match["attrs"]:
                return "<a> needs an href"
            open_tags.append(tag)
    if open_tags:
        return f"<{open_tags[-1]}> is never closed"
    return None


def _around(text: str, position: int) -> str:
    return text[max(0, position - 15) : position + 15].replace("\n", " ")


class Markup(str):
    """HTML Gaffe built itself (a link to a source): put into a text as it is, never escaped again."""


def escape(value: object) -> str:
    """Make a user-supplied value safe to put inside an HTML text (Gaffe's own `Markup` is already safe)."""
    return value if isinstance(value, Markup) else html.escape(str(value), quote=False)


def escape_hrefs(text: str) -> str:
    """Links' addresses escaped: python-telegram-bot rebuilds a message's HTML (`text_html`) with each link's
    address as it is, and Telegram refuses a bare "&" in it ("https://…?a=1&b=2")."""
    return _HREF.sub(lambda m: f'href="{html.escape(html.unescape(m[1]), quote=True)}"', text)


def link(url: str) -> Markup:
    """A source as a person reads it: the site's short name, linked ("cybermalveillance.gouv.fr")."""
    host = urlsplit(url).hostname or url
    return Markup(f'<a href="{html.escape(url, quote=True)}">{html.escape(host.removeprefix("www."))}</a>')


_BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);)")
_HREF = re.compile(r'href="([^"]*)"')
_LINK = re.compile(r'<a\s+href="(?P<url>[^"]*)"\s*>(?P<text>.*?)</a>', re.S)


def strip(text: str) -> str:
    """The plain text a terminal shows: tags removed, entities decoded; a link keeps its address, which a
    terminal can't hide behind a name ("cnil.fr (https://www.cnil.fr/fr/…)")."""
    with_urls = _LINK.sub(lambda m: m["text"] if m["text"] == m["url"] else f"{m['text']} ({m['url']})", text)
    return html.unescape(re.sub(r"</?[a-zA-Z]+(?:\s+[a-z]+=\"[^\"]*\")*\s*>", "", with_urls))
