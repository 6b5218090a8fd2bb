"""Files Gaffe writes for a user (the terminal's progress chart, its `/mesdonnees` export): readable by that
user's account only, and found again by the erasure, even after a restart.

Why it is shaped this way:
- each user's files live in a folder of their own, named by a hash of their id (no id in a path), under a root
  folder; `/oublie` (and retention) removes that folder whole, so every file Gaffe ever wrote for the user goes,
  whatever its name, without a list of files to keep anywhere;
- folders Gaffe creates are 0700 and files 0600 (the export holds everything Gaffe knows about the user). A
  root folder that already existed keeps its mode: Gaffe never changes a path it did not create;
- a file is written under a temporary name, then renamed: a half-written export never replaces a whole one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger("gaffe.files")
FOLDER_MODE, FILE_MODE = 0o700, 0o600


def folder_for(root: Path, user_id: int) -> Path:
    """The user's own folder under `root` (it may not exist yet)."""
    return root / hashlib.sha256(f"gaffe-user-{user_id}".encode()).hexdigest()[:16]


def write(root: Path, user_id: int, filename: str, data: bytes) -> Path:
    """Write one of the user's files (0600, in their 0700 folder); its path."""
    folder = folder_for(root, user_id)
    root.mkdir(mode=FOLDER_MODE, exist_ok=True)  # exist_ok: an existing folder is left as it is
    folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
    path = folder / Path(filename).name  # a name, never a path that leads elsewhere
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return path


def erase(root: Path, user_id: int) -> None:
    """Remove every file Gaffe wrote for the user: their folder, whole (nothing if there is none)."""
    try:
        shutil.rmtree(folder_for(root, user_id))
    except FileNotFoundError:
        pass
    except OSError as error:  # said, not hidden: the erasure promised these files would go
        log.error("could not remove the files of an erased user in %s: %s", root, error)
