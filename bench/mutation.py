"""Mutation testing with mutmut: the share of mutants the tests kill, per module.

Why: a test suite that passes says nothing about what it would catch. mutmut changes the code one small
thing at a time (a comparison flipped, a constant moved, a call dropped) and runs the tests that cover
the changed function; a mutant the tests still pass on ("survived") is a behaviour no test pins.

Each module runs in its own scratch copy of the repository (mutants/bench/<module>/, git-ignored) whose
pyproject's [tool.mutmut] mutates that one file and selects only the tests that cover it, so a module takes
minutes instead of the hours a whole run takes on 2 cores. Prints a table; no pass/fail.

    pip install -e ".[bench]"                           # mutmut (not in the `test` extra: CI stays short)
    python -m bench.mutation --list                     # the modules and their tests
    python -m bench.mutation scheduler rate_limit       # some modules (name, or a prefix: core, features)
    python -m bench.mutation --survivors scheduler      # and show each surviving mutant's diff
    python -m bench.mutation --report                   # the figures of the modules run last, again
    python -m bench.mutation --resume core.sensitive    # again in its scratch copy: only what changed (below)
    python -m bench.mutation                            # every module: hours on 2 busy cores

`--resume` refreshes the module's scratch copy from the repository (bot/, tests/, dialogues/, locales/, bench/, the
pyproject's [tool.mutmut]) without deleting mutmut's mutants and verdicts (mutants/<file>.meta), then runs mutmut
there twice: once as is, then once with the names of the mutants that had survived or had no test before. What mutmut
3.8.1 does (read in its __main__.py), and why the second run:
- It keeps a verdict until the mutant's function changes: `create_mutants_for_file` regenerates a file whose copy is
  newer than its mutants, hashes each function, and resets the verdicts of the changed functions' mutants only
  (`refresh` dates the copy now when its content changed). A stopped run resumes where it was: unchecked mutants run.
- Tests that changed do NOT reset anything: a mutant that survived stays "survived" (`_run` skips every mutant with
  a verdict unless it is named on the command line), and a new test is only traced to the functions it calls when
  its name is new. A changed selection of test files (pytest_add_cli_args_test_selection) resets every verdict.
  Hence the second run, by name: the survivors and the "no tests" of before, with the current tests (not those of
  functions that just changed, which the first run checked).
- Its map of which test calls which function (mutants/mutmut-stats.json) is only extended for tests new by name:
  a function added to the code would read "no tests". `refresh` deletes that map, so mutmut traces every selected
  test again (a minute), and verdicts are kept (only the config fingerprint's change resets them).
Each mutant's tests run fastest first (FASTEST_FIRST, a conftest.py in the scratch copy): with -x, a quick test that
fails ends the run before a slow one starts. Modules in WARMED import their tests once per run, not per mutant.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "mutants" / "bench"
COPIED = ("bot", "dialogues", "locales", "tests", "bench", "pyproject.toml", "babel.cfg")

# Module -> (file mutated, the tests that cover it). The lists are the tests that import or drive the module
# directly: a mutant they miss is a gap in them, even if some slower end-to-end test would catch it.
MODULES: dict[str, tuple[str, list[str]]] = {
    "core.actions": (
        "bot/core/actions.py",
        ["test_registry.py", "test_engine.py", "test_check.py", "test_service.py", "test_privacy.py"],
    ),
    "core.dialogue": (
        "bot/core/dialogue.py",
        ["test_dialogue.py", "test_engine.py", "test_check.py", "test_scoring.py"],
    ),
    "core.engine": (
        "bot/core/engine.py",
        [
            "test_engine.py",
            "test_engine_hooks.py",
            "test_engine_paths.py",
            "test_scoring.py",
            "test_suspend.py",
            "test_sensitive.py",
            "test_routing.py",
            "test_profile.py",
        ],
    ),
    "core.html_text": ("bot/core/html_text.py", ["test_html_text.py", "test_render.py", "test_check.py"]),
    "core.i18n": ("bot/core/i18n.py", ["test_i18n.py", "test_render.py", "test_i18n_extract.py", "test_check.py"]),
    "core.render": ("bot/core/render.py", ["test_render_outputs.py", "test_render.py", "test_conversations.py"]),
    "core.routing": ("bot/core/routing.py", ["test_routing.py"]),
    "core.sensitive": (
        "bot/core/sensitive.py",
        ["test_sensitive.py", "test_secret_corpus.py", "test_sensitive_mutants.py"],
    ),
    "features.breaches": ("bot/features/breaches.py", ["test_breaches.py"]),
    "features.privacy": (
        "bot/features/privacy.py",
        ["test_privacy.py", "test_profile.py", "test_feature_example.py"],
    ),
    "features.progress": ("bot/features/progress.py", ["test_progress.py"]),
    "features.reminders": ("bot/features/reminders.py", ["test_reminders.py", "test_reminder_claims.py"]),
    "features.stalkerware": ("bot/features/stalkerware.py", ["test_stalkerware_lookup.py"]),
    "storage": (
        "bot/storage.py",
        [
            "test_storage.py",
            "test_store_open.py",  # its start-up checks in process (test_startup.py runs them as real processes)
            "test_storage_unavailable.py",
            "test_background_writes.py",
            "test_round_trips.py",  # the quick check in the background, the acknowledgements in one write
            "test_backup.py",
            "test_suspend.py",
            "test_service.py",
            "test_faults.py",
        ],
    ),
    "service": (
        "bot/service.py",
        # test_faults.py: "try again" when a step can't be saved; test_privacy.py: the flood guard, the length cut
        ["test_service.py", "test_round_trips.py", "test_faults.py", "test_privacy.py"],
    ),
    "scheduler": (
        "bot/scheduler.py",
        [
            "test_reminders.py",
            "test_feature_example.py",
            "test_breaches.py",
            "test_privacy.py",
            "test_background_writes.py",
        ],
    ),
    "buttons": ("bot/adapters/buttons.py", ["test_buttons.py"]),
    # Not test_rate_limit.py: real HTTP against the fake Bot API, 35 s per mutant (an hour for the module).
    "rate_limit": ("bot/adapters/rate_limit.py", ["test_rate_limit_rules.py"]),
}

PATIENCE = "10"  # seconds: see `mutmut_run`

# Modules whose functions do nothing at import that a test could see mutated: their mutants' tests may run in
# children forked after the tests are collected (mutmut's "collect" warm-up), several times faster. Not the features,
# which register their actions at import. core.sensitive's `_words` (its only mutant checked with fresh imports) and
# `_fold` build constants at import: warmed, those are built by the original code and only later calls are mutated.
WARMED = ("core.sensitive",)

# A conftest.py for the scratch copy: each mutant's tests run fastest first, by mutmut's own timings (its
# mutmut-stats.json, in the folder the tests run in), so that with -x a quick test that fails ends the run before a
# slow one starts (core.sensitive's corpus test takes 4 s of the 5 its 360 tests take, and reads every function).
FASTEST_FIRST = '''"""Written by bench/mutation.py: each mutant's tests run fastest first (mutmut's timings)."""

import json
from pathlib import Path

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    try:
        durations = json.loads(Path("mutmut-stats.json").read_text(encoding="utf-8"))["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return  # while mutmut times them
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))
'''

STATUS_LINE = re.compile(r"^\s+(\S+): (.+)$")


def selected(names: list[str]) -> list[str]:
    """Module names from exact names or prefixes ("core" selects every core module)."""
    if not names:
        return list(MODULES)
    chosen: list[str] = []
    for name in names:
        matches = [m for m in MODULES if m == name or m.startswith(name + ".") or m.endswith("." + name)]
        if not matches:
            raise SystemExit(f"unknown module {name!r}; see --list")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def mutmut_section(source: str, tests: list[str], warmed: bool) -> str:
    """The [tool.mutmut] of a scratch copy: the repository's, with one file mutated and its own tests selected."""
    quoted = ", ".join(f'"tests/{test}"' for test in tests)
    return (
        "[tool.mutmut]\n"
        'source_paths = ["bot/"]\n'
        f'only_mutate = ["{source}"]\n'
        # babel.cfg: pybabel extract's test; conftest.py: FASTEST_FIRST
        'also_copy = ["dialogues/", "locales/", "bench/", "babel.cfg", "conftest.py"]\n'
        'pytest_add_cli_args = ["-q", "-x", "-p", "no:cacheprovider"]\n'
        'process_isolation = "forkserver"\n'  # fresh imports: registrations run mutated (see pyproject.toml)
        f'forkserver_warmup = "{"collect" if warmed else "none"}"\n'
        f"pytest_add_cli_args_test_selection = [{quoted}]\n"
    )


def prepare(module: str) -> Path:
    """A fresh scratch copy of the repository whose mutmut configuration covers `module` only."""
    scratch = SCRATCH / module
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    copy_repository(module, scratch)
    return scratch


def refresh(module: str) -> Path:
    """The module's scratch copy brought up to date with the repository, mutmut's mutants and verdicts kept.

    The mutated file keeps its own modification time when unchanged (mutmut then keeps its mutants) and is
    dated now when changed, so that mutmut regenerates it even if the repository's copy is older than its
    mutants. mutmut's map of which test calls which function (mutants/mutmut-stats.json) is dropped: mutmut
    collects it again from every selected test, so a new function or a new test is mapped too (without it,
    only tests new by name are traced, and a new function's mutants would read "no tests")."""
    source = MODULES[module][0]
    scratch = SCRATCH / module
    if not (scratch / "mutants").is_dir():
        raise SystemExit(f"{module}: no scratch copy to resume ({scratch}); run it without --resume first")
    before = (scratch / source).read_bytes() if (scratch / source).exists() else b""
    for name in COPIED:
        if (scratch / name).is_dir():
            shutil.rmtree(scratch / name)
    copy_repository(module, scratch)
    if (scratch / source).read_bytes() != before:
        os.utime(scratch / source)  # now: newer than its mutants, so mutmut reads it again
    (scratch / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    return scratch


def copy_repository(module: str, scratch: Path) -> None:
    """The repository's code, tests and data into `scratch` (modification times kept), and a pyproject whose
    [tool.mutmut] mutates the module's file only and selects its tests."""
    source, tests = MODULES[module]
    for name in COPIED:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, scratch / name, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3*"))
        else:
            shutil.copy2(origin, scratch / name)
    pyproject = (scratch / "pyproject.toml").read_text(encoding="utf-8")
    pyproject = re.sub(r"\[tool\.mutmut\]\n(?:(?!\n\[).)*\n", "", pyproject, flags=re.S)
    present = [test for test in tests if (scratch / "tests" / test).exists()]
    (scratch / "conftest.py").write_text(FASTEST_FIRST, encoding="utf-8")
    section = mutmut_section(source, present, module in WARMED)
    (scratch / "pyproject.toml").write_text(pyproject + "\n" + section, encoding="utf-8")


def run(module: str, children: int, timeout: float, resume: bool = False) -> tuple[Counter[str], list[str], float]:
    """Run mutmut on one module; the count per status, the surviving mutants' names, and the seconds taken.

    `resume`: in the module's scratch copy as it is (see `refresh`): the mutants never checked, or whose function
    changed, are run; then the ones that had survived or had no test before, which mutmut would not run again
    (it keeps a verdict until the mutant's function changes), are run by name with the current tests."""
    if resume:
        earlier, hashes = verdicts(module), function_hashes(module)
        scratch = refresh(module)
    else:
        scratch = prepare(module)
    started = time.monotonic()
    with open(scratch / "mutmut.log", "a" if resume else "w", encoding="utf-8") as log:
        finished = mutmut_run(module, children, timeout, log)
        if resume and finished:
            kept = function_hashes(module)
            again = [
                name
                for name, status in verdicts(module).items()
                if status in RUN_AGAIN
                and earlier.get(name) in RUN_AGAIN
                and hashes.get(function_of(name)) == kept.get(function_of(name))  # not just run: unchanged
            ]
            if again:
                print(f"{module}: {len(again)} survivors and mutants with no test run again", flush=True)
                mutmut_run(module, children, timeout - (time.monotonic() - started), log, again)
    took = time.monotonic() - started
    statuses, survivors = read_results(module)
    return statuses, survivors, took


RUN_AGAIN = ("survived", "no tests")


def mutmut_run(module: str, children: int, timeout: float, log: TextIO, names: Sequence[str] = ()) -> bool:
    """`mutmut run` in the module's scratch copy (only the mutants `names`, if given); False if stopped for time."""
    log.write(f"\n$ mutmut run {' '.join(names)}\n")
    log.flush()
    try:
        subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *names],
            cwd=SCRATCH / module,
            # A mutant that never releases a lock or never retries fails on the tests' deadline
            # (tests/support/patience.py): a minute by default, 10 s here; a correct build waits milliseconds on it.
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "GAFFE_TEST_PATIENCE": PATIENCE},
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=max(timeout, 1),
            check=False,
        )
    except subprocess.TimeoutExpired:
        print(f"{module}: stopped after {timeout:.0f} s; the figures count the mutants checked so far")
        return False
    return True


def function_of(mutant: str) -> str:
    """The function a mutant changes: "x__kind_of" for "bot.core.sensitive.x__kind_of__mutmut_27"."""
    return mutant.rpartition(".")[2].rpartition("__mutmut_")[0]


def function_hashes(module: str) -> dict[str, str]:
    """mutmut's hash of each function of the module's file, as of its last mutation."""
    meta = SCRATCH / module / "mutants" / (MODULES[module][0] + ".meta")
    return json.loads(meta.read_text(encoding="utf-8"))["hash_by_function_name"] if meta.exists() else {}


def verdicts(module: str) -> dict[str, str]:
    """Each mutant's status in the module's scratch copy."""
    results = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=SCRATCH / module,
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        match.group(1): match.group(2) for line in results.stdout.splitlines() if (match := STATUS_LINE.match(line))
    }


def read_results(module: str) -> tuple[Counter[str], list[str]]:
    """The status of each mutant of the module's last run (its scratch copy), and the surviving ones' names."""
    statuses = verdicts(module)
    return Counter(statuses.values()), [name for name, status in statuses.items() if status == "survived"]


def show(module: str, mutant: str) -> str:
    shown = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", mutant],
        cwd=SCRATCH / module,
        capture_output=True,
        text=True,
        check=False,
    )
    return shown.stdout


def killed_share(statuses: Counter[str], reached_only: bool = False) -> float | None:
    """Killed (by a failing test or a timeout) over the mutants checked, or over those the selected tests
    reach at all (`reached_only`: "no tests" left out, code only other, slower tests run); None when none."""
    left_out = ("not checked", "skipped", "no tests") if reached_only else ("not checked", "skipped")
    checked = sum(n for status, n in statuses.items() if status not in left_out)
    killed = statuses["killed"] + statuses["timeout"]
    return killed / checked if checked else None


def share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="module names or prefixes (default: all)")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    parser.add_argument("--survivors", action="store_true", help="print each surviving mutant's diff")
    parser.add_argument("--report", action="store_true", help="print the last run's figures, run nothing")
    parser.add_argument("--children", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per module before stopping")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="in the module's scratch copy as it is: run what is unchecked or changed, then the survivors again",
    )
    args = parser.parse_args()
    if args.list:
        for name, (source, tests) in MODULES.items():
            print(f"{name:22} {source:32} {' '.join(tests)}")
        return
    rows = []
    for module in selected(args.modules):
        if args.report:
            if not (SCRATCH / module).is_dir():
                continue
            (statuses, survivors), took = read_results(module), 0.0
        else:
            statuses, survivors, took = run(module, args.children, args.timeout, args.resume)
        rows.append((module, statuses))
        if not args.report:
            print(f"{module}: {share(killed_share(statuses))} killed {dict(statuses)} in {took:.0f} s", flush=True)
        if killed_share(statuses) is None:
            print(f"  mutmut checked nothing: see {SCRATCH / module / 'mutmut.log'} (run the module again)")
        if args.survivors:
            for mutant in survivors:
                print(show(module, mutant))
    header = ("module", "mutants", "killed", "survived", "timeout", "no tests", "killed", "of reached")
    print("\n{:22} {:>7} {:>6} {:>8} {:>7} {:>8} {:>7} {:>10}".format(*header))
    total: Counter[str] = sum((statuses for _, statuses in rows), Counter())
    for module, statuses in [*rows, ("all of the above", total)] if len(rows) > 1 else rows:
        print(
            f"{module:22} {sum(statuses.values()):7} {statuses['killed']:6} {statuses['survived']:8} "
            f"{statuses['timeout']:7} {statuses['no tests']:8} {share(killed_share(statuses)):>7} "
            f"{share(killed_share(statuses, reached_only=True)):>10}"
        )


if __name__ == "__main__":
    main()
