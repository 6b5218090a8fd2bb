"""Adapters: Telegram and the terminal. Thin: they turn what users do into service calls."""
