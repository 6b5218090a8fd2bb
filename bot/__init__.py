"""Gaffe: personal-security advice in casual French and in English, on Telegram or in a terminal."""
