"""The layers of `bot/` are a rule with a check: no module imports a layer above its own, and no feature imports
another feature or the service.

The layers, from the bottom (docs/writing.md, "The code's layout"); a module may import its own layer and the
ones below:

0. **core**: `bot.core` (pure: the engine, the content model, the registry, the feature manifest), and the
   leaves that import nothing of Gaffe and that any layer may use: `bot.errors`, `bot.assets` (data files);
1. **content**: `bot.content` (the content loader: files → the content model, which the service and `check` use);
2. **authoring, lookups**: `bot.authoring` (the writers' tools, `check`), `bot.lookups` (the public data sets);
3. **features**: `bot.features` (each feature: a module that exports its manifest), and `bot.user_files` (the
   terminal's per-user folder, which the privacy feature erases);
4. **service**: `bot.service`, `bot.scheduler`, `bot.storage`, and what runs with them: `bot.config`,
   `bot.limits`, `bot.backup`, `bot.logs`;
5. **assembly**: `bot.app` (the list of features, and Gaffe assembled from it);
6. **adapters**: `bot.adapters` (Telegram, the terminal);
7. **entry**: `bot.__main__` (the command line), and the `bot` package itself.

Besides, a feature (`bot.features.<name>`) imports no other feature and not the service: what its scheduled jobs
need of the running service is the core's narrow `Jobs` context, and what it tells another feature is an effect
named in the core (bot/core/events.py). Only `bot.app` imports the features (the list of features).

Every import counts, including those under `if TYPE_CHECKING:` and inside functions: a type or a lazy import
is a dependency all the same. There is no exception. `.ci/run` runs this file as a step of its own
(`python tests/test_layers.py`, which prints what it finds), besides the suite.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.core", "bot.errors", "bot.assets"),
    ("bot.content",),
    ("bot.authoring", "bot.lookups"),
    ("bot.features", "bot.user_files"),
    ("bot.service", "bot.scheduler", "bot.storage", "bot.config", "bot.limits", "bot.backup", "bot.logs"),
    ("bot.app",),
    ("bot.adapters",),
    ("bot.__main__", "bot"),
)
FEATURES = "bot.features"
ASSEMBLY = "bot.app"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path, known: set[str]) -> set[str]:
    """The `bot` modules a file imports (`from bot import user_files` is bot.user_files), anywhere in it."""
    found: set[str] = set()
    package = module_name(path, root).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importer's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def layer_of(module: str) -> int:
    """The layer of a module: the one whose entry is its longest prefix (bot.core.engine is in bot.core's)."""
    best: tuple[int, int] | None = None
    for index, entries in enumerate(LAYERS):
        for entry in entries:
            if (module == entry or module.startswith(entry + ".")) and (best is None or len(entry) > best[1]):
                best = (index, len(entry))
    if best is None:
        raise LookupError(f"{module} is in no layer: place it in LAYERS (tests/test_layers.py, docs/writing.md)")
    return best[0]


def feature_of(module: str) -> str | None:
    """`bot.features.breaches` for a feature's module (and its submodules); None for the package itself."""
    parts = module.split(".")
    return ".".join(parts[:3]) if module.startswith(FEATURES + ".") else None


def violations(root: Path) -> dict[tuple[str, str], str]:
    """Every import that breaks the rule in the package tree under `root` (which holds `bot/`)."""
    paths = sorted((root / "bot").rglob("*.py"))
    known = {module_name(path, root) for path in paths}
    found: dict[tuple[str, str], str] = {}
    for path in paths:
        importer = module_name(path, root)
        for imported in imports_of(path, root, known):
            if layer_of(imported) > layer_of(importer):
                found[(importer, imported)] = "imports a higher layer"
            elif (own := feature_of(importer)) is not None and (
                (feature_of(imported) not in (None, own)) or imported == FEATURES
            ):
                found[(importer, imported)] = "a feature imports another feature"
            elif feature_of(imported) is not None and layer_of(importer) < layer_of(ASSEMBLY) and own is None:
                found[(importer, imported)] = "only the assembly (bot.app) names the features"
            elif feature_of(importer) is not None and layer_of(imported) >= layer_of("bot.service"):
                found[(importer, imported)] = "a feature imports the service"
    return found


def test_no_upward_import() -> None:
    assert violations(ROOT) == {}, "bot/ breaks its layers (docs/writing.md, 'The code's layout'); fix the import"


def test_every_module_has_a_layer() -> None:
    for path in (ROOT / "bot").rglob("*.py"):
        layer_of(module_name(path, ROOT))


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"bot/__init__.py": "", "bot/core/__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


PLANTED = {
    "core imports the service": (
        {"bot/core/engine.py": "from bot.service import Gaffe\n", "bot/service.py": ""},
        ("bot.core.engine", "bot.service"),
    ),
    "core imports a feature, lazily": (
        {"bot/core/engine.py": "def f():\n    import bot.features.reminders\n", "bot/features/reminders.py": ""},
        ("bot.core.engine", "bot.features.reminders"),
    ),
    "a type-only import from the adapters": (
        {
            "bot/service.py": "import typing\nif typing.TYPE_CHECKING:\n    from bot.adapters import telegram\n",
            "bot/adapters/__init__.py": "",
            "bot/adapters/telegram.py": "",
        },
        ("bot.service", "bot.adapters.telegram"),
    ),
    "a feature imports another feature": (
        {"bot/features/a.py": "from bot.features.b import x\n", "bot/features/b.py": "x = 1\n"},
        ("bot.features.a", "bot.features.b"),
    ),
    "the service names a feature": (
        {"bot/service.py": "from bot.features import reminders\n", "bot/features/reminders.py": ""},
        ("bot.service", "bot.features.reminders"),
    ),
    "a relative upward import": (
        {"bot/lookups/__init__.py": "", "bot/lookups/x.py": "from ..adapters import console\n",
         "bot/adapters/__init__.py": "", "bot/adapters/console.py": ""},
        ("bot.lookups.x", "bot.adapters.console"),
    ),
}  # fmt: skip


@pytest.mark.parametrize(("files", "pair"), PLANTED.values(), ids=PLANTED.keys())
def test_a_planted_upward_import_is_found(files: dict[str, str], pair: tuple[str, str], tmp_path: Path) -> None:
    assert pair in violations(plant(tmp_path, files))


def test_a_planted_upward_import_in_a_copy_of_bot_is_found(tmp_path: Path) -> None:
    """The real tree, copied, with one line added to a core module: the contract names exactly that import."""
    shutil.copytree(ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__", "assets"))
    assert violations(tmp_path) == {}
    engine = tmp_path / "bot" / "core" / "engine.py"
    engine.write_text(engine.read_text(encoding="utf-8") + "\nimport bot.service  # planted\n", encoding="utf-8")
    assert violations(tmp_path) == {("bot.core.engine", "bot.service"): "imports a higher layer"}
    checker = subprocess.run(
        [sys.executable, __file__, str(tmp_path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert checker.returncode == 1 and "bot.core.engine -> bot.service: imports a higher layer" in checker.stdout


def test_downward_imports_and_the_feature_list_pass(tmp_path: Path) -> None:
    files = {
        "bot/adapters/__init__.py": "",
        "bot/adapters/console.py": "from bot.service import Gaffe\nfrom bot.core import engine\n",
        "bot/app.py": "from bot.features import reminders, breaches\nfrom bot.service import Gaffe\n",
        "bot/service.py": "from bot.core import engine\n",
        "bot/features/__init__.py": "",
        "bot/features/reminders.py": "from bot.core.engine import Notice\n",
        "bot/features/breaches.py": "from bot.lookups import breaches\n",
        "bot/lookups/__init__.py": "",
        "bot/lookups/breaches.py": "",
        "bot/core/engine.py": "from bot.errors import GaffeError\n",
        "bot/errors.py": "",
    }
    assert violations(plant(tmp_path, files)) == {}


def main(root: Path) -> int:
    """Print every import of the tree under `root` that breaks the layers; 1 if there is any."""
    found = violations(root)
    for (importer, imported), why in sorted(found.items()):
        print(f"{importer} -> {imported}: {why}")
    print(f"{len(found)} upward imports" if found else "the layers hold")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT))
