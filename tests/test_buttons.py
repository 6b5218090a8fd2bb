"""Button payloads: a dialogue's choices and buttons bound to objects, signed, under 64 bytes."""

from __future__ import annotations

import base64

import pytest

from bot.adapters import buttons
from bot.core.engine import Pick, Press
from bot.features.reminders import KIND, MESSAGES

SECRET = bytes(range(32))


def test_payload_round_trips_and_fits_64_bytes_even_for_huge_steps() -> None:
    for step, index in ((0, 0), (7, 3), (10**12 - 1, 99)):
        data = buttons.encode(SECRET, 123456789, Pick(step, index))
        assert len(data.encode()) <= 64
        assert buttons.decode(SECRET, 123456789, data) == Pick(step, index)


def test_tampered_or_foreign_payloads_are_refused() -> None:
    data = buttons.encode(SECRET, 42, Pick(5, 1))
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


def test_object_buttons_round_trip_fit_and_refuse_tampering() -> None:
    press = Press("reminder", 10**12 - 1, 999_999, "later")
    data = buttons.encode(SECRET, 987654321, press)
    assert len(data.encode()) <= 64
    assert buttons.decode(SECRET, 987654321, data) == press
    payload, _, signature = data.rpartition(":")
    for forged in (
        payload.replace("later", "stop") + ":" + signature,
        payload.replace("999999", "1") + ":" + signature,
    ):
        assert buttons.decode(SECRET, 987654321, forged) is None
    assert buttons.decode(SECRET, 1, data) is None


def test_an_object_button_decode_could_not_read_is_refused_when_made() -> None:
    for press in (Press("reminder", 1, 1, "reschedule"), Press("Reminder", 1, 1, "done"), Press("x", 1, 1, "9d")):
        with pytest.raises(ValueError, match="1-8 lowercase letters"):
            buttons.encode(SECRET, 1, press)


def test_every_verb_of_the_reminder_buttons_goes_through_a_button() -> None:
    """The cadence buttons ("d180": every six months) were refused when made, and /rappels failed with them.
    Every reminder button is labelled by its `reminder_button_{verb}` message: the verbs are read from there."""
    verbs = [key.removeprefix("reminder_button_") for key in MESSAGES if key.startswith("reminder_button_")]
    assert {"d180", "manage", "done"} <= set(verbs)
    for verb in verbs:
        press = Press(KIND, 123456789012, 1234567890, verb)
        data = buttons.encode(SECRET, 987654321, press)
        assert len(data.encode()) <= 64
        assert buttons.decode(SECRET, 987654321, data) == press


def test_the_signature_keeps_at_least_96_bits() -> None:
    """Guessing a signature must stay out of reach: 12 bytes of the HMAC at least, for both kinds of button."""
    for press in (Pick(5, 1), Press("reminder", 1, 2, "done")):
        signature = buttons.encode(SECRET, 42, press).rpartition(":")[2]
        assert len(base64.urlsafe_b64decode(signature)) * 8 >= 96


def test_malformed_payloads_are_refused_not_raised() -> None:
    """Numbers where a word is expected (or the reverse) are someone else's payload: None, never an error."""
    signature = buttons.encode(SECRET, 42, Pick(5, 1)).rpartition(":")[2]
    for payload in ("x:y", "o:reminder:zz:1:done", "o:reminder:1:zz:done", "p:reminder:x:1:done"):
        assert buttons.decode(SECRET, 42, f"{payload}:{signature}") is None
