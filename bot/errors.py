"""Why Gaffe cannot start (or run an operator's command), said in one or two lines.

Each layer that finds such a problem (the settings, the content folders, the database, Telegram)
raises `StartupError` with the cause and the setting to change; `bot/__main__.py` prints it without a
traceback and exits with a non-zero code. A traceback is for bugs, not for a wrong path or a busy port.
"""

from __future__ import annotations


class StartupError(RuntimeError):
    """A problem an operator fixes by changing a setting: `message` says what, `setting` names where."""

    def __init__(self, message: str, setting: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.setting = setting
        self.fix = fix or f"Check {setting}."

    def lines(self, doing: str = "Gaffe can't start") -> list[str]:
        return [f"{doing}: {self.message}", self.fix]


class StorageUnavailable(RuntimeError):
    """The database can't be read or written for now (locked by another program past the busy timeout, disk full,
    read-only, an I/O error): the step is not saved, and trying again later may work.

    The storage layer (bot/storage.py) raises it from its driver's errors, so the service, the scheduler and the
    adapters handle one exception whatever the database, and never import the driver. A bug (a constraint
    violated, a malformed statement) is not this: it stays the driver's error, and a traceback."""
