"""Every numeric setting refuses 0, a negative number and text, naming the variable to fix (bot/config.py)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.errors import StartupError

NUMERIC = {  # variable -> the Settings field it sets
    "GAFFE_WEBHOOK_PORT": "webhook_port",
    "GAFFE_REMINDER_CHECK_SECONDS": "reminder_check_seconds",
    "GAFFE_RETENTION_DAYS": "retention_days",
    "GAFFE_FLOOD_UPDATES": "flood_updates",
    "GAFFE_FLOOD_SECONDS": "flood_seconds",
    "GAFFE_FLOOD_QUIET_SECONDS": "flood_quiet_seconds",
    "GAFFE_MAX_TEXT": "max_text_chars",
}


@pytest.mark.parametrize("value", ["0", "-1", "ten"])
@pytest.mark.parametrize("variable", NUMERIC)
def test_a_numeric_setting_refuses_zero_negative_and_text(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(StartupError) as refused:
        Settings.from_env()
    assert refused.value.setting == variable
    assert f"{variable} is '{value}'" in refused.value.message


@pytest.mark.parametrize("variable", NUMERIC)
def test_a_numeric_setting_takes_a_positive_number(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "30")
    assert getattr(Settings.from_env(), NUMERIC[variable]) == 30
