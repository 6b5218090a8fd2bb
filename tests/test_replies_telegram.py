"""Every part of a reply reaches the user, end to end against the fake Bot API: a file Telegram refuses or keeps
failing on is said missing while the reply's text and buttons still arrive (a failure once is retried)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot_harness import best, buttons, checkup_by_buttons, running_bot
from fake_bot_api import Call, FakeBotApi

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
