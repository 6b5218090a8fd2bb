"""Echap's stalkerware indicators (ioc.yaml): is the app, package or site a user names a known stalkerware?

The file comes from https://github.com/AssoEchap/stalkerware-indicators (`config.STALKERWARE_IOC_URL`;
CC BY 4.0: show `CREDIT` wherever results are shown). The project does not ship it: `python -m bot
update-data` downloads it into the data directory, GAFFE_STALKERWARE_IOC names a local copy instead. Without it,
`load_indicators` returns None and the caller says the look-up is unavailable, not "not found".
The list is incomplete by its authors' own warning: no match proves nothing.

Matching: a package name ("com.mspy.lite") and a domain ("mspy.com", or the host of a URL such as
"https://www.mspy.com/x"; "www." ignored) match exactly, case aside; names and aliases ("mSpy",
"eyeZy", " Eye Zy ") match after folding (case, accents, spaces, punctuation ignored). Websites,
distribution sites and C2 domains all count as the app's domains. When two apps share an indicator,
the first in the file wins (the file orders its apps; a user gets one answer). Three dicts built
once at parse time: a query costs a few look-ups, never a scan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.lookups.download import USER_AGENT, get_bytes, modified_on, write_atomically
from bot.lookups.normalise import MAX_QUERY_LENGTH, fold, host_of

CREDIT = "Echap, stalkerware-indicators (https://github.com/AssoEchap/stalkerware-indicators), CC BY 4.0"
MAX_BYTES = 8 * 1024 * 1024  # the real file is about 100 KB

logger = logging.getLogger("gaffe.lookups")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when built with it: ~10x faster


class IndicatorsError(Exception):
    """The indicators file is malformed; the message says what is wrong, in one line."""


@dataclass(frozen=True)
class StalkerwareApp:
    name: str
    aliases: tuple[str, ...]  # the file's `names`, without the app's own name
    packages: tuple[str, ...]
    websites: tuple[str, ...]  # `websites` then `distribution`
    c2: tuple[str, ...] = ()  # command-and-control domains


def _strings(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise IndicatorsError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _app(entry: Any, index: int) -> StalkerwareApp:
    if not isinstance(entry, dict):
        raise IndicatorsError(f"app #{index}: expected a mapping, got {type(entry).__name__}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise IndicatorsError(f"app #{index}: 'name' must be a non-empty string")
    where = f"app #{index} ({name!r:.40})"
    c2 = entry.get("c2") or {}
    if not isinstance(c2, dict):
        raise IndicatorsError(f"{where}: 'c2' must be a mapping")
    return StalkerwareApp(
        name=name,
        aliases=tuple(alias for alias in _strings(entry, "names", where) if alias != name),
        packages=_strings(entry, "packages", where),
        websites=_strings(entry, "websites", where) + _strings(entry, "distribution", where),
        c2=_strings(c2, "domains", f"{where} c2"),
    )


class Indicators:
    """The apps of ioc.yaml, indexed by folded name and alias, by package name and by domain."""

    def __init__(self, apps: list[StalkerwareApp]) -> None:
        self.apps = tuple(apps)
        self.as_of: date | None = None  # the day this copy was taken: answers say how old the data is
        self._by_name: dict[str, StalkerwareApp] = {}
        self._by_package: dict[str, StalkerwareApp] = {}
        self._by_host: dict[str, StalkerwareApp] = {}
        for app in apps:  # own names first, so that an app's name beats another app's alias
            self._by_name.setdefault(fold(app.name), app)
        for app in apps:
            for alias in app.aliases:
                self._by_name.setdefault(fold(alias), app)
            for package in app.packages:
                self._by_package.setdefault(package.strip().casefold(), app)
            for domain in (*app.websites, *app.c2):
                if host := host_of(domain):
                    self._by_host.setdefault(host, app)
        self._by_name.pop("", None)

    @classmethod
    def parse(cls, raw: bytes) -> Indicators:
        """The apps of an ioc.yaml (a YAML list of apps), or IndicatorsError saying what is wrong."""
        if len(raw) > MAX_BYTES:
            raise IndicatorsError(f"the indicators file is over {MAX_BYTES} bytes")
        try:
            document = yaml.load(raw, Loader=_LOADER)  # a safe loader: plain data only
        except yaml.YAMLError as error:
            raise IndicatorsError(f"the indicators file is not valid YAML: {str(error).splitlines()[0]}") from None
        if not isinstance(document, list) or not document:
            raise IndicatorsError("the indicators file must be a non-empty YAML list of apps")
        return cls([_app(entry, index) for index, entry in enumerate(document)])

    def dated(self, day: date) -> Indicators:
        """These indicators, marked as a copy of `day`."""
        self.as_of = day
        return self

    def __len__(self) -> int:
        return len(self.apps)

    def find(self, query: str) -> StalkerwareApp | None:
        """The app a name, alias, package name, domain or URL designates; None when it is not in the list
        (which proves nothing)."""
        text = query.strip()
        if len(text) > MAX_QUERY_LENGTH:
            return None
        if app := self._by_package.get(text.casefold()):
            return app
        if (host := host_of(text)) and (app := self._by_host.get(host)):
            return app
        return self._by_name.get(fold(text))


def load_indicators(path: Path | None) -> Indicators | None:
    """The indicators in `path`; None when there is no usable file (the caller says the look-up is unavailable).

    A missing file is normal (update-data not run yet); an unreadable or malformed one is logged at WARNING.
    """
    if path is None or not path.exists():
        return None
    try:
        return Indicators.parse(path.read_bytes()).dated(modified_on(path))
    except (OSError, IndicatorsError) as error:
        logger.warning("Stalkerware indicators in %s unusable: %s", path, error)
        return None


async def download_indicators(url: str, target: Path, *, user_agent: str = USER_AGENT) -> int:
    """Download ioc.yaml from `url` into `target`, replacing it only once the new copy parses; the number of apps.

    DownloadError (network, HTTP status, size) or IndicatorsError (malformed): the old copy is kept.
    """
    raw = await get_bytes(url, user_agent=user_agent, max_bytes=MAX_BYTES)
    indicators = Indicators.parse(raw)
    write_atomically(target, raw)
    return len(indicators)
