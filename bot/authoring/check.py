"""`python -m bot check`: the content loader's problems, and the writers' diagnostics on top, or "all good".

Every problem is one line, `file:line: message`, so that `check` and a refused start-up point a writer at the
exact place to fix. Reading the content (each file's structure against the JSON Schemas in `dialogues/`, links,
translations, Telegram's limits) is the loader's, which the running service uses too (bot/content/loader.py);
this adds what a running Gaffe can do without but a writer should fix: dead content (nodes no path reaches,
advice no answer recommends) and routes whose source is a home page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from bot.content.loader import (
    MAX_CONTENT_BYTES,
    ContentError,
    Problem,
    Reading,
    read_content,
    targets,
)
from bot.content.yaml_lines import YamlMap, line_at
from bot.core.actions import Registry
from bot.core.dialogue import Content, Dialogue

__all__ = ["MAX_CONTENT_BYTES", "ContentError", "Problem", "check_content", "load_content"]

# A source that is a site's home page (or a language's), not the page that says it: "/", "/fr/", "/en-gb".
HOME_PAGE_PATH = re.compile(r"/*([a-z]{2}([-_][a-z]{2})?/*)?(index\.\w+)?", re.IGNORECASE)


def check_content(dialogues_dir: Path, locales_dir: Path, registry: Registry) -> tuple[Content | None, list[Problem]]:
    """Check everything; return the built content (None when there is any problem) and the problems.

    `registry` holds the actions dialogues may name: the features' (bot/app.py's `check_content` gives it)."""
    reading = read_content(dialogues_dir, locales_dir, registry)
    found = [*reading.problems, *_unreachable(reading), *_home_pages(reading), *_advice_unreached(reading)]
    problems = sorted(set(found)) or reading.missing
    return (None, problems) if problems else (reading.content, [])


def load_content(dialogues_dir: Path, locales_dir: Path, registry: Registry) -> Content:
    """The content, or ContentError naming every problem `check` finds."""
    content, problems = check_content(dialogues_dir, locales_dir, registry)
    if content is None:
        raise ContentError(problems)
    return content


def _unreachable(reading: Reading) -> Iterable[Problem]:
    """Nodes no path from the dialogue's start reaches. A broken goto (or start) cuts off the nodes it was meant
    to lead to: reporting them too would bury the one real error under lines it causes, so reachability is
    judged only once every goto resolves."""
    for file, dialogue in reading.built:
        if not _links_resolve(dialogue):
            continue
        reachable = _reachable(dialogue)
        for node_id in dialogue.nodes:
            if node_id not in reachable:
                where = line_at(file.document, ["nodes", node_id])
                yield Problem(file.name, where, f"node '{node_id}' is unreachable from '{dialogue.start}'")


def _home_pages(reading: Reading) -> Iterable[Problem]:
    """Each route of the regions file names the page that says it, not a site's home page."""
    for file in reading.files["regions"][:1]:
        regions: YamlMap = file.document["regions"]
        for region_id, region in regions.items():
            for key, route in region["routes"].items():
                source = urlsplit(route["source"])
                if HOME_PAGE_PATH.fullmatch(source.path) and not source.query:  # `/?p=15121` is a page, `/fr/` not
                    where = line_at(file.document, ["regions", region_id, "routes", key, "source"])
                    yield Problem(
                        file.name, where, f"region '{region_id}', route '{key}': the source is a home page; "
                        "give the page that says it"
                    )  # fmt: skip


def _advice_unreached(reading: Reading) -> Iterable[Problem]:
    """An action no reachable answer recommends is dead content: nobody would ever see it. Judged only
    once every link resolves (a broken goto would make whatever lies behind it look unreachable)."""
    dialogues = [dialogue for _, dialogue in reading.built]
    if not dialogues or not all(_links_resolve(dialogue) for dialogue in dialogues):
        return
    reached: set[str] = set()
    for dialogue in dialogues:
        reachable = _reachable(dialogue)
        for node in dialogue.nodes.values():
            if node.id in reachable:
                reached.update(a for choice in node.choices for a in choice.advice)
    for file in reading.files["advice"]:
        for item_id in file.document["advice"]:
            if item_id not in reached:
                where = line_at(file.document, ["advice", item_id])
                yield Problem(file.name, where, f"advice '{item_id}' is recommended by no answer any dialogue reaches")


def _links_resolve(dialogue: Dialogue) -> bool:
    gotos = [goto for node in dialogue.nodes.values() for goto, _ in targets(node) if goto]
    return dialogue.start in dialogue.nodes and all(goto in dialogue.nodes for goto in gotos)


def _reachable(dialogue: Dialogue) -> set[str]:
    seen: set[str] = set()
    pending = [dialogue.start]
    while pending:
        node_id = pending.pop()
        if node_id in seen or node_id not in dialogue.nodes:
            continue
        seen.add(node_id)
        pending.extend(goto for goto, _ in targets(dialogue.nodes[node_id]) if goto)
    return seen
