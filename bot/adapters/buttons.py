"""Button payloads (`callback_data`) that fit Telegram's 64 bytes and can't be replayed or forged.

A payload is `step:index:signature`. `step` says which question the button belongs to, so a press on
an old question is told stale (the engine compares it with the user's current step); the signature,
an HMAC of user, step and index under a per-database secret, tells a forged payload from ours. No
label goes into it, so accented labels can't push it over the limit. It survives a restart, because the
step and the secret are both in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from bot.core.engine import Pick

MAX_BYTES = 64


def _signature(secret: bytes, user_id: int, step: int, index: int) -> str:
    digest = hmac.new(secret, f"{user_id}:{step}:{index}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def encode(secret: bytes, user_id: int, step: int, index: int) -> str:
    data = f"{step}:{index}:{_signature(secret, user_id, step, index)}"
    assert len(data.encode()) <= MAX_BYTES
    return data


def decode(secret: bytes, user_id: int, data: str | None) -> Pick | None:
    """The press as an engine input, or None when the payload isn't one Gaffe made for this user."""
    parts = (data or "").split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[0]) > 12:
        return None
    step, index = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2], _signature(secret, user_id, step, index)):
        return None
    return Pick(step, index)
