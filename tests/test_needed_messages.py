"""The messages the code says are declared where they are said, and `check` refuses content without one.

Removing `console_database` from messages.yaml once passed `check` ("all good") and then crashed the terminal
chat with a KeyError: the list of required messages was kept by hand, apart from the code, and had drifted.
Now each module declares what it says (`NEEDED_MESSAGES`, bot/content/needed.py; a feature's actions their
`messages=`); these tests fail when a declared message is missing from the content without `check` naming it,
and when a message key written in bot/ is declared nowhere (so the declarations cannot drift either).
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from bot.app import check_content, registry
from bot.content.needed import PACKAGE, needed_messages
from bot.core.engine import NAME_MESSAGES, PUSHES_MESSAGES
from bot.core.sensitive import SecretKind

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
# The functions and outputs that take a message key as an argument (render.message, Gaffe.notice, Notice…).
SAYING = frozenset({"message", "_message", "notice", "_notice", "_say", "Notice", "Toast"})
KEY = re.compile(r"[a-z][a-z0-9_]*")


def without(messages: Path, key: str) -> str:
    """messages.yaml without the entry `key` (its line, and its plural forms' lines below it)."""
    kept: list[str] = []
    dropping = False
    for line in messages.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith(f"  {key}:"):
            dropping = True
            continue
        if dropping and line.startswith("    "):
            continue
        dropping = False
        kept.append(line)
    return "".join(kept)


def check_without(source: Path, key: str, tmp_path: Path) -> list[str]:
    dialogues = tmp_path / "dialogues"
    shutil.copytree(source / "dialogues", dialogues)
    trimmed = without(dialogues / "messages.yaml", key)
    assert trimmed != (dialogues / "messages.yaml").read_text(encoding="utf-8"), f"'{key}' is not in {source}"
    (dialogues / "messages.yaml").write_text(trimmed, encoding="utf-8")
    _, problems = check_content(dialogues, source / "locales")
    return [str(problem) for problem in problems]


@pytest.mark.parametrize("key", sorted(needed_messages()))
def test_check_names_a_needed_message_missing_from_the_content(key: str, tmp_path: Path) -> None:
    problems = check_without(MINI, key, tmp_path)
    where = needed_messages()[key]
    assert any(f"messages.yaml:1: the interface message '{key}' is missing ({where})" in p for p in problems), problems


def test_the_terminal_s_database_line_is_needed_in_the_shipped_content(tmp_path: Path) -> None:
    """The issue's own case, on the real content: `check` used to say "all good" here."""
    problems = check_without(ROOT, "console_database", tmp_path)
    assert len(problems) == 1, problems
    assert problems[0].endswith("messages.yaml:1: the interface message 'console_database' is missing "
                                f"({needed_messages()['console_database']})")  # fmt: skip
    assert needed_messages()["console_database"].startswith("bot/adapters/console.py:")


def test_every_secret_kind_has_its_needed_message() -> None:
    """The renderer says `secret_<kind>` for each kind the filter detects."""
    assert {f"secret_{kind}" for kind in SecretKind} <= set(needed_messages())


def _said_in_code() -> dict[str, str]:
    """Every message key written literally in bot/ (an argument of a call that says one, or an index of
    `.messages[...]`), with where; an f-string key counts as its literal prefix followed by `*`."""
    said: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            arguments: list[ast.expr] = []
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                arguments = list(node.args) if name in SAYING else []
            elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
                arguments = [node.slice] if node.value.attr == "messages" else []
            for argument in arguments:
                if (key := _literal_key(argument)) is not None:
                    said.setdefault(key, f"{where}:{argument.lineno}")
    return said


def _literal_key(argument: ast.expr) -> str | None:
    """`"key"` as itself, `f"key_{x}"` as `key_*`; None for anything else (a variable, a text)."""
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str) and KEY.fullmatch(argument.value):
        return argument.value
    if isinstance(argument, ast.JoinedStr) and isinstance(first := argument.values[0], ast.Constant):
        return f"{first.value}*"
    return None


def _declared() -> set[str]:
    shipped = registry()
    by_actions = set().union(*(shipped.messages_of(name) for name in shipped.actions))
    by_data = set().union(*(kept.messages for kept in shipped.personal_data.values()))
    return {*needed_messages(), *by_actions, *by_data, *NAME_MESSAGES, *PUSHES_MESSAGES}


def test_every_message_key_in_the_code_is_declared() -> None:
    """A key said in bot/ but declared nowhere would pass `check` and fail in a user's chat."""
    declared = _declared()
    undeclared = {
        key: where
        for key, where in _said_in_code().items()
        if not (any(d.startswith(key[:-1]) for d in declared) if key.endswith("*") else key in declared)
    }
    assert undeclared == {}, "declare these in NEEDED_MESSAGES next to the code, or in the action's messages="


def test_the_scan_finds_the_keys_the_code_says() -> None:
    """The scan above is not vacuous: it sees keys said in each way the code says them."""
    said = _said_in_code()
    assert {"console_database", "slow_down", "resumed", "stale_button", "breach_alert", "reminder_none"} <= set(said)
    assert "secret_*" in said and "reminder_every_*" in said
