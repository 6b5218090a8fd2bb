"""Have I Been Pwned's public breach catalogue: which known breaches hit a service the user names.

The catalogue (GET https://haveibeenpwned.com/api/v3/breaches, `config.HIBP_URL`: no key, a User-Agent required) is
public data under CC BY 4.0: show `CREDIT` wherever results are shown. The user names a service, never
an email address; the query is folded, looked up in a dict built once at parse time, and dropped.

Matching rule. A breach answers to these keys, all folded (`normalise.fold`: case, accents, spaces,
dots and dashes ignored):
- its Name, and its Name minus a trailing year that is its own breach or added year, optionally
  with a month or a dash before it ("mSpy2024" → "mspy", "CardingMafiaDec2021" → "cardingmafia",
  "R2-2017" → "r2"; but "Sport2000", breached in 2024, stays "sport2000");
- its Title, and its Title minus a trailing "(…)" ("mSpy (2024)" → "mspy", "OGUsers (2020 breach)" → "ogusers");
- its Domain (as a host, "mspy.com") and the label that domain is registered under ("mspy").
A service is the set of breaches sharing a key. A query is tried, in order, as a host (a URL or a
domain: "https://www.mspy.com/x", "mspy.com"), as a folded name ("mSpy", " M Spy "), and as the
label of the host it names ("mspy.fr" → "mspy"); the first that matches wins.

Watching a service stores `service_key(query)`: a key of the catalogue, never the text typed, so only
services that have had a breach can be watched (a never-breached name returns None). Only `alertable`
breaches alert watchers (bot/features/breaches.py): a fabricated breach or a list of scraped addresses is
not news about a service the user uses.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.lookups.download import MAX_BYTES, USER_AGENT, DownloadError, get_bytes, is_url, modified_on, write_atomically
from bot.lookups.normalise import MAX_QUERY_LENGTH, domain_label, fold, host_of

CREDIT = "Have I Been Pwned (https://haveibeenpwned.com), CC BY 4.0"
CACHE_FILE = "hibp-breaches.json"
CACHE_META_FILE = "hibp-breaches.meta.json"

logger = logging.getLogger("gaffe.lookups")

_YEAR_SUFFIX = re.compile(r"^(?P<base>.+?)[-_ ]?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)?(?P<year>\d{4})$")
_PARENTHESIS_SUFFIX = re.compile(r"^(?P<base>.+?)\s*\([^()]*\)$")
_FLAGS = {
    "is_verified": "IsVerified",
    "is_fabricated": "IsFabricated",
    "is_sensitive": "IsSensitive",
    "is_retired": "IsRetired",
    "is_spam_list": "IsSpamList",
    "is_malware": "IsMalware",
}


class CatalogueError(Exception):
    """The catalogue is malformed or cannot be had; the message says what is wrong, in one line."""


@dataclass(frozen=True)
class Breach:
    name: str  # HIBP's unique, stable id ("mSpy2024")
    title: str  # what to show ("mSpy (2024)")
    domain: str  # "" for some (spam lists, aggregated leaks)
    breach_date: date
    added_date: datetime
    pwn_count: int
    data_classes: tuple[str, ...]  # HIBP's English names ("Email addresses"); see Content.data_classes
    is_verified: bool = True
    is_fabricated: bool = False
    is_sensitive: bool = False
    is_retired: bool = False
    is_spam_list: bool = False
    is_malware: bool = False

    @property
    def alertable(self) -> bool:
        """Worth an alert to a watcher: not a fabricated breach, not a spam list."""
        return not (self.is_fabricated or self.is_spam_list)


def _text(entry: dict[str, Any], key: str, where: str, *, empty: bool = True) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise CatalogueError(f"{where}: {key} must be a{'' if empty else ' non-empty'} string, got {value!r:.60}")
    return value


def _breach(entry: Any, index: int) -> Breach:
    if not isinstance(entry, dict):
        raise CatalogueError(f"breach #{index}: expected an object, got {type(entry).__name__}")
    name = entry.get("Name")
    where = f"breach #{index} ({name!r:.40})" if isinstance(name, str) else f"breach #{index}"
    name = _text(entry, "Name", where, empty=False)
    breach_date_text = _text(entry, "BreachDate", where)
    added_text = _text(entry, "AddedDate", where)
    try:
        breach_date = date.fromisoformat(breach_date_text)
    except ValueError:
        raise CatalogueError(f"{where}: BreachDate is not a date (YYYY-MM-DD): {breach_date_text!r:.40}") from None
    try:
        added_date = datetime.fromisoformat(added_text)
    except ValueError:
        raise CatalogueError(f"{where}: AddedDate is not an ISO date and time: {added_text!r:.40}") from None
    if added_date.tzinfo is None:
        added_date = added_date.replace(tzinfo=UTC)
    pwn_count = entry.get("PwnCount")
    if not isinstance(pwn_count, int) or isinstance(pwn_count, bool) or pwn_count < 0:
        raise CatalogueError(f"{where}: PwnCount must be a whole number, got {pwn_count!r:.40}")
    data_classes = entry.get("DataClasses")
    if not isinstance(data_classes, list) or not all(isinstance(c, str) for c in data_classes):
        raise CatalogueError(f"{where}: DataClasses must be a list of strings")
    flags: dict[str, bool] = {}
    for field_name, key in _FLAGS.items():
        value = entry.get(key, field_name == "is_verified")  # older snapshots lack the newer flags
        if not isinstance(value, bool):
            raise CatalogueError(f"{where}: {key} must be true or false, got {value!r:.40}")
        flags[field_name] = value
    return Breach(
        name=name,
        title=_text(entry, "Title", where),
        domain=_text(entry, "Domain", where),
        breach_date=breach_date,
        added_date=added_date,
        pwn_count=pwn_count,
        data_classes=tuple(data_classes),
        **flags,
    )


def _base_name(breach: Breach) -> str:
    """The Name without a trailing year that is the breach's own ("mSpy2024" → "mSpy")."""
    match = _YEAR_SUFFIX.match(breach.name)
    if match and int(match["year"]) in {breach.breach_date.year, breach.added_date.year}:
        return match["base"]
    return breach.name


def keys_of(breach: Breach) -> set[str]:
    """Every key a breach answers to (see the module docstring)."""
    names = {breach.name, _base_name(breach), breach.title}
    if match := _PARENTHESIS_SUFFIX.match(breach.title):
        names.add(match["base"])
    keys = {fold(name) for name in names}
    if host := host_of(breach.domain):
        keys.update({host, fold(domain_label(host))})
    keys.discard("")
    return keys


class Catalogue:
    """The breaches, indexed once by every key they answer to; `find` is a dict look-up or three."""

    def __init__(self, breaches: Iterable[Breach]) -> None:
        self.breaches: dict[str, Breach] = {}
        index: defaultdict[str, list[Breach]] = defaultdict(list)
        for breach in breaches:
            if breach.name in self.breaches:
                raise CatalogueError(f"breach {breach.name!r} appears twice")
            self.breaches[breach.name] = breach
            for key in keys_of(breach):
                index[key].append(breach)
        by_date = lambda b: (b.breach_date, b.name)  # noqa: E731
        self._index: dict[str, tuple[Breach, ...]] = {k: tuple(sorted(v, key=by_date)) for k, v in index.items()}
        self.as_of: date | None = None  # the day this copy was taken: answers say how old the data is

    def dated(self, day: date) -> Catalogue:
        """This catalogue, marked as a copy of `day`."""
        self.as_of = day
        return self

    @classmethod
    def parse(cls, raw: bytes) -> Catalogue:
        """The catalogue in HIBP's JSON format (a list of breach objects), or CatalogueError saying what is wrong."""
        if len(raw) > MAX_BYTES:
            raise CatalogueError(f"the catalogue is over {MAX_BYTES} bytes")
        try:
            document = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CatalogueError(f"the catalogue is not JSON: {error}") from None
        if not isinstance(document, list):
            raise CatalogueError(f"the catalogue must be a JSON list of breaches, got {type(document).__name__}")
        return cls(_breach(entry, index) for index, entry in enumerate(document))

    def __len__(self) -> int:
        return len(self.breaches)

    def _match(self, query: str) -> tuple[str, tuple[Breach, ...]] | None:
        if len(query.strip()) > MAX_QUERY_LENGTH:
            return None
        host = host_of(query)
        candidates = [host, fold(query), fold(domain_label(host))] if host else [fold(query)]
        for key in candidates:
            if key and (found := self._index.get(key)):
                return key, found
        return None

    def find(self, query: str) -> tuple[Breach, ...]:
        """The breaches of the service a name, domain or URL names, oldest first; () if none."""
        match = self._match(query)
        return match[1] if match else ()

    def service_key(self, query: str) -> str | None:
        """The key to store to watch this service: a key of the catalogue (a host is stored as its label,
        so "mspy.com", "mSpy" and " M Spy " all give "mspy"); None when no breach matches."""
        match = self._match(query)
        if match is None:
            return None
        key = match[0]
        if "." in key:  # a host: its label is a key too, and finds at least the same breaches
            key = fold(domain_label(key))
        return key

    def find_key(self, key: str) -> tuple[Breach, ...]:
        """The breaches of a stored service key."""
        return self._index.get(key, ())


def leaked(breach: Breach, labels: Mapping[str, str], translate: Callable[[str], str]) -> tuple[str, ...]:
    """What leaked, in the user's language: `labels` is Content.data_classes, `translate` the user's
    Translator.text; a data class without a label is shown as HIBP names it (English)."""
    return tuple(translate(labels[name]) if name in labels else name for name in breach.data_classes)


def _read_cache(cache_dir: Path, source: str) -> tuple[datetime, bytes] | None:
    """The cached copy of `source` and when it was fetched, if there is one."""
    try:
        meta = json.loads((cache_dir / CACHE_META_FILE).read_text(encoding="utf-8"))
        if meta.get("source") != source:
            return None
        return datetime.fromisoformat(meta["fetched_at"]), (cache_dir / CACHE_FILE).read_bytes()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def cached_catalogue(source: str, cache_dir: Path) -> Catalogue | None:
    """The copy of `source` cached by the last fetch, whatever its age; None if none is usable.

    Read it before `fetch_catalogue` at start-up: it is the `older` catalogue that alerts compare with."""
    cached = _read_cache(cache_dir, source)
    try:
        return Catalogue.parse(cached[1]).dated(cached[0].date()) if cached else None
    except CatalogueError:
        return None


async def _download(source: str, user_agent: str) -> tuple[bytes, Catalogue]:
    raw = await get_bytes(source, user_agent=user_agent)
    return raw, Catalogue.parse(raw)  # validated before any cached copy is replaced


def _store(cache_dir: Path, source: str, raw: bytes, now: datetime) -> None:
    write_atomically(cache_dir / CACHE_FILE, raw)
    meta = {"source": source, "fetched_at": now.isoformat()}
    write_atomically(cache_dir / CACHE_META_FILE, json.dumps(meta).encode())


async def refresh_catalogue(source: str, cache_dir: Path, *, user_agent: str, now: datetime) -> Catalogue:
    """Download the catalogue now and cache it: DownloadError, CatalogueError or OSError if that fails,
    and then the cached copy is untouched. For `update-data`; the bot itself uses `fetch_catalogue`."""
    raw, catalogue = await _download(source, user_agent)
    _store(cache_dir, source, raw, now)
    return catalogue


async def fetch_catalogue(
    source: str, cache_dir: Path, *, user_agent: str = USER_AGENT, max_age: timedelta = timedelta(days=1), now: datetime
) -> Catalogue:
    """The catalogue from `source`: an http(s) URL (cached in cache_dir, fetched at most once per max_age)
    or a local file.

    When a refresh fails (network, HTTP status, malformed body), the cached copy is used and the failure
    logged at WARNING in one line. CatalogueError when there is nothing usable at all.
    """
    if not is_url(source):
        try:
            return Catalogue.parse(Path(source).read_bytes()).dated(modified_on(Path(source)))
        except OSError as error:
            raise CatalogueError(f"cannot read the breach catalogue {source}: {error.strerror}") from None
    cached = _read_cache(cache_dir, source)
    if cached and now - cached[0] < max_age:
        try:
            return Catalogue.parse(cached[1]).dated(cached[0].date())
        except CatalogueError as error:
            logger.warning("Cached breach catalogue unusable, fetching it again: %s", error)
            cached = None
    try:
        raw, catalogue = await _download(source, user_agent)
    except (DownloadError, CatalogueError) as error:
        if cached is None:
            raise CatalogueError(f"no breach catalogue: {error}; and no cached copy") from None
        logger.warning("Breach catalogue not refreshed, using the copy of %s: %s", cached[0].isoformat(), error)
        return Catalogue.parse(cached[1]).dated(cached[0].date())
    try:
        _store(cache_dir, source, raw, now)
    except OSError as error:  # still usable in memory; the next call simply downloads again
        logger.warning("Breach catalogue fetched but not cached in %s: %s", cache_dir, error.strerror)
    return catalogue.dated(now.date())
