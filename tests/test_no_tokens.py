"""Nothing committed is shaped like a real Telegram bot token: a made-up one in a corpus or a test writes its colon
as \\x3A, so no secret scanner (nor a reader) takes the repository for a leak. The bot's token comes only from
TELEGRAM_BOT_TOKEN."""

from __future__ import annotations

import re
import subprocess

from tests.support.paths import ROOT

# Telegram's shape: the bot's numeric id, a colon, 35 characters of URL-safe base64.
TOKEN_SHAPE = re.compile(r"\b\d{8,10}:[A-Za-z0-9_-]{35}\b")


def token_shaped(text: str) -> list[str]:
    return TOKEN_SHAPE.findall(text)


def test_the_shape_is_recognised_and_the_escaped_form_is_not() -> None:
    made_up = "AAHk3Jt9xQ2mVbN8pLr4sWc6yZd1fEg0uIo"  # joined to its id only here, so this file holds no token
    assert token_shaped("bot token 7012345678" + ":" + made_up)
    assert not token_shaped(r"bot token 7012345678\x3A" + made_up)


def test_no_committed_file_holds_a_token_shaped_string() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    found = []
    for name in files.splitlines():
        path = ROOT / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary (a font, a compressed snapshot)
        found += [f"{name}: {match}" for match in token_shaped(text)]
    assert not found
