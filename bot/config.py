"""Settings, read once from the environment. Defaults suit a checkout run from its own folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HIBP_URL = "https://haveibeenpwned.com/api/v3/breaches"  # Have I Been Pwned's breach catalogue (no key)
STALKERWARE_IOC_URL = "https://raw.githubusercontent.com/AssoEchap/stalkerware-indicators/master/ioc.yaml"


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
    data_dir: Path = Path("gaffe-data")  # downloaded public data (bot/lookups): the breach catalogue, ioc.yaml
    hibp_breaches: str = HIBP_URL  # a URL (cached in data_dir, refreshed daily) or a local file
    stalkerware_ioc: Path | None = None  # a local ioc.yaml; None: data_dir/ioc.yaml, written by update-data
    stalkerware_url: str = STALKERWARE_IOC_URL  # where update-data downloads ioc.yaml from

    @property
    def stalkerware_ioc_path(self) -> Path:
        return self.stalkerware_ioc or self.data_dir / "ioc.yaml"

    @classmethod
    def from_env(cls) -> Settings:
        database = Path(os.environ.get("GAFFE_DB", "gaffe.sqlite3"))
        ioc = os.environ.get("GAFFE_STALKERWARE_IOC")
        return cls(
            token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
            api_url=os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org/bot"),
            database=database,
            dialogues_dir=_content_dir("GAFFE_DIALOGUES", "dialogues"),
            locales_dir=_content_dir("GAFFE_LOCALES", "locales"),
            webhook_url=os.environ.get("GAFFE_WEBHOOK_URL") or None,
            webhook_listen=os.environ.get("GAFFE_WEBHOOK_LISTEN", "127.0.0.1"),
            webhook_port=int(os.environ.get("GAFFE_WEBHOOK_PORT", "8443")),
            webhook_secret=os.environ.get("GAFFE_WEBHOOK_SECRET") or None,
            data_dir=Path(os.environ.get("GAFFE_DATA_DIR") or database.parent / "gaffe-data"),
            hibp_breaches=os.environ.get("GAFFE_HIBP_BREACHES") or HIBP_URL,
            stalkerware_ioc=Path(ioc) if ioc else None,
            stalkerware_url=os.environ.get("GAFFE_STALKERWARE_URL") or STALKERWARE_IOC_URL,
        )
