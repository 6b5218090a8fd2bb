"""Privacy you can verify, through the service against a real SQLite file: every table with a user id is declared
as personal data; /mesdonnees exports it all, explained; /oublie erases it all (not undone by the step's save) and
the erased strings leave the database file and its WAL; retention with a fixed clock; /stats for admins only;
owner-only files; the abuse limits."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import user_files
from bot.adapters.console import chat
from bot.app import load_content, open_store, registry
from bot.core.dialogue import Content
from bot.core.engine import Aside, Command, Pick, Push, State, Text
from bot.core.i18n import Translator, load_translators
from bot.core.render import Reply
from bot.features.privacy import retention_tick
from bot.limits import FloodGuard, Limits, Verdict
from bot.scheduler import JobContext, PushTo
from bot.service import Gaffe
from bot.storage import Store
from tests.support.paths import ROOT
from tests.support.screen import Screen

USER, OTHER, ADMIN = 501, 502, 900
PLANTED = "Hildegarde Zorglubienne"  # a free-text answer only this user typed
KEPT = "Brunehilde Vasconcelos"  # the other user's answer: it must stay


def tables_with_user_id(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t for t in tables if any(c[1] == "user_id" for c in connection.execute(f"PRAGMA table_info({t})"))}


def rows_of(db: Path, user_id: int) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return {
            table: connection.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,)).fetchone()[0]
            for table in tables_with_user_id(db)
        }


def raw(db: Path) -> bytes:
    """The database file and its write-ahead log, as bytes on disk."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def run_checkup(gaffe: Gaffe, user_id: int, screen: Screen, language: str = "fr") -> None:
    """The checkup, always the first answer (the best ones; the phone question's "no")."""
    reply = await gaffe.handle(user_id, Command("checkup"), screen, language)
    while reply.buttons:
        reply = await gaffe.handle(user_id, Pick(reply.step or 0, 0), screen)


async def export(gaffe: Gaffe, user_id: int, language: str = "fr") -> tuple[Reply, dict[str, Any]]:
    screen = Screen()
    reply = await gaffe.handle(user_id, Command("mydata" if language == "en" else "mesdonnees"), screen, language)
    (document,) = reply.attachments
    return reply, json.loads(document.data)


async def forget(gaffe: Gaffe, user_id: int, screen: Screen) -> Reply:
    asked = await gaffe.handle(user_id, Command("oublie"), screen)
    yes = asked.labels.index("Oui, efface tout") if "Oui, efface tout" in asked.labels else 0
    return await gaffe.handle(user_id, Pick(asked.step or 0, yes), screen)


@pytest.fixture
async def gaffe(shipped: Content, translators: dict[str, Translator], store: Store) -> Gaffe:
    return Gaffe(shipped, translators, store, tracks_delivery=True, admins=frozenset({ADMIN}))


# --- declarations ------------------------------------------------------------------------------------------------
async def test_every_table_with_a_user_id_is_declared_as_personal_data(store: Store, tmp_path: Path) -> None:
    declared = {table for kept in registry().personal_data.values() for table in kept.tables}
    tables = tables_with_user_id(tmp_path / "gaffe.sqlite3")
    assert {"users", "checkups", "outbox"} <= tables  # the enumeration sees the tables it should
    assert tables - declared == set(), "declare these tables with the feature's Registry.keeps (docs/writing.md)"


def test_every_declared_field_is_explained_in_both_languages(
    shipped: Content, translators: dict[str, Translator]
) -> None:
    for kept in registry().personal_data.values():
        for key in sorted(kept.messages):
            assert key in shipped.messages, key
            french, english = (translators[lang].text(shipped.messages[key].one) for lang in ("fr", "en"))
            assert french and english and french != english, key


# --- /mesdonnees ---------------------------------------------------------------------------------------------------
async def test_mydata_after_a_checkup_holds_everything_explained(gaffe: Gaffe, tmp_path: Path) -> None:
    await run_checkup(gaffe, USER, Screen())
    reply, document = await export(gaffe, USER)
    assert reply.attachments[0].kind == "document" and reply.attachments[0].filename == "gaffe-mes-donnees.json"
    shown = reply.text.replace("\u00a0", " ")  # French typography: a no-break space before ":"
    assert "Tes check-ups : 1 élément" in shown and "Ton profil : 1 élément" in shown
    data = document["data"]
    assert document["telegram_user_id"] == USER
    (checkup,) = data["checkups"]["rows"]
    assert checkup["dialogue"] == "checkup" and checkup["score"] == 100
    assert data["profile"]["rows"][0]["user_id"] == USER and data["profile"]["rows"][0]["language"] == "fr"
    assert "progression" in data["checkups"]["why"]
    for name, section in data.items():  # every field a row has is explained, and nothing else is in a row
        for row in section["rows"]:
            assert set(row) <= set(section["fields"]), name
    # Nothing else about the user is in the database: every row of theirs is in the export.
    counts = rows_of(tmp_path / "gaffe.sqlite3", USER)
    exported = {table: 0 for table in counts}
    for kept in registry().personal_data.values():
        exported[kept.tables[0]] += len(data[kept.name]["rows"])
    assert exported == counts


async def test_mydata_in_english_is_explained_in_english(gaffe: Gaffe) -> None:
    reply, document = await export(gaffe, OTHER, "en")
    assert reply.attachments[0].filename == "gaffe-my-data.json"
    assert document["data"]["profile"]["fields"]["language"].startswith("The language")
    assert document["data"]["checkups"]["rows"] == []


# --- /oublie -------------------------------------------------------------------------------------------------------
async def test_forget_erases_everything_and_the_step_save_does_not_bring_it_back(gaffe: Gaffe, tmp_path: Path) -> None:
    db = tmp_path / "gaffe.sqlite3"
    await run_checkup(gaffe, USER, Screen())
    await run_checkup(gaffe, OTHER, Screen())
    screen = Screen()
    done = await forget(gaffe, USER, screen)
    assert "j'ai tout effacé" in done.text
    assert set(rows_of(db, USER).values()) == {0}  # the users row saved by that very step is gone too
    assert await gaffe.store.load(USER) is None
    assert rows_of(db, OTHER)["checkups"] == 1  # someone else's data stays
    _, document = await export(gaffe, USER)  # a later /mesdonnees: nothing from before
    assert document["data"]["checkups"]["rows"] == [] and document["data"]["outbox"]["rows"] == []
    (profile,) = document["data"]["profile"]["rows"]
    assert profile["conversation"]["dialogue"] == "mesdonnees"  # only the conversation going on right now


@pytest.fixture
def with_free_text(tmp_path: Path) -> tuple[Content, dict[str, Translator]]:
    """The shipped content plus a dialogue that keeps a free-text answer (none of the shipped ones does)."""
    dialogues, locales = tmp_path / "dialogues", tmp_path / "locales"
    shutil.copytree(ROOT / "dialogues", dialogues)
    shutil.copytree(ROOT / "locales", locales)
    (dialogues / "nom.yaml").write_text(
        """dialogue: nom
title: "Nom"
commands: {fr: nom, en: name, description: "Ton nom"}
start: ask
nodes:
  ask:
    text: "Comment je t'appelle ?"
    input: {save_as: name, max_length: 60, error: "Trop long."}
    goto: hello
  hello:
    text: "Salut {name} !"
    end: true
""",
        encoding="utf-8",
    )
    with (locales / "en" / "LC_MESSAGES" / "messages.po").open("a", encoding="utf-8") as po:
        for french, english in (("Nom", "Name"), ("Ton nom", "Your name"), ("Comment je t'appelle ?", "Name?"),
                                ("Trop long.", "Too long."), ("Salut {name} !", "Hi {name}!")):  # fmt: skip
            po.write(f'\nmsgid "{french}"\nmsgstr "{english}"\n')
    return load_content(dialogues, locales), load_translators(locales)


async def test_after_forget_the_file_and_its_wal_hold_none_of_the_user_strings(
    with_free_text: tuple[Content, dict[str, Translator]], tmp_path: Path
) -> None:
    db = tmp_path / "erase.sqlite3"
    store = await open_store(db)
    try:
        gaffe = Gaffe(*with_free_text, store, tracks_delivery=True)
        for user_id, name in ((USER, PLANTED), (OTHER, KEPT)):
            await run_checkup(gaffe, user_id, Screen())
            await gaffe.handle(user_id, Command("nom"), Screen())
            hello = await gaffe.handle(user_id, Text(name), Screen())
            assert name in hello.text  # and kept in the saved state, as that dialogue asks
        assert PLANTED.encode() in raw(db)  # the test can fail: the string is on disk before
        await forget(gaffe, USER, Screen())
        on_disk = raw(db)
        assert PLANTED.encode() not in on_disk
        assert KEPT.encode() in on_disk  # the other user's answer is still there: we read the right file
        assert db.with_name(db.name + "-wal").stat().st_size == 0  # checkpointed and truncated after the commit
        assert set(rows_of(db, USER).values()) == {0}
    finally:
        await store.close()


# --- retention ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Retention:
    """The one setting the retention sweep reads."""

    retention_days: int


async def sweep(gaffe: Gaffe, send: PushTo, now: datetime, days: int) -> tuple[int, int]:
    """The retention sweep as the scheduler runs it daily, at `now`."""
    return await retention_tick(JobContext(gaffe, send, Retention(days), now))


async def test_retention_notices_once_then_erases_a_week_later(gaffe: Gaffe, tmp_path: Path) -> None:
    db = tmp_path / "gaffe.sqlite3"
    now = datetime.now(UTC).replace(microsecond=0)
    idle = {601: 400, 602: 400, 603: 360, 604: 10, 605: 400}  # user → days since their last answer
    for user_id in idle:
        await run_checkup(gaffe, user_id, Screen())
    with sqlite3.connect(db) as connection:
        for user_id, days in idle.items():
            then = (now - timedelta(days=days)).isoformat(timespec="seconds")
            connection.execute("UPDATE users SET updated_at = ? WHERE user_id = ?", (then, user_id))
        connection.execute("UPDATE users SET active = 0 WHERE user_id = 602")  # blocked the bot: no notice
    gaffe.clock = lambda: now
    pushed: dict[int, Screen] = {}

    async def send(user_id: int, push: Push) -> bool:
        return await gaffe.push(user_id, push, pushed.setdefault(user_id, Screen()))

    assert await sweep(gaffe, send, now, 365) == (3, 1)  # notices to 601, 603, 605; 602 erased
    assert set(pushed) == {601, 603, 605} and "dans une semaine j'efface" in pushed[601].texts
    assert await gaffe.store.load(602) is None and rows_of(db, 602)["checkups"] == 0
    assert await sweep(gaffe, send, now, 365) == (0, 0)  # once: remembered in retention_notice_at
    _, document = await export(gaffe, 605)  # 605 comes back (any answer counts): nothing will be erased
    assert document["data"]["profile"]["rows"][0]["retention_notice_at"] == now.isoformat(timespec="seconds")
    later = now + timedelta(days=8)
    gaffe.clock = lambda: later
    assert await sweep(gaffe, send, later, 365) == (0, 2)  # 601 and 603, a week after their notice
    assert [u for u in idle if await gaffe.store.load(u) is not None] == [604, 605]
    assert rows_of(db, 601)["checkups"] == 0 and rows_of(db, 604)["checkups"] == 1


async def test_retention_erases_only_once_the_week_of_notice_is_over(gaffe: Gaffe, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    await run_checkup(gaffe, 606, Screen())
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as connection:
        then = (now - timedelta(days=400)).isoformat(timespec="seconds")
        connection.execute("UPDATE users SET updated_at = ? WHERE user_id = 606", (then,))

    async def send(user_id: int, push: Push) -> bool:
        return await gaffe.push(user_id, push, Screen())

    assert await sweep(gaffe, send, now, 365) == (1, 0)  # the notice, no erasure yet
    almost = now + timedelta(days=7) - timedelta(seconds=1)
    assert await sweep(gaffe, send, almost, 365) == (0, 0)
    assert await gaffe.store.load(606) is not None
    assert await sweep(gaffe, send, now + timedelta(days=7), 365) == (0, 1)  # the week is over
    assert await gaffe.store.load(606) is None


# --- /stats ---------------------------------------------------------------------------------------------------------
async def test_stats_gives_an_admin_counts_and_anyone_else_an_unknown_command(gaffe: Gaffe) -> None:
    for user_id in (USER, OTHER):
        await run_checkup(gaffe, user_id, Screen())
    reply = await gaffe.handle(ADMIN, Command("stats"), Screen())
    shown = reply.text.replace("\u00a0", " ")  # French typography: a no-break space before ":"
    assert "Utilisateurs : 2" in shown and "Check-ups : 2, dont 2 cette semaine" in shown
    assert "Rappels : 2, dont 0 à envoyer" in shown  # each checkup's result offered one, accepted
    assert str(USER) not in reply.text and str(OTHER) not in reply.text
    assert await gaffe.store.load(ADMIN) is None  # asking for counts stores nothing about the admin
    unknown = await gaffe.handle(USER, Command("nimportequoi"), Screen())
    assert (await gaffe.handle(USER, Command("stats"), Screen())).text == unknown.text
    assert "stats" not in {name for name, _ in gaffe.command_menu("fr") + gaffe.command_menu("en")}


# --- what Gaffe does on its own ---------------------------------------------------------------------------------------
async def test_the_database_and_its_wal_and_shm_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "modes.sqlite3"
    store = await open_store(db)
    try:
        await store.save(1, State())
        for file in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    finally:
        await store.close()
    loose = tmp_path / "loose.sqlite3"
    sqlite3.connect(loose).close()
    loose.chmod(0o644)
    await (await open_store(loose)).close()
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600  # an existing database is tightened


def test_the_flood_guard_warns_once_then_ignores_for_a_while() -> None:
    now = [0.0]
    guard = FloodGuard(Limits(updates=20, window=10, quiet=60), clock=lambda: now[0])
    verdicts = []
    for _ in range(100):
        verdicts.append(guard.admit(USER))
        now[0] += 0.01
    assert verdicts[:20] == [Verdict.ADMIT] * 20 and verdicts[20] == Verdict.WARN
    assert set(verdicts[21:]) == {Verdict.IGNORE}
    assert guard.admit(OTHER) == Verdict.ADMIT  # others are not affected
    now[0] += 61
    assert guard.admit(USER) == Verdict.ADMIT  # the quiet period is over
    now[0] += 100
    assert [guard.admit(USER) for _ in range(20)] == [Verdict.ADMIT] * 20  # 20 in a window is fine


async def test_a_flood_is_answered_once_and_long_texts_are_cut_before_anything_reads_them(
    mini: Content, mini_translators: dict[str, Translator], store: Store
) -> None:
    gaffe = Gaffe(mini, mini_translators, store, limits=Limits(updates=5, window=60, quiet=60, text_chars=100))
    screen = Screen()
    for _ in range(30):
        await gaffe.handle(USER, Text("bonjour"), screen)
    assert len(screen.replies) == 6 and screen.replies[5].text == "Doucement, tu vas trop vite."
    other = Screen()
    await gaffe.handle(OTHER, Text("x" * 99 + " piraté"), other)  # the route word is past the cut: not read
    await gaffe.handle(OTHER + 1, Text("piraté " + "x" * 99), other)
    assert [r.text for r in other.replies] == ["Tape /quiz.", "Aïe. C'est quel compte ?"]


async def test_a_secret_past_the_length_cut_is_still_refused(
    mini: Content, mini_translators: dict[str, Translator], store: Store
) -> None:
    gaffe = Gaffe(mini, mini_translators, store, limits=Limits(text_chars=100))
    screen = Screen()
    await gaffe.handle(USER, Text("x" * 120 + " mon mot de passe c'est Soleil2024!"), screen)
    assert screen.last.text == "Pas de password ici." and screen.last.erase_input
    await gaffe.handle(USER, Aside("y" * 120 + " 4397 0523 2792 8200"), screen)  # a caption or an edit too
    assert screen.last.text == "Pas de card ici." and screen.last.erase_input
    assert await store.load(USER) is None  # nothing of either was kept


async def test_the_terminal_says_there_is_nothing_to_delete_and_writes_the_export(gaffe: Gaffe, tmp_path: Path) -> None:
    # unsafe device → (its help lines need a country: France) → erase info → "Efface les messages"
    lines = ["/espion", "2", "1", "1", "1", "/mesdonnees"]
    out = io.StringIO()
    await chat(gaffe, "fr", USER, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, files_dir=tmp_path / "files")
    text = out.getvalue()
    assert "Ici, dans le terminal, y'a rien à effacer" in text and "/oublie" in text
    saved = user_files.folder_for(tmp_path / "files", USER) / "gaffe-mes-donnees.json"
    assert f"[{saved}]" in text and json.loads(saved.read_bytes())["telegram_user_id"] == USER


async def test_mydata_exports_a_message_waiting_in_the_outbox_and_forget_erases_it(
    gaffe: Gaffe, tmp_path: Path
) -> None:
    db = tmp_path / "gaffe.sqlite3"
    await run_checkup(gaffe, USER, Screen())
    waiting = Reply("⏰ Ta banque : c'est le moment.")
    with sqlite3.connect(db) as connection:  # a pushed message the network lost, still to be sent
        for user_id in (USER, OTHER):
            connection.execute(
                "INSERT INTO outbox (user_id, created_at, reply) VALUES (?, '2026-12-07T12:00:00+00:00', ?)",
                (user_id, waiting.to_json()),
            )
    connection.close()
    reply, document = await export(gaffe, USER)
    outbox = document["data"]["outbox"]
    assert outbox["rows"] == [{"created_at": "2026-12-07T12:00:00+00:00", "reply": json.loads(waiting.to_json())}]
    assert set(outbox["fields"]) == {"created_at", "reply"} and all(outbox["fields"].values())
    assert "• Mes messages en attente : 1 élément" in reply.text.replace("\u00a0", " ").splitlines()
    await forget(gaffe, USER, Screen())
    assert rows_of(db, USER)["outbox"] == 0 and rows_of(db, OTHER)["outbox"] == 1  # only theirs


async def test_stats_counts_the_blocked_and_the_active_this_week(gaffe: Gaffe, tmp_path: Path) -> None:
    for user_id in (USER, OTHER, OTHER + 1):
        await run_checkup(gaffe, user_id, Screen())
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as connection:
        connection.execute("UPDATE users SET active = 0 WHERE user_id = ?", (OTHER,))  # blocked Gaffe
        connection.execute("UPDATE users SET updated_at = '2020-01-01T00:00:00+00:00' WHERE user_id = ?", (USER,))
    connection.close()
    lines = (await gaffe.handle(ADMIN, Command("stats"), Screen())).text.replace("\u00a0", " ").splitlines()
    assert lines[1:3] == ["Utilisateurs : 3 (dont 1 qui m'ont bloqué)", "Actifs cette semaine : 2"], lines
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as connection:  # nobody blocked, nobody active this week
        connection.execute("UPDATE users SET active = 1, updated_at = '2020-01-01T00:00:00+00:00'")
    connection.close()
    lines = (await gaffe.handle(ADMIN, Command("stats"), Screen())).text.replace("\u00a0", " ").splitlines()
    assert lines[1:3] == ["Utilisateurs : 3 (dont 0 qui m'ont bloqué)", "Actifs cette semaine : 0"], lines


async def test_the_export_file_is_dated_readable_utf8_and_its_flags_are_booleans(
    gaffe: Gaffe, translators: dict[str, Translator]
) -> None:
    then = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)  # not today: the date said is the export's
    gaffe.clock = lambda: then
    await run_checkup(gaffe, USER, Screen())
    reply, document = await export(gaffe, USER)
    assert translators["fr"].date(then.date()) in document["about"]
    assert document["exported_at"] == "2026-03-15T10:30:00+00:00"
    (profile,) = document["data"]["profile"]["rows"]
    assert (profile["active"], profile["pushes"]) == (True, True)
    (file,) = reply.attachments
    assert file.caption and file.data.decode("utf-8").startswith('{\n  "about": "')  # indented, for a person
    assert "é" in file.data.decode("utf-8")  # French as written, not \u00e9


async def test_a_blocked_user_is_erased_only_once_the_retention_period_is_over(gaffe: Gaffe, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    await run_checkup(gaffe, 607, Screen())
    with sqlite3.connect(tmp_path / "gaffe.sqlite3") as connection:
        then = (now - timedelta(days=10)).isoformat(timespec="seconds")
        connection.execute("UPDATE users SET active = 0, updated_at = ? WHERE user_id = 607", (then,))
    connection.close()

    async def send(user_id: int, push: Push) -> bool:
        return await gaffe.push(user_id, push, Screen())

    assert await sweep(gaffe, send, now, 365) == (0, 0)  # blocked 10 days ago: kept
    assert await gaffe.store.load(607) is not None
    assert await sweep(gaffe, send, now + timedelta(days=356), 365) == (0, 1)  # 366 days: erased, no notice
    assert await gaffe.store.load(607) is None
