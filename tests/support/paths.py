"""Where things are: the repository's root and the small test content (tests/fixtures/mini)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
