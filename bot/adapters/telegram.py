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
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters import buttons
from bot.authoring.check import load_content
from bot.config import Settings
from bot.core import html_text
from bot.core.engine import Command, Input, Step, Text
from bot.core.i18n import LANGUAGES, language_for, load_translators
from bot.core.render import Reply, message, split_html
from bot.core.sensitive import refused_secret
from bot.service import Gaffe
from bot.storage import Store

log = logging.getLogger("gaffe.telegram")
GaffeApplication = Application[Any, Any, Any, Any, Any, Any]
T = TypeVar("T")
NETWORK_RETRIES = 3
CALLBACK_ANSWER_LIMIT = 200


class OnePerUser(BaseUpdateProcessor):
    """Serve different users concurrently, but each user's updates one at a time, in arrival order.

    python-telegram-bot starts one task per update in arrival order; a FIFO lock per user keeps a user's
    steps in that order. The global limit is set high so that tasks reach their user's lock in order.
    """

    def __init__(self, max_concurrent_updates: int = 4096) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _user_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle users: memory stays bounded by active ones
                del self._waiting[key], self._locks[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


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


class TelegramGaffe:
    """The handlers, sharing the service and the button secret."""

    def __init__(self, gaffe: Gaffe, secret: bytes) -> None:
        self.gaffe = gaffe
        self.secret = secret

    # --- sending -----------------------------------------------------------------------------------
    def _keyboard(self, user_id: int, reply: Reply) -> InlineKeyboardMarkup | None:
        if not reply.labels or reply.step is None:
            return None
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=buttons.encode(self.secret, user_id, reply.step, index))]
             for index, label in enumerate(reply.labels)]
        )  # fmt: skip

    async def send(self, message: Message | None, user_id: int, reply: Reply) -> None:
        if message is not None:
            await self.send_to(message.get_bot(), message.chat_id, user_id, reply)

    async def send_to(self, bot: Bot, chat_id: int, user_id: int, reply: Reply) -> None:
        if not reply.text:
            return
        chunks = split_html(reply.text)
        for number, chunk in enumerate(chunks, start=1):
            markup = self._keyboard(user_id, reply) if number == len(chunks) else None
            await _retry_network(
                partial(bot.send_message, chat_id, chunk, parse_mode=ParseMode.HTML, reply_markup=markup)
            )

    async def resend_pending(self, bot: Bot) -> None:
        """Answer the steps that were saved but maybe not answered when the last run died."""
        for user_id in await self.gaffe.store.pending_replies():
            state = await self.gaffe.state_of(user_id)
            try:
                await self.send_to(bot, user_id, user_id, self.gaffe.resume(state, notice=True))
            except Forbidden:
                await self.gaffe.store.set_active(user_id, False)
                continue
            except TelegramError as error:
                log.warning("could not resend the pending reply of user %s: %s", user_id, error)
                continue
            await self.gaffe.delivered(user_id)

    async def _step(self, update: Update, received: Input) -> Step | None:
        user = update.effective_user
        if user is None:
            return None
        step, reply = await self.gaffe.handle(user.id, received, language_for(user.language_code))
        await self.send(update.effective_message, user.id, reply)
        if step.changed:
            await self.gaffe.delivered(user.id)
        return step

    # --- handlers ----------------------------------------------------------------------------------
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = update.effective_message.text if update.effective_message else None
        name = (text or "/").split()[0][1:].split("@")[0]
        await self._step(update, Command(name))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The text goes to the engine and nowhere else: it is not logged, and only a validated
        # answer to a free-text question is kept.
        text = update.effective_message.text if update.effective_message else None
        step = await self._step(update, Text(text or ""))
        if step and update.effective_message and any(refused_secret(o) for o in step.outputs):
            # Bots may delete messages in private chats: the secret leaves the chat history too.
            with contextlib.suppress(TelegramError):
                await _retry_network(update.effective_message.delete)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        user_id = query.from_user.id
        pick = buttons.decode(self.secret, user_id, query.data)
        if pick is None:
            await self._toast(query, "forged_button")
            return
        step, reply = await self.gaffe.handle(user_id, pick, language_for(query.from_user.language_code))
        if not step.changed:
            await self._toast(query, "stale_button", step.state.language)
            return
        await query.answer()
        await self._show_answer(query, reply)
        # Buttons only live in private chats, whose id is the user's: this also works when the
        # question's message is too old for Telegram to include it.
        chat_id = query.message.chat.id if query.message else user_id
        await self.send_to(context.bot, chat_id, user_id, reply)
        await self.gaffe.delivered(user_id)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice…: a short answer, nothing stored."""
        await self._notice(update, "unsupported_message")

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command in a group or channel: one line, in the sender's language, nothing stored."""
        message = update.effective_message
        if message is None:
            return
        user = update.effective_user
        text = self._message(language_for(user.language_code if user else None), "not_private")
        await _retry_network(lambda: message.reply_text(text, parse_mode=ParseMode.HTML))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log and carry on; a user who blocked Gaffe is marked inactive."""
        error = context.error
        user_id = _user_key(update) if isinstance(update, Update) else None
        if isinstance(error, Forbidden) and user_id:
            await self.gaffe.store.set_active(user_id, False)
            log.info("user %s blocked the bot: marked inactive", user_id)
            return
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("error while handling update %s", update_id, exc_info=error)
        if isinstance(update, Update) and update.callback_query:  # no endless spinner, even then
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()

    # --- helpers -----------------------------------------------------------------------------------
    def _message(self, language: str, key: str) -> str:
        return message(self.gaffe.content, self.gaffe.translators[language], key)

    async def _notice(self, update: Update, key: str) -> None:
        user = update.effective_user
        if user is None or update.effective_message is None:
            return
        state = await self.gaffe.state_of(user.id, language_for(user.language_code))
        await self.send(update.effective_message, user.id, Reply(self._message(state.language, key)))

    async def _toast(self, query: CallbackQuery, key: str, language: str | None = None) -> None:
        if language is None:
            language = (
                await self.gaffe.state_of(query.from_user.id, language_for(query.from_user.language_code))
            ).language
        text = html_text.strip(self._message(language, key))[:CALLBACK_ANSWER_LIMIT]
        await query.answer(text)

    async def _show_answer(self, query: CallbackQuery, reply: Reply) -> None:
        """Turn the answered question into a line of conversation: its text, the pick, no buttons."""
        message = query.message
        if not isinstance(message, Message) or not reply.picked:
            return
        text = f"{message.text_html}\n\n{reply.picked}" if message.text else reply.picked
        try:
            if len(html_text.strip(text)) <= 4096:
                await _retry_network(lambda: message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=None))
            else:
                await _retry_network(lambda: message.edit_reply_markup(reply_markup=None))
        except BadRequest as error:  # already edited (a double press), or too old to edit: harmless
            log.debug("could not mark the answer: %s", error)

    async def register_commands(self, application: GaffeApplication) -> None:
        """The command menu, per language (French is also the default for everyone else)."""
        for language in LANGUAGES:
            translator = self.gaffe.translators[language]
            commands = [
                BotCommand(
                    dialogue.commands.fr if language == "fr" else dialogue.commands.en,
                    translator.text(dialogue.commands.description),
                )
                for dialogue in sorted(self.gaffe.content.dialogues.values(), key=_menu_order)
                if dialogue.commands
            ]
            await application.bot.set_my_commands(commands, language_code=language)
            if language == "fr":
                await application.bot.set_my_commands(commands)


def _menu_order(dialogue: Any) -> tuple[bool, str]:
    return (dialogue.id != "start", dialogue.id)


def build_application(settings: Settings) -> GaffeApplication:
    """The Application, wired: content checked, database opened at start-up, handlers registered."""
    if settings.token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    content = load_content(settings.dialogues_dir, settings.locales_dir)  # refuse to start on bad content
    translators = load_translators(settings.locales_dir)
    holder: dict[str, TelegramGaffe] = {}

    async def post_init(application: GaffeApplication) -> None:
        store = await Store.open(settings.database)
        gaffe = Gaffe(content, translators, store, tracks_delivery=True)
        telegram_gaffe = TelegramGaffe(gaffe, await store.secret())
        holder["gaffe"] = telegram_gaffe
        _add_handlers(application, telegram_gaffe)
        await telegram_gaffe.register_commands(application)
        await telegram_gaffe.resend_pending(application.bot)
        log.info("Gaffe is on Telegram as @%s, database %s", application.bot.username, settings.database)

    async def post_shutdown(application: GaffeApplication) -> None:
        if "gaffe" in holder:
            await holder["gaffe"].gaffe.store.close()

    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_url)
        .base_file_url(settings.api_url.replace("/bot", "/file/bot"))
        .rate_limiter(AIORateLimiter(overall_max_rate=30, overall_time_period=1, max_retries=3))
        .concurrent_updates(OnePerUser())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    return application


def _add_handlers(application: GaffeApplication, gaffe: TelegramGaffe) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    group_command = ~filters.ChatType.PRIVATE & filters.COMMAND & filters.UpdateType.MESSAGES
    application.add_handler(MessageHandler(group_command & ~filters.UpdateType.EDITED, gaffe.on_group))
    application.add_handler(MessageHandler(private & filters.COMMAND, gaffe.on_command))
    application.add_handler(MessageHandler(private & filters.TEXT, gaffe.on_text))
    application.add_handler(MessageHandler(private, gaffe.on_other))
    application.add_handler(CallbackQueryHandler(gaffe.on_button))
    application.add_error_handler(gaffe.on_error)


WEBHOOK_PATH = "telegram"


def webhook_options(settings: Settings) -> dict[str, Any]:
    """How to listen for webhook updates. Telegram sends `secret_token` with every request and
    python-telegram-bot refuses any request without it; without GAFFE_WEBHOOK_SECRET a random one is
    made for this run (it is given to Telegram by setWebhook at start-up)."""
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": WEBHOOK_PATH,
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret or secrets.token_urlsafe(32),
        "allowed_updates": Update.ALL_TYPES,
    }


def run(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM: long polling, or a webhook when GAFFE_WEBHOOK_URL is set."""
    application = build_application(settings)
    if settings.webhook_url:
        application.run_webhook(**webhook_options(settings))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
