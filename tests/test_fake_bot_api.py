"""Tests of the fake Bot API itself, through the real python-telegram-bot client.

Each enforced limit is checked from PTB's side (the exception class PTB raises) and from the fake's
side (the exact description recorded in ``fake.errors``).
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import struct
import zlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, CommandHandler

from tests.support.fake_bot_api import (
    NOT_MODIFIED,
    PNG_SIGNATURE,
    QUERY_INVALID,
    FakeBotApi,
    UploadedFile,
    image_size,
)

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"
USER = 42


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(token=TOKEN) as server:
        yield server


@pytest_asyncio.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{fake.url}/bot") as client:
        yield client


def keyboard(*datas: str) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(f"b{i}", callback_data=data)] for i, data in enumerate(datas)]
    return InlineKeyboardMarkup(rows)


def last_error(fake: FakeBotApi) -> tuple[str, int, str]:
    assert fake.errors, "the fake gave no error"
    return tuple(fake.errors[-1])


@pytest.mark.asyncio
async def test_get_me_and_wrong_token(fake: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "gaffe_test_bot")
    with pytest.raises(InvalidToken):
        async with Bot("123456:WRONG", base_url=f"{fake.url}/bot") as other:
            await other.get_me()
    assert last_error(fake) == ("getMe", 401, "Unauthorized")


@pytest.mark.asyncio
async def test_raw_http_envelopes(fake: FakeBotApi) -> None:
    """GET + query string, JSON body, case-insensitive method names, 401 and 404 envelopes."""
    fake.user_sends(USER, "hello")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake.url}/bot{TOKEN}/GETME") as response:
            assert (await response.json())["result"]["username"] == "gaffe_test_bot"
        url = f"{fake.url}/bot{TOKEN}/sendmessage"
        async with http.get(url, params={"chat_id": str(USER), "text": "by GET"}) as response:
            assert (await response.json())["result"]["text"] == "by GET"
        markup = '{"inline_keyboard": [[{"text": "t", "url": "https://e.org"}]]}'  # a JSON string, decoded
        body = {"chat_id": USER, "text": "by JSON", "reply_markup": markup}
        async with http.post(url, json=body) as response:
            result = (await response.json())["result"]
            assert result["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://e.org"
        async with http.post(f"{fake.url}/botWRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with http.post(f"{fake.url}/bot{TOKEN}/sendTelepathy") as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [m["text"] for m in fake.messages(USER, from_bot=True)] == ["by GET", "by JSON"]


@pytest.mark.asyncio
async def test_send_message_ok_and_stored(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "/start")
    before = len(fake.sent)
    sent = await bot.send_message(
        USER, "<b>Salut</b> &amp; bienvenue", parse_mode=ParseMode.HTML, reply_markup=keyboard("go")
    )
    assert sent.text == "Salut & bienvenue"
    assert sent.entities[0].type == "bold" and (sent.entities[0].offset, sent.entities[0].length) == (0, 5)
    stored = fake.messages(USER, from_bot=True)
    assert [(m["message_id"], m["text"]) for m in stored] == [(sent.message_id, "Salut & bienvenue")]
    assert stored[0]["reply_markup"] == {"inline_keyboard": [[{"text": "b0", "callback_data": "go"}]]}
    assert fake.messages(USER)[0]["text"] == "/start"  # the user's own message is stored too
    observed = await fake.wait_for_message(USER, contains="bienvenue", after=before)
    assert observed["message_id"] == sent.message_id
    assert fake.calls("sendMessage")[-1].params["parse_mode"] == "HTML"
    assert fake.errors == []


@pytest.mark.asyncio
async def test_unknown_chat(fake: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "hi")
    assert last_error(fake) == ("sendMessage", 400, "Bad Request: chat not found")


@pytest.mark.asyncio
async def test_text_length_limits(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    await bot.send_message(USER, "a" * 4096)
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)  # tags don't count
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "a" * 4097)
    assert last_error(fake) == ("sendMessage", 400, "Bad Request: message is too long")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "😀" * 2049)  # 2049 characters, but 4098 UTF-16 code units
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode=ParseMode.HTML)
    assert last_error(fake) == ("sendMessage", 400, "Bad Request: message text is empty")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("Hello <foo>x</foo>", 'Unsupported start tag "foo" at byte offset 6'),
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("Tom & Jerry", 'Character "&" at byte offset 4 must be escaped'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
    ],
)
async def test_bad_html_is_rejected(fake: FakeBotApi, bot: Bot, html: str, description: str) -> None:
    fake.user_sends(USER, "hi")
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    method, code, message = last_error(fake)
    assert (method, code) == ("sendMessage", 400)
    assert message.startswith(f"Bad Request: can't parse entities: {description}")
    assert fake.messages(USER, from_bot=True) == []


@pytest.mark.asyncio
async def test_good_html_is_accepted(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins>"
        "<s>s</s><strike>k</strike><del>d</del>"
        '<a href="https://example.org/?a=1&amp;b=2">lien</a><code>c</code><pre>p</pre>'
        '<span class="tg-spoiler">sp</span><tg-spoiler>ts</tg-spoiler><blockquote expandable>q</blockquote>'
        "&lt;&gt;&quot;&#233;&#xE9;"
    )
    sent = await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert sent.text.endswith("lienc" + 'psptsq<>"éé')
    assert fake.errors == []


@pytest.mark.asyncio
async def test_callback_data_limits(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    await bot.send_message(USER, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER, "too long", reply_markup=keyboard("é" * 33))  # 33 chars, 66 bytes
    assert last_error(fake) == ("sendMessage", 400, "Bad Request: BUTTON_DATA_INVALID")
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        no_action = InlineKeyboardMarkup([[InlineKeyboardButton("x")]])
        await bot.send_message(USER, "no action", reply_markup=no_action)
    assert len(fake.messages(USER, from_bot=True)) == 1


@pytest.mark.asyncio
async def test_edits(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    sent = await bot.send_message(USER, "Question ?", reply_markup=keyboard("a", "b"))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Question ?", USER, sent.message_id, reply_markup=keyboard("a", "b"))
    assert last_error(fake) == ("editMessageText", 400, NOT_MODIFIED)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("a", "b"))
    assert last_error(fake) == ("editMessageReplyMarkup", 400, NOT_MODIFIED)

    before = len(fake.sent)
    await bot.edit_message_text("<i>Réponse</i>", USER, sent.message_id, parse_mode=ParseMode.HTML)
    edited = await fake.wait_for_message(USER, contains="Réponse", after=before)
    assert edited["message_id"] == sent.message_id
    assert fake.messages(USER, from_bot=True)[0]["text"] == "Réponse"
    assert "reply_markup" not in fake.messages(USER, from_bot=True)[0]  # no reply_markup: keyboard removed

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", USER, fake.messages(USER)[0]["message_id"])  # the user's message


@pytest.mark.asyncio
async def test_callback_query_answered_once(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    sent = await bot.send_message(USER, "Choisis", reply_markup=keyboard("yes", "no"))
    with pytest.raises(ValueError, match="no button"):
        fake.user_presses(USER, sent.message_id, "maybe")
    query_id = fake.user_presses(USER, sent.message_id, "yes")
    updates = await bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert (query.id, query.data, query.message.message_id) == (query_id, "yes", sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await query.answer("x" * 201)
    assert await query.answer("Noté") is True
    assert fake.callback_answers[query_id]["text"] == "Noté"
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer()
    assert last_error(fake) == ("answerCallbackQuery", 400, QUERY_INVALID)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123")


@pytest.mark.asyncio
async def test_blocked_user(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    sent = await bot.send_message(USER, "avant")
    fake.block(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "après")
    assert last_error(fake) == ("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden):
        await bot.edit_message_text("modifié", USER, sent.message_id)
    with pytest.raises(Forbidden):
        await bot.send_chat_action(USER, "typing")
    fake.unblock(USER)
    await bot.send_message(USER, "re")


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # int retry_after
async def test_fail_next_gives_retry_after(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    fake.fail_next("sendMessage", retry_after=1, count=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER, "flood")
        assert caught.value.retry_after in (1, dtm.timedelta(seconds=1))
    assert fake.errors[-1] == ("sendMessage", 429, "Too Many Requests: retry after 1")
    await bot.send_message(USER, "flood")  # count exhausted
    assert [m["text"] for m in fake.messages(USER, from_bot=True)] == ["flood"]


@pytest.mark.asyncio
async def test_get_updates_long_poll_and_offset(fake: FakeBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=60))
    await asyncio.sleep(0.3)
    assert not poll.done()  # waiting for an update
    first = fake.user_sends(USER, "/start", language_code="en")
    updates = await asyncio.wait_for(poll, 30)  # as soon as the update was queued, not after the 60 s
    assert [u.update_id for u in updates] == [first]
    message = updates[0].message
    assert (message.text, message.from_user.language_code, message.chat.type) == ("/start", "en", "private")
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6

    second = fake.user_sends(USER, "deux")
    third = fake.queue_update({"some_future_update_type": {"garbage": True}})
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first]
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second, third]  # confirms first
    assert [u.update_id for u in await bot.get_updates()] == [second, third]  # first is gone for good
    assert await bot.get_updates(offset=third + 1) == ()
    assert await bot.get_updates(offset=third + 1, timeout=1) == ()  # after the timeout, nothing


@pytest.mark.asyncio
async def test_set_my_commands_per_language_and_scope(fake: FakeBotApi, bot: Bot) -> None:
    french = [BotCommand("start", "Démarrer"), BotCommand("checkup", "Ton check-up")]
    await bot.set_my_commands(french, language_code="fr")
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands([BotCommand("help", "Aide")], scope=BotCommandScopeAllPrivateChats())
    assert [c["command"] for c in fake.my_commands("fr")] == ["start", "checkup"]
    assert fake.my_commands("en") == [{"command": "start", "description": "Start"}]
    assert [c.command for c in await bot.get_my_commands(language_code="fr")] == ["start", "checkup"]
    assert [c["command"] for c in fake.my_commands(scope={"type": "all_private_chats"})] == ["help"]
    assert fake.my_commands() == []
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Check-Up", "majuscules interdites")])
    await bot.delete_my_commands(language_code="en")
    assert fake.my_commands("en") == []


@pytest.mark.asyncio
async def test_wait_for_times_out_with_a_useful_message(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    await bot.send_message(USER, "un")
    with pytest.raises(AssertionError, match="no matching bot call"):
        await fake.wait_for_message(USER, contains="deux", timeout=0.2)

    async def send_later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(USER, "deux")

    later = asyncio.create_task(send_later())
    assert (await fake.wait_for_message(USER, contains="deux", timeout=2))["text"] == "deux"
    await later


@pytest.mark.asyncio
async def test_webhook_blocks_get_updates(fake: FakeBotApi, bot: Bot) -> None:
    await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Exception, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


@pytest.mark.asyncio
async def test_ptb_application_end_to_end(fake: FakeBotApi) -> None:
    """The real PTB Application polls the fake, handles /start and replies; shutdown is clean."""

    async def start(update, context) -> None:  # type: ignore[no-untyped-def]
        await update.effective_message.reply_html(f"Salut <b>{update.effective_user.first_name}</b> !")

    app = Application.builder().token(TOKEN).base_url(f"{fake.url}/bot").build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        fake.user_sends(USER, "/start", first_name="Ana")
        reply = await fake.wait_for_message(USER, contains="Salut", timeout=5)
        assert reply["text"] == "Salut Ana !"
        await app.updater.stop()
        await app.stop()
    assert fake.errors == []


# ------------------------------------------------------------------ photos and documents


def png(width: int, height: int) -> bytes:
    """A valid RGB PNG image of that size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a baseline JPEG (SOI, APP0, SOF0): enough for its size to be read."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def test_image_size_reads_png_and_jpeg() -> None:
    assert image_size(png(3, 2)) == (3, 2)
    assert image_size(jpeg_header(1600, 900)) == (1600, 900)
    assert image_size(b"GIF89a....") is None
    assert image_size(PNG_SIGNATURE + b"garbage") is None


@pytest.mark.asyncio
async def test_send_photo_upload_caption_and_file_id(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    image = png(1600, 900)
    sent = await bot.send_photo(
        USER,
        InputFile(image, filename="score.png"),
        caption="Ton <b>score</b> : 7/10",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard("again"),
    )
    assert (sent.caption, sent.caption_entities[0].type) == ("Ton score : 7/10", "bold")
    assert [(p.width, p.height) for p in sent.photo] == [(90, 51), (320, 180), (800, 450), (1280, 720)]
    assert sent.photo[-1].file_size and sent.photo[0].file_size < sent.photo[-1].file_size
    assert len({p.file_id for p in sent.photo}) == 4
    stored = fake.messages(USER, from_bot=True)[-1]
    assert stored["upload"] == UploadedFile(image, "score.png", "image/png")
    assert stored["upload"].data.startswith(PNG_SIGNATURE)
    assert stored["reply_markup"] == {"inline_keyboard": [[{"text": "b0", "callback_data": "again"}]]}
    assert fake.calls("sendPhoto")[-1].params["photo"] == stored["upload"]  # the multipart part, decoded
    assert (await fake.wait_for_message(USER, contains="score"))["message_id"] == sent.message_id

    again = await bot.send_photo(USER, sent.photo[-1].file_id)  # by file_id: same sizes, same bytes
    assert [p.file_id for p in again.photo] == [p.file_id for p in sent.photo]
    assert again.caption is None
    assert fake.messages(USER, from_bot=True)[-1]["upload"].data == image
    small = await bot.send_photo(USER, jpeg_header(60, 40))  # raw bytes, no filename: never upscaled
    assert [(p.width, p.height) for p in small.photo] == [(60, 40)]
    assert fake.errors == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("photo", "description"),
    [
        (b"not an image at all", "Bad Request: IMAGE_PROCESS_FAILED"),
        (b"", "Bad Request: file must be non-empty"),
        ("AgACAgQAAxkBunknown", "Bad Request: wrong file identifier/HTTP URL specified"),
        (png(2100, 100), "Bad Request: PHOTO_INVALID_DIMENSIONS"),  # ratio above 20
    ],
)
async def test_send_photo_rejects(fake: FakeBotApi, bot: Bot, photo: bytes | str, description: str) -> None:
    fake.user_sends(USER, "hi")
    with pytest.raises(BadRequest):
        await bot.send_photo(USER, InputFile(photo, filename="x.png") if isinstance(photo, bytes) else photo)
    assert last_error(fake) == ("sendPhoto", 400, description)
    assert fake.messages(USER, from_bot=True) == []


@pytest.mark.asyncio
async def test_caption_limits(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    image = png(4, 4)
    await bot.send_photo(USER, image, caption="<i>" + "a" * 1024 + "</i>", parse_mode=ParseMode.HTML)  # tags free
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(USER, image, caption="😀" * 513)  # 513 characters, 1026 UTF-16 units
    assert last_error(fake) == ("sendPhoto", 400, "Bad Request: message caption is too long")
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_document(USER, b"{}", caption="Tom & Jerry", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_photo(USER, image, caption="<b>unclosed", parse_mode=ParseMode.HTML)
    assert len(fake.messages(USER, from_bot=True)) == 1


@pytest.mark.asyncio
async def test_send_document_json(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    export = json.dumps({"reminders": [{"label": "boîte mail", "months": 6}]}).encode()
    sent = await bot.send_document(USER, InputFile(export, filename="gaffe-export.json"), caption="Tes données")
    document = sent.document
    assert (document.file_name, document.mime_type, document.file_size) == (
        "gaffe-export.json",
        "application/json",
        len(export),
    )
    upload = fake.messages(USER, from_bot=True)[-1]["upload"]
    assert json.loads(upload.data) == {"reminders": [{"label": "boîte mail", "months": 6}]}
    again = await bot.send_document(USER, document.file_id)
    assert again.document.file_id == document.file_id
    with pytest.raises(BadRequest, match="can't use file of type document"):
        await bot.send_photo(USER, document.file_id)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_document(777, export)


@pytest.mark.asyncio
async def test_media_messages_have_no_text_to_edit(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    sent = await bot.send_photo(USER, png(2, 2), caption="c", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="no text in the message to edit"):
        await bot.edit_message_text("x", USER, sent.message_id)
    edited = await bot.edit_message_reply_markup(USER, sent.message_id)  # removing the keyboard is fine
    assert edited.reply_markup is None or not edited.reply_markup.inline_keyboard
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id)


# ------------------------------------------------------------------ deleteMessage


@pytest.mark.asyncio
async def test_delete_message_rules() -> None:
    now = [1_800_000_000.0]
    async with FakeBotApi(token=TOKEN, clock=lambda: now[0]) as fake, Bot(TOKEN, base_url=f"{fake.url}/bot") as bot:
        fake.user_sends(USER, "mon mot de passe est hunter2")
        users_message = fake.messages(USER)[0]["message_id"]
        first = await bot.send_message(USER, "un")
        second = await bot.send_message(USER, "deux")
        assert first.date.timestamp() == now[0]  # dates come from the fake's clock
        assert await bot.delete_message(USER, users_message)  # a bot may delete incoming messages in private
        assert await bot.delete_message(USER, first.message_id)
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(USER, first.message_id)
        assert last_error(fake) == ("deleteMessage", 400, "Bad Request: message to delete not found")
        now[0] += 48 * 3600 - 1
        third = await bot.send_message(USER, "trois")
        now[0] += 1  # "deux" is now 48 hours old
        with pytest.raises(BadRequest, match="Message can't be deleted"):
            await bot.delete_message(USER, second.message_id)
        assert last_error(fake) == ("deleteMessage", 400, "Bad Request: message can't be deleted")
        assert await bot.delete_message(USER, third.message_id)
        assert fake.deleted == [(USER, users_message), (USER, first.message_id), (USER, third.message_id)]
        assert [m["text"] for m in fake.messages(USER)] == ["deux"]

        fake.user_sends(USER, "dans le groupe", chat_type="group")  # incoming in a group: not the bot's to delete
        group_message = fake.messages(-USER)[0]["message_id"]
        with pytest.raises(BadRequest, match="Message can't be deleted"):
            await bot.delete_message(-USER, group_message)
        own = await bot.send_message(-USER, "à moi")
        assert await bot.delete_message(-USER, own.message_id)


@pytest.mark.asyncio
async def test_delete_messages_takes_1_to_100_ids_skips_gaps_and_refuses_the_too_old() -> None:
    now = [1_800_000_000.0]
    async with FakeBotApi(token=TOKEN, clock=lambda: now[0]) as fake, Bot(TOKEN, base_url=f"{fake.url}/bot") as bot:
        old = fake.add_history(USER, 3)
        now[0] += 48 * 3600
        young = fake.add_history(USER, 150)
        fake.user_deletes(USER, young[10])
        for wrong, error in (([], "not specified"), (list(range(1, 102)), "Too many message identifiers")):
            with pytest.raises(BadRequest, match=error):
                await bot.delete_messages(USER, wrong)
        with pytest.raises(BadRequest, match="Message can't be deleted"):  # one too old: nothing is deleted
            await bot.delete_messages(USER, [old[-1], *young[:5]])
        assert fake.deleted == []
        assert await bot.delete_messages(USER, young[:100])  # a gap (young[10]) is skipped, without an error
        assert await bot.delete_messages(USER, [*young[100:], 9999])
        assert [m["message_id"] for m in fake.messages(USER)] == old
        assert len(fake.deleted) == 149 and len(fake.errors) == 3


# ------------------------------------------------------------------ flood control


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # int retry_after
async def test_overall_flood_limit() -> None:
    now = [1000.0]  # flood control's clock: still while the calls are made, moved by hand
    async with (
        FakeBotApi(token=TOKEN, max_messages_per_second=5, flood_clock=lambda: now[0]) as fake,
        Bot(TOKEN, base_url=f"{fake.url}/bot") as bot,
    ):
        for chat in range(1, 4):
            fake.user_sends(chat, "hi")
        sent = await bot.send_message(1, "a")
        for chat in (2, 3, 1):
            await bot.send_message(chat, "b")
        await bot.edit_message_text("a2", 1, sent.message_id)  # edits count too: 5 in this second
        for _ in range(3):  # calls that are not messages don't count
            await bot.get_me()
            await bot.send_chat_action(1, "typing")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(2, "over the cap")
        assert caught.value.retry_after in (1, dtm.timedelta(seconds=1))
        assert last_error(fake) == ("sendMessage", 429, "Too Many Requests: retry after 1")
        with pytest.raises(RetryAfter):
            await bot.send_photo(3, png(2, 2))
        assert fake.flood_errors == 2
        async with aiohttp.ClientSession() as http:  # Telegram's envelope, with parameters.retry_after
            url = f"{fake.url}/bot{TOKEN}/sendMessage"
            async with http.post(url, json={"chat_id": 1, "text": "raw"}) as response:
                assert response.status == 429
                assert await response.json() == {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                }
        now[0] += 0.99
        with pytest.raises(RetryAfter):  # the first call is still within the second
            await bot.send_message(2, "not yet")
        now[0] += 0.02
        await bot.send_message(2, "the window has slid")
        assert fake.flood_errors == 4
        assert [m["text"] for m in fake.messages(2, from_bot=True)] == ["b", "the window has slid"]


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # int retry_after
async def test_per_chat_flood_limit() -> None:
    async with (
        FakeBotApi(token=TOKEN, max_messages_per_chat_per_second=2) as fake,
        Bot(TOKEN, base_url=f"{fake.url}/bot") as bot,
    ):
        fake.user_sends(1, "hi")
        fake.user_sends(2, "hi")
        await bot.send_message(1, "un")
        await bot.send_message(1, "deux")
        with pytest.raises(RetryAfter):
            await bot.send_message(1, "trois")
        for text in ("un", "deux"):  # another chat has its own budget; no overall cap was set
            await bot.send_message(2, text)
        assert fake.flood_errors == 1


@pytest.mark.asyncio
async def test_no_flood_limit_by_default(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(USER, "hi")
    await asyncio.gather(*(bot.send_message(USER, str(i)) for i in range(60)))
    assert fake.flood_errors == 0 and len(fake.messages(USER, from_bot=True)) == 60
