"""Messages that look like secrets are refused and never saved; ordinary messages are not."""

from __future__ import annotations

import pytest

from bot.core.dialogue import Content
from bot.core.engine import Command, Notice, State, Text, step
from bot.core.sensitive import looks_like_a_secret

SECRETS = [
    "4111 1111 1111 1111",  # a card number (Luhn-valid test number)
    "4111-1111-1111-1111",
    "123456",  # a one-time code
    "0000",  # a PIN
    "Soleil2024!",  # a lone password-looking token
    "mon mot de passe c'est Soleil2024!",
    "my password is hunter2hunter2X",
    "le code pin 4821",
]
ORDINARY = [
    "salut",
    "c'est quoi un gestionnaire de mots de passe ?",
    "what's a password manager?",
    "4111 1111 1111 1112",  # 16 digits that are not a card (Luhn fails)
    "12",
    "Ada Lovelace",
    "Jean-Pierre",  # a hyphenated name is not a password
    "Marie-Ève_Dupont",
    "https://www.cybermalveillance.gouv.fr/Page-2024",
    "x" * 10_000,
    "",
]


@pytest.mark.parametrize("text", SECRETS)
def test_secrets_are_recognised(text: str) -> None:
    assert looks_like_a_secret(text)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_are_not(text: str) -> None:
    assert not looks_like_a_secret(text)


def test_a_secret_is_refused_even_where_free_text_is_expected(mini: Content) -> None:
    asking = step(mini, State(), Command("quiz")).state  # "Comment je t'appelle ?"
    refused = step(mini, asking, Text("Tr0ub4dor&3"))  # would pass the name pattern's length, not its spirit
    assert refused.outputs == (Notice("secret_refused"),)
    assert refused.state == asking and "name" not in refused.state.answers
