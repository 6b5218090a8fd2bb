"""A fake Telegram Bot API server for end-to-end tests.

Why it exists: the end-to-end tests run the real python-telegram-bot client (``telegram.Bot`` /
``Application``) against a local HTTP server instead of api.telegram.org, so they need neither internet
nor a real bot token. The fake is deliberately strict: it enforces the limits Telegram enforces where our
bot can meet them (message length counted in UTF-16 code units after HTML parsing, Telegram's HTML
subset, 64-byte callback data, "message is not modified", one answer per callback query, blocked users,
flood control, unknown chats) and answers with Telegram's own error envelopes and descriptions, so the
bot cannot pass a test that Telegram would reject.

Photos and documents (sendPhoto, sendDocument) arrive as python-telegram-bot uploads them (multipart/form-data,
or a file_id the fake issued earlier); the uploaded bytes are kept on the stored message under ``"upload"``
(an ``UploadedFile``) so a test can check them. A photo must really be a PNG or JPEG image. Flood control
is opt-in: ``FakeBotApi(max_messages_per_second=30)`` answers 429 past Telegram's overall cap, counted over a
sliding one-second window; ``max_messages_per_chat_per_second`` adds a per-chat cap. Message dates come from
``clock`` (default time.time), which the 48-hour rule of deleteMessage and deleteMessages (1 to 100 ids, the ids
of missing messages skipped) also reads.

Where the fake is stricter than Telegram, on purpose: a bare "&" that does not start one of
``&lt; &gt; &amp; &quot; &#N; &#xN;`` is rejected (the Bot API documentation requires escaping it;
Telegram itself tolerates it), ``<a>`` needs ``href``, and only parse_mode HTML is understood
(MarkdownV2/Markdown are refused rather than accepted unchecked).

Usage::

    async with FakeBotApi() as fake:
        bot = telegram.Bot(fake.token, base_url=f"{fake.url}/bot")
        fake.user_sends(42, "/start")
        ...
        reply = await fake.wait_for_message(42, contains="Salut")

Requests arrive at ``/bot<TOKEN>/<method>`` (PTB appends the token to ``base_url``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import itertools
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Self

from aiohttp import web

__all__ = ["ApiError", "Call", "FakeBotApi", "HtmlParseError", "UploadedFile", "parse_html", "utf16_len"]

MAX_MESSAGE_LENGTH = 4096  # UTF-16 code units, after entity parsing
MAX_CAPTION_LENGTH = 1024  # idem
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # any file a bot uploads
DELETE_WINDOW_SECONDS = 48 * 3600  # a bot may delete a message younger than this
MAX_DELETE_IDS = 100  # deleteMessages takes 1 to 100 message identifiers
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chat-bound calls that count toward the flood limits (what Telegram calls "messages").
RATE_LIMITED_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "copymessage",
        "forwardmessage",
    }
)
_FAULT_DESCRIPTIONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_BUTTONS = 100

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Buttons of an inline keyboard must use exactly one of these.
BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
# Form-encoded parameters are strings; these are converted back (PTB JSON-encodes non-string values).
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "message_thread_id",
        "reply_to_message_id",
        "max_connections",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "show_caption_above_media",
        "disable_content_type_detection",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "scope",
        "commands",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "message_ids",
    }
)

# --------------------------------------------------------------------------------------------------
# Telegram's HTML subset
# --------------------------------------------------------------------------------------------------

# tag -> MessageEntity type
HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8});")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME_TOKEN_RE = re.compile(r"[A-Za-z0-9.\-]*")


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; str(error) is Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode the HTML entity starting at text[i] == "&"; return (character, index after it) or None."""
    match = _ENTITY_RE.match(text, i)
    if match is None:
        return None
    name = match.group(1)
    if not name.startswith("#"):
        return _NAMED_ENTITIES[name], match.end()
    code = int(name.lstrip("#xX"), 16 if name[1] in "xX" else 10)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _entity_or_error(text: str, i: int) -> tuple[str, int]:
    decoded = _decode_entity(text, i)
    if decoded is None:
        raise HtmlParseError(
            f'Character "&" at byte offset {_byte_offset(text, i)} must be escaped as "&amp;" '
            "(only &lt; &gt; &amp; &quot; and numeric entities are supported)"
        )
    return decoded


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _parse_start_tag(text: str, begin: int) -> tuple[str, dict[str, str], int]:
    """Parse "<tag attr=value ...>" at text[begin] == "<"; return (tag, attributes, index after ">")."""
    n = len(text)
    offset = _byte_offset(text, begin)
    i = begin + 1
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    if i >= n:
        raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
    tag = text[begin + 1 : i].lower()
    if tag not in HTML_TAGS:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {offset}')
    attributes: dict[str, str] = {}
    while True:
        i = _skip_spaces(text, i)
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {offset}')
        if text[i] == ">":
            return tag, attributes, i + 1
        name_begin = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        name = text[name_begin:i]
        if not name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
        i = _skip_spaces(text, i)
        if tag == "blockquote" and name == "expandable" and (i >= n or text[i] != "="):
            attributes[name] = ""
            continue
        if i >= n or text[i] != "=":
            raise HtmlParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {offset}'
            )
        i = _skip_spaces(text, i + 1)
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {offset}')
        if text[i] in "'\"":  # quoted string, entities decoded
            quote = text[i]
            i += 1
            value: list[str] = []
            while i < n and text[i] != quote:
                if text[i] == "&":
                    char, i = _entity_or_error(text, i)
                    value.append(char)
                else:
                    value.append(text[i])
                    i += 1
            if i >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
            attributes[name] = "".join(value)
            i += 1
        else:  # unquoted name token: letters, digits, "." and "-", case-insensitive
            token = _NAME_TOKEN_RE.match(text, i)
            assert token is not None  # the pattern matches the empty string
            i = token.end()
            if i < n and not text[i].isspace() and text[i] != ">":
                token_offset = _byte_offset(text, token.start())
                raise HtmlParseError(f"Unexpected end of name token at byte offset {token_offset}")
            attributes[name] = token.group().lower()


def _make_entity(tag: str, attributes: dict[str, str], offset: int) -> dict[str, Any]:
    """The entity a start tag opens (its length is filled in at the end tag)."""
    entity: dict[str, Any] = {"type": HTML_TAGS[tag], "offset": offset, "length": 0}
    if tag == "a":
        entity["url"] = attributes.get("href", "")
    elif tag == "code" and attributes.get("class", "").startswith("language-"):
        entity["language"] = attributes["class"][len("language-") :]
    elif tag == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attributes.get("emoji-id", "")
    return entity


def _check_tag_attributes(tag: str, attributes: dict[str, str], offset: int) -> None:
    if tag == "a" and not attributes.get("href"):
        raise HtmlParseError(f'Tag "a" must have a non-empty attribute "href" at byte offset {offset}')
    if tag == "span" and attributes.get("class") != "tg-spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if tag == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
        raise HtmlParseError("Invalid custom emoji identifier specified")


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-HTML into (plain text, entities with UTF-16 offsets), like Telegram does.

    Raises HtmlParseError with Telegram's description (without the "Bad Request: can't parse entities: "
    prefix) for unsupported or malformed tags, bad nesting and unescaped "<" or "&".
    """
    out: list[str] = []
    position = 0  # in UTF-16 code units
    open_tags: list[tuple[str, dict[str, Any]]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&":
            decoded, i = _entity_or_error(text, i)
            out.append(decoded)
            position += utf16_len(decoded)
            continue
        if char != "<":
            out.append(char)
            position += utf16_len(char)
            i += 1
            continue
        begin, offset = i, _byte_offset(text, i)
        if i + 1 < n and text[i + 1] == "/":  # end tag
            if not open_tags:
                raise HtmlParseError(f"Unexpected end tag at byte offset {offset}")
            i += 2
            name_begin = i
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            end_name = text[name_begin:i].lower()
            i = _skip_spaces(text, i)
            if i >= n or text[i] != ">":
                raise HtmlParseError(f"Unclosed end tag at byte offset {offset}")
            i += 1
            tag, entity = open_tags.pop()
            if end_name and end_name != tag:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{tag}>", found "</{end_name}>"'
                )
            entity["length"] = position - entity["offset"]
            if tag == "code" and not (open_tags and open_tags[-1][0] == "pre"):
                entity.pop("language", None)  # a language only means something in <pre><code class=...>
            last = entities[-1] if entities else {}
            same_span = (last.get("offset"), last.get("length")) == (entity["offset"], entity["length"])
            if tag == "pre" and last.get("type") == "code" and same_span:  # <pre><code class="language-x">
                entities.pop()
                if "language" in last:
                    entity["language"] = last["language"]
            if entity["length"] > 0:
                entities.append(entity)
        else:
            tag, attributes, i = _parse_start_tag(text, begin)
            _check_tag_attributes(tag, attributes, offset)
            open_tags.append((tag, _make_entity(tag, attributes, position)))
    if open_tags:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims leading/trailing whitespace of a message; shift and clip the entities to match."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities, as Telegram adds them to incoming messages ("/start", "/help@some_bot")."""
    entities = []
    for match in re.finditer(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])", text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities


# --------------------------------------------------------------------------------------------------
# Uploaded files
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """The bytes of a photo or document the bot uploaded, as the fake received them."""

    data: bytes
    filename: str
    mime_type: str


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG image, or None if the bytes are neither (Telegram can't process it)."""
    if data.startswith(PNG_SIGNATURE):
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
                i += 2
                continue
            length = int.from_bytes(data[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
                height = int.from_bytes(data[i + 5 : i + 7], "big")
                width = int.from_bytes(data[i + 7 : i + 9], "big")
                return width, height
            i += 2 + length
    return None


def _photo_sizes(width: int, height: int, file_size: int, serial: int) -> list[dict[str, Any]]:
    """The PhotoSize array Telegram answers with: thumbnails up to 90, 320, 800 px and the 1280 px version."""
    sizes = []
    longest = max(width, height)
    for letter, box in (("s", 90), ("m", 320), ("x", 800), ("y", 1280)):
        scale = min(1.0, box / longest)
        size = {
            "file_id": f"AgACAgQAAxkB{serial:08d}{letter}",
            "file_unique_id": f"AQAD{serial:08d}{letter}",
            "width": max(1, round(width * scale)),
            "height": max(1, round(height * scale)),
            "file_size": max(1, round(file_size * scale * scale)),
        }
        sizes.append(size)
        if scale == 1.0:  # Telegram does not upscale: the original size is the last one
            break
    return sizes


class _SlidingWindow:
    """At most ``cap`` events in any ``period`` seconds: Telegram's flood control as the fake models it."""

    def __init__(self, cap: int, period: float = 1.0) -> None:
        self.cap = cap
        self.period = period
        self._times: collections.deque[float] = collections.deque()

    def admit(self, now: float) -> int | None:
        """Record an event at ``now`` and return None, or return the retry_after (seconds) if over the cap."""
        while self._times and self._times[0] <= now - self.period:
            self._times.popleft()
        if len(self._times) >= self.cap:
            return max(1, math.ceil(self._times[0] + self.period - now))
        self._times.append(now)
        return None


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------


class ApiError(NamedTuple):
    """An error response the fake gave."""

    method: str
    code: int
    description: str


@dataclass
class Call:
    """One request the bot made. ``time`` is time.monotonic() when the response was produced."""

    method: str  # canonical name, e.g. "sendMessage" (as sent if unknown)
    params: dict[str, Any]
    time: float
    ok: bool = True
    result: Any = None
    error: ApiError | None = None


@dataclass
class _Failure(Exception):
    code: int
    description: str
    retry_after: int | None = None


@dataclass
class _Query:
    chat_id: int
    message_id: int
    answered: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class FakeBotApi:
    """In-memory Telegram Bot API server (aiohttp) for end-to-end tests of the real PTB client.

    It exists so the bot can be tested end to end without internet, and it enforces Telegram's limits
    and error messages so that the bot cannot pass a test that Telegram would reject.
    """

    METHODS = (
        "getMe",
        "logOut",
        "close",
        "setWebhook",
        "deleteWebhook",
        "getWebhookInfo",
        "getUpdates",
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "deleteMessages",
        "answerCallbackQuery",
        "sendChatAction",
        "setMyCommands",
        "getMyCommands",
        "deleteMyCommands",
        "setMyDescription",
        "setMyShortDescription",
    )

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz",
        *,
        username: str = "gaffe_test_bot",
        first_name: str = "Gaffe",
        clock: Callable[[], float] = time.time,
        max_messages_per_second: int | None = None,
        max_messages_per_chat_per_second: int | None = None,
        flood_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` gives message dates (epoch seconds). ``max_messages_per_second`` turns on Telegram's
        overall flood control (429 past that many chat-bound calls in any second);
        ``max_messages_per_chat_per_second`` does the same per chat. Both are off by default.
        ``flood_clock`` is what flood control counts seconds with: a test can move it instead of sleeping."""
        self.token = token
        self._clock = clock
        self._flood_clock = flood_clock
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.url = ""  # "http://127.0.0.1:PORT" once started
        self.sent: list[Call] = []
        self.errors: list[ApiError] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (scope JSON, language) -> commands
        self.descriptions: dict[tuple[str, str], str] = {}  # ("description" or "short", language) -> text
        self.webhook: dict[str, Any] = {}
        self.deleted: list[tuple[int, int]] = []  # (chat id, message id) of messages the bot deleted
        self.flood_errors = 0  # 429s given by the flood control (not by fail_next)
        self._overall_window = _SlidingWindow(max_messages_per_second) if max_messages_per_second else None
        self._chat_cap = max_messages_per_chat_per_second
        self._chat_windows: dict[Any, _SlidingWindow] = {}
        # file_id -> ("photo" | "document", the file, its PhotoSize list or Document object)
        self._files: dict[str, tuple[str, UploadedFile, Any]] = {}
        self._file_serial = itertools.count(1)
        # "getMe" is handled by self._get_me, "editMessageText" by self._edit_message_text, ...
        self._handlers: dict[str, Callable[[dict[str, Any], web.Request], Any]] = {
            name.lower(): getattr(self, "_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()) for name in self.METHODS
        }
        self._canonical = {name.lower(): name for name in self.METHODS}
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}  # chat id -> message id -> message
        self._next_message_id: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_001)
        self._queries: dict[str, _Query] = {}
        self._blocked: set[int] = set()
        # method (lowercase) -> [remaining count, retry_after, code, description or None, hold]
        self._fail_next: dict[str, list[Any]] = {}
        self._held_until = 0.0  # flood_clock() until which a held 429 (fail_next(hold=True)) answers 429
        self._slow_next: dict[str, list[float]] = {}  # method (lowercase) -> [remaining count, seconds]
        self._poll_generation = 0
        self._closing = False
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # ---------------------------------------------------------------- lifecycle

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 on ``port`` (0: an ephemeral one); sets ``self.url``. After ``stop``, starting
        again on the same port brings the same Bot API back, with its chats and queued updates (an outage)."""
        self._closing = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Release pending long polls and stop the server."""
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- test side: users and updates

    def add_chat(self, chat_id: int, *, chat_type: str = "private", title: str | None = None) -> dict[str, Any]:
        """Make a chat known (as if it had sent an update) so the bot may send to it."""
        if chat_id not in self._chats:
            chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = f"User{chat_id}"
            else:
                chat["title"] = title or f"Chat {chat_id}"
            self._chats[chat_id] = chat
        return self._chats[chat_id]

    def add_history(self, chat_id: int, count: int) -> list[int]:
        """``count`` messages the user wrote in a private chat before the test looks (no update for the bot), dated
        now by the fake's clock; their ids."""
        user = self._user(chat_id, "fr", None)
        chat = self.add_chat(chat_id)
        ids = []
        for number in range(count):
            message_id = self.new_message_id(chat_id)
            self._messages.setdefault(chat_id, {})[message_id] = {
                "message_id": message_id, "from": user, "chat": chat, "date": int(self._clock()), "text": f"#{number}",
            }  # fmt: skip
            ids.append(message_id)
        return ids

    def new_message_id(self, chat_id: int) -> int:
        """The id the chat's next message gets (for a message a test builds itself, then keeps with `keep`)."""
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def keep(self, message: dict[str, Any]) -> None:
        """Store a message a test built (with an id from `new_message_id`) in its chat, as Telegram would have it."""
        self._messages.setdefault(message["chat"]["id"], {})[message["message_id"]] = message

    def open_query(self, chat_id: int, message_id: int) -> str:
        """A callback query id the fake will accept one answer for, for a press on that message (a test that
        builds the callback_query update itself queues it with `queue_update`)."""
        query_id = str(next(self._query_ids))
        self._queries[query_id] = _Query(chat_id, message_id)
        return query_id

    def user_deletes(self, chat_id: int, message_id: int) -> None:
        """The user deletes a message for both sides of a private chat: its id becomes a gap."""
        del self._messages[chat_id][message_id]

    def block(self, user_id: int) -> None:
        """The user blocks the bot: every send/edit to their chat gets 403."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def slow_next(self, method: str, seconds: float, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` are answered after ``seconds`` (past the client's read
        timeout, it gives up: the call may still have taken effect, as on the real Bot API)."""
        self._slow_next[method.lower()] = [count, seconds]

    def fail_next(
        self,
        method: str,
        retry_after: int = 1,
        count: int = 1,
        code: int = 429,
        description: str | None = None,
        *,
        hold: bool = False,
    ) -> None:
        """The next ``count`` calls of ``method`` get 429 "Too Many Requests: retry after N" (or, with
        ``code=502``, "Bad Gateway", as when Telegram's front end can't reach its back end; or, with a
        ``description``, that error, e.g. ``code=400, description="Bad Request: IMAGE_PROCESS_FAILED"``).
        A failed call changes nothing in the chat, as on Telegram. With ``hold``, every chat-bound call made
        within the N seconds after that 429 gets a 429 too, counted in ``flood_errors``: a client that does
        not wait out the pause is caught without a clock."""
        self._fail_next[method.lower()] = [count, retry_after, code, description, hold]

    def queue_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update (an update_id is added if missing); returns its update_id."""
        update = copy.deepcopy(update)
        update.setdefault("update_id", next(self._update_ids))
        for value in update.values():
            chat = value.get("chat") if isinstance(value, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                self._chats.setdefault(chat["id"], chat)
        self._updates.append(update)
        self._notify()
        return update["update_id"]

    def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str = "fr",
        chat_type: str = "private",
        chat_id: int | None = None,
        first_name: str | None = None,
    ) -> int:
        """Queue a text message from a user (with bot_command entities); returns the update_id."""
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else -user_id
        if chat_type == "private" and chat_id != user_id:
            raise ValueError("a private chat's id is the user's id")
        user = self._user(user_id, language_code, first_name)
        chat = self.add_chat(chat_id, chat_type=chat_type)
        message: dict[str, Any] = {
            "message_id": self.new_message_id(chat_id),
            "from": user,
            "chat": chat,
            "date": int(self._clock()),
            "text": text,
        }
        entities = command_entities(text)
        if entities:
            message["entities"] = entities
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return self.queue_update({"message": message})

    def user_sends_file(
        self, user_id: int, caption: str, *, kind: str = "photo", language_code: str = "fr"
    ) -> tuple[int, int]:
        """Queue a photo (or, with ``kind="document"``, a document) with a caption from a user in their
        private chat; returns (update_id, message_id)."""
        chat = self.add_chat(user_id)
        file = {"file_id": f"file-{user_id}-{len(self._messages.get(user_id, {}))}", "file_unique_id": "u1"}
        media: Any = [{**file, "width": 90, "height": 90}] if kind == "photo" else {**file, "file_name": "a.pdf"}
        message: dict[str, Any] = {
            "message_id": self.new_message_id(user_id),
            "from": self._user(user_id, language_code, None),
            "chat": chat,
            "date": int(self._clock()),
            kind: media,
            "caption": caption,
        }
        self._messages.setdefault(user_id, {})[message["message_id"]] = message
        return self.queue_update({"message": message}), message["message_id"]

    def user_edits(self, user_id: int, message_id: int, text: str) -> int:
        """Queue an edited_message: the user changed the text (or caption) of their own message."""
        message = self._messages[user_id][message_id]
        message["caption" if "caption" in message else "text"] = text
        message["edit_date"] = int(self._clock())
        return self.queue_update({"edited_message": copy.deepcopy(message)})

    def user_presses(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        language_code: str = "fr",
        strict: bool = True,
    ) -> str:
        """Queue a callback_query for a button of a stored message; returns the callback query id.

        With ``strict`` (the default) the message must currently show a button with that callback_data,
        since a Telegram user can only press buttons that exist.
        """
        chat_id = user_id if chat_id is None else chat_id
        message = self._messages.get(chat_id, {}).get(message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        if strict:
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            datas = [button.get("callback_data") for row in rows for button in row]
            if callback_data not in datas:
                raise ValueError(f"message {message_id} has no button {callback_data!r}; it has {datas}")
        query_id = self.open_query(chat_id, message_id)
        self.queue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(user_id, language_code, None),
                    "message": self.as_shown(message),
                    "chat_instance": str(abs(chat_id) * 7919 % 10**12),
                    "data": callback_data,
                }
            }
        )
        return query_id

    # ---------------------------------------------------------------- test side: observation

    def messages(self, chat_id: int, *, from_bot: bool | None = None) -> list[dict[str, Any]]:
        """Messages currently in the chat (edits applied, deleted ones gone), oldest first.

        A photo or document the bot sent carries the ``UploadedFile`` under ``"upload"``."""
        stored = sorted(self._messages.get(chat_id, {}).values(), key=lambda m: m["message_id"])
        if from_bot is not None:
            stored = [m for m in stored if (m["from"]["id"] == self.bot_user["id"]) == from_bot]
        return copy.deepcopy(stored)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """One message as the chat has it now (edits applied; None once deleted or never there), a copy."""
        message = self._messages.get(chat_id, {}).get(message_id)
        return None if message is None else copy.deepcopy(message)

    @property
    def updates_waiting(self) -> int:
        """Updates queued and not yet confirmed taken by the bot (its next getUpdates offset confirms them)."""
        return len(self._updates)

    def calls(self, method: str) -> list[Call]:
        """Recorded calls of one method (case-insensitive)."""
        return [call for call in self.sent if call.method.lower() == method.lower()]

    def my_commands(self, language_code: str = "", scope: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Commands set with setMyCommands for that language and scope ([] if none)."""
        return self.commands.get((self._scope_key(scope), language_code), [])

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 10, after: int = 0) -> Call:
        """Wait until a recorded call (at index >= after in ``sent``) satisfies predicate; return it."""
        deadline = time.monotonic() + timeout
        index = after
        while True:
            while index < len(self.sent):
                call = self.sent[index]
                index += 1
                if predicate(call):
                    return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = [(c.method, c.params, c.error) for c in self.sent[after:]][-10:]
                raise AssertionError(f"no matching bot call within {timeout}s; calls from #{after}: {recent}")
            await self._wait_change(remaining)

    async def wait_for_message(
        self, chat_id: int, contains: str | None = None, timeout: float = 10, after: int = 0
    ) -> dict[str, Any]:
        """Wait for a message sent to (or edited in) the chat at or after position ``after`` of ``sent``.

        ``contains`` is matched against the plain text or caption (tags stripped). Returns the message as
        Telegram returned it to the bot.
        """

        def matches(call: Call) -> bool:
            result = call.result
            return (
                call.ok
                and call.method
                in ("sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup")
                and isinstance(result, dict)
                and result["chat"]["id"] == chat_id
                and (contains is None or contains in result.get("text", result.get("caption", "")))
            )

        return (await self.wait_for(matches, timeout, after)).result

    # ---------------------------------------------------------------- HTTP plumbing

    def _notify(self) -> None:
        """Wake everything waiting in _wait_change (a call was recorded or an update queued)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _handle(self, request: web.Request) -> web.Response:
        method_name = request.match_info["method"]
        method = self._canonical.get(method_name.lower(), method_name)
        call = Call(method, {}, 0.0)
        try:
            call.params = params = await self._read_params(request)
            if request.match_info["token"] != self.token:
                raise _Failure(401, "Unauthorized")
            handler = self._handlers.get(method.lower())
            if handler is None:
                raise _Failure(404, "Not Found")
            slow = self._slow_next.get(method.lower())
            if slow and slow[0] > 0:
                slow[0] -= 1
                await asyncio.sleep(slow[1])
            failing = self._fail_next.get(method.lower())
            if failing and failing[0] > 0:
                failing[0] -= 1
                if failing[3] is not None:
                    raise _Failure(failing[2], failing[3])
                if failing[2] != 429:
                    raise _Failure(failing[2], _FAULT_DESCRIPTIONS.get(failing[2], "Bad Gateway"))
                if failing[4]:
                    self._held_until = self._flood_clock() + failing[1]
                raise _Failure(429, f"Too Many Requests: retry after {failing[1]}", retry_after=failing[1])
            if method.lower() in RATE_LIMITED_METHODS:
                self._flood_control(params)
            result = handler(params, request)
            if asyncio.iscoroutine(result):
                result = await result
            call.result = result
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except _Failure as failure:
            call.ok = False
            call.error = ApiError(method, failure.code, failure.description)
            self.errors.append(call.error)
            body = {"ok": False, "error_code": failure.code, "description": failure.description}
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            status = failure.code
        call.time = time.monotonic()
        self.sent.append(call)
        self._notify()
        return web.json_response(body, status=status)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = {}
                if isinstance(body, dict):
                    raw.update(body)
            else:
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        value = UploadedFile(value.file.read(), value.filename, value.content_type)
                    raw[key] = value
        return {key: self._decode_param(key, value) for key, value in raw.items()}

    def _flood_control(self, params: dict[str, Any]) -> None:
        """429 past the overall or the per-chat cap (each over a sliding second); counted in flood_errors."""
        now = self._flood_clock()
        if now < self._held_until:
            self.flood_errors += 1
            raise _Failure(429, f"Too Many Requests: retry after {math.ceil(self._held_until - now)}", retry_after=1)
        windows = []
        if self._overall_window is not None:
            windows.append(self._overall_window)
        if self._chat_cap:
            chat_id = params.get("chat_id")
            windows.append(self._chat_windows.setdefault(chat_id, _SlidingWindow(self._chat_cap)))
        for window in windows:
            retry_after = window.admit(now)
            if retry_after is not None:
                self.flood_errors += 1
                raise _Failure(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    @staticmethod
    def _decode_param(key: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if key in _INT_PARAMS and re.fullmatch(r"-?\d+", value):
            return int(value)
        if key in _BOOL_PARAMS and value in ("true", "false"):
            return value == "true"
        if key in _JSON_PARAMS:
            try:
                return json.loads(value)
            except ValueError:
                raise _Failure(400, f"Bad Request: can't parse {key} JSON object") from None
        return value

    # ---------------------------------------------------------------- state helpers

    def _user(self, user_id: int, language_code: str, first_name: str | None) -> dict[str, Any]:
        default = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        user = self._users.setdefault(user_id, default)
        user["language_code"] = language_code
        if first_name:
            user["first_name"] = first_name
        return dict(user)

    @staticmethod
    def as_shown(message: dict[str, Any]) -> dict[str, Any]:
        """The message as Telegram shows it (a copy, without the fake's own "upload" record)."""
        return copy.deepcopy({key: value for key, value in message.items() if key != "upload"})

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        """The target chat of a send/edit: 400 if missing or unknown, 403 if the user blocked the bot."""
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise _Failure(400, "Bad Request: chat_id is empty")
        if chat_id in self._blocked:
            raise _Failure(403, "Forbidden: bot was blocked by the user")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _Failure(400, "Bad Request: chat not found")
        return self._chats[chat_id]

    def _stored_message(self, params: dict[str, Any]) -> dict[str, Any]:
        if "inline_message_id" in params:
            raise _Failure(400, "Bad Request: MESSAGE_ID_INVALID (the fake does not support inline messages)")
        chat = self._chat(params)
        message_id = params.get("message_id")
        if message_id in (None, ""):
            raise _Failure(400, "Bad Request: message identifier is not specified")
        message = self._messages.get(chat["id"], {}).get(message_id)
        if message is None:
            raise _Failure(400, "Bad Request: message to edit not found")
        return message

    @staticmethod
    def _scope_key(scope: dict[str, Any] | None) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    # ---------------------------------------------------------------- validation

    @staticmethod
    def _formatted_text(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """Validate text/parse_mode like Telegram; return the plain text and its entities."""
        text, entities = FakeBotApi._parsed(params, "text", "entities")
        if not text:
            raise _Failure(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_MESSAGE_LENGTH:
            raise _Failure(400, "Bad Request: message is too long")
        return text, entities

    @staticmethod
    def _caption(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """Validate an optional caption like Telegram (1024 UTF-16 units after parsing); "" if none."""
        caption, entities = FakeBotApi._parsed(params, "caption", "caption_entities")
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _Failure(400, "Bad Request: message caption is too long")
        return caption, entities

    @staticmethod
    def _parsed(params: dict[str, Any], key: str, entities_key: str) -> tuple[str, list[dict[str, Any]]]:
        """params[key] parsed per parse_mode and stripped, with its entities."""
        text = params.get(key)
        if not isinstance(text, str):
            text = ""
        parse_mode = params.get("parse_mode") or ""
        if parse_mode.lower() == "html":
            try:
                text, entities = parse_html(text)
            except HtmlParseError as error:
                raise _Failure(400, f"Bad Request: can't parse entities: {error}") from None
        elif parse_mode:
            raise _Failure(400, f"Bad Request: unsupported parse_mode {parse_mode!r} (the fake only validates HTML)")
        else:
            entities = list(params.get(entities_key) or [])
        return _strip_text(text, entities)

    @staticmethod
    def _inline_markup(markup: Any, *, inline_only: bool) -> dict[str, Any] | None:
        """Validate reply_markup; return it if it is an inline keyboard (what a Message carries)."""
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict) or not (
            {"inline_keyboard", "keyboard", "remove_keyboard", "force_reply"} & markup.keys()
        ):
            raise _Failure(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if inline_only:
                raise _Failure(400, "Bad Request: inline keyboard expected")
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _Failure(400, "Bad Request: can't parse inline keyboard markup JSON object")
        buttons = [button for row in rows for button in row]
        if len(buttons) > MAX_INLINE_BUTTONS:
            raise _Failure(400, "Bad Request: reply markup is too long")
        for button in buttons:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _Failure(
                    400,
                    'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String',
                )
            if not button["text"].strip():
                raise _Failure(400, "Bad Request: BUTTON_TEXT_INVALID")
            actions = [key for key in BUTTON_ACTIONS if button.get(key) is not None]
            if not actions:
                raise _Failure(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise _Failure(
                    400, f"Bad Request: can't parse inline keyboard button: more than one action in {actions}"
                )
            if "callback_data" in actions:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                    raise _Failure(400, "Bad Request: BUTTON_DATA_INVALID")
            if "url" in actions:
                url = button["url"]
                if not isinstance(url, str) or not url or any(c.isspace() for c in url):
                    raise _Failure(400, f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
        if not buttons:
            return None
        cleaned = [[{k: v for k, v in button.items() if v is not None} for button in row] for row in rows]
        return {"inline_keyboard": cleaned}

    # ---------------------------------------------------------------- Bot API methods

    def _get_me(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        return dict(self.bot_user)

    def _log_out(self, params: dict[str, Any], request: web.Request) -> bool:
        return True

    def _close(self, params: dict[str, Any], request: web.Request) -> bool:
        return True

    def _set_webhook(self, params: dict[str, Any], request: web.Request) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith("https://"):
            raise _Failure(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = dict(params) if url else {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: dict[str, Any], request: web.Request) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, params: dict[str, Any], request: web.Request) -> list[dict[str, Any]]:
        if self.webhook:
            raise _Failure(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset") if isinstance(params.get("offset"), int) else 0
        limit = params.get("limit") if isinstance(params.get("limit"), int) else 100
        limit = min(max(limit, 1), 100)
        timeout = params.get("timeout") if isinstance(params.get("timeout"), int) else 0
        if offset < 0:  # -N: only the last N updates are kept
            del self._updates[: max(0, len(self._updates) + offset)]
        elif offset:  # confirm (forget) everything before offset
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # lets an older pending long poll notice it has been superseded
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            if self._updates or self._closing:
                return copy.deepcopy(self._updates[:limit])
            if generation != self._poll_generation:
                if request.transport is None or request.transport.is_closing():
                    return []  # the client has gone away (e.g. PTB restarted polling): nobody to tell
                raise _Failure(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await self._wait_change(remaining)

    def _send_message(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        chat = self._chat(params)
        text, entities = self._formatted_text(params)
        markup = self._inline_markup(params.get("reply_markup"), inline_only=False)
        message: dict[str, Any] = {
            "message_id": self.new_message_id(chat["id"]),
            "from": dict(self.bot_user),
            "chat": chat,
            "date": int(self._clock()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if markup:
            message["reply_markup"] = markup
        self._messages.setdefault(chat["id"], {})[message["message_id"]] = message
        return self.as_shown(message)

    def _upload(self, params: dict[str, Any], key: str, kind: str) -> tuple[UploadedFile, Any]:
        """The file sent as params[key]: an upload (multipart part, also via attach://<part>) or the file_id
        of an earlier one of the same kind. Returns (file, None) or (file, the earlier PhotoSizes/Document)."""
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, UploadedFile):
            if not value.data:
                raise _Failure(400, "Bad Request: file must be non-empty")
            if len(value.data) > MAX_UPLOAD_BYTES:
                raise _Failure(413, "Request Entity Too Large")
            return value, None
        if not isinstance(value, str) or not value:
            raise _Failure(400, f"Bad Request: there is no {key} in the request")
        if value.startswith(("http://", "https://")):
            raise _Failure(400, "Bad Request: wrong file identifier/HTTP URL specified (the fake downloads nothing)")
        known = self._files.get(value)
        if known is None:
            raise _Failure(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if known[0] != kind:
            raise _Failure(
                400,
                f"Bad Request: wrong file identifier specified: can't use file of type {known[0]} "
                f"as {kind.capitalize()}",
            )
        return known[1], copy.deepcopy(known[2])

    def _media_message(self, params: dict[str, Any], upload: UploadedFile) -> dict[str, Any]:
        """A new message in the target chat with caption and markup validated (not stored yet)."""
        chat = self._chat(params)
        caption, entities = self._caption(params)
        markup = self._inline_markup(params.get("reply_markup"), inline_only=False)
        message: dict[str, Any] = {
            "message_id": 0,
            "from": dict(self.bot_user),
            "chat": chat,
            "date": int(self._clock()),
        }
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        if markup:
            message["reply_markup"] = markup
        message["upload"] = upload
        return message

    def _store_new(self, message: dict[str, Any]) -> dict[str, Any]:
        chat_id = message["chat"]["id"]
        message["message_id"] = self.new_message_id(chat_id)
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return self.as_shown(message)

    def _send_photo(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        upload, earlier = self._upload(params, "photo", "photo")
        size = image_size(upload.data)
        if size is None:
            raise _Failure(400, "Bad Request: IMAGE_PROCESS_FAILED")
        width, height = size
        if len(upload.data) > MAX_PHOTO_BYTES:
            raise _Failure(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
        if width + height > 10000 or max(width, height) > 20 * max(1, min(width, height)):
            raise _Failure(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        message = self._media_message(params, upload)
        if earlier is not None:  # the same photo again: Telegram answers with the same sizes
            message["photo"] = earlier
        else:
            message["photo"] = _photo_sizes(width, height, len(upload.data), next(self._file_serial))
            for photo_size in message["photo"]:
                self._files[photo_size["file_id"]] = ("photo", upload, message["photo"])
        if params.get("has_spoiler"):
            message["has_media_spoiler"] = True
        return self._store_new(message)

    def _send_document(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        upload, earlier = self._upload(params, "document", "document")
        message = self._media_message(params, upload)
        if earlier is not None:
            message["document"] = earlier
        else:
            serial = next(self._file_serial)
            message["document"] = {
                "file_id": f"BQACAgQAAxkB{serial:08d}",
                "file_unique_id": f"AgAD{serial:08d}",
                "file_name": upload.filename,
                "mime_type": upload.mime_type,
                "file_size": len(upload.data),
            }
            self._files[message["document"]["file_id"]] = ("document", upload, message["document"])
        return self._store_new(message)

    def _edit(
        self,
        message: dict[str, Any],
        markup: Any,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Apply an edit of the markup, and of the text unless ``text`` is None."""
        if message["from"]["id"] != self.bot_user["id"]:
            raise _Failure(400, "Bad Request: message can't be edited")
        if text is not None and "text" not in message:
            raise _Failure(400, "Bad Request: there is no text in the message to edit")
        current_text, current_entities = message.get("text"), message.get("entities", [])
        if text is None:
            text, entities = current_text, current_entities
        if (text, entities, markup) == (current_text, current_entities, message.get("reply_markup")):
            raise _Failure(400, NOT_MODIFIED)
        message["edit_date"] = int(self._clock())
        if text is not None:
            message["text"] = text
        for key, value in (("entities", entities), ("reply_markup", markup)):
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        return self.as_shown(message)

    def _edit_message_text(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        message = self._stored_message(params)
        text, entities = self._formatted_text(params)
        markup = self._inline_markup(params.get("reply_markup"), inline_only=True)
        return self._edit(message, markup, text, entities)

    def _edit_message_reply_markup(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        message = self._stored_message(params)
        markup = self._inline_markup(params.get("reply_markup"), inline_only=True)
        return self._edit(message, markup)

    def _delete_message(self, params: dict[str, Any], request: web.Request) -> bool:
        """Telegram's rules: younger than 48 hours; in a private chat any message, elsewhere the bot's own
        (the fake's bot is never a group administrator)."""
        chat = self._chat(params)
        chat_messages = self._messages.get(chat["id"], {})
        message = chat_messages.get(params.get("message_id"))  # type: ignore[arg-type]
        if message is None:
            raise _Failure(400, "Bad Request: message to delete not found")
        too_old = self._clock() - message["date"] >= DELETE_WINDOW_SECONDS
        not_ours = chat["type"] != "private" and message["from"]["id"] != self.bot_user["id"]
        if too_old or not_ours:
            raise _Failure(400, "Bad Request: message can't be deleted")
        del chat_messages[message["message_id"]]
        self.deleted.append((chat["id"], message["message_id"]))
        return True

    def _delete_messages(self, params: dict[str, Any], request: web.Request) -> bool:
        """Bot API 7.0: 1 to 100 ids at once; the ids of messages not found are skipped (Telegram's documentation).
        What Telegram does with one it can't delete (older than 48 hours) is not documented: the fake refuses
        the whole call, deleting nothing (the strict reading), so a bot passes only if it sends ids it may delete."""
        chat = self._chat(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise _Failure(400, "Bad Request: message identifiers are not specified")
        if len(ids) > MAX_DELETE_IDS:
            raise _Failure(400, "Bad Request: too many message identifiers specified")
        if not all(isinstance(message_id, int) and message_id > 0 for message_id in ids):
            raise _Failure(400, "Bad Request: MESSAGE_ID_INVALID")
        chat_messages = self._messages.get(chat["id"], {})
        found = [chat_messages[message_id] for message_id in dict.fromkeys(ids) if message_id in chat_messages]
        for message in found:
            too_old = self._clock() - message["date"] >= DELETE_WINDOW_SECONDS
            not_ours = chat["type"] != "private" and message["from"]["id"] != self.bot_user["id"]
            if too_old or not_ours:
                raise _Failure(400, "Bad Request: message can't be deleted")
        for message in found:
            del chat_messages[message["message_id"]]
            self.deleted.append((chat["id"], message["message_id"]))
        return True

    def _answer_callback_query(self, params: dict[str, Any], request: web.Request) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        query = self._queries.get(query_id)
        if query is None or query.answered:
            raise _Failure(400, QUERY_INVALID)
        if utf16_len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _Failure(400, "Bad Request: MESSAGE_TOO_LONG")
        query.answered = True
        self.callback_answers[query_id] = params
        return True

    def _send_chat_action(self, params: dict[str, Any], request: web.Request) -> bool:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise _Failure(400, "Bad Request: wrong parameter action in request")
        return True

    def _set_my_commands(self, params: dict[str, Any], request: web.Request) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _Failure(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _Failure(400, "Bad Request: BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _Failure(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _Failure(400, "Bad Request: LANG_CODE_INVALID")
        self.commands[(self._scope_key(params.get("scope")), language)] = commands
        return True

    def _set_description(self, kind: str, limit: int, params: dict[str, Any], key: str) -> bool:
        text = params.get(key) or ""
        if not isinstance(text, str) or len(text) > limit:  # Telegram: 0-512 and 0-120 characters
            raise _Failure(400, f"Bad Request: {kind} is too long")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _Failure(400, "Bad Request: LANG_CODE_INVALID")
        self.descriptions[(kind, language)] = text
        return True

    def _set_my_description(self, params: dict[str, Any], request: web.Request) -> bool:
        return self._set_description("description", 512, params, "description")

    def _set_my_short_description(self, params: dict[str, Any], request: web.Request) -> bool:
        return self._set_description("short", 120, params, "short_description")

    def _get_my_commands(self, params: dict[str, Any], request: web.Request) -> list[dict[str, Any]]:
        return self.my_commands(params.get("language_code") or "", params.get("scope"))

    def _delete_my_commands(self, params: dict[str, Any], request: web.Request) -> bool:
        self.commands.pop((self._scope_key(params.get("scope")), params.get("language_code") or ""), None)
        return True
