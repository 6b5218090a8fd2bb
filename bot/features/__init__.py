"""Features: one module each, registering its actions, effects, pushes and presses in
`bot.core.actions.REGISTRY` when imported. Importing this package registers them all.

How to add one: docs/writing.md, "Adding a feature" (a YAML dialogue that names an action with `do:`,
and one module here).
"""

from bot.features import breaches, privacy, progress, reminders, stalkerware

__all__ = ["breaches", "privacy", "progress", "reminders", "stalkerware"]
