"""Settings, read once from the environment, and where the content (dialogues, translations) lives.

Content is found, in this order: GAFFE_DIALOGUES / GAFFE_LOCALES; the checkout's own folders when the
package runs from a checkout (editable install or `python -m bot` in the repository); else the copy
shipped inside the installed wheel (`bot/_content/`, see pyproject.toml). The current folder plays no
part, so `gaffe` means the same thing wherever it is started.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.content.paths import PROJECT_ROOT, bundled  # noqa: F401  (where the content lives)
from bot.core.i18n import po_path
from bot.errors import StartupError

HIBP_URL = "https://haveibeenpwned.com/api/v3/breaches"  # Have I Been Pwned's breach catalogue (no key)
STALKERWARE_IOC_URL = "https://raw.githubusercontent.com/AssoEchap/stalkerware-indicators/master/ioc.yaml"


# Every setting, as `gaffe --help` lists them (tests/test_cli.py checks that each variable read here is listed).
ENVIRONMENT = (
    ("TELEGRAM_BOT_TOKEN", "the token @BotFather gave: when set, `gaffe` runs the Telegram bot"),
    ("TELEGRAM_API_URL", "the Bot API (default https://api.telegram.org/bot)"),
    ("GAFFE_DB", "the database file (default gaffe.sqlite3; created readable by its owner only)"),
    ("GAFFE_DIALOGUES", "the dialogues folder (default: the one that comes with Gaffe)"),
    ("GAFFE_LOCALES", "the translations folder (default: the one that comes with Gaffe)"),
    ("GAFFE_WEBHOOK_URL", "the public URL Telegram posts updates to (default: none, long polling)"),
    ("GAFFE_WEBHOOK_LISTEN", "the webhook server's address (default 127.0.0.1, behind a reverse proxy)"),
    ("GAFFE_WEBHOOK_PORT", "the webhook server's port (default 8443)"),
    ("GAFFE_WEBHOOK_SECRET", "the secret Telegram sends with each update (default: a random one per run)"),
    ("GAFFE_DATA_DIR", "downloaded public data (default: gaffe-data beside the database)"),
    ("GAFFE_HIBP_BREACHES", "the breach catalogue, a URL or a file (default: Have I Been Pwned's)"),
    ("GAFFE_STALKERWARE_IOC", "a stalkerware ioc.yaml to use (default: the one update-data downloads)"),
    ("GAFFE_STALKERWARE_URL", "where update-data downloads ioc.yaml from"),
    ("GAFFE_REMINDER_CHECK_SECONDS", "how often due reminders are looked for (default 60)"),
    ("GAFFE_RETENTION_DAYS", "inactive users' data is erased after this many days (default 365)"),
    ("GAFFE_ADMINS", "Telegram user ids allowed /stats, separated by commas"),
    ("GAFFE_FLOOD_UPDATES", "a user sending more updates than this (default 20)…"),
    ("GAFFE_FLOOD_SECONDS", "…within this many seconds (default 10)…"),
    ("GAFFE_FLOOD_QUIET_SECONDS", "…is told once, then ignored this long (default 60)"),
    ("GAFFE_MAX_TEXT", "longer texts are cut before anything reads them (default 2000 characters)"),
)


def _content_dir(variable: str, name: str) -> Path:
    if value := os.environ.get(variable):
        return Path(value)
    return bundled(name)


def _seconds(variable: str, default: float) -> float:
    value = os.environ.get(variable)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise StartupError(f"{variable} is '{value}', not a number of seconds", variable, f"Set {variable} to e.g. 60.")
    return seconds


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise StartupError(f"GAFFE_WEBHOOK_PORT is '{value}', not a port number", "GAFFE_WEBHOOK_PORT")
    return port


def _positive(variable: str, default: int) -> int:
    value = os.environ.get(variable) or str(default)
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise StartupError(f"{variable} is '{value}', not a whole number above 0", variable)
    return number


def _database(value: str) -> Path:
    if not value.strip():
        raise StartupError(
            "GAFFE_DB is set but empty", "GAFFE_DB", "Set GAFFE_DB to the database file, or unset it (gaffe.sqlite3)."
        )
    return Path(value)


def _admins(value: str) -> frozenset[int]:
    """GAFFE_ADMINS: Telegram user ids, separated by commas (spaces allowed)."""
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not all(part.isdigit() for part in ids):
        raise StartupError(
            f"GAFFE_ADMINS is '{value}': give Telegram user ids (numbers) separated by commas", "GAFFE_ADMINS"
        )
    return frozenset(int(part) for part in ids)


@dataclass(frozen=True)
class Settings:
    token: str | None
    api_url: str
    database: Path
    dialogues_dir: Path
    locales_dir: Path
    webhook_url: str | None
    webhook_listen: str
    webhook_port: int
    webhook_secret: str | None
    reminder_check_seconds: float = 60.0  # how often due reminders are looked for (GAFFE_REMINDER_CHECK_SECONDS)
    data_dir: Path = Path("gaffe-data")  # downloaded public data (bot/lookups): the breach catalogue, ioc.yaml
    hibp_breaches: str = HIBP_URL  # a URL (cached in data_dir, refreshed daily) or a local file
    stalkerware_ioc: Path | None = None  # a local ioc.yaml; None: data_dir/ioc.yaml, written by update-data
    stalkerware_url: str = STALKERWARE_IOC_URL  # where update-data downloads ioc.yaml from
    retention_days: int = 365  # inactive users' data is erased after this many days (a notice a week before)
    admins: frozenset[int] = frozenset()  # Telegram user ids allowed /stats (counts only)
    flood_updates: int = 20  # a user sending more than this many updates within flood_seconds…
    flood_seconds: float = 10.0
    flood_quiet_seconds: float = 60.0  # …is told once, then ignored this long
    max_text_chars: int = 2000  # longer texts are cut before anything reads them

    @property
    def stalkerware_ioc_path(self) -> Path:
        return self.stalkerware_ioc or self.data_dir / "ioc.yaml"

    @classmethod
    def from_env(cls) -> Settings:
        database = _database(os.environ.get("GAFFE_DB", "gaffe.sqlite3"))
        ioc = os.environ.get("GAFFE_STALKERWARE_IOC")
        return cls(
            token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
            api_url=os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org/bot"),
            database=database,
            dialogues_dir=_content_dir("GAFFE_DIALOGUES", "dialogues"),
            locales_dir=_content_dir("GAFFE_LOCALES", "locales"),
            webhook_url=os.environ.get("GAFFE_WEBHOOK_URL") or None,
            webhook_listen=os.environ.get("GAFFE_WEBHOOK_LISTEN", "127.0.0.1"),
            webhook_port=_port(os.environ.get("GAFFE_WEBHOOK_PORT", "8443")),
            webhook_secret=os.environ.get("GAFFE_WEBHOOK_SECRET") or None,
            data_dir=Path(os.environ.get("GAFFE_DATA_DIR") or database.parent / "gaffe-data"),
            hibp_breaches=os.environ.get("GAFFE_HIBP_BREACHES") or HIBP_URL,
            stalkerware_ioc=Path(ioc) if ioc else None,
            stalkerware_url=os.environ.get("GAFFE_STALKERWARE_URL") or STALKERWARE_IOC_URL,
            reminder_check_seconds=_seconds("GAFFE_REMINDER_CHECK_SECONDS", 60.0),
            retention_days=_positive("GAFFE_RETENTION_DAYS", 365),
            admins=_admins(os.environ.get("GAFFE_ADMINS", "")),
            flood_updates=_positive("GAFFE_FLOOD_UPDATES", 20),
            flood_seconds=_positive("GAFFE_FLOOD_SECONDS", 10),
            flood_quiet_seconds=_positive("GAFFE_FLOOD_QUIET_SECONDS", 60),
            max_text_chars=_positive("GAFFE_MAX_TEXT", 2000),
        )

    def require_content(self) -> None:
        """Refuse to start, naming the variable, when a content folder is missing (before checking it)."""
        for variable, kind, folder in (
            ("GAFFE_DIALOGUES", "dialogues", self.dialogues_dir),
            ("GAFFE_LOCALES", "locales", self.locales_dir),
        ):
            if not folder.is_dir():
                raise StartupError(
                    f"the {kind} folder {folder} does not exist",
                    variable,
                    f"Set {variable} to the {kind} folder, or unset it to use the one that comes with Gaffe.",
                )
        if not any(self.dialogues_dir.glob("*.y*ml")):
            raise StartupError(
                f"no dialogue files (*.yaml) in {self.dialogues_dir}", "GAFFE_DIALOGUES", "Set GAFFE_DIALOGUES."
            )
        if not po_path(self.locales_dir, "en").is_file():
            raise StartupError(
                f"no English translations in {self.locales_dir} (expected {po_path(self.locales_dir, 'en')})",
                "GAFFE_LOCALES",
                "Set GAFFE_LOCALES to the folder that holds en/LC_MESSAGES/messages.po.",
            )
