"""Breach watch (`/fuites`, `/breaches`): the user names services they use, Gaffe shows their known breaches
and sends an alert when a watched service appears in a newer breach catalogue.

- What is kept: per user, the catalogue's key of each watched service (`Catalogue.service_key`: "mspy"),
  never the text typed (so only services that have had a breach can be watched), when it was added, the
  newest breach already shown, and when a password change was confirmed. No email address is ever asked.
- The catalogue is Have I Been Pwned's (CC BY 4.0): every answer that shows a breach credits it.
- Its manifest (`FEATURE`): the `watched_services` table, the catalogue (a data set: loaded at start-up, fetched
  by update-data), the daily refresh that alerts, and its line in /stats.
- Alerts are restart-safe: `refresh_breaches` compares each watch with the newest breach it has already
  shown (`alerted_up_to`, "AddedDate|Name"), not with the previous catalogue, so a catalogue cached just
  before a crash still alerts at the next refresh. The alert's push commits that mark with the outbox row,
  so an alert is sent once, and a repeated push changes nothing.
- The alert's button "J'ai changé le mot de passe" (a Press of kind "breach", bound to the watch, stamped
  with the alert's number) emits `PasswordChanged`, whose applier raises the core's `AccountPasswordChanged`
  (bot/core/events.py): the reminders feature, if installed, counts that account's reminder done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from bot.core.actions import Attachment, Context, Effect, Outcome, Registry, Transaction, World
from bot.core.dialogue import Content
from bot.core.engine import Notice, ObjectButton, Offer, Output, Picked, Press, Push, Toast
from bot.core.events import AccountPasswordChanged
from bot.core.feature import Daily, DataSet, Feature, Jobs, Migration, Tally
from bot.core.i18n import Translator
from bot.core.render import dated, fill, message
from bot.lookups.breaches import (
    CACHE_FILE,
    CREDIT,
    Breach,
    Catalogue,
    CatalogueError,
    cached_catalogue,
    fetch_catalogue,
    leaked,
    refresh_catalogue,
)
from bot.lookups.download import USER_AGENT, DownloadError, is_url, modified_on
from bot.lookups.snapshots import shipped_catalogue

log = logging.getLogger("gaffe.breaches")
REGISTRY = Registry()  # this feature's own (bot/app.py merges every feature's)

KIND = "breach"  # the object kind of the alert's and the list's buttons
CHANGED = "changed"
REMOVE = "remove"
ALERT = "breach_alert"  # the push event
SHOWN_LEAKED = 8  # data classes listed per breach; the rest is "…"

MESSAGES = (
    "breaches_unavailable", "breach_no_email", "breach_unknown", "breach_watching", "breach_already_watching",
    "breach_known", "breach_line", "breach_credit", "data_as_of", "breach_list", "breach_list_empty", "breach_removed",
    "breach_gone", "breach_alert", "breach_alert_todo", "breach_changed_label", "breach_changed_thanks",
    "breach_changed_already",
)  # fmt: skip


def mark(breach: Breach) -> str:
    """Where a breach sits in the order alerts follow: when Have I Been Pwned added it, then its name."""
    return f"{breach.added_date.astimezone(UTC).isoformat()}|{breach.name}"


def display_name(key: str, breaches: tuple[Breach, ...]) -> str:
    """The service's name to show: its oldest breach's title without a trailing "(…)" ("Zoosk (2011)" → "Zoosk")."""
    if not breaches:
        return key
    title = breaches[0].title
    return title.split(" (")[0].strip() or title


WATCH_FIELDS = ("service", "added_at", "alerted_up_to", "alerts", "changed_for", "changed_at")


# --- the rows: every statement of this feature, by name (portable SQL, named parameters) -------------------
class Watches:
    """One user's watched services, in the step's transaction."""

    def __init__(self, db: Transaction, user_id: int) -> None:
        self.db = db
        self.user_id = user_id

    def _of(self, **values: object) -> dict[str, object]:
        return {"user_id": self.user_id, **values}

    async def add(self, service: str, now: datetime, seen: str) -> bool:
        """Watch a service (its catalogue key), its breaches up to `seen` already shown; False if already watched."""
        added = await self.db.execute(
            "INSERT INTO watched_services (user_id, service, added_at, alerted_up_to)"
            " VALUES (:user_id, :service, :now, :seen) ON CONFLICT (user_id, service) DO NOTHING",
            self._of(service=service, now=now.isoformat(timespec="seconds"), seen=seen),
        )
        return added == 1

    async def all(self) -> list[tuple[int, str]]:
        """(watch id, service) of every watch, in the order they were added."""
        rows = await self.db.fetch_all(
            "SELECT id, service FROM watched_services WHERE user_id = :user_id ORDER BY added_at, id", self._of()
        )
        return [(int(id_), str(service)) for id_, service in rows]

    async def service(self, watch_id: int) -> str | None:
        """The catalogue's key of one of the user's watches (None if it is not theirs, or no longer watched)."""
        row = await self.db.fetch_one(
            "SELECT service FROM watched_services WHERE id = :id AND user_id = :user_id", self._of(id=watch_id)
        )
        return None if row is None else str(row[0])

    async def remove(self, watch_id: int) -> None:
        await self.db.execute(
            "DELETE FROM watched_services WHERE id = :id AND user_id = :user_id", self._of(id=watch_id)
        )

    async def claim_alert(self, watch_id: int, up_to: str, stamp: int) -> bool:
        """Mark the breaches up to `up_to` shown, in one conditional update: only if that is newer than what the
        watch has shown. Whether it was claimed (not when shown already, or the watch is gone)."""
        claimed = await self.db.execute(
            "UPDATE watched_services SET alerted_up_to = :up_to,"
            " alerts = CASE WHEN alerts < :stamp THEN :stamp ELSE alerts END"
            " WHERE id = :id AND user_id = :user_id AND alerted_up_to < :up_to",
            self._of(id=watch_id, up_to=up_to, stamp=stamp),
        )
        return claimed == 1

    async def claim_change(self, watch_id: int, stamp: int, now: datetime) -> bool:
        """The password was changed after alert `stamp`: recorded once per alert. Whether it was recorded now."""
        changed = await self.db.execute(
            "UPDATE watched_services SET changed_for = :stamp, changed_at = :now"
            " WHERE id = :id AND user_id = :user_id AND changed_for < :stamp",
            self._of(id=watch_id, stamp=stamp, now=now.isoformat(timespec="seconds")),
        )
        return changed == 1

    async def export(self) -> list[dict[str, object]]:
        rows = await self.db.fetch_all(
            f"SELECT {', '.join(WATCH_FIELDS)} FROM watched_services WHERE user_id = :user_id ORDER BY id", self._of()
        )
        return [dict(zip(WATCH_FIELDS, row, strict=True)) for row in rows]

    async def erase(self) -> int:
        return await self.db.execute("DELETE FROM watched_services WHERE user_id = :user_id", self._of())


async def watches_counted(db: Transaction) -> int:
    """How many services are watched, by everyone (a count only, for /stats)."""
    row = await db.fetch_one("SELECT COUNT(*) FROM watched_services")
    return int(row[0]) if row else 0


async def watches_to_alert(db: Transaction) -> list[tuple[int, int, str, str, int]]:
    """(watch id, user id, service, newest breach shown, alerts sent) of every watch whose user may get pushes
    (not blocked, pushes not paused), by user."""
    rows = await db.fetch_all(
        """SELECT w.id, w.user_id, w.service, w.alerted_up_to, w.alerts FROM watched_services w
           JOIN users u ON u.user_id = w.user_id WHERE u.active = 1 AND u.pushes = 1
           ORDER BY w.user_id, w.id"""
    )
    return [(int(w), int(u), str(s), str(up_to), int(alerts)) for w, u, s, up_to, alerts in rows]


def _catalogue(world: World) -> Catalogue | None:
    return world.data.get(Catalogue)


# --- outputs ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Said:
    """An interface message (without plural forms) with values: Notice has none."""

    key: str
    params: MappingProxyType[str, object]

    def render(self, content: Content, translator: Translator) -> tuple[str, tuple[Attachment, ...]]:
        return fill(translator.text(content.messages[self.key].one), self.params), ()


def _breach_lines(content: Content, translator: Translator, breaches: tuple[Breach, ...]) -> list[str]:
    lines = []
    for breach in breaches:
        what = leaked(breach, content.data_classes, translator.text)
        shown = ", ".join(what[:SHOWN_LEAKED]) + (", …" if len(what) > SHOWN_LEAKED else "")
        lines.append(message(content, translator, "breach_line", title=breach.title,
                             date=translator.date(breach.breach_date), accounts=translator.number(breach.pwn_count),
                             leaked=shown))  # fmt: skip
    return lines


@dataclass(frozen=True)
class BreachReport:
    """A watched service and its known breaches, oldest first, with the credit."""

    service: str
    breaches: tuple[Breach, ...]
    already: bool = False
    as_of: date | None = None  # the catalogue's date, said under the credit

    def render(self, content: Content, translator: Translator) -> tuple[str, tuple[Attachment, ...]]:
        head = "breach_already_watching" if self.already else "breach_watching"
        known = [message(content, translator, "breach_known", count=len(self.breaches))]
        known += _breach_lines(content, translator, self.breaches)
        parts = [
            message(content, translator, head, service=self.service),
            "\n".join(known),
            message(content, translator, "breach_credit") + dated(content, translator, self.as_of),
        ]
        return "\n\n".join(parts), ()


@dataclass(frozen=True)
class AlertDetails:
    """The new breach, the credit, and what to do now (two lines)."""

    breach: Breach

    def render(self, content: Content, translator: Translator) -> tuple[str, tuple[Attachment, ...]]:
        parts = [
            "\n".join(_breach_lines(content, translator, (self.breach,))),
            message(content, translator, "breach_credit"),
            message(content, translator, "breach_alert_todo"),
        ]
        return "\n\n".join(parts), ()


# --- watching a service ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class WatchService(Effect):
    """Watch the service the user named (the text lives for this step only: only the catalogue's key is kept)."""

    query: str


@dataclass(frozen=True)
class ListWatched(Effect):
    """Show the watched services, each with a button that stops watching it."""

    prompt: str  # the list's text (French msgid), read from the content by the pure action


@dataclass(frozen=True)
class Unwatch(Effect):
    watch_id: int


@REGISTRY.action(
    "watch_service",
    "On a free-text node: watch the service (name or domain) typed, and show its known breaches.",
    messages=MESSAGES,
)
def watch_service(context: Context) -> Outcome:
    return Outcome(effects=(WatchService(context.typed or ""),))


@REGISTRY.action(
    "watched_services", "Show the services the user watches, with a button to remove each.", messages=MESSAGES
)
def watched_services(context: Context) -> Outcome:
    return Outcome(effects=(ListWatched(context.content.messages["breach_list"].one),))


@REGISTRY.applies(WatchService)
async def add_watch(world: World, effect: WatchService) -> tuple[Output, ...]:
    catalogue = _catalogue(world)
    if catalogue is None:
        return (Notice("breaches_unavailable"),)
    if "@" in effect.query:
        return (Notice("breach_no_email"),)
    key = catalogue.service_key(effect.query)
    if key is None:
        return (Notice("breach_unknown"),)
    breaches = catalogue.find_key(key)
    seen = max((mark(b) for b in breaches), default="")  # what exists today is shown now, not alerted later
    added = await Watches(world.db, world.user_id).add(key, world.now, seen)
    return (BreachReport(display_name(key, breaches), breaches, already=not added, as_of=catalogue.as_of),)


@REGISTRY.applies(ListWatched)
async def list_watches(world: World, effect: ListWatched) -> tuple[Output, ...]:
    rows = await Watches(world.db, world.user_id).all()
    if not rows:
        return (Notice("breach_list_empty"),)
    catalogue = _catalogue(world)
    names = [display_name(key, catalogue.find_key(key) if catalogue else ()) for _, key in rows]
    buttons = tuple(
        ObjectButton(f"✖ {name}", Press(KIND, id_, 0, REMOVE)) for (id_, _), name in zip(rows, names, strict=True)
    )
    return (Offer(effect.prompt, buttons),)


@REGISTRY.applies(Unwatch)
async def remove_watch(world: World, effect: Unwatch) -> tuple[Output, ...]:
    watches = Watches(world.db, world.user_id)
    service = await watches.service(effect.watch_id)
    if service is None:
        return (Toast("breach_gone"),)
    await watches.remove(effect.watch_id)
    catalogue = _catalogue(world)
    name = display_name(service, catalogue.find_key(service) if catalogue else ())
    return (Said("breach_removed", MappingProxyType({"service": name})),)


# --- alerts ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BreachAlerted(Effect):
    """A new breach of a watched service was shown: remember it, so it is never shown twice."""

    watch_id: int
    breach: str
    stamp: int


@dataclass(frozen=True)
class PasswordChanged(Effect):
    """The user says they changed the password of a watched service after an alert (the reminders feature
    marks that account's reminder done too). A button's payload holds numbers only, so the effect names the
    watch (`watched_services.id`) and the alert's number; `watched_service()` gives the service's key."""

    watch_id: int
    stamp: int


@dataclass(frozen=True)
class BreachAlert:
    """The payload of an alert push: the watched service (the catalogue's key), the breach (its Name), the watch
    (the row's id) and the alert's number (its buttons' stamp)."""

    service: str
    breach: str
    watch_id: int
    stamp: int


@REGISTRY.on_push(ALERT)
def breach_alert(context: Context) -> Outcome:
    alert = context.payload_as(BreachAlert)
    label = context.content.messages["breach_changed_label"].one
    button = ObjectButton(label, Press(KIND, alert.watch_id, alert.stamp, CHANGED))
    offer = Offer(context.content.messages["breach_alert"].one, (button,))
    return Outcome(outputs=(offer,), effects=(BreachAlerted(alert.watch_id, alert.breach, alert.stamp),))


@REGISTRY.applies(BreachAlerted)
async def record_alert(world: World, effect: BreachAlerted) -> tuple[Output, ...]:
    """Shows the breach; refuses (a toast, which a push never sends) when it was already shown or unwatched."""
    catalogue = _catalogue(world)
    breach = catalogue.breaches.get(effect.breach) if catalogue else None
    if breach is None or not await Watches(world.db, world.user_id).claim_alert(
        effect.watch_id, mark(breach), effect.stamp
    ):
        return (Toast("stale_button"),)
    return (AlertDetails(breach),)


@REGISTRY.on_press(KIND)
def press_breach(context: Context) -> Outcome:
    press = context.payload_as(Press)
    if press.verb == REMOVE:
        return Outcome(effects=(Unwatch(press.object_id),))
    label = context.content.messages["breach_changed_label"].one
    return Outcome(outputs=(Picked(label),), effects=(PasswordChanged(press.object_id, press.stamp),))


async def watched_service(world: World, watch_id: int) -> str | None:
    """The catalogue's key of one of the user's watches (None if it is not theirs, or no longer watched)."""
    return await Watches(world.db, world.user_id).service(watch_id)


@REGISTRY.applies(PasswordChanged)
async def record_change(world: World, effect: PasswordChanged) -> tuple[Output, ...]:
    """Thanks once per alert (a second press is a toast), and the reminder of that account, if the user has one
    (named like the service), counts as done: its next one is counted from now."""
    if not await Watches(world.db, world.user_id).claim_change(effect.watch_id, effect.stamp, world.now):
        gone = await watched_service(world, effect.watch_id) is None
        return (Toast("breach_gone" if gone else "breach_changed_already"),)
    service = await watched_service(world, effect.watch_id)
    if service is not None:  # the reminders feature, if installed, counts that account's reminder done
        world.follow.append(AccountPasswordChanged(service))
    return (Notice("breach_changed_thanks"),)


class BreachSource(Protocol):
    """Where the catalogue comes from (the settings: GAFFE_HIBP_BREACHES, GAFFE_DATA_DIR)."""

    @property
    def hibp_breaches(self) -> str: ...

    @property
    def data_dir(self) -> Path: ...


async def refresh_breaches(jobs: Jobs) -> int:
    """Once a day (the scheduler): fetch the catalogue (at most daily, `fetch_catalogue`), make it the one
    answers use, and push one alert per watcher per breach of a watched service newer than the newest it
    has shown. Returns the number of alerts pushed. Safe to call again at any time: nothing is sent twice.
    A user who paused pushes gets none: their alerts wait (nothing is marked shown) until pushes are back on."""
    settings: BreachSource = jobs.settings
    try:
        catalogue = await fetch_catalogue(settings.hibp_breaches, settings.data_dir, now=jobs.now())
    except CatalogueError as error:
        log.warning("breach catalogue unavailable: %s", error)
        return 0
    jobs.refreshed(catalogue)  # before any alert: its applier reads this one
    async with jobs.transaction() as tx:
        watches = await watches_to_alert(tx)
    sent = 0
    for watch_id, user_id, service, alerted_up_to, alerts in watches:
        new = sorted((b for b in catalogue.find_key(service) if b.alertable and mark(b) > alerted_up_to), key=mark)
        for number, breach in enumerate(new, start=alerts + 1):
            try:
                sent += await jobs.push(user_id, Push(ALERT, BreachAlert(service, breach.name, watch_id, number)))
            except Exception as error:  # one user's failure must not stop the others' alerts (the outbox keeps it)
                log.warning("breach alert to user %s not delivered: %s", user_id, error)
    if sent:
        log.info("breach alerts pushed: %d", sent)
    return sent


async def daily_refresh(jobs: Jobs) -> str:
    return f"{await refresh_breaches(jobs)} breach alerts"


# --- the catalogue: loaded at start-up, downloaded by update-data, refreshed daily --------------------------------
def local_catalogue(settings: BreachSource) -> Catalogue | None:
    """The newest local copy: the cached download (a URL is never fetched here), or the file the settings name."""
    source = settings.hibp_breaches
    try:
        if is_url(source):
            return cached_catalogue(source, settings.data_dir)
        return Catalogue.parse(Path(source).read_bytes()).dated(modified_on(Path(source)))
    except (OSError, CatalogueError) as error:
        log.warning("breach catalogue %s unusable: %s", source, error)
        return None


async def download_catalogue(settings: BreachSource) -> list[str]:
    """update-data's: download the catalogue (or read the file the settings name), and say what came."""
    source = settings.hibp_breaches
    if is_url(source):
        now = datetime.now(UTC)
        catalogue = await refresh_catalogue(source, settings.data_dir, user_agent=USER_AGENT, now=now)
        where = f"in {settings.data_dir / CACHE_FILE}"
    else:
        catalogue = await fetch_catalogue(source, settings.data_dir, now=datetime.now(UTC))
        where = f"read from {source} (a local file: nothing to download)"
    return [f"Breach catalogue: {len(catalogue)} breaches {where}", f"  Credit: {CREDIT}"]


CATALOGUE = DataSet(
    Catalogue, "breach catalogue", load=local_catalogue, shipped=shipped_catalogue, update=download_catalogue,
    failures=(DownloadError, CatalogueError, OSError),
)  # fmt: skip


# --- personal data: /mesdonnees exports it, /oublie and the retention sweep erase it --------------------
async def export_watches(world: World) -> list[dict[str, object]]:
    return await Watches(world.db, world.user_id).export()


async def erase_watches(world: World) -> int:
    return await Watches(world.db, world.user_id).erase()


REGISTRY.keeps(
    "watched_services", tables=("watched_services",), fields=WATCH_FIELDS, export=export_watches,
    erase=erase_watches, explained="data_watched",
)  # fmt: skip


async def count_watches(world: World) -> dict[str, int]:
    return {"watched": await watches_counted(world.db)}


MIGRATIONS = (
    # 1: services a user watches: the catalogue's key, never the text typed; `alerted_up_to` is the newest breach
    # already shown ("AddedDate|Name"), so no alert is lost or repeated across a restart; `changed_for` the alert
    # whose password change was confirmed (version 6 of the schema every feature shared until then)
    Migration(1, (
        """CREATE TABLE watched_services (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            service TEXT NOT NULL,
            added_at TEXT NOT NULL,
            alerted_up_to TEXT NOT NULL DEFAULT '',
            alerts INTEGER NOT NULL DEFAULT 0,
            changed_for INTEGER NOT NULL DEFAULT 0,
            changed_at TEXT,
            UNIQUE (user_id, service)
        )""",
        "CREATE INDEX watched_services_by_service ON watched_services(service)",
    ), shared=6),
)  # fmt: skip

FEATURE = Feature(
    "breaches", REGISTRY, migrations=MIGRATIONS, data_sets=(CATALOGUE,),
    jobs=(Daily("breach alerts", daily_refresh),), tally=Tally("stats_watched", count_watches),
)  # fmt: skip
