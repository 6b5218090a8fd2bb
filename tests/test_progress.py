"""Progress (/progres, /progress): the history kept by the checkup's effect, its text, its chart, and the
whole command end to end through the fake Bot API in both languages."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from bot.core.dialogue import Content
from bot.core.i18n import Translator
from bot.features.progress import PastCheckup, Progress, chart_font, date_labels, draw_chart, sparkline
from tests.support.bot_harness import buttons, checkup_by_buttons, next_message, running_bot
from tests.support.fake_bot_api import FakeBotApi


def history(*scores: int, actions: tuple[tuple[str, ...], ...] = ()) -> tuple[PastCheckup, ...]:
    return tuple(
        PastCheckup(datetime(2026, 1 + i, 5, 10, tzinfo=UTC), s, actions[i] if actions else ())
        for i, s in enumerate(scores)
    )


def test_sparkline_spans_the_blocks() -> None:
    assert sparkline([0, 50, 100]) == "▁▄█"
    assert sparkline([]) == ""


def test_the_text_has_dates_scores_the_trend_and_what_improved(
    shipped: Content, translators: dict[str, Translator]
) -> None:
    past = history(40, 55, 70, actions=(("email-2fa", "backups"), ("backups",), ("auto-updates",)))
    text, (chart,) = Progress(past).render(shipped, translators["fr"])
    assert "Tes 3 check-ups" in text and "5 janvier 2026" in text and "<b>70/100</b>" in text
    assert "+30 points" in text
    assert "Réglés depuis le premier" in text and translators["fr"].text(shipped.advice["email-2fa"].title) in text
    assert translators["fr"].text(shipped.advice["auto-updates"].title) in text.split("Encore à faire")[1]
    assert "▄▅▆" in text
    english, _ = Progress(history(80, 60)).render(shipped, translators["en"])
    assert "Your 2 checkups" in english and "January 5, 2026" in english and "20 points lower" in english
    assert chart.kind == "photo" and chart.data.startswith(b"\x89PNG")


def test_no_checkup_yet_says_so_and_sends_no_chart(shipped: Content, translators: dict[str, Translator]) -> None:
    text, files = Progress(()).render(shipped, translators["en"])
    assert "/checkup" in text and files == ()


@pytest.mark.parametrize("count", [1, 2, 12])
def test_the_chart_is_a_valid_png_of_its_points(translators: dict[str, Translator], count: int) -> None:
    data = draw_chart(history(*[(i * 37) % 101 for i in range(count)]), translators["fr"])
    image = Image.open(io.BytesIO(data))
    image.verify()
    assert image.format == "PNG" and image.size == (800, 440)
    pixels = Image.open(io.BytesIO(data)).convert("RGB")
    blue = dict((color, n) for n, color in pixels.getcolors(maxcolors=1 << 20) or []).get((0x1F, 0x6F, 0xEB), 0)
    assert blue > 50 * count  # every point (and the line) is drawn


def drawn_as_missing(font: ImageFont.FreeTypeFont, character: str) -> bool:
    """True when the font has no glyph for `character`: it draws the same box as an unassigned code point."""
    return bytes(font.getmask(character)) == bytes(font.getmask("\ue000"))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_chart_font_draws_every_month_of_both_languages(language: str) -> None:
    """Pillow's default font drew "7 d□c.": the chart's font has a glyph for every letter of every month."""
    font = chart_font(16)
    labels = date_labels(
        tuple(PastCheckup(datetime(2026, m, 7, 9, tzinfo=UTC), 50, ()) for m in range(1, 13)), language
    )
    missing = {c for label in labels for c in label if not c.isspace() and drawn_as_missing(font, c)}
    assert not missing, f"no glyph for {sorted(missing)} in {labels}"
    assert "déc." in labels[11] if language == "fr" else "Dec" in labels[11]


def test_the_chart_has_its_title_and_keeps_checkups_of_one_day_apart(translators: dict[str, Translator]) -> None:
    same_day = (
        PastCheckup(datetime(2026, 12, 7, 9, 5, tzinfo=UTC), 40, ()),
        PastCheckup(datetime(2026, 12, 7, 18, 30, tzinfo=UTC), 70, ()),
        PastCheckup(datetime(2026, 12, 8, 8, 0, tzinfo=UTC), 75, ()),
    )
    labels = date_labels(same_day, "fr")
    assert labels[0] != labels[1] and "09:05" in labels[0] and "18:30" in labels[1]
    assert labels[2] == "8 déc."  # alone on its day: the date alone
    untitled = Image.open(io.BytesIO(draw_chart(same_day, translators["fr"]))).convert("RGB")
    titled = Image.open(io.BytesIO(draw_chart(same_day, translators["fr"], "Ton score"))).convert("RGB")
    band = (0, 0, 800, 50)  # the title's band, above the plot
    assert untitled.crop(band).getcolors() == [(800 * 50, (255, 255, 255))]
    assert len(titled.crop(band).getcolors(maxcolors=1 << 16) or []) > 1


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
