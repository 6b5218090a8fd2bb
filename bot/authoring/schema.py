"""The JSON Schema of `do:` (every registered action and its arguments), for editors and for `check`.

`dialogues/dialogue.schema.json` is written by hand and refers to `dialogues/actions.schema.json` for `do:`;
that second file is generated from the features' registry by `python -m bot schema`, so an editor
autocompletes the actions that exist and checks their arguments. A test fails when it is out of date.
The content loader puts the same definition in place of the reference, so it validates without resolving files
(bot/content/schema.py, which builds both).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.content.schema import actions_schema
from bot.core.actions import Registry

ACTIONS_SCHEMA = "actions.schema.json"


def as_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def refresh(dialogues_dir: Path, registry: Registry) -> bool:
    """Write `actions.schema.json` beside the dialogues; True when it changed."""
    path = dialogues_dir / ACTIONS_SCHEMA
    updated = as_text(actions_schema(registry))
    if path.exists() and path.read_text(encoding="utf-8") == updated:
        return False
    path.write_text(updated, encoding="utf-8")
    return True
