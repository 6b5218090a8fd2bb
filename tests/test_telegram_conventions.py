"""Gaffe follows Telegram's conventions, end to end against the fake Bot API: /privacy answers (Telegram asks
every bot to), a deep link opens its dialogue, no message ever gets a link preview, the bot's descriptions
are set per language, and after /langue the chat's command menu speaks the chosen language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.bot_harness import buttons, checkup_by_buttons, menus_set, next_message, running_bot
from tests.support.fake_bot_api import Call, FakeBotApi


@pytest.mark.parametrize(
    ("language", "keeps", "export"), [("fr", "Ce que je garde", "/mesdonnees"), ("en", "What I keep", "/mydata")]
)
async def test_privacy_answers_in_both_languages_and_is_in_both_menus(
    fake: FakeBotApi, tmp_path: Path, language: str, keeps: str, export: str
) -> None:
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        await menus_set(fake)
        fake.user_sends(401, "/privacy", language_code=language)
        answer = (await fake.wait_for_message(401))["text"]
    assert keeps in answer and export in answer
    assert "privacy" in [c["command"] for c in fake.my_commands(language)]
    assert fake.errors == []


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("espion", "surveille"),
        ("piratage", "on respire"),
        ("arnaque", "message louche"),
        ("checkup", "on fait le point"),
    ],
)
async def test_a_deep_link_opens_its_dialogue(fake: FakeBotApi, tmp_path: Path, payload: str, expected: str) -> None:
    """t.me/<bot>?start=espion: Telegram sends "/start espion"; a partner organisation links to the right flow."""
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        fake.user_sends(402, f"/start {payload}")
        first = (await fake.wait_for_message(402))["text"]
    assert expected in first.lower() and "Fais gaffe mon pote" not in first


async def test_an_unknown_deep_link_gets_the_usual_welcome(fake: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        fake.user_sends(403, "/start no_such_thing-42")
        assert "Fais gaffe mon pote" in (await fake.wait_for_message(403))["text"]
    assert fake.errors == []


def _preview_off(call: Call) -> bool:
    options: Any = call.params.get("link_preview_options")
    if isinstance(options, str):
        options = json.loads(options)
    return isinstance(options, dict) and options.get("is_disabled") is True


async def test_no_message_ever_gets_a_link_preview(fake: FakeBotApi, tmp_path: Path) -> None:
    """Under "call 17 now", a news article's card: every text sent or edited asks for no preview."""
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        await checkup_by_buttons(fake, 404, lambda number, count: count - 1)  # the weakest answers: sources, links
        for command in ("/privacy", "/arnaque", "/aide", "/commande_inconnue"):
            mark = len(fake.sent)
            fake.user_sends(404, command)
            await next_message(fake, 404, mark)
        fake.user_sends(405, "/start", chat_type="group")  # answered with PTB's own reply_text
        await fake.wait_for(lambda c: c.method == "sendMessage" and c.params.get("chat_id") in (-405, "-405"))
    texts = [c for c in fake.sent if c.method in ("sendMessage", "editMessageText")]
    assert len(texts) > 10
    assert [c.method for c in texts if not _preview_off(c)] == []


async def test_descriptions_are_set_per_language_with_the_promise_in_them(fake: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        await menus_set(fake)
    for kind in ("description", "short"):
        french, english = fake.descriptions[(kind, "fr")], fake.descriptions[(kind, "en")]
        assert "mot de passe" in french and "password" in english
        assert fake.descriptions[(kind, "")] == english  # any other language: English
    assert len(fake.descriptions[("short", "fr")]) <= 120 and len(fake.descriptions[("description", "fr")]) <= 512


async def test_descriptions_refused_once_never_stop_the_bot(fake: FakeBotApi, tmp_path: Path) -> None:
    fake.fail_next("setMyDescription", code=500)
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        fake.user_sends(406, "/start")
        assert "Fais gaffe" in (await fake.wait_for_message(406))["text"]
        await menus_set(fake)  # tried again in the background
    assert fake.descriptions[("description", "fr")]


async def test_after_langue_the_chats_menu_follows_the_user(fake: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        mark = len(fake.sent)
        fake.user_sends(407, "/langue")  # a French-speaking Telegram
        question, mark = await next_message(fake, 407, mark)
        fake.user_presses(407, question["message_id"], dict(buttons(question))["English"])
        await next_message(fake, 407, mark)
        await fake.wait_for(lambda c: c.ok and c.method == "setMyCommands" and "scope" in c.params)
    chat_menu = [c["command"] for c in fake.my_commands("", {"type": "chat", "chat_id": 407})]
    assert {"help", "language", "privacy"} <= set(chat_menu) and "aide" not in chat_menu


async def test_a_helpline_site_is_a_url_button_a_person_can_tap(fake: FakeBotApi, tmp_path: Path) -> None:
    """A route with a site (regions.yaml `url`) comes as a URL button under the text, after the choices."""
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        mark = len(fake.sent)
        fake.user_sends(408, "/pays")
        picker, mark = await next_message(fake, 408, mark)
        fake.user_presses(408, picker["message_id"], dict(buttons(picker))["France"])
        await next_message(fake, 408, mark)
        mark = len(fake.sent)
        fake.user_sends(408, "/arnaque")
        menu, mark = await next_message(fake, 408, mark)
        fake.user_presses(408, menu["message_id"], buttons(menu)[0][1])  # a text message
        advice, _ = await next_message(fake, 408, mark)
    rows = advice["reply_markup"]["inline_keyboard"]
    urls = [b["url"] for row in rows for b in row if "url" in b]
    assert "33700" in advice["text"] and urls == ["https://www.33700.fr/"]
    assert "callback_data" in rows[0][0] and "url" in rows[-1][0]  # the choices first, the site last
    assert fake.errors == []


async def test_a_typed_command_that_starts_something_new_takes_the_old_keyboard_away(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """The checkup's first question, then /motsdepasse typed: that question keeps its text, loses its buttons
    (they would only say "expired"); the new question has its own."""
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        mark = len(fake.sent)
        fake.user_sends(409, "/checkup")
        intro, mark = await next_message(fake, 409, mark)
        fake.user_sends(409, "/motsdepasse")
        passwords, _ = await next_message(fake, 409, mark)
        await fake.wait_for(lambda c: c.ok and c.method == "editMessageReplyMarkup")
    shown = {m["message_id"]: m for m in fake.messages(409, from_bot=True)}
    assert buttons(intro) and not buttons(shown[intro["message_id"]])
    assert shown[intro["message_id"]]["text"] == intro["text"]
    assert buttons(shown[passwords["message_id"]])
    assert fake.errors == []


async def test_a_question_asked_again_keeps_its_newest_keyboard(fake: FakeBotApi, tmp_path: Path) -> None:
    """Typed text re-asking the same question leaves one live keyboard in the chat: the newest."""
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        mark = len(fake.sent)
        fake.user_sends(410, "/checkup")
        intro, mark = await next_message(fake, 410, mark)
        fake.user_sends(410, "bonjour")  # not an answer: the question again, with its buttons
        again, _ = await next_message(fake, 410, mark)
    shown = {m["message_id"]: m for m in fake.messages(410, from_bot=True)}
    assert buttons(shown[again["message_id"]]) and not buttons(shown[intro["message_id"]])
    assert [m["message_id"] for m in shown.values() if buttons(m)] == [again["message_id"]]
    assert fake.errors == []


async def test_a_settings_screen_replaces_the_one_whose_button_led_to_it(fake: FakeBotApi, tmp_path: Path) -> None:
    """/reglages → "Changer de langue": the same message becomes the language screen (edited, not added);
    the choice's confirmation, which is no settings screen, comes as a new message."""
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        mark = len(fake.sent)
        fake.user_sends(411, "/reglages")
        settings, mark = await next_message(fake, 411, mark)
        fake.user_presses(411, settings["message_id"], dict(buttons(settings))["Changer de langue"])
        edited = await fake.wait_for(
            lambda c: c.ok and c.method == "editMessageText" and "quelle langue" in c.result["text"], after=mark
        )
        assert not [c for c in fake.sent[mark:] if c.method == "sendMessage"]  # nothing added
        screen = edited.result
        assert screen["message_id"] == settings["message_id"] and dict(buttons(screen)).keys() >= {"English"}
        fake.user_presses(411, screen["message_id"], dict(buttons(screen))["English"])
        confirmation, _ = await next_message(fake, 411, mark)
    assert "English" in confirmation["text"] and confirmation["message_id"] != settings["message_id"]
    assert fake.errors == []


@pytest.mark.parametrize(("command", "listing"), [("/rappels", "Voir mes rappels"), ("/fuites", "Voir ma liste")])
async def test_the_lists_are_no_dead_end(fake: FakeBotApi, tmp_path: Path, command: str, listing: str) -> None:
    """/rappels' and /fuites' lists, even empty, end with buttons that lead on."""
    async with running_bot(fake, tmp_path / "g.sqlite3"):
        mark = len(fake.sent)
        fake.user_sends(412, command)
        menu, mark = await next_message(fake, 412, mark)
        fake.user_presses(412, menu["message_id"], dict(buttons(menu))[listing])
        shown, _ = await next_message(fake, 412, mark)
    assert "C'est bon" in dict(buttons(shown)) and len(buttons(shown)) >= 2
    assert fake.errors == []
