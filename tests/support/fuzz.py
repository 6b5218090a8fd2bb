"""Fuzzing, the scenario: a seeded random mix of odd and malformed updates fed to the running bot, then a
normal checkup. Shared by tests/test_fuzz.py (1,000 updates, asserted) and bench/fuzz.py (10,000, printed);
bench/fuzz.py says what the mix holds and why.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from telegram import Update

from bot.adapters import telegram as telegram_adapter
from bot.adapters.rate_limit import PriorityRateLimiter
from tests.support import bot_harness
from tests.support.fake_bot_api import FakeBotApi, command_entities

FIRST_USER = 20_001
MAX_ID = 2**52 - 1  # Telegram: user and chat ids have at most 52 significant bits
COMMANDS = (
    "start",
    "checkup",
    "help",
    "aide",
    "rappels",
    "reminders",
    "motsdepasse",
    "mspy",
    "langue",
    "language",
    "stop",
    "effacer",
    "delete",
    "nope",
    "x" * 64,
    "START",
    "checkup2",
)
ODD = (
    "\u200b",
    "\u200d",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\u0301",
    "\u00a0",
    "\u2028",
    "\u0000",
    "\x1b[31m",
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "𝕏",
    "ﷺ",
    "\U0010fffd",
    "<b>",
    "</i>",
    "&amp;",
    "&",
    "<a href='x'>",
    "${x}",
    "%s",
    "'; DROP TABLE users; --",
    "\\",
    '"',
    "\r\n",
    "\t",
)


@dataclass
class FuzzReport:
    updates: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    errors_logged: list[str] = field(default_factory=list)  # log records at ERROR or above
    warnings_logged: int = 0
    fake_errors: list[str] = field(default_factory=list)  # requests the fake refused
    bot_calls: int = 0
    answers_normally: bool = False
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"updates              {self.updates}",
            f"kinds                {len(self.kinds)}: "
            + ", ".join(f"{k} {n}" for k, n in sorted(self.kinds.items(), key=lambda kv: -kv[1])),
            f"errors logged        {len(self.errors_logged)}  (must be 0)",
            f"warnings logged      {self.warnings_logged}",
            f"requests refused     {len(self.fake_errors)}  (must be 0)",
            f"bot calls            {self.bot_calls}",
            f"answers normally     {'yes' if self.answers_normally else 'NO'}",
            f"time                 {self.seconds:.1f} s",
            *(f"error: {e}" for e in self.errors_logged[:10]),
            *(f"refused: {e}" for e in Counter(self.fake_errors).most_common(10)),
        ]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[str] = []
        self.warnings = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            text = f"{record.name}: {record.getMessage()}"
            if record.exc_info and record.exc_info[1] is not None:
                text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            self.errors.append(text)
        else:
            self.warnings += 1


class Fuzzer:
    """Random updates, each one Telegram could send."""

    def __init__(self, fake: FakeBotApi, rng: random.Random, users: int) -> None:
        self.fake, self.rng = fake, rng
        self.users = [FIRST_USER + i for i in range(users)] + [1, MAX_ID]
        for user in self.users:
            fake.add_chat(user)
        queue = fake.queue_update

        def checked(update: dict[str, Any]) -> int:  # an update PTB can't parse would jam polling: ours is wrong
            Update.de_json(copy.deepcopy({"update_id": 0, **update}), None)  # type: ignore[arg-type]
            return queue(update)

        fake.queue_update = checked  # type: ignore[method-assign]
        self.kinds: Counter[str] = Counter()
        self._generators: list[tuple[Callable[[], None], int]] = [
            (self.text, 14),
            (self.command, 12),
            (self.press_current, 14),
            (self.press_stale, 6),
            (self.press_forged, 8),
            (self.press_foreign, 4),
            (self.press_inaccessible, 3),
            (self.media, 8),
            (self.group, 8),
            (self.channel, 4),
            (self.edited, 5),
            (self.other_kind, 5),
            (self.unknown_kind, 3),
            (self.service_message, 3),
            (self.no_sender, 3),
        ]

    def one(self) -> None:
        generators, weights = zip(*self._generators, strict=True)
        self.rng.choices(generators, weights)[0]()

    # --- pieces ------------------------------------------------------------------------------------------
    def _user(self) -> int:
        return self.rng.choice(self.users)

    def _language(self) -> str:
        return self.rng.choice(("fr", "en", "de", "", "zh-hans", "pt-br", "xx-YY-zz", "EN", "fr-CA"))

    def _from(self, user: int, is_bot: bool = False) -> dict[str, Any]:
        sender: dict[str, Any] = {"id": user, "is_bot": is_bot, "first_name": self._text(20) or "x"}
        if self.rng.random() < 0.7:
            sender["language_code"] = self._language()
        if self.rng.random() < 0.3:
            sender["username"] = f"u{user}"
        return sender

    def _text(self, longest: int = 200) -> str:
        pick = self.rng.random()
        if pick < 0.15:
            return ""
        if pick < 0.3:  # binary-looking
            return "".join(chr(self.rng.randrange(0, 0xD800)) for _ in range(self.rng.randrange(1, longest)))
        if pick < 0.5:
            return "".join(self.rng.choice(ODD) for _ in range(self.rng.randrange(1, 40)))
        if pick < 0.6:  # as long as Telegram allows
            return self.rng.choice("aé😀 ") * 4096
        if pick < 0.7:
            return self.rng.choice(("1", "0", "-1", "99999999999999999999", "oui", "non", "yes", "12", "1e9"))
        words = ("mot", "de", "passe", "gaffe", "téléphone", "hunter2", "abandon ability able", "4111 1111 1111 1111")
        return " ".join(self.rng.choice(words) for _ in range(self.rng.randrange(1, 12)))

    def _id(self) -> int:
        return self.rng.choice((0, -1, 1, MAX_ID, -MAX_ID, -1_000_000_000_000, self.rng.randrange(-MAX_ID, MAX_ID)))

    def _chat(self, kind: str) -> dict[str, Any]:
        chat_id = -self.rng.randrange(1, 10**9) if kind == "group" else -(10**12) - self.rng.randrange(1, 10**9)
        chat: dict[str, Any] = {"id": chat_id, "type": kind, "title": self._text(30) or "t"}
        self.fake.add_chat(chat_id, chat_type=kind, title=chat["title"])
        return chat

    def _private_message(self, user: int, **content: Any) -> dict[str, Any]:
        chat = self.fake.add_chat(user)
        message = {
            "message_id": self.fake.new_message_id(user),
            "from": self._from(user),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        self.fake.keep(message)
        return message

    def _bot_messages(self, user: int, with_buttons: bool) -> list[dict[str, Any]]:
        return [m for m in self.fake.messages(user, from_bot=True) if not with_buttons or bot_harness.buttons(m)]

    def _query(self, user: int, message: dict[str, Any] | None, data: str | None, chat_id: int | None = None) -> None:
        """A callback query Telegram would send: its id is one the fake will accept an answer for."""
        chat_id = chat_id if chat_id is not None else user
        query_id = self.fake.open_query(chat_id, message["message_id"] if message else 0)
        query: dict[str, Any] = {"id": query_id, "from": self._from(user), "chat_instance": str(self._id())}
        if message is not None:
            query["message"] = self.fake.as_shown(message)
        else:
            query["inline_message_id"] = f"AAA{self.rng.randrange(10**9)}"
        if data is not None:
            query["data"] = data
        elif self.rng.random() < 0.5:
            query["game_short_name"] = "game"
        self.fake.queue_update({"callback_query": query})

    # --- generators ----------------------------------------------------------------------------------
    def text(self) -> None:
        self.kinds["text"] += 1
        text = self._text() or " "
        self.fake.user_sends(self._user(), text, language_code=self._language())

    def command(self) -> None:
        self.kinds["command"] += 1
        name = self.rng.choice(COMMANDS)
        suffix = self.rng.choice(("", "", "@gaffe_test_bot", "@other_bot", "@GAFFE_TEST_BOT"))
        argument = self.rng.choice(("", "", " " + self._text(50), " fr", " en", " 123"))
        text = self.rng.choice((f"/{name}{suffix}{argument}", f"  /{name}", f"/{name}/{name}", "/", "/@gaffe_test_bot"))
        self.fake.user_sends(self._user(), text or "/", language_code=self._language())

    def press_current(self) -> None:
        """A real press of the newest question's button (so conversations move on)."""
        user = self._user()
        messages = self._bot_messages(user, with_buttons=True)
        if not messages:
            self.fake.user_sends(user, "/checkup")
            self.kinds["command"] += 1
            return
        self.kinds["press"] += 1
        message = messages[-1]
        self.fake.user_presses(user, message["message_id"], self.rng.choice(bot_harness.buttons(message))[1])

    def press_stale(self) -> None:
        """A button of an older message pressed again (it may no longer be shown: a client lagging behind)."""
        user = self._user()
        calls = [c for c in self.fake.sent if c.ok and c.method == "sendMessage" and c.result["chat"]["id"] == user]
        shown = [c.result for c in calls if bot_harness.buttons(c.result)]
        if not shown:
            return self.text()
        self.kinds["press_stale"] += 1
        old = self.rng.choice(shown)
        message = self.fake.message(user, old["message_id"])
        if message is None:
            return None
        self._query(user, message, self.rng.choice(bot_harness.buttons(old))[1])
        return None

    def press_forged(self) -> None:
        """Data a modified client made up, on a real message of the bot."""
        user = self._user()
        messages = self._bot_messages(user, with_buttons=False)
        if not messages:
            return self.text()
        self.kinds["press_forged"] += 1
        real = [d for m in messages for _, d in bot_harness.buttons(m)] or ["0:0:AAAA"]
        sample = self.rng.choice(real)
        data = self.rng.choice(
            (
                None,
                "",
                ":",
                "::::",
                self._text(64)[:64],
                sample[:-1] + ("A" if sample[-1] != "A" else "B"),
                sample.rsplit(":", 1)[0] + ":",
                f"{self.rng.randrange(10**13)}:{self.rng.randrange(10**13)}:x",
                f"o:reminder:{self.rng.randrange(10**12)}:1:done:xxxxxxxxxxxxxxxx",
                "o:reminder:-1:1:done:x",
                f"{self._id()}:{self._id()}:{sample.rsplit(':', 1)[-1]}",
                "0" * 64,
                "é" * 32,
            )
        )
        self._query(user, self.rng.choice(messages), data)
        return None

    def press_foreign(self) -> None:
        """A real button of one user's message, pressed by another (a forwarded message's keyboard)."""
        owner, presser = self._user(), self._user()
        messages = self._bot_messages(owner, with_buttons=True)
        if not messages or owner == presser:
            return self.text()
        self.kinds["press_foreign"] += 1
        message = self.rng.choice(messages)
        self._query(presser, message, self.rng.choice(bot_harness.buttons(message))[1], chat_id=owner)
        return None

    def press_inaccessible(self) -> None:
        """A press on a message too old for Telegram to include (date 0), or on an inline message."""
        user = self._user()
        self.kinds["press_inaccessible"] += 1
        messages = self._bot_messages(user, with_buttons=True)
        data = self.rng.choice(bot_harness.buttons(messages[-1]))[1] if messages else "1:0:x"
        if self.rng.random() < 0.5:
            inaccessible = {"chat": self.fake.add_chat(user), "message_id": self.rng.randrange(1, 10**6), "date": 0}
            query_id = self.fake.open_query(user, inaccessible["message_id"])
            self.fake.queue_update(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": self._from(user),
                        "message": inaccessible,
                        "chat_instance": "1",
                        "data": data,
                    }
                }
            )
        else:
            self._query(user, None, data)

    def media(self) -> None:
        user = self._user()
        kind, content = self.rng.choice(self._media())
        self.kinds[f"media:{kind}"] += 1
        self.fake.queue_update({"message": self._private_message(user, **content)})

    def _media(self) -> list[tuple[str, dict[str, Any]]]:
        file = {"file_id": "f" + str(self.rng.randrange(10**9)), "file_unique_id": "u1"}
        caption = {"caption": self._text(100)} if self.rng.random() < 0.5 else {}
        return [
            (
                "sticker",
                {
                    "sticker": {
                        **file,
                        "type": "regular",
                        "width": 512,
                        "height": 512,
                        "is_animated": False,
                        "is_video": False,
                        "emoji": "😀",
                    }
                },
            ),
            ("photo", {"photo": [{**file, "width": 90, "height": 90}], **caption}),
            ("voice", {"voice": {**file, "duration": self.rng.randrange(0, 10**6)}}),
            (
                "location",
                {"location": {"latitude": self.rng.uniform(-90, 90), "longitude": self.rng.uniform(-180, 180)}},
            ),
            ("contact", {"contact": {"phone_number": "+33612345678", "first_name": "A", "user_id": self._id()}}),
            ("document", {"document": {**file, "file_name": self._text(30) or "f"}, **caption}),
            ("dice", {"dice": {"emoji": "🎲", "value": 3}}),
            ("venue", {"venue": {"location": {"latitude": 0.0, "longitude": 0.0}, "title": "t", "address": "a"}}),
            ("video_note", {"video_note": {**file, "length": 240, "duration": 1}}),
            (
                "forwarded_text",
                {
                    "text": self._text() or "x",
                    "forward_origin": {"type": "hidden_user", "sender_user_name": "x", "date": 0},
                },
            ),
            (
                "reply",
                {
                    "text": "/checkup",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
                    "reply_to_message": {"message_id": 1, "date": 0, "chat": self.fake.add_chat(FIRST_USER)},
                },
            ),
            ("via_bot", {"text": "x", "via_bot": {"id": 1, "is_bot": True, "first_name": "b"}}),
        ]

    def group(self) -> None:
        kind = self.rng.choice(("group", "supergroup"))
        self.kinds[f"group:{kind}"] += 1
        chat = self._chat("group" if kind == "group" else "supergroup")
        user = self._user()
        text = self.rng.choice(("/start", "/checkup@gaffe_test_bot", "/checkup@other_bot", self._text(), "/aide"))
        message = {
            "message_id": self.fake.new_message_id(chat["id"]),
            "from": self._from(user),
            "chat": chat,
            "date": int(time.time()),
            "text": text or "x",
        }
        entities = command_entities(message["text"])
        if entities:
            message["entities"] = entities
        if self.rng.random() < 0.2:  # an anonymous admin: the group itself sends, `from` is the group bot
            message["sender_chat"] = chat
            message["from"] = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
        self.fake.keep(message)
        self.fake.queue_update({"message": message})

    def channel(self) -> None:
        self.kinds["channel"] += 1
        chat = self._chat("channel")
        post = {
            "message_id": self.fake.new_message_id(chat["id"]),
            "chat": chat,
            "sender_chat": chat,
            "date": int(time.time()),
            "text": self.rng.choice(("/start", "/checkup", self._text() or "x")),
        }
        if post["text"].startswith("/"):
            post["entities"] = [{"type": "bot_command", "offset": 0, "length": len(post["text"])}]
        self.fake.queue_update({self.rng.choice(("channel_post", "edited_channel_post")): {**post, "edit_date": 1}})

    def edited(self) -> None:
        self.kinds["edited_message"] += 1
        user = self._user()
        text = self.rng.choice(("/checkup", "/start", self._text() or "x"))
        chat = self.fake.add_chat(user) if self.rng.random() < 0.7 else self._chat("group")
        message = {
            "message_id": self.fake.new_message_id(chat["id"]),  # a message that exists: Gaffe may delete it
            "from": self._from(user),
            "chat": chat,
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        self.fake.keep(message)
        self.fake.queue_update({"edited_message": message})

    def other_kind(self) -> None:
        """Kinds python-telegram-bot knows and Gaffe has no handler for."""
        user = self._user()
        sender = self._from(user)
        chat = self.fake.add_chat(user)
        kinds: dict[str, dict[str, Any]] = {
            "inline_query": {"id": "1", "from": sender, "query": self._text(50), "offset": ""},
            "chosen_inline_result": {"result_id": "1", "from": sender, "query": "q"},
            "shipping_query": {
                "id": "1",
                "from": sender,
                "invoice_payload": "p",
                "shipping_address": {
                    "country_code": "FR",
                    "state": "",
                    "city": "P",
                    "street_line1": "",
                    "street_line2": "",
                    "post_code": "1",
                },
            },
            "pre_checkout_query": {
                "id": "1",
                "from": sender,
                "currency": "EUR",
                "total_amount": 1,
                "invoice_payload": "p",
            },
            "poll_answer": {"poll_id": "1", "user": sender, "option_ids": [0], "option_persistent_ids": ["a"]},
            "my_chat_member": {
                "chat": chat,
                "from": sender,
                "date": 0,
                "old_chat_member": {"status": "member", "user": self.fake.bot_user},
                "new_chat_member": {"status": "kicked", "user": self.fake.bot_user, "until_date": 0},
            },
            "chat_join_request": {"chat": self._chat("supergroup"), "from": sender, "user_chat_id": user, "date": 0},
            "message_reaction": {
                "chat": chat,
                "message_id": 1,
                "user": sender,
                "date": 0,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            },
        }
        kind = self.rng.choice(sorted(kinds))
        self.kinds[f"other:{kind}"] += 1
        self.fake.queue_update({kind: kinds[kind]})

    def unknown_kind(self) -> None:
        """A kind added to the Bot API after this python-telegram-bot: it arrives with no known field."""
        self.kinds["unknown_kind"] += 1
        name = self.rng.choice(("future_thing", "gift_received", "business_connection_v9", "x"))
        self.fake.queue_update({name: {"id": self._id(), "text": self._text(50), "nested": {"a": [1, None]}}})

    def service_message(self) -> None:
        """Messages without text or media: a pinned message, a new title, a migration, a deleted photo."""
        self.kinds["service"] += 1
        content = self.rng.choice(
            (
                {"pinned_message": {"message_id": 1, "date": 0, "chat": self.fake.add_chat(FIRST_USER)}},
                {"new_chat_title": "t"},
                {"delete_chat_photo": True},
                {"migrate_to_chat_id": -(10**12)},
                {"new_chat_members": [self.fake.bot_user]},
                {"left_chat_member": self.fake.bot_user},
                {"write_access_allowed": {}},
                {"users_shared": {"request_id": 1, "users": [{"user_id": 1}]}},
            )
        )
        if self.rng.random() < 0.5:
            self.fake.queue_update({"message": self._private_message(self._user(), **content)})
        else:
            chat = self._chat("supergroup")
            message = {
                "message_id": 1,
                "from": self._from(self._user()),
                "chat": chat,
                "date": int(time.time()),
                **content,
            }
            self.fake.queue_update({"message": message})

    def no_sender(self) -> None:
        """A message without `from` (it is optional: channels, some service messages), also in a private chat."""
        self.kinds["no_from"] += 1
        user = self._user()
        text = self.rng.choice(("/checkup", "hello", "/start"))
        message = {
            "message_id": self.fake.new_message_id(user),
            "chat": self.fake.add_chat(user),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        if self.rng.random() < 0.5:
            message["from"] = self._from(user, is_bot=True)  # another bot (Telegram doesn't do it; a test might)
        self.fake.queue_update({"message": message})


@asynccontextmanager
async def uncapped() -> AsyncIterator[None]:
    """The bot's rate limiter without the overall and group budgets (robustness, not pacing)."""

    def limiter(**_: Any) -> PriorityRateLimiter:
        return PriorityRateLimiter(overall_max_rate=0, group_max_rate=0)

    with mock.patch.object(telegram_adapter, "PriorityRateLimiter", limiter):
        yield


async def quiet(fake: FakeBotApi, idle: float = 0.5, timeout: float = 60) -> None:
    """Until the bot has taken every update and made no call for `idle` seconds (AssertionError if it doesn't)."""
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        if not fake.updates_waiting and len(fake.sent) == seen:
            return
        seen = len(fake.sent)
        await asyncio.sleep(idle)
    raise AssertionError(f"the bot is stuck: {fake.updates_waiting} updates not taken after {timeout} s")


async def run_fuzz(db: Path, updates: int = 10_000, seed: int = 5, users: int = 20, batch: int = 50) -> FuzzReport:
    """Feed `updates` random updates in batches (each batch taken before the next), then take a checkup."""
    report = FuzzReport()
    collect = Collect()
    root = logging.getLogger()
    root.addHandler(collect)
    level = root.level
    root.setLevel(logging.WARNING)
    started = time.monotonic()
    try:
        async with FakeBotApi() as fake, uncapped(), bot_harness.running_bot(fake, db):
            fuzzer = Fuzzer(fake, random.Random(seed), users)
            for done in range(0, updates, batch):
                for _ in range(min(batch, updates - done)):
                    fuzzer.one()
                await quiet(fake, idle=0.05)
            await quiet(fake)
            report.updates = updates
            report.kinds = fuzzer.kinds
            text, presses = await bot_harness.checkup_by_buttons(fake, FIRST_USER - 1, bot_harness.best)
            report.answers_normally = "100/100" in text and presses >= 10
            report.fake_errors = [f"{e.method} {e.code} {e.description}" for e in fake.errors]
            report.bot_calls = len(fake.sent)
    finally:
        root.removeHandler(collect)
        root.setLevel(level)
    report.errors_logged = collect.errors
    report.warnings_logged = collect.warnings
    report.seconds = time.monotonic() - started
    return report
