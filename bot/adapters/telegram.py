"""Gaffe on Telegram, with python-telegram-bot: the adapter between updates and `bot.service.Gaffe`.

Kept thin on purpose: every handler turns an update into an engine input, lets the service step and
save it, and sends the rendered reply. What Telegram adds is handled here and only here: buttons and
their payloads, answering every button press, editing an answered question, splitting long texts,
private chats only, and the errors Telegram answers with (403 blocked, 429 slow down, network).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InputFile,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    MessageHandler,
    SimpleUpdateProcessor,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.adapters import buttons
from bot.adapters.aiohttp_request import AiohttpRequest
from bot.adapters.rate_limit import PUSH, SPARE, PriorityRateLimiter, RateLimitArgs, SkippedCosmeticCall
from bot.adapters.webhook import WebhookServer
from bot.app import load, open_gaffe
from bot.config import Settings
from bot.core import html_text
from bot.core.actions import Attachment
from bot.core.engine import Aside, Command, Input, Push, Text
from bot.core.i18n import LANGUAGES, language_for
from bot.core.render import Button, Link, Reply, split_html
from bot.errors import StorageUnavailable
from bot.scheduler import Scheduler
from bot.service import Clock, Gaffe, NotDelivered, Unreachable, system_clock
from bot.storage import database_error

log = logging.getLogger("gaffe.telegram")
GaffeApplication = Application[Any, Any, Any, Any, Any, Any]
T = TypeVar("T")
NETWORK_RETRIES = 3
CALLBACK_ANSWER_LIMIT = 200
KEYBOARDS_KEPT = 10_000  # chats whose last question's message id is remembered (about 100 bytes each)
# Deleting a conversation (Reply.clear_chat): a private chat's message ids are one sequence shared by the user
# and the bot, growing with time, so Gaffe deletes downwards from the pressed message, at most this many ids,
# DELETE_BATCH a call (deleteMessages, Bot API 7.0: 1 to 100 ids; ids already gone are skipped).
CLEAR_CHAT_MAX_IDS = 1000
DELETE_BATCH = 100
# The command menus are cosmetic: set in the background once the bot serves, and tried again after these
# delays (then every last one) while Telegram refuses or is unreachable.
MENU_RETRY_SECONDS = (1, 10, 60, 600)
# No link previews, ever: the raw calls add this, python-telegram-bot's own methods get it from Defaults.
NO_PREVIEW = {"is_disabled": True}
TEXT_METHODS = frozenset({"sendMessage", "editMessageText"})
# Interface messages the Telegram adapter says whatever the dialogues (`check` requires them:
# bot/content/needed.py); the /stats menu entry and the chat clearing's are declared by the privacy feature.
NEEDED_MESSAGES = (
    "not_private", "unsupported_message", "file_not_sent", "forged_button", "bot_description", "bot_short_description",
)  # fmt: skip
# `TelegramGaffe._call` uses do_api_request for methods python-telegram-bot has, on purpose: it warns each time.
RAW_CALLS_WARNING = r"Please use 'Bot\.(sendMessage|editMessageText|editMessageReplyMarkup)'"
warnings.filterwarnings("ignore", RAW_CALLS_WARNING, PTBUserWarning)


def _user_key(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_user:
            return update.effective_user.id
        if update.effective_chat:
            return update.effective_chat.id
    return 0


async def _retry_network(call: Callable[[], Awaitable[T]]) -> T:
    """Retry a Bot API call on network errors (not on Telegram's refusals, which are final)."""
    for attempt in range(NETWORK_RETRIES):
        try:
            return await call()
        except BadRequest:
            raise
        except NetworkError:
            if attempt == NETWORK_RETRIES - 1:
                raise
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _delivery_errors() -> Iterator[None]:
    """Telegram's answers to a reply's calls, in the service's words: 403 (the user blocked Gaffe) is Unreachable
    (marked inactive, nothing kept); the network or the Bot API failing past the retries (5xx, timeouts, 429s)
    is NotDelivered (the whole reply is kept and sent again). A refusal (400) is a bug: it propagates."""
    try:
        yield
    except Forbidden as error:
        raise Unreachable(str(error)) from error
    except (NetworkError, RetryAfter) as error:
        raise NotDelivered(str(error)) from error


class TelegramGaffe:
    """The handlers: each turns an update into a service call and shows the reply it is given."""

    def __init__(self, gaffe: Gaffe, secret: bytes, bot: ExtBot[Any]) -> None:
        self.gaffe = gaffe
        self.secret = secret
        self.bot = bot
        gaffe.send_waiting = self._send_waiting  # a reply kept in an outage goes before the user's next one
        # Per chat, the last question Gaffe asked with buttons, so that a typed command that starts something
        # else takes its keyboard away (cosmetic, in memory: after a restart an old button says it expired).
        self._keyboards: OrderedDict[int, int] = OrderedDict()

    # --- sending -----------------------------------------------------------------------------------
    def _keyboard(self, user_id: int, reply: Reply) -> dict[str, object] | None:
        if not reply.buttons:
            return None
        return {"inline_keyboard": [[self._button(user_id, b)] for b in reply.buttons]}

    def _button(self, user_id: int, button: Button) -> dict[str, object]:
        """An inline button: a signed callback for a choice or an object's action, an address for a site."""
        if isinstance(button.press, Link):
            return {"text": button.label, "url": button.press.url}
        return {"text": button.label, "callback_data": buttons.encode(self.secret, user_id, button.press)}

    async def _call(self, method: str, limit: RateLimitArgs | None, **params: object) -> Any:
        """A Bot API call whose answer Gaffe never reads, retried on network errors. Made raw, with
        `do_api_request`: python-telegram-bot's own method would turn the answer into a `Message` (about 0.3 ms
        of CPU) and a question's keyboard into objects (about 0.15 ms), for every message Gaffe sends.
        A text never gets a link preview: under "call 17 now", a news article's card is noise at best."""
        if method in TEXT_METHODS:
            params["link_preview_options"] = NO_PREVIEW
        return await _retry_network(partial(self.bot.do_api_request, method, params, rate_limit_args=limit))

    async def send_to(self, chat_id: int, user_id: int, reply: Reply, limit: RateLimitArgs | None = None) -> None:
        """The reply's text (split to Telegram's limit) and files; the buttons go on the last message, the
        files before the message that carries buttons (so the question stays last). A file Telegram does not
        take (after the network retries) is replaced by a line that says so: the text and buttons still go."""
        try:
            chunks = split_html(reply.text) if reply.text else []
            last = chunks.pop() if chunks else None
            for chunk in chunks:
                await self._call("sendMessage", limit, chat_id=chat_id, text=chunk, parse_mode=ParseMode.HTML)
            if last is not None and not reply.buttons:
                await self._call("sendMessage", limit, chat_id=chat_id, text=last, parse_mode=ParseMode.HTML)
            for attachment in reply.attachments:
                await self._send_file_or_say(chat_id, user_id, attachment, limit)
            if last is not None and reply.buttons:
                markup = self._keyboard(user_id, reply)
                sent = await self._call(
                    "sendMessage", limit, chat_id=chat_id, text=last, parse_mode=ParseMode.HTML, reply_markup=markup
                )
                if limit is None and isinstance(sent, dict):  # a reply's question (a push's buttons stay theirs)
                    self._remember_keyboard(chat_id, sent.get("message_id"))
        except Forbidden as error:
            raise Unreachable(str(error)) from error

    async def _send_file_or_say(
        self, chat_id: int, user_id: int, attachment: Attachment, limit: RateLimitArgs | None
    ) -> None:
        try:
            await _retry_network(partial(self._send_file, chat_id, attachment, limit))
        except Forbidden:
            raise
        except TelegramError as error:  # refused (400), or still failing after the retries: say it's missing
            log.warning("a %s for user %s was not sent: %s", attachment.kind, user_id, error)
            language = await self.gaffe.language_of(user_id)
            text = self.gaffe.notice(language, "file_not_sent", name=attachment.filename)
            await self._call("sendMessage", limit, chat_id=chat_id, text=text, parse_mode=ParseMode.HTML)

    async def _send_file(self, chat_id: int, attachment: Attachment, limit: RateLimitArgs | None) -> None:
        file = InputFile(attachment.data, filename=attachment.filename)
        caption = attachment.caption or None
        if attachment.kind == "photo":
            await self.bot.send_photo(chat_id, file, caption=caption, parse_mode=ParseMode.HTML, rate_limit_args=limit)
        else:
            await self.bot.send_document(
                chat_id, file, caption=caption, parse_mode=ParseMode.HTML, rate_limit_args=limit
            )

    async def send_to_user(self, user_id: int, reply: Reply) -> None:
        """Private chats' ids are their user's: what Gaffe sends on its own goes there."""
        await self.send_to(user_id, user_id, reply, PUSH)

    async def _send_waiting(self, user_id: int, reply: Reply) -> None:
        with _delivery_errors():
            await self.send_to_user(user_id, reply)

    async def push(self, user_id: int, push: Push) -> bool:
        """Something Gaffe says on its own (a due reminder), through the service, after people's replies."""
        return await self.gaffe.push(user_id, push, partial(self.send_to_user, user_id))

    async def resend_pending(self) -> None:
        """Answer the steps that were saved but maybe not answered when the last run died; send the outbox."""
        await self.gaffe.deliver_pending(self.send_to_user)

    async def _step(
        self, update: Update, received: Input, on_nothing: Callable[[Update], Awaitable[None]] | None = None
    ) -> None:
        """One input through the service; `on_nothing` answers instead when the step says nothing."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return
        reply = await self.gaffe.handle(
            user.id, received, partial(self._reply_to, message, user.id), language_for(user.language_code)
        )
        if reply.empty and on_nothing is not None:
            await on_nothing(update)
        await self._follow_language(user.id, reply)

    async def _reply_to(self, message: Message, user_id: int, reply: Reply) -> None:
        with _delivery_errors():
            await self._reply_to_message(message, user_id, reply)

    def _remember_keyboard(self, chat_id: int, message_id: object) -> None:
        if isinstance(message_id, int):
            self._keyboards[chat_id] = message_id
            self._keyboards.move_to_end(chat_id)
            while len(self._keyboards) > KEYBOARDS_KEPT:
                self._keyboards.popitem(last=False)

    async def _reply_to_message(self, message: Message, user_id: int, reply: Reply) -> None:
        """A typed input's reply; when it asks a new question, the question before it first loses its buttons
        (before, so that the chat never shows two live keyboards, and the edit never trails the new question)."""
        earlier = self._keyboards.pop(message.chat_id, None) if reply.buttons else None
        if earlier is not None:
            await self._drop_keyboard(message.chat_id, earlier)
        await self._reply_to_message_itself(message, user_id, reply)

    async def _drop_keyboard(self, chat_id: int, message_id: int) -> None:
        """A typed command or text moved on: the question asked before it loses its buttons (they would only
        say "expired"). Cosmetic, like marking an answer: a spare slot of Telegram's budget, or not at all."""
        with contextlib.suppress(SkippedCosmeticCall, BadRequest):  # no slot free now; or already gone
            await self._call("editMessageReplyMarkup", SPARE, chat_id=chat_id, message_id=message_id)

    async def _reply_to_message_itself(self, message: Message, user_id: int, reply: Reply) -> None:
        if reply.erase_input:  # bots may delete messages in private chats: the secret leaves the history too
            with contextlib.suppress(TelegramError):
                await _retry_network(message.delete)
        if reply.clear_chat:  # a typed choice (never from Telegram's buttons, but the engine allows it)
            reply = await self._clear_chat(message.chat_id, message.message_id, reply)
        await self.send_to(message.chat_id, user_id, reply)

    # --- handlers ----------------------------------------------------------------------------------
    def _for_another_bot(self, update: Update) -> bool:
        """A command meant for another bot ("/start@other_bot"), in a group or typed here by mistake."""
        words = (update.effective_message.text or "").split(maxsplit=1) if update.effective_message else []
        _, at, target = (words[0] if words else "").partition("@")
        return bool(at) and target.lower() != (self.bot.username or "").lower()

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if self._for_another_bot(update):
            return
        text = update.effective_message.text if update.effective_message else None
        name, _, payload = (text or "/")[1:].partition(" ")
        name = name.split("@")[0]
        if name.lower() == "start" and payload.strip():  # a deep link, t.me/<bot>?start=espion: that dialogue
            name = self.gaffe.deep_link(payload.strip())
        await self._step(update, Command(name))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The text goes to the engine and nowhere else: it is not logged, and only a validated
        # answer to a free-text question is kept.
        text = update.effective_message.text if update.effective_message else None
        await self._step(update, Text(text or ""))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        user_id = query.from_user.id
        language = language_for(query.from_user.language_code)
        press = buttons.decode(self.secret, user_id, query.data)
        if press is None:
            await self._toast(query, "forged_button", await self.gaffe.language_of(user_id, language))
            return
        reply = await self.gaffe.handle(user_id, press, partial(self._answer_press, query), language)
        await self._follow_language(user_id, reply)

    async def _follow_language(self, user_id: int, reply: Reply) -> None:
        """After /langue, this chat's command menu speaks the chosen language (a chat-scoped menu), whatever the
        language of the user's Telegram. Cosmetic: after the reply went out, and a refusal is only logged."""
        if reply.menu_language is None:
            return
        menu = [BotCommand(name, description) for name, description in self.gaffe.command_menu(reply.menu_language)]
        try:
            await self.bot.set_my_commands(menu, scope=BotCommandScopeChat(user_id))
        except TelegramError as error:
            log.warning("the chat's command menu was not set: %s", error)

    async def _answer_press(self, query: CallbackQuery, reply: Reply) -> None:
        with _delivery_errors():
            await self._answer_query(query, reply)

    async def _answer_query(self, query: CallbackQuery, reply: Reply) -> None:
        """Stop the spinner (with the toast, if any), reply, then show the pick under the pressed message:
        the next question is what the user waits for, the pick is cosmetic and comes a slot later."""
        toast = reply.toast[:CALLBACK_ANSWER_LIMIT] if reply.toast else None
        await query.answer(toast)
        if reply.empty or (toast and not reply.text):
            return
        # Buttons only live in private chats, whose id is the user's: this also works when the
        # pressed message is too old for Telegram to include it.
        chat_id = query.message.chat.id if query.message else query.from_user.id
        if query.message is not None and self._keyboards.get(chat_id) == query.message.message_id:
            del self._keyboards[chat_id]  # answered: marking the pick takes its buttons away
        if reply.in_place and await self._replace_pressed(query, reply):
            return
        if reply.clear_chat and query.message is not None:  # the pressed message is gone: no pick to show
            reply = await self._clear_chat(chat_id, query.message.message_id, reply)
        await self.send_to(chat_id, query.from_user.id, reply)
        await self._show_answer(query, reply)

    async def _replace_pressed(self, query: CallbackQuery, reply: Reply) -> bool:
        """A settings screen after another: edit the pressed message into the next screen (text and buttons)
        instead of adding one. False when that can't be done (too old, a file, too long): then it is sent."""
        message = query.message
        if not isinstance(message, Message) or not message.is_accessible or reply.attachments:
            return False
        if len(split_html(reply.text)) != 1:
            return False
        try:
            await self._call("editMessageText", None, chat_id=message.chat_id, message_id=message.message_id,
                             text=reply.text, parse_mode=ParseMode.HTML,
                             reply_markup=self._keyboard(query.from_user.id, reply))  # fmt: skip
        except BadRequest as error:  # too old to edit, or the same screen again: send it as a new message
            log.debug("could not replace the screen: %s", error)
            return False
        self._remember_keyboard(message.chat_id, message.message_id)
        return True

    async def _clear_chat(self, chat_id: int, newest: int, reply: Reply) -> Reply:
        """Delete the chat's messages from `newest` down, both sides (bots may, in a private chat, for 48 hours),
        100 ids a call; the reply then starts with what was deleted and what was left. Deletions wait behind
        people's replies. A call refused holds the 48-hour limit: what is younger in it is found by halving
        (7 more calls at most), and nothing older is tried."""
        lowest = max(1, newest - CLEAR_CHAT_MAX_IDS + 1)
        top, deleted, too_old = newest, False, False
        while top >= lowest and not too_old:
            batch = range(max(lowest, top - DELETE_BATCH + 1), top + 1)
            if await self._delete(chat_id, batch):
                deleted, top = True, batch.start - 1
            else:
                too_old = True
                deleted = await self._delete_younger(chat_id, batch) or deleted
        language = await self.gaffe.language_of(chat_id)
        lines = [self.gaffe.notice(language, "chat_cleared")] if deleted else []
        if too_old or top >= 1:  # refused for their age, or stopped before the first message
            lines.append(self.gaffe.notice(language, "chat_cleared_older"))
        text = "\n\n".join([*lines, reply.text] if reply.text else lines)
        return replace(reply, text=text, picked=None)

    async def _delete_younger(self, chat_id: int, batch: range) -> bool:
        """In a batch refused for holding a message older than 48 hours, delete the ids above the oldest such:
        ids grow with time, so halving finds the limit. Whether any was deleted."""
        low, high, deleted = batch.start, batch.stop - 1, False
        while low <= high:
            middle = (low + high + 1) // 2
            if await self._delete(chat_id, range(middle, high + 1)):
                deleted, high = True, middle - 1  # all younger: the limit is further down
            else:
                low = middle + 1  # the limit is in there: everything from `middle` down is too old
        return deleted

    async def _delete(self, chat_id: int, ids: range) -> bool:
        """deleteMessages on the ids; False when Telegram refuses them (one is older than 48 hours)."""
        call = partial(self.bot.delete_messages, chat_id, list(ids), rate_limit_args=PUSH)
        try:
            await _retry_network(call)
        except Forbidden as error:
            raise Unreachable(str(error)) from error
        except BadRequest:
            return False
        return True

    async def on_caption(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo or document with a caption: the caption goes through the secret filter like a typed text
        (a secret is refused and the message deleted); otherwise the same short answer as any photo."""
        message = update.effective_message
        caption = (message.caption or "") if message else ""
        await self._step(update, Aside(caption), on_nothing=lambda update: self.on_other(update, context))

    async def on_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message (text or caption): a secret edited in is refused, and the message deleted, like a
        typed one; any other edit changes nothing (the answer the message gave was already taken)."""
        message = update.effective_message
        await self._step(update, Aside((message.text or message.caption or "") if message else ""))

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice…: a short answer, nothing stored."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return
        language = await self.gaffe.language_of(user.id, language_for(user.language_code))
        text = self.gaffe.notice(language, "unsupported_message")
        await _retry_network(lambda: message.reply_text(text, parse_mode=ParseMode.HTML))

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command in a group or channel: one line, in the sender's language, nothing stored."""
        message = update.effective_message
        if message is None or self._for_another_bot(update):
            return
        user = update.effective_user
        text = self.gaffe.notice(language_for(user.language_code if user else None), "not_private")
        await _retry_network(lambda: message.reply_text(text, parse_mode=ParseMode.HTML))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log and carry on; a user who blocked Gaffe is marked inactive."""
        error = context.error
        user_id = _user_key(update) if isinstance(update, Update) else None
        if isinstance(error, Forbidden | Unreachable) and user_id:
            await self.gaffe.blocked(user_id)
            return
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("error while handling update %s", update_id, exc_info=error)
        if isinstance(update, Update) and update.callback_query:  # no endless spinner, even then
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()

    # --- helpers -----------------------------------------------------------------------------------
    async def _toast(self, query: CallbackQuery, key: str, language: str) -> None:
        text = html_text.strip(self.gaffe.notice(language, key))[:CALLBACK_ANSWER_LIMIT]
        await query.answer(text)

    async def _show_answer(self, query: CallbackQuery, reply: Reply) -> None:
        """Turn the answered message into a line of conversation: its text, the pick, no buttons."""
        message = query.message
        # Too old for Telegram to show (date 0): no text to keep, so leave it rather than wipe it.
        if not isinstance(message, Message) or not message.is_accessible or not reply.picked:
            return
        shown = html_text.escape_hrefs(message.text_html) if message.text else ""
        text = f"{shown}\n\n{reply.picked}" if shown else reply.picked
        # Cosmetic: the next question is what matters. SPARE takes a slot of Telegram's budget only if one is
        # free right now and no reply waits, so at load every press costs one message, not two.
        try:
            if len(html_text.strip(text)) <= 4096:
                await self._call("editMessageText", SPARE, chat_id=message.chat_id, message_id=message.message_id,
                                 text=text, parse_mode=ParseMode.HTML)  # fmt: skip
            else:
                await self._call(
                    "editMessageReplyMarkup", SPARE, chat_id=message.chat_id, message_id=message.message_id
                )
        except SkippedCosmeticCall:
            pass  # dropped, not queued: the answered question keeps its buttons
        except BadRequest as error:  # already edited (a double press), or too old to edit: harmless
            log.debug("could not mark the answer: %s", error)

    async def set_menus(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A JobQueue job: the command menus, tried again later on failure (logged once, not per attempt).
        Never at start-up in line: a 500 on setMyCommands must not keep the bot from serving."""
        attempt = context.job.data if context.job and isinstance(context.job.data, int) else 0
        try:
            await self.register_commands(context.application)
        except (TelegramError, StorageUnavailable) as error:
            delay = MENU_RETRY_SECONDS[min(attempt, len(MENU_RETRY_SECONDS) - 1)]
            if attempt == 0:
                log.warning("the command menus could not be set (%s): trying again in the background", error)
            assert context.job_queue is not None
            context.job_queue.run_once(self.set_menus, delay, data=attempt + 1, name="menus")
            return
        if attempt:
            log.info("the command menus are set")

    async def register_commands(self, application: GaffeApplication) -> None:
        """The command menus and the bot's descriptions (its profile, and the page before the first /start),
        per language; English is also the default for every other language, as for the replies."""
        bot = application.bot
        for language in LANGUAGES:
            commands = [BotCommand(name, description) for name, description in self.gaffe.command_menu(language)]
            description = html_text.strip(self.gaffe.notice(language, "bot_description"))
            short = html_text.strip(self.gaffe.notice(language, "bot_short_description"))
            for code in (language, "") if language == "en" else (language,):
                await bot.set_my_commands(commands, language_code=code or None)
                await bot.set_my_description(description, language_code=code or None)
                await bot.set_my_short_description(short, language_code=code or None)
        for admin in sorted(self.gaffe.admins):  # /stats shows in admins' own menus only
            language = await self.gaffe.language_of(admin)
            description = html_text.strip(self.gaffe.notice(language, "stats_command"))
            commands = [BotCommand(n, d) for n, d in self.gaffe.command_menu(language)]
            with contextlib.suppress(TelegramError):  # "chat not found": this admin never wrote to Gaffe yet
                await application.bot.set_my_commands(
                    [*commands, BotCommand("stats", description)], scope=BotCommandScopeChat(admin)
                )


def build_application(settings: Settings, clock: Clock = system_clock) -> GaffeApplication:
    """The Application, wired: content checked, database opened at start-up, handlers registered, the
    scheduler ticking. `clock` is the system clock but in tests."""
    if settings.token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    content = load(settings)  # refuse to start on bad content, before anything else
    holder: dict[str, Any] = {}

    async def post_init(application: GaffeApplication) -> None:
        gaffe = await open_gaffe(settings, content, tracks_delivery=True, clock=clock)
        holder["service"] = gaffe  # closed by post_shutdown, which python-telegram-bot runs even if this fails
        try:
            telegram_gaffe = TelegramGaffe(gaffe, await gaffe.button_secret(), application.bot)
            await telegram_gaffe.resend_pending()
        except StorageUnavailable as error:  # locked by another program past the busy timeout: two lines, not a hang
            raise database_error(settings.database, error) from None
        holder["gaffe"] = telegram_gaffe
        application.bot_data["gaffe"] = telegram_gaffe
        _add_handlers(application, telegram_gaffe)
        scheduler = Scheduler(gaffe, telegram_gaffe.push, telegram_gaffe.send_to_user, settings)
        holder["scheduler"] = scheduler
        application.bot_data["scheduler"] = scheduler

        async def tick(context: ContextTypes.DEFAULT_TYPE) -> None:
            await scheduler.tick()

        assert application.job_queue is not None, "python-telegram-bot[job-queue] is a dependency"
        application.job_queue.run_once(telegram_gaffe.set_menus, 0, data=0, name="menus")
        application.job_queue.run_repeating(tick, interval=settings.reminder_check_seconds, first=1, name="tick")
        log.info("Gaffe is on Telegram as @%s, database %s", application.bot.username, settings.database)

    async def post_shutdown(application: GaffeApplication) -> None:
        if "service" in holder:  # aiosqlite's thread is not a daemon: left open, it keeps the process alive
            await holder["service"].close()
        # The HTTP sessions too, when start-up failed after they were opened (python-telegram-bot only shuts
        # down a bot whose initialisation succeeded): no "Unclosed client session" at exit.
        await application.bot.shutdown()

    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_url)
        .base_file_url(settings.api_url.replace("/bot", "/file/bot"))
        .rate_limiter(PriorityRateLimiter(overall_max_rate=30, overall_time_period=1, max_retries=3))
        .defaults(Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True)))
        # aiohttp instead of httpx: a third of the CPU per Bot API call (bot/adapters/aiohttp_request.py).
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        # Each user's updates are ordered by the service's per-user turn; python-telegram-bot starts one
        # task per update in arrival order, and a high limit lets each reach its user's turn in that order.
        .concurrent_updates(SimpleUpdateProcessor(4096))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    return application


def _add_handlers(application: GaffeApplication, gaffe: TelegramGaffe) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    edited = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
    group_command = ~filters.ChatType.PRIVATE & filters.COMMAND & filters.UpdateType.MESSAGES
    application.add_handler(CallbackQueryHandler(gaffe.on_button))  # first: most updates are presses
    application.add_handler(MessageHandler(group_command & ~filters.UpdateType.EDITED, gaffe.on_group))
    application.add_handler(MessageHandler(private & filters.COMMAND, gaffe.on_command))
    application.add_handler(MessageHandler(private & filters.TEXT, gaffe.on_text))
    application.add_handler(MessageHandler(private & filters.CAPTION, gaffe.on_caption))
    application.add_handler(MessageHandler(edited & (filters.TEXT | filters.CAPTION), gaffe.on_edit))
    application.add_handler(MessageHandler(private, gaffe.on_other))
    application.add_error_handler(gaffe.on_error)


WEBHOOK_PATH = "telegram"


def webhook_options(settings: Settings) -> dict[str, Any]:
    """How to listen for webhook updates. Telegram sends `secret_token` with every request and the server
    refuses any request without it (bot/adapters/webhook.py); without GAFFE_WEBHOOK_SECRET a random one is
    made for this run (it is given to Telegram by setWebhook at start-up)."""
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": WEBHOOK_PATH,
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret or secrets.token_urlsafe(32),
        "allowed_updates": Update.ALL_TYPES,
    }


async def start_receiving(application: GaffeApplication, settings: Settings) -> Callable[[], Awaitable[None]]:
    """Updates start arriving: long polling, or the webhook server then setWebhook. Returns how to stop."""
    updater = application.updater
    assert updater is not None
    if not settings.webhook_url:
        await updater.start_polling(allowed_updates=Update.ALL_TYPES)
        return updater.stop
    options = webhook_options(settings)
    server = WebhookServer(application, options["secret_token"], options["listen"], options["port"], WEBHOOK_PATH)
    await server.start()
    try:
        await application.bot.set_webhook(
            settings.webhook_url, allowed_updates=Update.ALL_TYPES, secret_token=options["secret_token"]
        )
    except BaseException:
        await server.stop()
        raise
    return server.stop


async def serve(application: GaffeApplication, settings: Settings) -> None:
    """python-telegram-bot's run_polling sequence (initialize, post_init, receive, start; then the reverse),
    with Gaffe's webhook server, until SIGINT or SIGTERM. A signal during start-up stops it after the phase
    under way (each is bounded: the busy timeout, the Bot API's timeouts), never by cancelling it midway: a
    cancelled database call would leave aiosqlite's thread to finish after the loop is gone.
    python-telegram-bot's own handler raises SystemExit in the loop, which uvloop then can't shut down."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    stop_receiving: Callable[[], Awaitable[None]] | None = None
    try:
        await application.initialize()
        assert application.post_init is not None
        if not stopping.is_set():
            await application.post_init(application)
        if not stopping.is_set():
            stop_receiving = await start_receiving(application, settings)
            await application.start()
            await stopping.wait()
    finally:
        if stop_receiving is not None:
            await stop_receiving()
        if application.running:
            await application.stop()
        await application.shutdown()
        assert application.post_shutdown is not None
        await application.post_shutdown(application)


def run(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM: long polling, or a webhook when GAFFE_WEBHOOK_URL is set."""
    application = build_application(settings)
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    # uvloop's event loop where it exists (not on Windows): 14-21 % less CPU per step (bench/peers.py).
    with contextlib.suppress(ImportError):
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(application, settings))
