"""The interface messages the code says whatever the dialogues, collected from where they are declared.

A module that says messages of its own (the engine, the renderer, the service, an adapter) declares them next
to the code that says them, in a module-level tuple of string literals named `NEEDED_MESSAGES`; the content
loader (so `check`, and the start-up) then requires each one in messages.yaml and names the declaration
(file:line) when one is missing. Messages a feature says only when its action runs are declared with the action
instead (`Registry.action(messages=…)`).

The declarations are read from the sources, not imported: the loader sits below the service and the adapters
(docs/writing.md, "The code's layout"), so it must not import them to learn what they say.
tests/test_needed_messages.py fails when a message key written in bot/ is declared nowhere.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

DECLARATION = "NEEDED_MESSAGES"
PACKAGE = Path(__file__).resolve().parent.parent  # bot/


def _declared_in(path: Path) -> tuple[ast.expr, int] | None:
    """The value of the module's `NEEDED_MESSAGES = (...)` and its line, if it has one."""
    for statement in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        match statement:
            case ast.Assign(targets=[ast.Name(id=name)], value=value) if name == DECLARATION:
                return value, statement.lineno
            case ast.AnnAssign(target=ast.Name(id=name), value=value) if name == DECLARATION and value is not None:
                return value, statement.lineno
    return None


@cache
def needed_messages(package: Path = PACKAGE) -> dict[str, str]:
    """Each message key the code always needs, with where it is declared (`bot/service.py:64`; the first
    declaration when several modules say it)."""
    needed: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        found = _declared_in(path)
        if found is None:
            continue
        value, line = found
        where = f"{path.relative_to(package.parent).as_posix()}:{line}"
        for key in ast.literal_eval(value):  # a tuple of literals: anything else is a bug in the declaration
            needed.setdefault(str(key), where)
    return needed
