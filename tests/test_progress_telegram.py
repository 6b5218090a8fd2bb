"""Progress (/progres, /progress) end to end through the fake Bot API, in both languages: three checkups by
buttons, then the command's text with its scores and dates, and the chart sent as a photo before it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from tests.support.bot_harness import buttons, checkup_by_buttons, next_message, running_bot
from tests.support.fake_bot_api import FakeBotApi


def weakest_first_then_best(round_: int) -> Callable[[int, int], int]:
    """The weakest answer to every question of the first checkup but the last (the phone one: "no", or it ends
    on the safety page, with no score), the best ones after."""
    return lambda number, count: (count - 1) if round_ == 0 and number < 10 else 0


@pytest.mark.parametrize(
    ("language", "command", "header", "none"),
    [("fr", "/progres", "Tes 3 check-ups", "Pas encore"), ("en", "/progress", "Your 3 checkups", "No checkup")],
)
async def test_progress_after_three_checkups_end_to_end(
    fake: FakeBotApi, tmp_path: Path, language: str, command: str, header: str, none: str
) -> None:
    user = 4242
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        fake.user_sends(user, command, language_code=language)
        assert none in (await fake.wait_for_message(user, contains=none))["text"]
        for round_ in range(3):
            await checkup_by_buttons(fake, user, weakest_first_then_best(round_), language)
        mark = len(fake.sent)
        fake.user_sends(user, command, language_code=language)
        photo_call = await fake.wait_for(lambda c: c.ok and c.method == "sendPhoto", after=mark)
        text_message, _ = await next_message(fake, user, mark)
    photo = next(
        m for m in fake.messages(user) if m.get("photo") and m["message_id"] == photo_call.result["message_id"]
    )
    assert photo["upload"].data.startswith(b"\x89PNG") and Image.open(io.BytesIO(photo["upload"].data)).format == "PNG"
    text = text_message["text"]
    assert header in text
    scores = [int(s) for s in re.findall(r"(\d+)/100", text)]
    assert len(scores) == 3 and scores[0] < scores[1] == scores[2] == 100
    assert re.search(r"\d{4}", text)  # dated
    assert buttons(text_message)  # and the way on: another checkup, or done
    assert photo_call.time < next(c.time for c in fake.sent if c.ok and c.result == text_message)
    assert fake.errors == []
