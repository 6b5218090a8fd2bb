"""Breach watch end to end through the fake Bot API: watching mSpy in both languages, and an alert from a newer
catalogue served over HTTP, its button, and a second press on the old message."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.bot_harness import buttons, next_message, press, running_bot, settings_for
from tests.support.data_server import DataServer, data_server
from tests.support.fake_bot_api import FakeBotApi
from tests.test_breaches import ALICE, BOB, DATA, OLDER, SAMPLE, T0, refresh


async def add_service(fake: FakeBotApi, user: int, name: str, language: str) -> str:
    mark = len(fake.sent)
    fake.user_sends(user, "/fuites" if language == "fr" else "/breaches", language_code=language)
    intro, mark = await next_message(fake, user, mark)
    await press(fake, user, intro, 0, mark)
    mark = len(fake.sent)
    fake.user_sends(user, name, language_code=language)
    answer, _ = await next_message(fake, user, mark)
    return str(answer["text"])


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["je surveille mSpy", "2 fuites connues", "14 mai 2015", "9 juin 2024", "Adresses e-mail"]),
        ("en", ["watching mSpy", "2 known breaches", "May 14, 2015", "June 9, 2024", "Email addresses"]),
    ],
)
async def test_watching_mspy_end_to_end(fake: FakeBotApi, tmp_path: Path, language: str, expected: list[str]) -> None:
    config = replace(settings_for(fake, tmp_path / "g.sqlite3"), hibp_breaches=str(DATA / "hibp-breaches-sample.json"))
    async with running_bot(fake, tmp_path / "g.sqlite3", config):
        text = await add_service(fake, 7, "mSpy", language)
    for fragment in [*expected, "Have I Been Pwned", "CC BY 4.0"]:
        assert fragment in text, text


async def test_an_alert_and_its_button_end_to_end(fake: FakeBotApi, tmp_path: Path) -> None:
    server: DataServer
    async with data_server() as server:
        server.serve("/breaches", OLDER)
        db = tmp_path / "g.sqlite3"
        config = replace(settings_for(fake, db), hibp_breaches=f"{server.base_url}/breaches", data_dir=tmp_path / "d")
        async with running_bot(fake, db, config) as app:
            telegram = app.bot_data["gaffe"]
            assert await refresh(telegram.gaffe, config, telegram.push, T0) == 0
            await add_service(fake, ALICE, "mSpy", "fr")
            await add_service(fake, BOB, "Adobe", "fr")
            server.serve("/breaches", SAMPLE)
            mark = len(fake.sent)
            assert await refresh(telegram.gaffe, config, telegram.push, T0 + timedelta(days=1, hours=1)) == 1
            alert = await fake.wait_for_message(ALICE, "nouvelle fuite connue", after=mark)
            assert "mSpy (2024)" in alert["text"] and "Have I Been Pwned" in alert["text"]
            assert not [m for m in fake.messages(BOB) if "nouvelle fuite connue" in m["text"]]
            ((label, data),) = buttons(alert)
            assert label == "J'ai changé le mot de passe"
            thanks, _ = await press(fake, ALICE, alert, 0, len(fake.sent))
            assert "Bien joué" in thanks["text"]
            mark = len(fake.sent)
            fake.user_presses(ALICE, alert["message_id"], data, strict=False)  # a second press, on the old message
            answered = await fake.wait_for(
                lambda c: c.method == "answerCallbackQuery" and c.params.get("text"), after=mark
            )
            assert answered.params["text"] == "C'est déjà noté 👍"
            assert not [m for m in fake.messages(ALICE) if "Bien joué" in m["text"]][1:]
