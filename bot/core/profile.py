"""The user's settings, kept apart from the conversation: what dialogues may read and set, not where they are.

A profile is the language Gaffe speaks, the country whose routes (emergency numbers, reporting services) it
gives, and whether it may speak unasked (`pushes`: reminders, breach alerts, retention notices). Someone
whose phone may be watched turns pushes off, so that nothing of Gaffe pops up on it unasked.

Dialogues set it from YAML (`set_language: en`, `set_profile: {country: be}`, `set_profile: {pushes: "off"}`)
and read it in conditions (`when: {country: [ca, us]}`, `when: {pushes: "off"}`) and in texts
(`{route.emergency}` follows the country). The engine gets it with the user's state and returns it changed
in its step; the store keeps it in columns of its own, beside the conversation, not inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

PROFILE_KEYS = ("country", "pushes")  # what `set_profile:` may set (the language has `set_language:`)
ON, OFF = "on", "off"


@dataclass(frozen=True)
class Profile:
    language: str = "fr"
    country: str | None = None  # a region id of dialogues/regions.yaml; None until the user picks one
    pushes: bool = True  # whether Gaffe may write unasked

    def changed(self, settings: tuple[tuple[str, str], ...]) -> Profile:
        """This profile with a choice's `set_profile:` applied (values already checked against the regions)."""
        profile = self
        for key, value in settings:
            if key == "country":
                profile = replace(profile, country=value)
            elif key == "pushes":
                profile = replace(profile, pushes=value == ON)
        return profile
