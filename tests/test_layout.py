"""How tests and benchmarks share code, kept: the tests never import bench/ (what both need lives in
tests/support), and no bench edits `sys.path` (they run from the root as modules, `python -m bench.crash`,
and import `bot` and `tests.support` as packages)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from tests.support.paths import ROOT

BY_PATH = ("spec_from_file_location", "run_path", "SourceFileLoader")  # a module loaded from its file
PATH_EDIT = re.compile(r"sys\.path\s*(\.\s*(insert|append|extend)\b|\[|\+?=)")  # also in a child process's source


def bench_imports(folder: Path) -> list[str]:
    """Every import of bench, or load of a file by path, in the Python files under `folder`, as file:line."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            loads_a_file = isinstance(node, ast.Attribute) and node.attr in BY_PATH  # how bench/ was reached before
            if loads_a_file or any(name == "bench" or name.startswith("bench.") for name in names):
                found.append(f"{path.relative_to(folder)}:{node.lineno}")  # type: ignore[attr-defined]
    return sorted(found, key=lambda place: (place.split(":")[0], int(place.split(":")[1])))


def path_edits(folder: Path) -> list[str]:
    """Every use of `sys.path` in the code, and every edit of it in a string (a child process's script), as
    file:line."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            used = isinstance(node, ast.Attribute) and node.attr == "path"
            used = used and isinstance(node.value, ast.Name) and node.value.id == "sys"  # type: ignore[attr-defined]
            written = isinstance(node, ast.Constant) and isinstance(node.value, str) and PATH_EDIT.search(node.value)
            if used or written:
                found.append(f"{path.relative_to(folder)}:{node.lineno}")
    return sorted(found, key=lambda place: (place.split(":")[0], int(place.split(":")[1])))


def test_no_test_imports_bench() -> None:
    assert bench_imports(ROOT / "tests") == []


def test_no_bench_edits_sys_path() -> None:
    assert path_edits(ROOT / "bench") == []


def test_the_checks_see_what_they_forbid(tmp_path: Path) -> None:
    """Both checks can fail: a planted import of bench, load by path and sys.path edit are each found."""
    (tmp_path / "test_planted.py").write_text(
        "import importlib.util\nimport bench.crash\nfrom bench import fuzz\n"
        "spec = importlib.util.spec_from_file_location('x', 'bench/x.py')\n",
        encoding="utf-8",
    )
    (tmp_path / "planted.py").write_text(
        "import sys\nsys.path.insert(0, 'tests')\nCHILD = '''\nimport sys\nsys.path[:0] = ['.']\n'''\n",
        encoding="utf-8",
    )
    assert bench_imports(tmp_path) == ["test_planted.py:2", "test_planted.py:3", "test_planted.py:4"]
    assert path_edits(tmp_path) == ["planted.py:2", "planted.py:3"]


def test_every_bench_imports_as_a_module_from_the_root() -> None:
    """What `python -m bench.<name>` does first: import it, with the root as the only way to `bot` and `tests`
    (and no bench runs its measure on import)."""
    names = sorted(path.stem for path in (ROOT / "bench").glob("*.py") if path.stem != "__init__")
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module('bench.' + name)\n"
    done = subprocess.run([sys.executable, "-c", script, *names], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(names) >= 14
