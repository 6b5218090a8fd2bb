"""A fake adapter for service-level tests: it keeps every reply it is given, as a user's screen would."""

from __future__ import annotations

from bot.core.render import Button, Reply


class Screen:
    def __init__(self) -> None:
        self.replies: list[Reply] = []

    async def __call__(self, reply: Reply) -> None:
        self.replies.append(reply)

    @property
    def last(self) -> Reply:
        return self.replies[-1]

    @property
    def texts(self) -> str:
        return "\n".join(r.text for r in self.replies)

    def button(self, label: str) -> Button:
        """The button with this label on the latest message that has one (a user scrolls up for older ones)."""
        for reply in reversed(self.replies):
            for button in reply.buttons:
                if button.label == label:
                    return button
        raise AssertionError(f"no button {label!r}")
