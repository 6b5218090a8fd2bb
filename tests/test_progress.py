"""Progress (/progres, /progress): the history kept by the checkup's effect (exported, counted, erased), its text
word for word, its chart against reference pictures. End to end through the fake Bot API:
tests/test_progress_telegram.py (out of the mutation bench's fast selection: bench/mutation.py)."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import PIL
import pytest
from PIL import Image, ImageFont

from bot.core.dialogue import Content
from bot.core.engine import Command, Pick
from bot.core.i18n import Translator
from bot.features.progress import PastCheckup, Progress, chart_font, date_labels, draw_chart, sparkline
from bot.service import Gaffe
from bot.storage import Store
from tests.support.paths import ROOT
from tests.support.screen import Screen

CHARTS = ROOT / "tests" / "fixtures" / "charts"  # the reference pictures: `python -m tests.test_progress` redraws them


def history(*scores: int, actions: tuple[tuple[str, ...], ...] = ()) -> tuple[PastCheckup, ...]:
    return tuple(
        PastCheckup(datetime(2026, 1 + i, 5, 10, tzinfo=UTC), s, actions[i] if actions else ())
        for i, s in enumerate(scores)
    )


def test_sparkline_spans_the_blocks() -> None:
    assert sparkline([0, 50, 100]) == "▁▄█"
    assert sparkline([]) == ""


def test_the_eight_blocks_share_the_scores_evenly() -> None:
    """Each block covers an eighth of 0–100: 12 is the lowest block, 13 the next; 88 the seventh, 89 the top."""
    assert sparkline([12, 13, 25, 26, 37, 38, 50, 51, 63, 64, 75, 76, 88, 89]) == "▁▂▂▃▃▄▄▅▅▆▆▇▇█"


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
    # The day, and the time (hours and minutes) when another checkup shares that day; alone on its day, the date alone.
    assert date_labels(same_day, "fr") == ["7 déc.\n09:05", "7 déc.\n18:30", "8 déc."]
    assert date_labels(same_day, "en") == ["7 Dec\n9:05\u202fAM", "7 Dec\n6:30\u202fPM", "8 Dec"]
    untitled = Image.open(io.BytesIO(draw_chart(same_day, translators["fr"]))).convert("RGB")
    titled = Image.open(io.BytesIO(draw_chart(same_day, translators["fr"], "Ton score"))).convert("RGB")
    band = (0, 0, 800, 50)  # the title's band, above the plot
    assert untitled.crop(band).getcolors() == [(800 * 50, (255, 255, 255))]
    assert len(titled.crop(band).getcolors(maxcolors=1 << 16) or []) > 1


# --- the text, word for word ---------------------------------------------------------------------------------------
def at_nine(day: int, score: int, actions: tuple[str, ...] = ()) -> PastCheckup:
    return PastCheckup(datetime(2026, 1, day, 9, tzinfo=UTC), score, actions)


def shown(text: str) -> str:
    return text.replace("\u00a0", " ")  # French typography: a no-break space before ":"


def test_the_text_lists_the_last_ten_the_trend_what_was_fixed_and_what_is_left(
    shipped: Content, translators: dict[str, Translator]
) -> None:
    """Twelve checkups: the last ten listed, the trend from the very first (+1: one point), what the first one
    advised and the last no longer does (an action both advise is not "fixed"), what the last advises, and the
    curve of all twelve; actions the content no longer has are left out of both lists."""
    scores = [20, 90, 35, 61, 48, 77, 12, 99, 64, 30]
    past = (
        at_nine(1, 50, ("email-2fa", "backups", "retired-advice", "screen-lock")),
        *(at_nine(2 + i, s) for i, s in enumerate(scores)),
        at_nine(12, 51, ("auto-updates", "retired-advice", "backups")),
    )
    text, (chart,) = Progress(past).render(shipped, translators["fr"])
    title = translators["fr"].text
    last_ten = zip(range(3, 13), [*scores[1:], 51], strict=True)
    listed = [f"{day} janvier 2026 : <b>{score}/100</b>" for day, score in last_ten]
    assert shown(text) == "\n\n".join([
        "\n".join(["<b>Tes 12 check-ups :</b>", *listed]),
        "Depuis le premier : +1 point. Ça avance.",
        "Réglés depuis le premier :\n"
        f"• {title(shipped.advice['email-2fa'].title)}\n• {title(shipped.advice['screen-lock'].title)}",
        "Encore à faire, dans l'ordre :\n"
        f"• {title(shipped.advice['auto-updates'].title)}\n• {title(shipped.advice['backups'].title)}",
        "Ta courbe : ▄▂█▃▅▄▇▁█▆▃▅",
    ])  # fmt: skip
    assert (chart.kind, chart.filename, shown(chart.caption)) == (
        "photo",
        "progress.png",
        "Ton score, check-up après check-up",
    )
    assert pixels(chart.data) == pixels(draw_chart(past, translators["fr"], chart.caption))


@pytest.mark.parametrize(
    ("scores", "trend"),
    [
        (
            (80, 60),
            "20 points de moins que la première fois. Regarde ce qui a bougé, et refais /checkup quand c'est réglé.",
        ),
        (
            (60, 59),
            "1 point de moins que la première fois. Regarde ce qui a bougé, et refais /checkup quand c'est réglé.",
        ),
        ((70, 70), "Même score que la première fois."),
        ((40, 75), "Depuis le premier : +35 points. Ça avance."),
    ],
)
def test_the_trend_compares_the_last_score_with_the_first(
    shipped: Content, translators: dict[str, Translator], scores: tuple[int, int], trend: str
) -> None:
    text, _ = Progress((at_nine(5, scores[0], ("email-2fa",)), at_nine(6, scores[1]))).render(
        shipped, translators["fr"]
    )
    fixed = translators["fr"].text(shipped.advice["email-2fa"].title)
    assert shown(text).split("\n\n")[1:] == [
        trend,
        f"Réglé depuis le premier :\n• {fixed}",
        f"Ta courbe : {sparkline(list(scores))}",
    ]


def test_one_checkup_has_no_trend_and_lists_what_is_left(shipped: Content, translators: dict[str, Translator]) -> None:
    text, (chart,) = Progress((at_nine(5, 64, ("email-2fa",)),)).render(shipped, translators["en"])
    todo = translators["en"].text(shipped.advice["email-2fa"].title)
    assert text == f"<b>Your checkup:</b>\nJanuary 5, 2026: <b>64/100</b>\n\nStill to do:\n• {todo}\n\nYour curve: ▆"
    assert chart.caption == "Your score, checkup after checkup"


# --- the chart, pixel for pixel --------------------------------------------------------------------------------------
def pixels(png: bytes) -> bytes:
    return Image.open(io.BytesIO(png)).convert("RGB").tobytes()


def chart_cases() -> dict[str, tuple[tuple[PastCheckup, ...], str, str]]:
    """Reference charts: thirteen checkups over two months (every other date labelled), titled, in French; twelve,
    the last two the same day (every other date labelled, and the last one, an odd one; their two-line labels,
    date and time, centred under their points); two checkups; five (every date labelled); one checkup alone (in
    the middle), untitled, in English."""
    start = datetime(2026, 10, 3, 8, 15, tzinfo=UTC)
    every_four_days = tuple(
        PastCheckup(start + timedelta(days=4 * i, hours=i), (i * 37 + 12) % 101, ()) for i in range(12)
    )
    thirteen = (*every_four_days, PastCheckup(start + timedelta(days=44, hours=20), 93, ()))
    twelve = (*every_four_days[:11], PastCheckup(start + timedelta(days=40, hours=13, minutes=25), 88, ()))
    return {
        "thirteen-fr": (thirteen, "fr", "Ton score, check-up après check-up"),
        "twelve-fr": (twelve, "fr", "Ton score"),
        "two-fr": (thirteen[:2], "fr", "Ton score"),
        "five-en": (thirteen[3:8], "en", "Your score"),
        "one-en": (thirteen[5:6], "en", ""),
    }


def drawn(name: str, translators: dict[str, Translator]) -> bytes:
    history, language, title = chart_cases()[name]
    return draw_chart(history, translators[language], title)


@pytest.mark.parametrize("name", list(chart_cases()))
def test_the_chart_is_drawn_as_its_reference_picture(
    translators: dict[str, Translator], name: str, tmp_path: Path
) -> None:
    """The picture a user gets: the grid, the score axis, the points and their line, the dates under them (and
    the time when two share a day), the title. A deliberate change to the chart: redraw the references with
    `python -m tests.test_progress` and look at them (the drawing depends on Pillow's own FreeType)."""
    reference = Image.open(CHARTS / f"{name}.png").convert("RGB")
    chart = drawn(name, translators)
    if pixels(chart) != reference.tobytes():
        (tmp_path / f"{name}.png").write_bytes(chart)
        versions = f"Pillow {PIL.__version__} (the references: Pillow 13.0, pinned in the test extra)"
        pytest.fail(f"the {name} chart differs from {CHARTS / name}.png, drawn in {tmp_path / name}.png: {versions}")


# --- the history kept: /progres, /mesdonnees, /stats, /oublie ----------------------------------------------------
ADMIN = 900


async def finish_checkup(gaffe: Gaffe, user_id: int, first: int) -> None:
    """The checkup: the first question answered with its `first`-th choice, every other with the first (the best)."""
    screen = Screen()
    reply = await gaffe.handle(user_id, Command("checkup"), screen)
    reply = await gaffe.handle(user_id, Pick(reply.step or 0, 0), screen)  # "C'est parti"
    reply = await gaffe.handle(user_id, Pick(reply.step or 0, first), screen)
    while reply.buttons:
        reply = await gaffe.handle(user_id, Pick(reply.step or 0, 0), screen)


async def test_each_finished_checkup_is_kept_exported_counted_and_erased(
    shipped: Content, translators: dict[str, Translator], store: Store
) -> None:
    gaffe = Gaffe(shipped, translators, store, admins=frozenset({ADMIN}))
    now = datetime(2026, 3, 20, 18, 45, 30, 123456, tzinfo=UTC)
    for days_ago, user, answer in ((7.5, 1, 3), (6.5, 1, 0), (0, 1, 0), (1, 2, 0)):
        gaffe.clock = lambda days_ago=days_ago: now - timedelta(days=days_ago)
        await finish_checkup(gaffe, user, answer)
    gaffe.clock = lambda: now
    progress = shown((await gaffe.handle(1, Command("progres"), Screen())).text)
    assert (
        "Tes 3 check-ups :" in progress and "13 mars 2026 : <b>" in progress and "20 mars 2026 : <b>100/100" in progress
    )
    reply = await gaffe.handle(1, Command("mesdonnees"), Screen())
    kept = json.loads(reply.attachments[0].data)["data"]["checkups"]["rows"]
    assert [(row["finished_at"], row["score"]) for row in kept] == [
        ("2026-03-13T06:45:30+00:00", kept[0]["score"]),
        ("2026-03-14T06:45:30+00:00", 100),
        ("2026-03-20T18:45:30+00:00", 100),
    ]
    assert {row["dialogue"] for row in kept} == {"checkup"} and kept[0]["score"] < 100
    assert kept[0]["actions"] and all(isinstance(a, str) for a in kept[0]["actions"]) and kept[1]["actions"] == []
    stats = shown((await gaffe.handle(ADMIN, Command("stats"), Screen())).text)
    assert "Check-ups : 4, dont 3 cette semaine" in stats  # 6.5 days ago is this week, 7.5 is not
    asked = await gaffe.handle(1, Command("oublie"), Screen())
    await gaffe.handle(1, Pick(asked.step or 0, asked.labels.index("Oui, efface tout")), Screen())
    assert "Pas encore de check-up" in (await gaffe.handle(1, Command("progres"), Screen())).text
    stats = shown((await gaffe.handle(ADMIN, Command("stats"), Screen())).text)
    assert "Check-ups : 1, dont 1 cette semaine" in stats  # the other user's stays


if __name__ == "__main__":  # redraw the reference charts after a deliberate change (then look at them)
    from bot.core.i18n import load_translators

    CHARTS.mkdir(parents=True, exist_ok=True)
    for case in chart_cases():
        (CHARTS / f"{case}.png").write_bytes(drawn(case, load_translators(ROOT / "locales")))
        print(f"drew {CHARTS / case}.png", file=sys.stderr)
