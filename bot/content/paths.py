"""Where the content that comes with Gaffe lives: the checkout's folders when Gaffe runs from one, else the
copy inside the installed wheel (`bot/_content/`, mapped in by pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
PROJECT_ROOT = PACKAGE.parent
INSTALLED_CONTENT = PACKAGE / "_content"  # filled by the wheel build only


def bundled(name: str) -> Path:
    """The content folder `name` ("dialogues" or "locales") that comes with this Gaffe."""
    checkout = PROJECT_ROOT / name
    return checkout if checkout.is_dir() else INSTALLED_CONTENT / name
