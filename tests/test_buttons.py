"""Button payloads and the per-user ordering of updates: the two Telegram-specific mechanisms."""

from __future__ import annotations

import asyncio

from telegram import Update, User

from bot.adapters import buttons
from bot.adapters.telegram import OnePerUser
from bot.core.engine import Pick

SECRET = bytes(range(32))


def test_payload_round_trips_and_fits_64_bytes_even_for_huge_steps() -> None:
    for step, index in ((0, 0), (7, 3), (10**12 - 1, 99)):
        data = buttons.encode(SECRET, 123456789, step, index)
        assert len(data.encode()) <= 64
        assert buttons.decode(SECRET, 123456789, data) == Pick(step, index)


def test_tampered_or_foreign_payloads_are_refused() -> None:
    data = buttons.encode(SECRET, 42, 5, 1)
    step, index, signature = data.split(":")
    tampered = [
        f"{step}:2:{signature}",  # another choice
        f"6:{index}:{signature}",  # another step
        f"{step}:{index}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",  # a forged signature
        data + ":x",
        "",
        None,
        "é" * 20,
    ]
    assert all(buttons.decode(SECRET, 42, forged) is None for forged in tampered)
    assert buttons.decode(SECRET, 43, data) is None  # another user's button
    assert buttons.decode(bytes(32), 42, data) is None  # another installation's button


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "U", is_bot=False)
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": user.to_dict(),
                "text": "x",
            },
        },
        None,
    )


async def test_one_user_in_order_different_users_at_once() -> None:
    processor = OnePerUser()
    events: list[tuple[str, int, int]] = []

    async def handle(update_id: int, user_id: int) -> None:
        events.append(("start", user_id, update_id))
        await asyncio.sleep(0.02)
        events.append(("end", user_id, update_id))

    updates = [(1, 10), (2, 10), (3, 20), (4, 10), (5, 20)]
    await asyncio.gather(*(processor.process_update(_update(u, user), handle(u, user)) for u, user in updates))

    for user in (10, 20):
        mine = [(kind, u) for kind, who, u in events if who == user]
        ids = [u for _, u in mine]
        assert ids == sorted(ids) and all(
            mine[i][0] == "start" and mine[i + 1] == ("end", mine[i][1]) for i in range(0, len(mine), 2)
        )
    first_end = next(i for i, e in enumerate(events) if e[0] == "end")
    assert {e[1] for e in events[:first_end]} == {10, 20}  # both users started before anyone finished
    assert processor._locks == {}  # idle users are forgotten
