"""Privacy end to end, through the fake Bot API: /mesdonnees after a checkup, /oublie then nothing left (in the
export, the database file or its WAL); a canary text never reaches the database, its WAL or the logs at DEBUG;
the flood limit; /stats for an admin and a non-admin; "delete this conversation" and Telegram's 48 hours."""

from __future__ import annotations

import io
import json
import logging
import math
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.logs import setup_logging
from tests.support.bot_harness import best, buttons, checkup_by_buttons, next_message, running_bot, settings_for
from tests.support.fake_bot_api import FakeBotApi

USER, OTHER, ADMIN = 7101, 7102, 7103
CANARY = "canari Zébulon-Quetzalcoatl au jardin"


def raw(db: Path) -> bytes:
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def press_label(fake: FakeBotApi, user: int, message: dict[str, Any], label: str) -> tuple[dict[str, Any], int]:
    labels = [text for text, _ in buttons(message)]
    return await _press(fake, user, message, labels.index(label))


async def _press(fake: FakeBotApi, user: int, message: dict[str, Any], index: int) -> tuple[dict[str, Any], int]:
    mark = len(fake.sent)
    fake.user_presses(user, message["message_id"], buttons(message)[index][1])
    return await next_message(fake, user, mark)


async def say(fake: FakeBotApi, user: int, text: str, language: str = "fr") -> tuple[dict[str, Any], int]:
    mark = len(fake.sent)
    fake.user_sends(user, text, language_code=language)
    return await next_message(fake, user, mark)


async def exported(fake: FakeBotApi, user: int, command: str, language: str = "fr") -> tuple[dict[str, Any], str]:
    """The document /mesdonnees sends, parsed, and the message that comes with it."""
    mark = len(fake.sent)
    fake.user_sends(user, command, language_code=language)
    call = await fake.wait_for(lambda c: c.ok and c.method == "sendDocument", after=mark)
    message, _ = await next_message(fake, user, mark)
    stored = next(m for m in fake.messages(user) if m["message_id"] == call.result["message_id"])
    assert stored["document"]["file_name"] == ("gaffe-my-data.json" if language == "en" else "gaffe-mes-donnees.json")
    return json.loads(stored["upload"].data), message["text"]


async def test_mydata_then_forget_then_nothing_is_left(fake: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite3"
    async with running_bot(fake, db):
        await checkup_by_buttons(fake, USER, best)
        await checkup_by_buttons(fake, OTHER, best, "en")
        document, text = await exported(fake, USER, "/mesdonnees")
        assert "Tes check-ups\u00a0: 1 élément" in text
        assert document["data"]["checkups"]["rows"][0]["score"] == 100
        assert document["data"]["profile"]["fields"]["updated_at"].startswith("Ta dernière réponse")
        english, _ = await exported(fake, OTHER, "/mydata", "en")
        assert english["data"]["checkups"]["why"].startswith("To show you your progress")
        confirm, _ = await say(fake, USER, "/oublie")
        done, _ = await press_label(fake, USER, confirm, "Oui, efface tout")
        assert "j'ai tout effacé" in done["text"]
        with sqlite3.connect(db) as connection:
            for table in ("users", "checkups", "outbox"):
                count = f"SELECT COUNT(*) FROM {table} WHERE user_id = ?"
                assert connection.execute(count, (USER,)).fetchone() == (0,), table
            assert connection.execute("SELECT COUNT(*) FROM checkups WHERE user_id = ?", (OTHER,)).fetchone() == (1,)
        document, text = await exported(fake, USER, "/mesdonnees")
        assert document["data"]["checkups"]["rows"] == [] and "Tes check-ups\u00a0: 0 élément" in text
    assert fake.errors == []


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """Gaffe's logging as `python -m bot` sets it up, at DEBUG, captured (the fake server's own access log, which
    is not Gaffe's, is left out)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in ("telegram", "aiosqlite", "httpx")}
    setup_logging("123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz", logging.DEBUG)
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(lambda record: not record.name.startswith("aiohttp"))
    root.handlers.append(handler)
    yield captured
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


async def test_a_canary_text_reaches_neither_the_database_nor_the_logs(
    fake: FakeBotApi, tmp_path: Path, debug_logs: io.StringIO
) -> None:
    db = tmp_path / "g.sqlite3"
    async with running_bot(fake, db):
        answer, _ = await say(fake, USER, CANARY)  # outside a question
        assert "Je comprends pas tout" in answer["text"]
        await say(fake, USER, "/checkup")
        again, _ = await say(fake, USER, CANARY)  # at a question with buttons
        assert buttons(again)
    logs = debug_logs.getvalue()
    assert "DEBUG" in logs and "gaffe" in logs  # the capture works, at DEBUG
    for planted in (CANARY, "Zébulon"):
        assert planted.encode() not in raw(db) and planted not in logs
    assert fake.token not in logs and fake.token.split(":")[1] not in logs


async def test_a_flood_gets_one_notice_and_other_users_are_still_answered(fake: FakeBotApi, tmp_path: Path) -> None:
    settings = replace(settings_for(fake, tmp_path / "g.sqlite3"), flood_updates=20, flood_seconds=10)
    async with running_bot(fake, tmp_path / "g.sqlite3", settings):
        for number in range(100):
            fake.user_sends(USER, f"message {number}")
        answer, _ = await say(fake, OTHER, "/start")
        assert "Fais gaffe mon pote" in answer["text"]
        notice = await fake.wait_for_message(USER, contains="Doucement")
        await fake.wait_for_message(OTHER, contains="Sinon, on fait quoi")
        fake.user_sends(OTHER, "/aide")
        await fake.wait_for_message(OTHER, contains="Voilà ce que je sais faire")
    to_flooder = [m for m in fake.messages(USER, from_bot=True)]
    assert sum("Doucement" in m["text"] for m in to_flooder) == 1 and notice
    assert len(to_flooder) == 21  # 20 answers, then the one notice; the other 79 messages are ignored


async def test_stats_for_an_admin_and_an_unknown_command_for_anyone_else(fake: FakeBotApi, tmp_path: Path) -> None:
    settings = replace(settings_for(fake, tmp_path / "g.sqlite3"), admins=frozenset({ADMIN}))
    async with running_bot(fake, tmp_path / "g.sqlite3", settings):
        await checkup_by_buttons(fake, USER, best)
        stats, _ = await say(fake, ADMIN, "/stats")
        assert "Gaffe en chiffres" in stats["text"] and "Check-ups\u00a0: 1, dont 1 cette semaine" in stats["text"]
        assert str(USER) not in stats["text"]
        refused, _ = await say(fake, USER, "/stats")
        unknown, _ = await say(fake, USER, "/nimportequoi")
        assert refused["text"] == unknown["text"] and "je ne la connais pas" in refused["text"]
    assert all(c["command"] != "stats" for c in fake.my_commands("fr") + fake.my_commands("en"))
    admin_menu = fake.my_commands(scope={"type": "chat", "chat_id": ADMIN})
    assert admin_menu[-1] == {"command": "stats", "description": "Les chiffres de Gaffe (admins)"}


async def test_delete_this_conversation_deletes_both_sides_younger_than_48_hours(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    async with FakeBotApi(clock=lambda: now[0]) as fake:
        async with running_bot(fake, tmp_path / "g.sqlite3"):
            await say(fake, USER, "/start")  # two days old by the time the chat is deleted
            old = [m["message_id"] for m in fake.messages(USER)]
            now[0] += 49 * 3600
            warn, _ = await say(fake, USER, "/espion")
            picker, _ = await press_label(fake, USER, warn, "Non, ou je sais pas")  # its help lines need a country
            unsafe, _ = await press_label(fake, USER, picker, "France")
            info, _ = await press_label(fake, USER, unsafe, "Effacer cette conversation")
            recent = [m["message_id"] for m in fake.messages(USER) if m["message_id"] not in old]
            done, _ = await press_label(fake, USER, info, "Efface les messages")
        deleted = [message_id for chat, message_id in fake.deleted if chat == USER]
        assert sorted(deleted) == sorted(recent)  # the user's and Gaffe's, down from the pressed message
        assert "J'ai effacé nos messages de ce chat" in done["text"]
        assert "moins de 48 heures" in done["text"] and "/oublie" in done["text"]  # what is left, and the way on
        left = [m["message_id"] for m in fake.messages(USER)]
        assert left == [*old, done["message_id"]]  # the old ones are refused by Telegram; the confirmation stays
        assert [e for e in fake.errors if "can't be deleted" not in str(e)] == []
        assert fake.calls("deleteMessage") == [] and len(fake.calls("deleteMessages")) <= 1 + 7  # one, then halving


async def test_with_nothing_older_the_confirmation_says_only_what_was_deleted(fake: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        warn, _ = await say(fake, USER, "/espion")
        picker, _ = await press_label(fake, USER, warn, "Non, ou je sais pas")  # its help lines need a country
        unsafe, _ = await press_label(fake, USER, picker, "France")
        info, _ = await press_label(fake, USER, unsafe, "Effacer cette conversation")
        before = len(fake.messages(USER))
        done, _ = await press_label(fake, USER, info, "Efface les messages")
    assert before == 5  # /espion, and four questions, the country among them (an answered one is edited, not resent)
    assert "J'ai effacé nos messages" in done["text"] and "moins de 48 heures" not in done["text"]
    assert [m["message_id"] for m in fake.messages(USER)] == [done["message_id"]]


async def test_deleting_hundreds_of_messages_takes_one_call_per_100_ids(fake: FakeBotApi, tmp_path: Path) -> None:
    """deleteMessages, 100 ids a call: ceil(n/100) calls for n ids, gaps (messages the user deleted) skipped
    without a 400, every message gone but the confirmation."""
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        history = fake.add_history(USER, 240)  # what the user wrote earlier today
        for gap in history[5::7]:
            fake.user_deletes(USER, gap)
        warn, _ = await say(fake, USER, "/espion")
        picker, _ = await press_label(fake, USER, warn, "Non, ou je sais pas")  # its help lines need a country
        unsafe, _ = await press_label(fake, USER, picker, "France")
        info, _ = await press_label(fake, USER, unsafe, "Effacer cette conversation")
        done, _ = await press_label(fake, USER, info, "Efface les messages")
    calls = fake.calls("deleteMessages")
    assert len(calls) == math.ceil(info["message_id"] / 100) == 3 and fake.calls("deleteMessage") == []
    assert all(1 <= len(call.params["message_ids"]) <= 100 for call in calls)
    assert sorted(i for call in calls for i in call.params["message_ids"]) == list(range(1, info["message_id"] + 1))
    assert [m["message_id"] for m in fake.messages(USER)] == [done["message_id"]] and fake.errors == []
    assert "J'ai effacé nos messages" in done["text"] and "moins de 48 heures" not in done["text"]
