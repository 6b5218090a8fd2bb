"""Effects one feature raises and another applies, named here in the core so that neither imports the other.

An applier raises one with `world.follow.append(event)`; the service applies it next, in the same transaction,
with the applier of the feature that listens (`Registry.applies`), if one is installed: without it nobody
listens, and nothing happens. What the listener returns joins the reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.actions import Effect


@dataclass(frozen=True)
class AccountPasswordChanged(Effect):
    """The user changed the password of an account, named as the breach catalogue keys a service ("gmail"): raised
    by the breach watch ("I changed my password" on an alert); a reminder of that account counts as done."""

    service: str
