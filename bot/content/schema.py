"""The JSON Schema of `do:`: every registered action and its arguments, from the features' registry.

The content loader validates dialogues against `dialogue.schema.json` with this definition in place of its
reference to `actions.schema.json`, so it resolves no file; `python -m bot schema` (bot/authoring/schema.py)
writes the same definition beside the dialogues for editors.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.core.actions import Registry


def actions_schema(registry: Registry) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Gaffe actions",
        "description": "Actions a dialogue may run with `do:`, in order: name → arguments. "
        "Generated from the features by `python -m bot schema`; do not edit.",
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            name: {**spec.schema, "description": spec.description} for name, spec in sorted(registry.actions.items())
        },
    }


def with_actions(dialogue_schema: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """The dialogue schema with `do:` defined inline (what the content loader validates against)."""
    inline = copy.deepcopy(dialogue_schema)
    inline["$defs"]["do"] = actions_schema(registry)
    del inline["$defs"]["do"]["$schema"]
    return inline
