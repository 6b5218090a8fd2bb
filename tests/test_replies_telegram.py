"""Every part of a reply reaches the user, end to end against the fake Bot API: a file Telegram refuses or keeps
failing on is said missing while the reply's text and buttons still arrive (a failure once is retried); a reply
lost in an outage is sent again whole, the reaction to the answer with the next question."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from tests.support.bot_harness import best, buttons, checkup_by_buttons, next_message, press, running_bot, settings_for
from tests.support.fake_bot_api import Call, FakeBotApi

USER = 7301
MISSING = "est pas passé, Telegram a calé"


def _with_buttons(user: int) -> Callable[[Call], bool]:
    """A question sent to the user (a message with buttons)."""
    return lambda c: (
        c.ok and c.method == "sendMessage" and c.params.get("chat_id") == user and "reply_markup" in c.params
    )


def _chat_since(fake: FakeBotApi, user: int, mark: int) -> list[Call]:
    return [c for c in fake.sent[mark:] if c.ok and c.params.get("chat_id") == user and c.method.startswith("send")]


async def test_a_refused_export_is_said_missing_and_the_text_and_buttons_arrive(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        mark = len(fake.sent)
        fake.fail_next("sendDocument", code=400, description="Bad Request: failed to upload the file")
        fake.user_sends(USER, "/mesdonnees")
        question = (await fake.wait_for(_with_buttons(USER), after=mark)).result
        sent = _chat_since(fake, USER, mark)
        assert [c.method for c in sent] == ["sendMessage", "sendMessage"]  # no document: a line says so
        assert MISSING in sent[0].result["text"] and "gaffe-mes-donnees.json" in sent[0].result["text"]
        assert "Voilà tout ce que je garde sur toi" in question["text"]
        assert [label for label, _ in buttons(question)] == ["Tout effacer", "C'est bon, merci"]
        assert len(fake.calls("sendDocument")) == 1  # a refusal (400) is final: not retried


async def test_a_chart_is_retried_then_said_missing_when_telegram_keeps_failing(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        await checkup_by_buttons(fake, USER, best)
        mark = len(fake.sent)
        fake.fail_next("sendPhoto", code=502)  # once: retried, the chart arrives
        fake.user_sends(USER, "/progres")
        await fake.wait_for(_with_buttons(USER), after=mark)
        assert [c.method for c in _chat_since(fake, USER, mark)] == ["sendPhoto", "sendMessage"]

        mark = len(fake.sent)
        fake.fail_next("sendPhoto", code=502, count=3)  # every retry fails
        fake.user_sends(USER, "/progres")
        question = (await fake.wait_for(_with_buttons(USER), after=mark)).result
        sent = _chat_since(fake, USER, mark)
        assert [c.method for c in sent] == ["sendMessage", "sendMessage"]
        assert MISSING in sent[0].result["text"] and "progress.png" in sent[0].result["text"]
        assert "Voilà où t'en es." in question["text"] and buttons(question)
        assert [e.code for e in fake.errors].count(502) == 4


async def _answer_in_an_outage(fake: FakeBotApi) -> tuple[int, str]:
    """The user starts the checkup and answers its first question while every retry of the reply fails (the
    outage); where in `fake.sent` it began, and the press's callback query id."""
    mark = len(fake.sent)
    fake.user_sends(USER, "/checkup")
    intro, mark = await next_message(fake, USER, mark)
    manager, mark = await press(fake, USER, intro, 0, mark)
    fake.fail_next("sendMessage", code=502, count=3)
    return mark, fake.user_presses(USER, manager["message_id"], buttons(manager)[3][1])  # "Dans ma tête"


async def test_after_an_outage_the_whole_reply_is_sent_again(fake: FakeBotApi, tmp_path: Path) -> None:
    """sendMessage failing past every retry: once Telegram answers again, the user gets the reaction to their
    answer with the next question (not the question alone), once, and nothing stays pending or queued."""
    db = tmp_path / "g.sqlite3"
    settings = replace(settings_for(fake, db), reminder_check_seconds=1.0)
    async with running_bot(fake, db, settings):
        mark, _ = await _answer_in_an_outage(fake)
        again = await fake.wait_for_message(USER, contains="Le même mot de passe", timeout=15, after=mark)
        assert "Comme plein de monde" in again["text"]  # the reaction to "Dans ma tête", before the question
        assert [label for label, _ in buttons(again)][:2] == ["Jamais, un par site", "Sur quelques sites"]
        question, _ = await press(fake, USER, again, 0, len(fake.sent))  # its buttons work
        assert buttons(question)
    sent = [c for c in fake.sent[mark:] if c.ok and c.method == "sendMessage" and "Le même mot de" in c.params["text"]]
    assert len(sent) == 1  # once, not also as "on reprend" and the bare question
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT reply_pending FROM users").fetchall() == [(0,)]
        assert check.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,)


async def test_a_reply_kept_in_an_outage_goes_before_the_users_next_one(fake: FakeBotApi, tmp_path: Path) -> None:
    """No tick comes (an hour away): the user's next message is what sends the kept reply, first, then its own."""
    db = tmp_path / "g.sqlite3"
    settings = replace(settings_for(fake, db), reminder_check_seconds=3600.0)
    async with running_bot(fake, db, settings):
        mark, query = await _answer_in_an_outage(fake)
        await fake.wait_for(lambda c: c.params.get("callback_query_id") == query, after=mark)
        await fake.wait_for(lambda c: [e.code for e in fake.errors].count(502) == 3, after=mark)
        fake.user_sends(USER, "/aide")
        help_reply = await fake.wait_for_message(USER, contains="/checkup", after=mark)
        texts = [c.result["text"] for c in fake.sent[mark:] if c.ok and c.method == "sendMessage"]
    assert len(texts) == 2 and "Comme plein de monde" in texts[0] and texts[1] == help_reply["text"]
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,)
