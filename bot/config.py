"""Settings, read once from the environment. Defaults suit a checkout run from its own folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _content_dir(variable: str, name: str) -> Path:
    if value := os.environ.get(variable):
        return Path(value)
    here = Path.cwd() / name
    return here if here.is_dir() else PROJECT_ROOT / name


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

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
            api_url=os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org/bot"),
            database=Path(os.environ.get("GAFFE_DB", "gaffe.sqlite3")),
            dialogues_dir=_content_dir("GAFFE_DIALOGUES", "dialogues"),
            locales_dir=_content_dir("GAFFE_LOCALES", "locales"),
            webhook_url=os.environ.get("GAFFE_WEBHOOK_URL") or None,
            webhook_listen=os.environ.get("GAFFE_WEBHOOK_LISTEN", "127.0.0.1"),
            webhook_port=int(os.environ.get("GAFFE_WEBHOOK_PORT", "8443")),
            webhook_secret=os.environ.get("GAFFE_WEBHOOK_SECRET") or None,
        )
