"""Turn the engine's outputs into one reply in the user's language: Telegram HTML plus button labels.

Shared by every adapter: Telegram sends the HTML as is, the terminal strips the tags. Values that
come from a user (free-text answers) are escaped here, once, before they enter any text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core import html_text
from bot.core.actions import Attachment, Localized
from bot.core.dialogue import Content
from bot.core.engine import (
    Ask,
    ClearChat,
    LanguageChanged,
    Notice,
    ObjectButton,
    Offer,
    Output,
    Pick,
    Picked,
    Press,
    Result,
    Say,
    SecretRefused,
    Toast,
)
from bot.core.i18n import Translator
from bot.core.regions import ROUTE_PLACEHOLDER, Region

TELEGRAM_TEXT_LIMIT = 4096
LABEL_LIMIT = 64
# Interface messages the renderer says whatever the dialogues (`check` requires them: bot/content/needed.py);
# one `secret_<kind>` per SecretKind (tests/test_needed_messages.py keeps them in step).
NEEDED_MESSAGES = (
    "result_header", "result_source", "result_nothing", "result_date", "picked",
    "secret_password", "secret_card", "secret_iban", "secret_code", "secret_recovery_phrase", "secret_private_key",
    "secret_api_token", "secret_identity",
)  # fmt: skip


@dataclass(frozen=True)
class Link:
    """A button that opens a site (a helpline's, a reporting service's) instead of giving an input."""

    url: str


@dataclass(frozen=True)
class Button:
    """A button's label and what pressing it does: a dialogue's choice, an object's action, or a site."""

    label: str
    press: Pick | Press | Link


@dataclass(frozen=True)
class Reply:
    """What to show for one step: `text` (HTML), its buttons, the answer picked (to show under the question
    that was answered), a toast (a short notice shown over the chat), and files."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    picked: str | None = None
    toast: str | None = None  # plain text
    attachments: tuple[Attachment, ...] = ()
    erase_input: bool = False  # the user's message held a secret: it should leave the chat too
    clear_chat: bool = False  # delete the conversation's recent messages, both sides (bot/features/privacy.py)
    menu_language: str | None = None  # the user chose this language: the adapter's command menu follows
    in_place: bool = False  # a settings screen after another: the adapter may replace the pressed message

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(button.label for button in self.buttons)

    @property
    def step(self) -> int | None:
        """The step of the question whose choices are the buttons, if any."""
        return next((b.press.step for b in self.buttons if isinstance(b.press, Pick)), None)

    @property
    def empty(self) -> bool:
        return not (self.text or self.toast or self.attachments)

    def to_json(self) -> str:
        """The reply as it waits in the outbox (attachments are not kept: pushes carry none, and a reply kept in
        an outage says its file is missing instead, `Gaffe._send_later`)."""
        buttons = [[b.label, "pick", b.press.step, b.press.index] if isinstance(b.press, Pick)
                   else [b.label, "link", b.press.url] if isinstance(b.press, Link)
                   else [b.label, "press", b.press.kind, b.press.object_id, b.press.stamp, b.press.verb]
                   for b in self.buttons]  # fmt: skip
        return json.dumps({"text": self.text, "buttons": buttons, "toast": self.toast}, ensure_ascii=False)

    @classmethod
    def from_json(cls, saved: str) -> Reply:
        data: dict[str, Any] = json.loads(saved)
        buttons = tuple(
            Button(b[0], Pick(b[2], b[3]) if b[1] == "pick" else Link(b[2]) if b[1] == "link" else Press(*b[2:6]))
            for b in data["buttons"]
        )
        return cls(data["text"], buttons, toast=data.get("toast"))


class _Escaped(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, params: Mapping[str, object]) -> str:
    """Put (escaped) values into a translated template; an unknown placeholder stays visible."""
    return template.format_map(_Escaped({k: html_text.escape(v) for k, v in params.items()}))


def with_routes(template: str, translator: Translator, region: Region | None) -> tuple[str, tuple[str, ...]]:
    """A translated template with its `{route.KEY}` (the region's sentence) and `{route.KEY.name}` (its short
    name) put in, translated, and the sources of the routes it names. The inserted text is content (HTML
    allowed), not a value: its braces are doubled so that `fill` leaves them as they are."""
    if "{route." not in template:
        return template, ()
    sources: list[str] = []

    def insert(match: re.Match[str]) -> str:
        route = region.routes.get(match.group(1)) if region is not None else None
        if route is None:  # `check` refuses an unknown key; left visible as written (braces doubled for `fill`)
            return match.group(0).replace("{", "{{").replace("}", "}}")
        if route.source not in sources:
            sources.append(route.source)
        said = translator.text(route.name if match.group(2) else route.how)
        return said.replace("{", "{{").replace("}", "}}")

    return ROUTE_PLACEHOLDER.sub(insert, template), tuple(sources)


def route_links(template: str, translator: Translator, region: Region | None) -> tuple[Button, ...]:
    """A button for each route a text names that has a site (`url` in regions.yaml): where a person would tap."""
    if region is None or "{route." not in template:
        return ()
    routes = (region.routes.get(match.group(1)) for match in ROUTE_PLACEHOLDER.finditer(template))
    links = {route.url: translator.text(route.name) for route in routes if route is not None and route.url}
    return tuple(Button(name if len(name) <= LABEL_LIMIT else name[: LABEL_LIMIT - 1] + "…", Link(url))
                 for url, name in links.items())  # fmt: skip


def _label(content: Content, translator: Translator, button: ObjectButton) -> str:
    """A button's label, with its values (plain text), cut to the length Telegram shows."""
    label = translator.text(button.label).format_map(_Escaped(localized(content, translator, button.params)))
    return label if len(label) <= LABEL_LIMIT else label[: LABEL_LIMIT - 1] + "…"


def localized(content: Content, translator: Translator, params: Mapping[str, object]) -> dict[str, object]:
    """Params whose values depend on the language (dates, durations, labels) turned into their text."""
    return {k: _localize(content, translator, v) for k, v in params.items()}


def _localize(content: Content, translator: Translator, value: object) -> object:
    if isinstance(value, str | int | float):  # the usual case, checked first: a Protocol's isinstance is slow
        return value
    return value.localize(content, translator) if isinstance(value, Localized) else value


def message(content: Content, translator: Translator, key: str, count: int | None = None, **params: object) -> str:
    """An interface message from messages.yaml, translated, with plural forms by `count`; `{route.KEY}` in it
    says the `other` region's route (`render` says the user's)."""
    return _message(content, translator, key, count, params, None)


def _message(
    content: Content,
    translator: Translator,
    key: str,
    count: int | None,
    params: Mapping[str, object],
    region: Region | None,
) -> str:
    entry = content.messages[key]
    if entry.other is not None:
        template = translator.plural(entry.one, entry.other, count if count is not None else 1)
    else:
        template = translator.text(entry.one)
    template, _ = with_routes(template, translator, region or content.regions.of(None))
    return fill(template, {"count": count, **params})


def dated(content: Content, translator: Translator, day: date | None) -> str:
    """ "Data as of 22 Nov 2024." under a data set's credit: the answer says how old its data is."""
    return f"\n{message(content, translator, 'data_as_of', date=translator.date(day))}" if day else ""


def _result(content: Content, translator: Translator, result: Result, today: date | None) -> str:
    dated = f"<i>{message(content, translator, 'result_date', date=translator.date(today))}</i>\n" if today else ""
    if not result.actions:
        return dated + message(content, translator, "result_nothing", score=result.score)
    header = message(content, translator, "result_header", count=len(result.actions), score=result.score)
    lines = [f"{dated}<b>{header}</b>"]
    for number, action in enumerate(result.actions, start=1):
        source = message(content, translator, "result_source", url=html_text.link(action.source))
        lines.append(
            f"\n{number}. <b>{translator.text(action.title)}</b>\n{translator.text(action.how)}\n<i>{source}</i>"
        )
    return "\n".join(lines)


def _sources(content: Content, translator: Translator, sources: tuple[str, ...]) -> str:
    """The pages a text's advice comes from, one line each, under the text."""
    linked = (html_text.link(url) for url in sources)
    return "".join(f"\n<i>{message(content, translator, 'result_source', url=url)}</i>" for url in linked)


def render(
    content: Content,
    translator: Translator,
    outputs: Iterable[Output],
    today: date | None = None,
    variant: str = "",
    country: str | None = None,
) -> Reply:
    """All outputs of one step as one reply (one Telegram message), in the translator's language.

    `today` dates a result (the engine knows no clock); it is formatted for the user's locale. `variant` names
    the adapter's own words: a notice `key` is said as `{variant}_{key}` when messages.yaml has one (the
    terminal's "type the number" for Telegram's "use the buttons"). `country` (the user's profile) says which
    region's routes `{route.KEY}` gives: `other`'s while it is unknown."""
    region = content.regions.of(country)

    links: list[Button] = []

    def said(text: str, params: Mapping[str, object], sources: tuple[str, ...] = ()) -> str:
        translated = translator.text(text)
        links.extend(b for b in route_links(translated, translator, region) if b not in links)
        template, route_sources = with_routes(translated, translator, region)
        shown = fill(template, localized(content, translator, params))
        return shown + _sources(content, translator, (*sources, *(s for s in route_sources if s not in sources)))

    parts: list[str] = []
    buttons: tuple[Button, ...] = ()
    picked: str | None = None
    toast: str | None = None
    attachments: list[Attachment] = []
    erase_input = clear_chat = in_place = False
    menu_language: str | None = None
    for output in outputs:
        match output:
            case Say(text, params, sources):
                parts.append(said(text, params, sources))
            case Ask(text, question_labels, asked_at, params, sources, replaces):
                in_place = in_place or replaces
                if text:
                    parts.append(said(text, params, sources))
                buttons += tuple(  # after an offer's buttons (a list's items), the question's way on
                    Button(translator.text(label), Pick(asked_at, index)) for index, label in enumerate(question_labels)
                )
            case Offer(text, offered, params):
                if text:
                    parts.append(said(text, params))
                buttons += tuple(Button(_label(content, translator, b), b.press) for b in offered)
            case SecretRefused(kind):
                parts.append(message(content, translator, f"secret_{kind}"))
                erase_input = True
            case ClearChat():
                clear_chat = True
            case LanguageChanged(language):
                menu_language = language
            case Toast(key):
                toast = html_text.strip(message(content, translator, key))
            case Picked(label):
                picked = message(content, translator, "picked", label=translator.text(label))
            case Notice(key, params):
                key = f"{variant}_{key}" if f"{variant}_{key}" in content.messages else key
                values = localized(content, translator, params)
                count = values.pop("count", None)
                number = count if isinstance(count, int) else None
                parts.append(_message(content, translator, key, number, values, region))
            case Result():
                parts.append(_result(content, translator, output, today))
            case _:  # a feature's own output renders itself
                text, files = output.render(content, translator)
                if text:
                    parts.append(text)
                attachments.extend(files)
    text = "\n\n".join(parts)
    buttons += tuple(links)  # the sites last: a choice keeps its number in the terminal
    return Reply(text, buttons, picked, toast, tuple(attachments), erase_input, clear_chat, menu_language, in_place)


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_html(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split a long HTML text into messages Telegram accepts, at paragraph boundaries when possible.

    Paragraphs are self-contained HTML (each output is), so splitting between them keeps tags balanced.
    A single paragraph longer than the limit loses its formatting and is cut at spaces.
    """
    chunks: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if utf16_length(html_text.strip(candidate)) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = paragraph
        if utf16_length(html_text.strip(paragraph)) > limit:
            pieces = _cut_plain(html_text.strip(paragraph), limit)
            chunks.extend(html_text.escape(piece) for piece in pieces[:-1])
            current = html_text.escape(pieces[-1])
    if current:
        chunks.append(current)
    return chunks


def _cut_plain(text: str, limit: int) -> list[str]:
    # Escaping can lengthen nothing Telegram counts: entities count as one character once parsed.
    pieces: list[str] = []
    while utf16_length(text) > limit:
        cut = limit
        while utf16_length(text[:cut]) > limit:
            cut -= 1
        space = text.rfind(" ", 0, cut)
        cut = space if space > limit // 2 else cut
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return pieces
