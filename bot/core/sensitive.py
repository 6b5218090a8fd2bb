"""Recognise a message that looks like a secret (a password, a one-time code, a card number).

Gaffe never asks for one, and says so when someone sends one anyway: such a message is refused before
anything else looks at it, so it is never saved, not even as a free-text answer. The rules are
deliberately simple and err on the side of refusing; they only ever cost a friendly reminder.
"""

from __future__ import annotations

import re

_KEYWORDS = re.compile(r"mot[s]? de passe|\bmdp\b|passe?word|\bpasswd\b|\bcode pin\b|\bpin\b|\bcvv\b|\bcvc\b", re.I)
_DIGITS_ONLY = re.compile(r"[\d \-.]+")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _looks_like_a_password(token: str) -> bool:
    if not 8 <= len(token) <= 64 or token.startswith(("http://", "https://", "/")):
        return False
    # Letters and digits mixed with capitals or symbols: "Soleil2024!", not a hyphenated name.
    has_letter = any(c.isalpha() for c in token)
    has_digit = any(c.isdigit() for c in token)
    has_upper_or_symbol = any(c.isupper() or not c.isalnum() for c in token)
    return has_letter and has_digit and has_upper_or_symbol


def looks_like_a_secret(text: str) -> bool:
    stripped = text.strip()
    if _DIGITS_ONLY.fullmatch(stripped):
        digits = re.sub(r"\D", "", stripped)
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return True  # a card number
        if 4 <= len(digits) <= 8 and len(digits) == len(stripped):
            return True  # a PIN or a one-time code
    tokens = stripped.split()
    if len(tokens) == 1 and _looks_like_a_password(tokens[0]):
        return True
    if _KEYWORDS.search(stripped):
        return any(_looks_like_a_password(t) or (t.isdigit() and len(t) >= 4) for t in tokens)
    return False
