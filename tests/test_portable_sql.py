"""No SQLite-only syntax above the storage layer: the seam a second database (PostgreSQL) would plug into.

Only the storage layer knows the database is SQLite: `bot/storage.py` (the store), and `bot/backup.py`, the
operator's `backup`/`restore` commands, which are SQLite's own online backup API and integrity check (a PostgreSQL
deployment backs up with pg_dump; it is no code path of the service's). Everywhere else in `bot/`, statements are
portable SQL with named parameters (`:name`, a mapping), and nothing names the driver. This scans every other
module's code (its string literals and imports, not its comments or docstrings) and fails on:
- a `?` placeholder in SQL (name it, `:name`, and pass a mapping; a PostgreSQL store translates the names);
- `INSERT OR IGNORE` / `INSERT OR REPLACE` / `REPLACE INTO` (write `INSERT … ON CONFLICT … DO NOTHING / DO UPDATE`);
- `sqlite_master` / `sqlite_schema` (the schema is the storage layer's business: features declare migrations);
- `lastrowid` (write `INSERT … RETURNING id`);
- a PRAGMA;
- importing the driver (`sqlite3`, `aiosqlite`): its errors reach the rest as `bot.errors.StorageUnavailable`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STORAGE_LAYER = ("bot/storage.py", "bot/backup.py")
DRIVERS = {"sqlite3", "aiosqlite"}
# A string that is SQL, or a piece of a statement (" AND user_id = ?"), as the code writes SQL: in capitals.
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|FROM|JOIN|SET|AND|OR|LIMIT|ORDER BY)\b")
IN_SQL = ((re.compile(r"\?"), "a `?` placeholder: name it (:name) and pass a mapping"),)
ANYWHERE = (
    (re.compile(r"\bINSERT\s+OR\s+(IGNORE|REPLACE)\b|\bREPLACE\s+INTO\b", re.I), "INSERT OR …: use ON CONFLICT"),
    (re.compile(r"\bsqlite_(master|schema)\b", re.I), "sqlite_master: the storage layer's business"),
    (re.compile(r"\blastrowid\b"), "lastrowid: use RETURNING"),
    (re.compile(r"\bPRAGMA\b", re.I), "a PRAGMA: the storage layer's business"),
)


def _docstrings(tree: ast.AST) -> set[int]:
    """The string nodes that are docstrings (prose, which may name what the code must not use)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def sqlite_only(source: str) -> list[str]:
    """What in this module's code is SQLite-only, as "line: problem" (empty when it is portable)."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    findings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            findings += [f"{node.lineno}: imports the driver {name}" for name in names if name.split(".")[0] in DRIVERS]
        elif isinstance(node, ast.Attribute) and node.attr == "lastrowid":
            findings.append(f"{node.lineno}: lastrowid: use RETURNING")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            rules = (*IN_SQL, *ANYWHERE) if SQL.search(node.value) else ANYWHERE
            findings += [f"{node.lineno}: {problem}" for pattern, problem in rules if pattern.search(node.value)]
    return findings


def above_storage(root: Path) -> list[Path]:
    """Every module of `bot/` but the storage layer's, and the example feature new ones are copied from."""
    modules = [*(root / "bot").rglob("*.py"), *(root / "tests" / "feature_example").rglob("*.py")]
    return sorted(path for path in modules if path.relative_to(root).as_posix() not in STORAGE_LAYER)


def scan(root: Path) -> dict[str, list[str]]:
    found = {str(path.relative_to(root)): sqlite_only(path.read_text(encoding="utf-8")) for path in above_storage(root)}
    return {path: problems for path, problems in found.items() if problems}


def test_nothing_above_the_storage_layer_is_sqlite_only() -> None:
    assert all((ROOT / path).is_file() for path in STORAGE_LAYER)
    assert len(above_storage(ROOT)) > 30  # the scan sees the code (not an empty folder)
    assert scan(ROOT) == {}


@pytest.mark.parametrize(
    "planted",
    [
        'db.execute("SELECT id FROM reminders WHERE user_id = ?", (user,))',
        'only = " AND r.user_id = ?"  # a fragment of a statement',
        'db.execute(f"UPDATE users SET x = ? WHERE user_id IN ({marks})")',
        'db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (:key, :value)")',
        'db.execute("insert or replace into settings (key, value) values (:key, :value)")',
        'db.fetch_one("SELECT 1 FROM sqlite_master WHERE name = :name")',
        "row_id = cursor.lastrowid",
        'db.execute("PRAGMA user_version")',
        "import sqlite3",
        "from aiosqlite import connect",
    ],
)
def test_the_scan_finds_what_is_sqlite_only(planted: str) -> None:
    assert sqlite_only(planted), planted


@pytest.mark.parametrize(
    "portable",
    [
        'db.execute("SELECT id FROM reminders WHERE user_id = :user_id", {"user_id": user})',
        'db.execute("INSERT INTO settings (key, value) VALUES (:key, :value) ON CONFLICT (key) DO NOTHING")',
        'db.fetch_one("INSERT INTO outbox (user_id) VALUES (:user_id) RETURNING id", {"user_id": user})',
        'says = "Tu es sûr ?"  # a question in a message, not SQL',
        'def f():\n    """Never a PRAGMA, nor sqlite_master, nor lastrowid up here."""',
    ],
)
def test_the_scan_lets_portable_code_be(portable: str) -> None:
    assert sqlite_only(portable) == []


def test_a_planted_placeholder_in_a_copy_of_the_code_fails_the_scan(tmp_path: Path) -> None:
    """The scan of the whole tree, on a copy of `bot/` where one feature's statement goes back to `?`."""
    for path in above_storage(ROOT):
        copy = tmp_path / path.relative_to(ROOT)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert scan(tmp_path) == {}
    reminders = tmp_path / "bot" / "features" / "reminders.py"
    text = reminders.read_text(encoding="utf-8")
    assert "user_id = :user_id" in text
    reminders.write_text(text.replace("user_id = :user_id", "user_id = ?", 1), encoding="utf-8")
    assert list(scan(tmp_path)) == ["bot/features/reminders.py"]
