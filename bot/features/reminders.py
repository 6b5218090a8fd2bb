"""Password-rotation reminders (`/rappels`, `/reminders`): restart-safe, honest about rotation, never in the way.

Why it is shaped this way:
- Current guidance (NIST SP 800-63B-4 §3.1.1.2, ANSSI, CNIL) is to change a password when it may be
  compromised; periodic changes are a personal choice, best spent on the accounts that matter, email first.
  The dialogue (dialogues/rappels.yaml) says so once, then does what the user asks.
- A reminder is a row with its next due time in UTC (indexed). The scheduler finds due rows and pushes
  `reminder_due`; the applier reads the row again inside the push's transaction, moves its next due time and
  counts the occurrence in the same commit as the outbox row that carries the message. So a reminder goes out
  once per due time even if two ticks race, and is never lost (see the service's delivery guarantee).
- Times are the user's: a preferred hour (default 10:00) in their time zone (default Europe/Paris). Nothing
  goes out between 22:00 and 08:00 there: a reminder found due at night waits for the morning.
- A reminder's buttons are bound to it (object kind "reminder") with the occurrence they came with: "Done"
  pressed twice, or on an older occurrence, changes nothing and says so in a toast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time

from bot.core.actions import Context, Effect, Outcome, Registry, Transaction, World
from bot.core.dialogue import Content
from bot.core.engine import Notice, ObjectButton, Offer, Output, Picked, Press, Push, Toast
from bot.core.events import AccountPasswordChanged
from bot.core.feature import Due, Feature, Migration, Reader, Tally
from bot.core.i18n import Translator
from bot.core.render import message
from bot.lookups.normalise import fold

REGISTRY = Registry()  # this feature's own (bot/app.py merges every feature's)
KIND = "reminder"
DEFAULT_HOUR = 10
DEFAULT_ZONE = "Europe/Paris"
QUIET_FROM, QUIET_UNTIL = 22, 8  # no reminder between 22:00 and 08:00, the user's time
PRESETS = ("mail", "bank", "social", "checkup")  # other accounts carry the user's own label
MIN_DAYS, MAX_DAYS = 7, 730
MESSAGES = (
    "reminder_added", "reminder_none", "reminder_list", "reminder_line", "reminder_line_paused", "reminder_card",
    "reminder_card_paused", "reminder_every_days", "reminder_every_weeks", "reminder_every_months",
    "reminder_every_years", "reminder_moment", "reminder_done", "reminder_later",
    "reminder_stopped", "reminder_paused", "reminder_resumed", "reminder_cadence", "reminder_already",
    "reminder_gone", "reminder_settings_saved", "reminder_bad_days", "reminder_due_mail", "reminder_due_bank",
    "reminder_due_social", "reminder_due_checkup", "reminder_due_other", "reminder_account_mail",
    "reminder_account_bank", "reminder_account_social", "reminder_account_checkup", "reminder_button_done",
    "reminder_button_later", "reminder_button_stop", "reminder_button_manage", "reminder_button_pause",
    "reminder_button_resume", "reminder_button_d90", "reminder_button_d180", "reminder_button_d365",
    "reminder_button_delete",
)  # fmt: skip
CADENCES = {"d90": 90, "d180": 180, "d365": 365}
VERBS = ("done", "later", "stop", "manage", "pause", "resume", "delete", *CADENCES)  # what a reminder's buttons do


# --- time ------------------------------------------------------------------------------------------
def iso(moment: datetime) -> str:
    """How times are stored: UTC, to the second, so that text order is time order (the due index)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def at_hour(moment: datetime, days: int, hour: int, tz: ZoneInfo) -> datetime:
    """`days` after `moment`, at `hour` on the user's clock (wall-clock arithmetic, so DST keeps the hour)."""
    day = moment.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def next_morning(now: datetime, hour: int, tz: ZoneInfo) -> datetime:
    """The next time it is `hour` for the user (today if still to come)."""
    today = at_hour(now, 0, hour, tz)
    return today if today > now else at_hour(now, 1, hour, tz)


def at_night(moment: datetime, tz: ZoneInfo) -> bool:
    hour = moment.astimezone(tz).hour
    return hour >= QUIET_FROM or hour < QUIET_UNTIL


# --- what the user sees: values in their language and time zone --------------------------------------
@dataclass(frozen=True)
class Moment:
    value: datetime
    timezone: str

    def localize(self, content: Content, translator: Translator) -> str:
        local = self.value.astimezone(zone(self.timezone))
        day = format_date(local.date(), format="long", locale=translator.language)
        hour = format_time(local.time(), format="short", locale=translator.language)
        return message(content, translator, "reminder_moment", date=day, time=hour)


def cadence(days: int) -> tuple[str, int]:
    """A cadence in the unit that says it exactly: years of 365 days, months of 30 (the presets' "3 months" is 90
    days), 1 to 3 weeks, else days. So 30 days reads "every month", never babel's rounded "4 weeks"."""
    if days % 365 == 0:
        return "years", days // 365
    if days % 30 == 0:
        return "months", days // 30
    if days % 7 == 0 and days < 28:
        return "weeks", days // 7
    return "days", days


@dataclass(frozen=True)
class Every:
    days: int

    def localize(self, content: Content, translator: Translator) -> str:
        unit, count = cadence(self.days)  # "tous les 3 mois", "toutes les 2 semaines": CLDR plurals, per unit
        return message(content, translator, f"reminder_every_{unit}", count=count)


@dataclass(frozen=True)
class Account:
    account: str
    label: str | None

    def localize(self, content: Content, translator: Translator) -> str:
        if self.account in PRESETS:
            return message(content, translator, f"reminder_account_{self.account}")
        return self.label or ""


@dataclass(frozen=True)
class Reminder:
    id: int
    account: str
    label: str | None
    every_days: int
    next_due_at: datetime
    paused: bool
    sent: int
    answered: int

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Reminder:
        id_, account, label, every, due, paused, sent, answered = row
        return cls(id_, account, label, every, datetime.fromisoformat(due), bool(paused), sent, answered)


COLUMNS = "id, account, label, every_days, next_due_at, paused, sent, answered"
REMINDER_FIELDS = ("account", "label", "every_days", "next_due_at", "paused", "sent", "answered", "created_at")


# --- the rows: every statement of this feature, by name (portable SQL, named parameters) -------------------
class Reminders:
    """One user's reminders and reminder settings, in the step's transaction."""

    def __init__(self, db: Transaction, user_id: int) -> None:
        self.db = db
        self.user_id = user_id

    def _of(self, **values: object) -> dict[str, object]:
        return {"user_id": self.user_id, **values}

    async def settings(self) -> tuple[int, str]:
        """The hour and time zone reminders arrive at (the defaults until the user chooses)."""
        row = await self.db.fetch_one(
            "SELECT hour, timezone FROM reminder_settings WHERE user_id = :user_id", self._of()
        )
        return (int(row[0]), str(row[1])) if row else (DEFAULT_HOUR, DEFAULT_ZONE)

    async def save_settings(self, hour: int, timezone: str) -> None:
        await self.db.execute(
            "INSERT INTO reminder_settings (user_id, hour, timezone) VALUES (:user_id, :hour, :timezone)"
            " ON CONFLICT (user_id) DO UPDATE SET hour = excluded.hour, timezone = excluded.timezone",
            self._of(hour=hour, timezone=timezone),
        )

    async def get(self, reminder_id: int) -> Reminder | None:
        """One of the user's reminders (None if it is not theirs, or was deleted)."""
        row = await self.db.fetch_one(
            f"SELECT {COLUMNS} FROM reminders WHERE id = :id AND user_id = :user_id", self._of(id=reminder_id)
        )
        return Reminder.from_row(row) if row else None

    async def all(self, labelled_only: bool = False) -> list[Reminder]:
        """The user's reminders, soonest first; `labelled_only`: those with a label of the user's own."""
        labelled = " AND label IS NOT NULL" if labelled_only else ""
        rows = await self.db.fetch_all(
            f"SELECT {COLUMNS} FROM reminders WHERE user_id = :user_id{labelled} ORDER BY next_due_at, id", self._of()
        )
        return [Reminder.from_row(row) for row in rows]

    async def add(self, account: str, label: str | None, every_days: int, due: datetime, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO reminders (user_id, account, label, every_days, next_due_at, created_at)"
            " VALUES (:user_id, :account, :label, :every_days, :due, :now)",
            self._of(account=account, label=label, every_days=every_days, due=iso(due), now=iso(now)),
        )

    async def claim_due(self, reminder: Reminder, now: datetime, following: datetime) -> bool:
        """Count the occurrence and move the reminder to `following`, in one conditional update: only if it is still
        due, not paused, and not claimed since it was read (its count unchanged). Whether it was claimed: a second
        tick, or another process, racing for the same occurrence claims nothing."""
        claimed = await self.db.execute(
            "UPDATE reminders SET sent = sent + 1, next_due_at = :following"
            " WHERE id = :id AND user_id = :user_id AND paused = 0 AND next_due_at <= :now AND sent = :sent",
            self._of(id=reminder.id, following=iso(following), now=iso(now), sent=reminder.sent),
        )
        return claimed == 1

    async def postpone(self, reminder: Reminder, now: datetime, until: datetime) -> bool:
        """Move a reminder found due (at night) to `until`, sending nothing; only if it is still due."""
        moved = await self.db.execute(
            "UPDATE reminders SET next_due_at = :until"
            " WHERE id = :id AND user_id = :user_id AND paused = 0 AND next_due_at <= :now",
            self._of(id=reminder.id, until=iso(until), now=iso(now)),
        )
        return moved == 1

    async def move(self, reminder: Reminder, due: datetime) -> None:
        await self.db.execute(
            "UPDATE reminders SET next_due_at = :due WHERE id = :id AND user_id = :user_id",
            self._of(id=reminder.id, due=iso(due)),
        )

    async def answer(self, reminder: Reminder, occurrence: int | None, due: datetime) -> None:
        """The occurrence is answered (None: the one last sent) and the next one is due at `due`."""
        answered = "sent" if occurrence is None else ":occurrence"
        await self.db.execute(
            f"UPDATE reminders SET answered = {answered}, next_due_at = :due WHERE id = :id AND user_id = :user_id",
            self._of(id=reminder.id, occurrence=occurrence, due=iso(due)),
        )

    async def pause(self, reminder: Reminder, paused: bool, due: datetime) -> None:
        await self.db.execute(
            "UPDATE reminders SET paused = :paused, next_due_at = :due WHERE id = :id AND user_id = :user_id",
            self._of(id=reminder.id, paused=int(paused), due=iso(due)),
        )

    async def change_cadence(self, reminder: Reminder, every_days: int, due: datetime) -> None:
        await self.db.execute(
            "UPDATE reminders SET every_days = :every_days, next_due_at = :due WHERE id = :id AND user_id = :user_id",
            self._of(id=reminder.id, every_days=every_days, due=iso(due)),
        )

    async def delete(self, reminder: Reminder) -> None:
        await self.db.execute("DELETE FROM reminders WHERE id = :id AND user_id = :user_id", self._of(id=reminder.id))

    async def export(self) -> list[dict[str, object]]:
        """The user's reminders as kept (every field), then their settings if they chose some."""
        rows = await self.db.fetch_all(
            f"SELECT {', '.join(REMINDER_FIELDS)} FROM reminders WHERE user_id = :user_id ORDER BY id", self._of()
        )
        settings = await self.db.fetch_one(
            "SELECT hour, timezone FROM reminder_settings WHERE user_id = :user_id", self._of()
        )
        exported: list[dict[str, object]] = [dict(zip(REMINDER_FIELDS, row, strict=True)) for row in rows]
        if settings:
            exported.append({"hour": settings[0], "timezone": settings[1]})
        return exported

    async def erase(self) -> int:
        """Delete the user's reminders and settings; the number of rows deleted."""
        deleted = await self.db.execute("DELETE FROM reminders WHERE user_id = :user_id", self._of())
        return deleted + await self.db.execute("DELETE FROM reminder_settings WHERE user_id = :user_id", self._of())


async def reminders_counted(db: Transaction, now: datetime) -> tuple[int, int]:
    """Everyone's reminders: how many in all, and how many are due now, not paused (counts only, for /stats)."""
    row = await db.fetch_one(
        "SELECT COUNT(*), COUNT(CASE WHEN paused = 0 AND next_due_at <= :now THEN 1 END) FROM reminders",
        {"now": iso(now)},
    )
    return (int(row[0]), int(row[1] or 0)) if row else (0, 0)


async def due_reminders(db: Reader, now: datetime, limit: int, user_id: int | None = None) -> list[tuple[int, int]]:
    """(reminder id, user id) of reminders due now, oldest first, of users who have not blocked Gaffe: a user who
    did has their reminders paused until they talk to Gaffe again; nor paused pushes (`set_profile: {pushes:
    "off"}`): theirs stay due, untouched, until pushes are back on. Uses the index on the due time."""
    only = " AND r.user_id = :user_id" if user_id is not None else ""
    rows = await db.fetch_all(
        "SELECT r.id, r.user_id FROM reminders r JOIN users u ON u.user_id = r.user_id"
        f" WHERE r.paused = 0 AND r.next_due_at <= :now AND u.active = 1 AND u.pushes = 1{only}"
        " ORDER BY r.next_due_at LIMIT :limit",
        {"now": iso(now), "user_id": user_id, "limit": limit},
    )
    return [(int(r[0]), int(r[1])) for r in rows]


# --- effects ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddReminder(Effect):
    account: str
    label: str | None
    every_days: int


@dataclass(frozen=True)
class ListReminders(Effect):
    pass


@dataclass(frozen=True)
class SetReminderTime(Effect):
    hour: int | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class SendReminder(Effect):
    reminder_id: int


@dataclass(frozen=True)
class PressReminder(Effect):
    reminder_id: int
    stamp: int
    verb: str


# --- pure handlers ---------------------------------------------------------------------------------
REMIND_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "account": {"enum": [*PRESETS, "other"], "description": "default: the answer `account`"},
        "every_days": {"type": "integer", "minimum": MIN_DAYS, "maximum": MAX_DAYS,
                       "description": "default: the answer `every_days`"},
    },
}  # fmt: skip


@REGISTRY.action("remind", "Create a password reminder (account and cadence from the args or the answers).",
                 REMIND_SCHEMA, MESSAGES)  # fmt: skip
def remind(context: Context) -> Outcome:
    answers = context.state.answers
    account = str(context.args.get("account") or answers.get("account") or "other")
    days = context.args.get("every_days") or answers.get("every_days") or 180
    try:
        every_days = int(days)
    except ValueError:
        every_days = 0
    if not MIN_DAYS <= every_days <= MAX_DAYS:
        return Outcome(outputs=(Notice("reminder_bad_days"),))
    label = answers.get("label") if account == "other" else None
    return Outcome(effects=(AddReminder(account, label, every_days),))


@REGISTRY.action("list_reminders", "List the user's reminders, each with a button to manage it.", None, MESSAGES)
def list_reminders(context: Context) -> Outcome:
    return Outcome(effects=(ListReminders(),))


@REGISTRY.action(
    "reminder_time",
    "Set the hour (8–21) and/or the time zone (IANA name) reminders arrive at.",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "hour": {"type": "integer", "minimum": QUIET_UNTIL, "maximum": QUIET_FROM - 1},
            "timezone": {"type": "string", "pattern": "^[A-Za-z_]+(/[A-Za-z_+-]+)+$"},
        },
    },
    MESSAGES,
)
def reminder_time(context: Context) -> Outcome:
    hour = context.args.get("hour")
    return Outcome(effects=(SetReminderTime(int(hour) if hour is not None else None, context.args.get("timezone")),))


@dataclass(frozen=True)
class ReminderDue:
    """The payload of a `reminder_due` push: which reminder fell due."""

    reminder_id: int


@REGISTRY.on_push("reminder_due")
def reminder_due(context: Context) -> Outcome:
    return Outcome(effects=(SendReminder(context.payload_as(ReminderDue).reminder_id),))


@REGISTRY.on_press(KIND)
def reminder_pressed(context: Context) -> Outcome:
    press = context.payload_as(Press)
    return Outcome(effects=(PressReminder(press.object_id, press.stamp, press.verb),))


# --- appliers: the database, inside the step's transaction ------------------------------------------
def _rows(world: World) -> Reminders:
    return Reminders(world.db, world.user_id)


def _say(content: Content, key: str) -> str:
    """The French msgid of an interface message, for outputs the renderer translates."""
    return content.messages[key].one


@REGISTRY.applies(AddReminder)
async def add_reminder(world: World, effect: AddReminder) -> tuple[Output, ...]:
    rows = _rows(world)
    hour, timezone = await rows.settings()
    due = at_hour(world.now, effect.every_days, hour, zone(timezone))
    await rows.add(effect.account, effect.label, effect.every_days, due, world.now)
    label = Account(effect.account, effect.label)
    return (_notice("reminder_added", label=label, every=Every(effect.every_days), next=Moment(due, timezone)),)


@REGISTRY.applies(ListReminders)
async def show_reminders(world: World, effect: ListReminders) -> tuple[Output, ...]:
    rows = _rows(world)
    reminders = await rows.all()
    if not reminders:
        return (Notice("reminder_none"),)
    hour, timezone = await rows.settings()
    lines = [_notice("reminder_list", count=len(reminders), hour=Hour(hour), zone=timezone)]
    lines += [_line(r, timezone) for r in reminders]
    manage = tuple(_button(world.content, "reminder_button_manage", r, "manage") for r in reminders)
    return (*lines, Offer("", manage))


@REGISTRY.applies(SetReminderTime)
async def set_reminder_time(world: World, effect: SetReminderTime) -> tuple[Output, ...]:
    rows = _rows(world)
    hour, timezone = await rows.settings()
    hour = effect.hour if effect.hour is not None else hour
    timezone = effect.timezone if effect.timezone is not None else timezone
    await rows.save_settings(hour, timezone)
    tz = zone(timezone)
    for reminder in await rows.all():
        await rows.move(reminder, at_hour(reminder.next_due_at, 0, hour, tz))  # the same day, at the new hour
    return (_notice("reminder_settings_saved", hour=Hour(hour), zone=timezone),)


@REGISTRY.applies(SendReminder)
async def send_reminder(world: World, effect: SendReminder) -> tuple[Output, ...]:
    """Claim the reminder if it is still due: count the occurrence and move it to the next one; at night,
    move it to the morning and send nothing."""
    rows = _rows(world)
    reminder = await rows.get(effect.reminder_id)
    if reminder is None or reminder.paused or reminder.next_due_at > world.now:
        return ()  # deleted, paused, or already sent by another tick: nothing to say
    hour, timezone = await rows.settings()
    tz = zone(timezone)
    if at_night(world.now, tz):
        await rows.postpone(reminder, world.now, next_morning(world.now, hour, tz))
        return ()
    if not await rows.claim_due(reminder, world.now, at_hour(world.now, reminder.every_days, hour, tz)):
        return ()  # claimed meanwhile (another process): sent once
    sent = Reminder(**{**reminder.__dict__, "sent": reminder.sent + 1})
    key = f"reminder_due_{reminder.account if reminder.account in PRESETS else 'other'}"
    buttons = tuple(_button(world.content, f"reminder_button_{verb}", sent, verb) for verb in ("done", "later", "stop"))
    return (Offer(_say(world.content, key), buttons, MappingProxyType({"label": _account(reminder)})),)


@REGISTRY.applies(PressReminder)
async def press_reminder(world: World, effect: PressReminder) -> tuple[Output, ...]:
    """What a reminder's button does; once per occurrence for done/later/stop, by state for the others."""
    if effect.verb not in VERBS:  # signed, yet no button of this version says it (one from an older version)
        return (Toast("forged_button"),)
    rows = _rows(world)
    reminder = await rows.get(effect.reminder_id)
    if reminder is None:
        return (Toast("reminder_gone"),)
    hour, timezone = await rows.settings()
    tz = zone(timezone)
    verb, label = effect.verb, _account(reminder)
    if verb == "manage":
        return (_card(world.content, reminder, timezone),)
    picked = Picked(_say(world.content, f"reminder_button_{verb}"))  # the button's label, echoed under the message
    if verb in ("done", "later", "stop") and (effect.stamp != reminder.sent or reminder.answered >= effect.stamp):
        return (Toast("reminder_already"),)  # an older occurrence, or this one already answered
    if verb in ("stop", "delete"):
        await rows.delete(reminder)
        return (picked, _notice("reminder_stopped", label=label))
    if verb in ("done", "later"):
        due = at_hour(world.now, reminder.every_days if verb == "done" else 1, hour, tz)
        await rows.answer(reminder, effect.stamp, due)
        return (picked, _notice(f"reminder_{verb}", label=label, next=Moment(due, timezone)))
    if verb in ("pause", "resume"):
        if reminder.paused == (verb == "pause"):
            return (Toast("reminder_already"),)
        due = reminder.next_due_at if reminder.next_due_at > world.now else next_morning(world.now, hour, tz)
        await rows.pause(reminder, verb == "pause", due)
        key = "reminder_paused" if verb == "pause" else "reminder_resumed"
        return (picked, _notice(key, label=label, next=Moment(due, timezone)))
    days = CADENCES[verb]  # the verbs left are the cadences
    if days == reminder.every_days:
        return (Toast("reminder_already"),)
    due = at_hour(world.now, days, hour, tz)
    await rows.change_cadence(reminder, days, due)
    return (picked, _notice("reminder_cadence", label=label, every=Every(days), next=Moment(due, timezone)))


# --- small helpers -----------------------------------------------------------------------------------
def _notice(key: str, **params: object) -> Notice:
    return Notice(key, MappingProxyType(params))


def _account(reminder: Reminder) -> Account:
    return Account(reminder.account, reminder.label)


@dataclass(frozen=True)
class Hour:
    """The preferred hour, as the user's language writes a time ("10:00", "10:00 AM")."""

    hour: int

    def localize(self, content: Content, translator: Translator) -> str:
        return format_time(time(self.hour), format="short", locale=translator.language)


def _button(content: Content, key: str, reminder: Reminder, verb: str) -> ObjectButton:
    """A button bound to the reminder and to its current occurrence."""
    params = MappingProxyType({"label": _account(reminder), "every": Every(reminder.every_days)})
    return ObjectButton(_say(content, key), Press(KIND, reminder.id, reminder.sent, verb), params)


def _line(reminder: Reminder, timezone: str) -> Notice:
    key = "reminder_line_paused" if reminder.paused else "reminder_line"
    return _notice(
        key, label=_account(reminder), every=Every(reminder.every_days), next=Moment(reminder.next_due_at, timezone)
    )


def _card(content: Content, reminder: Reminder, timezone: str) -> Offer:
    """One reminder, with buttons to pause or resume it, change its cadence or delete it."""
    verbs = [
        "resume" if reminder.paused else "pause",
        *(v for v, d in CADENCES.items() if d != reminder.every_days),
        "delete",
    ]
    buttons = tuple(_button(content, f"reminder_button_{verb}", reminder, verb) for verb in verbs)
    params = {"label": _account(reminder), "every": Every(reminder.every_days),
              "next": Moment(reminder.next_due_at, timezone)}  # fmt: skip
    key = "reminder_card_paused" if reminder.paused else "reminder_card"
    return Offer(_say(content, key), buttons, MappingProxyType(params))


# --- for other features ---------------------------------------------------------------------------------
async def reminder_done(world: World, names_it: Callable[[str], bool]) -> int:
    """Count the reminders whose label `names_it` as done now (the password was just changed, e.g. after a
    breach alert): the next one comes a full cadence from now. The number of reminders moved."""
    rows = _rows(world)
    hour, timezone = await rows.settings()
    moved = 0
    for reminder in await rows.all(labelled_only=True):
        if reminder.label and names_it(reminder.label):
            await rows.answer(reminder, None, at_hour(world.now, reminder.every_days, hour, zone(timezone)))
            moved += 1
    return moved


@REGISTRY.applies(AccountPasswordChanged)
async def password_changed(world: World, event: AccountPasswordChanged) -> tuple[Output, ...]:
    """The password of an account was changed (after a breach alert): the reminder of that account, if the user
    has one (named like the service), counts as done: its next one is counted from now."""
    await reminder_done(world, lambda label: names(label, event.service))
    return ()


def names(label: str, service: str) -> bool:
    """Whether a reminder's label names the service ("Gmail perso" names gmail; a 2-letter key names nothing
    by being part of a longer word)."""
    folded, key = fold(label), fold(service)
    return folded == key or (len(key) >= 4 and key in folded)


# --- for the scheduler --------------------------------------------------------------------------------
async def due_pushes(db: Reader, now: datetime, limit: int, user_id: int | None = None) -> list[tuple[int, Push]]:
    """The scheduler's job: a `reminder_due` push for each reminder due now."""
    due = await due_reminders(db, now, limit, user_id)
    return [(owner, Push("reminder_due", ReminderDue(reminder_id))) for reminder_id, owner in due]


# --- personal data: /mesdonnees exports it, /oublie and the retention sweep erase it --------------------
async def export_reminders(world: World) -> list[dict[str, object]]:
    return await _rows(world).export()


async def erase_reminders(world: World) -> int:
    return await _rows(world).erase()


REGISTRY.keeps(
    "reminders", tables=("reminders", "reminder_settings"), fields=(*REMINDER_FIELDS, "hour", "timezone"),
    export=export_reminders, erase=erase_reminders, explained="data_reminders",
)  # fmt: skip


async def count_reminders(world: World) -> dict[str, int]:
    """/stats: the reminders, and how many are due (waiting to go out)."""
    total, due = await reminders_counted(world.db, world.now)
    return {"reminders": total, "reminders_due": due}


MIGRATIONS = (
    # 1: reminders, due times indexed; the hour and time zone they arrive at, per user (version 5 of the schema
    # every feature shared until then)
    Migration(1, (
        """CREATE TABLE reminders (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            account TEXT NOT NULL,
            label TEXT,
            every_days INTEGER NOT NULL,
            next_due_at TEXT NOT NULL,
            paused INTEGER NOT NULL DEFAULT 0,
            sent INTEGER NOT NULL DEFAULT 0,
            answered INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX reminders_due ON reminders(next_due_at) WHERE paused = 0",
        "CREATE INDEX reminders_by_user ON reminders(user_id)",
        """CREATE TABLE reminder_settings (
            user_id INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
            hour INTEGER NOT NULL,
            timezone TEXT NOT NULL
        )""",
    ), shared=5),
)  # fmt: skip

FEATURE = Feature(
    "reminders", REGISTRY, migrations=MIGRATIONS, jobs=(Due("reminders", due_pushes),),
    tally=Tally("stats_reminders", count_reminders),
)  # fmt: skip
