"""Logging that never shows the bot token, nor what users send.

python-telegram-bot's HTTP client (httpx) logs every request URL at INFO, and those URLs contain the
token; an invalid-token error message contains it too. So httpx is kept at WARNING, and every record
that reaches our handlers has any secret replaced, whatever logger it comes from. python-telegram-bot also
logs what it could not parse, whole (`Received data was %r`: users' messages), at CRITICAL: the data
given to its log calls is withheld from every record of its loggers.
"""

from __future__ import annotations

import logging
import re

_TOKEN_SHAPE = re.compile(r"\b\d{5,12}:[A-Za-z0-9_-]{30,}\b")


class WithholdPayloads(logging.Filter):
    """python-telegram-bot's records keep their words, not the data they quote: updates, parsed or not, are
    dicts, lists or Telegram objects; strings and numbers (method names, counts, ids) stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and isinstance(record.args, tuple):
            record.args = tuple(_withheld(arg) for arg in record.args)
        elif record.name.startswith("telegram") and isinstance(record.args, dict):
            record.args = {key: _withheld(value) for key, value in record.args.items()}
        return True


def _withheld(value: object) -> object:
    from telegram import TelegramObject

    return "<withheld>" if isinstance(value, dict | list | tuple | TelegramObject) else value


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = self._redact(text)
        exc_text = self._redact(record.exc_text) if record.exc_text else record.exc_text
        if redacted != text or exc_text != record.exc_text:
            record.msg, record.args, record.exc_text = redacted, None, exc_text
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[token]")
        return _TOKEN_SHAPE.sub("[token]", text)


def setup_logging(token: str | None, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(WithholdPayloads())
    handler.addFilter(RedactSecrets([token] if token else []))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG these log what users send: python-telegram-bot every update and request it makes (message
    # texts), aiosqlite every statement with its parameters (saved answers). Gaffe's own DEBUG stays available.
    for payloads in ("telegram", "aiosqlite"):
        logging.getLogger(payloads).setLevel(max(level, logging.INFO))
