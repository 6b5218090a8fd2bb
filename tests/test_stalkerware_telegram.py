"""The stalkerware look-up end to end through the fake Bot API, with Echap's real file when this machine has it:
at any time, and in /espion (found by name, alias or package; "not in the list" for another app)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.bot_harness import next_message, press, running_bot, settings_for
from tests.support.fake_bot_api import FakeBotApi

REAL = Path("/work/shared/data/stalkerware-indicators/ioc.yaml")
needs_real = pytest.mark.skipif(not REAL.exists(), reason="Echap's ioc.yaml is not on this machine")
USER = 77


@needs_real
@pytest.mark.parametrize(
    ("language", "found", "missing"),
    [
        ("fr", "est dans la liste des logiciels espions connus", "Pas dans la liste, ce qui ne prouve rien"),
        ("en", "is on the list of known spyware", "Not in the list, which proves nothing"),
    ],
)
async def test_the_real_list_end_to_end(
    fake: FakeBotApi, tmp_path: Path, language: str, found: str, missing: str
) -> None:
    db = tmp_path / "g.sqlite3"
    async with running_bot(fake, db, replace(settings_for(fake, db), stalkerware_ioc=REAL)):
        mark = len(fake.sent)
        fake.user_sends(USER, "com.mspy.lite", language_code=language)  # at any time
        answer, mark = await next_message(fake, USER, mark)
        assert "mSpy" in answer["text"] and found in answer["text"] and "Echap" in answer["text"]
        fake.user_sends(USER, "/espion" if language == "fr" else "/spyware", language_code=language)
        warn, mark = await next_message(fake, USER, mark)
        picker, mark = await press(fake, USER, warn, 0, mark)  # "this device is safe": the help needs a country
        help_lines, mark = await press(fake, USER, picker, 0, mark)  # the first country offered
        _, mark = await press(fake, USER, help_lines, 3, mark)  # "look up an app's name", the fourth button
        for typed, expected in (("mSpy", "<b>mSpy</b>"), ("eyeZy", "<b>mSpy</b>"), ("com.whatsapp", missing)):
            fake.user_sends(USER, typed, language_code=language)
            answer, mark = await next_message(fake, USER, mark)
            assert expected.replace("<b>", "").replace("</b>", "") in answer["text"], answer["text"]
            assert (found in answer["text"]) == (typed != "com.whatsapp")
            if typed != "com.whatsapp":
                _, mark = await press(fake, USER, answer, 0, mark)  # "look up another name"
