"""Button payloads (`callback_data`) that fit Telegram's 64 bytes and can't be replayed or forged.

Two kinds, both signed with an HMAC of the user and the payload under a per-database secret, so a forged
payload is told from ours; no label goes into them, so accented labels can't push them over the limit:
- a dialogue's choice, `step:index:signature`: `step` says which question the button belongs to, so a press
  on an old question is told stale (the engine compares it with the user's current step);
- a button bound to an object, `o:kind:id:stamp:verb:signature` (a reminder's "Done"): it works whenever
  it is pressed; the object's feature decides whether the press still means something.
Both survive a restart, because the step, the objects and the secret are all in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from bot.core.engine import Pick, Press

MAX_BYTES = 64
_NUMBER = re.compile(r"\d{1,12}")
_WORD = re.compile(r"[a-z_][a-z0-9_]{0,7}")  # an object's kind or verb: "reminder", "d180"


def _signature(secret: bytes, user_id: int, payload: str) -> str:
    digest = hmac.new(secret, f"{user_id}:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def _payload(press: Pick | Press) -> str:
    if isinstance(press, Pick):
        return f"{press.step}:{press.index}"
    return f"o:{press.kind}:{press.object_id}:{press.stamp}:{press.verb}"


def encode(secret: bytes, user_id: int, press: Pick | Press) -> str:
    """The signed payload; a press `decode` could not read back is refused here, not discovered on a tap."""
    if isinstance(press, Press) and not (_WORD.fullmatch(press.kind) and _WORD.fullmatch(press.verb)):
        raise ValueError(
            f"object kind and verb must be 1-8 lowercase letters, digits or _, not starting with a digit: "
            f"{press.kind!r}, {press.verb!r}"
        )
    payload = _payload(press)
    data = f"{payload}:{_signature(secret, user_id, payload)}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button payload over {MAX_BYTES} bytes: {payload}")
    return data


def decode(secret: bytes, user_id: int, data: str | None) -> Pick | Press | None:
    """The press as an engine input, or None when the payload isn't one Gaffe made for this user."""
    payload, _, signature = (data or "").rpartition(":")
    parts = payload.split(":")
    press: Pick | Press
    if len(parts) == 2 and all(_NUMBER.fullmatch(p) for p in parts):
        press = Pick(int(parts[0]), int(parts[1]))
    elif (
        len(parts) == 5
        and parts[0] == "o"
        and _WORD.fullmatch(parts[1])
        and _NUMBER.fullmatch(parts[2])
        and _NUMBER.fullmatch(parts[3])
        and _WORD.fullmatch(parts[4])
    ):
        press = Press(parts[1], int(parts[2]), int(parts[3]), parts[4])
    else:
        return None
    if not hmac.compare_digest(signature, _signature(secret, user_id, payload)):
        return None
    return press
