"""Files Gaffe ships and reads at run time: the chart's font (DejaVu Sans, with its licence) and dated snapshots
of the public data sets, used until `update-data` brings newer copies (see bot/lookups/snapshots.py)."""

from importlib.resources import files
from pathlib import Path


def asset(name: str) -> Path:
    """The path of a shipped file (the wheel and a checkout lay them out the same way)."""
    return Path(str(files(__name__).joinpath(name)))
