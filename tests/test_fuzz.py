"""Fuzzing, reduced: 1,000 random and malformed updates against the running bot (`python -m bench.fuzz` runs 10,000),
then a normal checkup; and the bugs the fuzzing found, each pinned by its own test."""

from __future__ import annotations

from pathlib import Path

from tests.support import fuzz
from tests.support.bot_harness import buttons, next_message, running_bot
from tests.support.fake_bot_api import FakeBotApi


async def test_a_thousand_odd_updates_break_nothing(tmp_path: Path) -> None:
    report = await fuzz.run_fuzz(tmp_path / "fuzz.sqlite3", updates=1000, seed=7)
    summary = "\n".join(report.lines())
    assert report.updates == 1000 and len(report.kinds) >= 25, summary  # the mix really is mixed
    assert report.errors_logged == [], summary
    assert report.fake_errors == [], summary
    assert report.answers_normally, summary


async def test_a_command_for_another_bot_gets_no_answer(fake: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        fake.user_sends(7, "/checkup@other_bot")
        fake.user_sends(8, "/checkup@other_bot", chat_type="group")
        fake.user_sends(7, "/start@GAFFE_test_bot")  # its own name, any case: answered
        await fake.wait_for_message(7)
        await fuzz.quiet(fake, idle=0.3)
    assert len(fake.calls("sendMessage")) == 1, [c.params for c in fake.calls("sendMessage")]


async def test_a_press_on_a_message_too_old_to_show_keeps_its_text(fake: FakeBotApi, tmp_path: Path) -> None:
    """Telegram sends a message older than 48 hours as date 0 with no text: the bot must not edit it to the
    pick alone (which would wipe the question), but the press still counts."""
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        mark = len(fake.sent)
        fake.user_sends(9, "/checkup")
        intro, mark = await next_message(fake, 9, mark)
        query_id = fake.open_query(9, intro["message_id"])
        inaccessible = {"chat": intro["chat"], "message_id": intro["message_id"], "date": 0}
        fake.queue_update({"callback_query": {"id": query_id, "from": {"id": 9, "is_bot": False, "first_name": "A"},
                                              "message": inaccessible, "chat_instance": "1",
                                              "data": buttons(intro)[0][1]}})  # fmt: skip
        question, _ = await next_message(fake, 9, mark)
    assert buttons(question) and question["text"] != intro["text"]
    assert fake.calls("editMessageText") == [] and fake.errors == []
