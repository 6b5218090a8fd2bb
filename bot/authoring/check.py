"""Validate the content (dialogues, advice, messages, translations) and build it, or say what is wrong.

Every problem is one line, `file:line: message`, so that `python -m bot check` and a refused start-up
point a writer at the exact place to fix. The structure of each file is checked against the JSON
Schemas in `dialogues/` (the same ones editors use); the rest (links between nodes, reachability,
translations, Telegram's limits) is checked here.
"""

from __future__ import annotations

import json
import os
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from babel.messages.catalog import Catalog
from jsonschema import Draft202012Validator, ValidationError

from bot.authoring.needed import needed_messages
from bot.authoring.paths import bundled
from bot.authoring.schema import with_actions
from bot.authoring.translatable import LIMITS, Translatable, translatable_strings
from bot.authoring.yaml_lines import YamlMap, line_at, load_yaml
from bot.core import html_text
from bot.core.actions import Registry
from bot.core.dialogue import (
    Content,
    Dialogue,
    Node,
    advice_id,
    build_advice,
    build_data_classes,
    build_dialogue,
    build_messages,
)
from bot.core.engine import NAME_MESSAGES, PUSHES_MESSAGES
from bot.core.i18n import po_path, read_catalog, translated
from bot.core.regions import OTHER, ROUTE_PLACEHOLDER, Regions, build_regions
from bot.core.routing import Route, build_routes

# A source that is a site's home page (or a language's), not the page that says it: "/", "/fr/", "/en-gb".
HOME_PAGE_PATH = re.compile(r"/*([a-z]{2}([-_][a-z]{2})?/*)?(index\.\w+)?", re.IGNORECASE)

SCHEMAS = {
    "dialogue": "dialogue.schema.json",
    "advice": "advice.schema.json",
    "messages": "messages.schema.json",
    "data_classes": "data_classes.schema.json",
    "regions": "regions.schema.json",  # routes by country, named in texts as {route.KEY} (bot/core/regions.py)
}
TOP_KEYS_EXPECTED = "expected a mapping with 'dialogue', 'advice', 'messages', 'data_classes' or 'regions' at the top"
MAX_CONTENT_BYTES = 1_000_000  # per content file (YAML, .po): far above any real one


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ContentError(Exception):
    """The content is invalid; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class _File:
    path: Path
    name: str
    kind: str
    document: YamlMap


@dataclass
class _Checker:
    dialogues_dir: Path
    english: Catalog
    registry: Registry
    problems: list[Problem] = field(default_factory=list)
    validators: dict[str, Draft202012Validator] = field(default_factory=dict)
    has_english: bool = True  # without a catalog, one line says so instead of one per string
    regions: Regions = field(default_factory=Regions)  # what {route.KEY}, set_profile and `country:` may name
    broken_kinds: set[str] = field(default_factory=set)  # kinds with a file too broken to build (not judged)

    def report(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _validator(checker: _Checker, kind: str) -> Draft202012Validator:
    """The schema beside the dialogues (where editors find it), else the checkout's own; for dialogues,
    with the registered actions in place of the reference to actions.schema.json."""
    if kind not in checker.validators:
        beside = checker.dialogues_dir / SCHEMAS[kind]
        schema = _load_schema(beside if beside.exists() else bundled("dialogues") / SCHEMAS[kind])
        if kind == "dialogue":
            schema = with_actions(schema, checker.registry)
        checker.validators[kind] = Draft202012Validator(schema)
    return checker.validators[kind]


@cache
def _load_schema(schema_path: Path) -> dict[str, Any]:
    return dict(json.loads(schema_path.read_text(encoding="utf-8")))


def _schema_message(error: ValidationError) -> tuple[list[Any], str]:
    """A short message for a schema error, and the path of the element it is about."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        unexpected = [k for k in error.instance if k not in error.schema.get("properties", {})]
        if unexpected:
            return [*path, unexpected[0]], f"unknown key '{unexpected[0]}'"
    if error.validator == "required":
        return path, error.message.replace("is a required property", "is missing")
    where = ".".join(str(p) for p in path) or "file"
    if error.validator == "pattern" and any(p in ("source", "sources") for p in path):
        return path, f"{where}: '{error.instance}' is not an https page: give the address of the page that says it"
    if error.validator in {"oneOf", "allOf", "not", "anyOf"}:
        return path, f"{where}: this combination of keys is not allowed (see docs/writing.md)"
    return path, f"{where}: {error.message}"


def _parse(checker: _Checker, path: Path) -> _File | None:
    name = _display(path)
    size = path.stat().st_size
    if size > MAX_CONTENT_BYTES:  # parsed with the safe loader; a huge file is a mistake or an attack (aliases)
        checker.report(name, 1, f"the file is {size:,} bytes; content files are at most {MAX_CONTENT_BYTES:,}")
        return None
    try:
        document, duplicates = load_yaml(path)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(error, "problem", None) or str(error)
        context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and context_mark and context_mark.line + 1 != line:  # e.g. where an unclosed quote opened
            reason += f" ({context} that starts on line {context_mark.line + 1})"
        checker.report(name, line, f"YAML syntax error: {reason}")
        return None
    for duplicate in duplicates:
        checker.report(name, duplicate.line, f"duplicate key '{duplicate.key}' (first on line {duplicate.first_line})")
    if not isinstance(document, YamlMap):
        checker.report(name, 1, TOP_KEYS_EXPECTED)
        return None
    kind = next((k for k in SCHEMAS if k in document), None)
    if kind is None:
        checker.report(name, 1, TOP_KEYS_EXPECTED)
        return None
    errors = sorted(_validator(checker, kind).iter_errors(document), key=lambda e: list(e.absolute_path))
    for schema_error in errors:
        error_path, message = _schema_message(schema_error)
        checker.report(name, line_at(document, error_path), _about_actions(checker, error_path, message))
    if errors or duplicates:
        checker.broken_kinds.add(kind)
        return None
    return _File(path, name, kind, document)


def _about_actions(checker: _Checker, path: list[Any], message: str) -> str:
    """Say which action a schema error under `do:` is about, and which actions exist."""
    if "do" not in path:
        return message
    rest = path[path.index("do") + 1 :]
    if len(rest) == 1 and message == f"unknown key '{rest[0]}'":  # the action's name itself is unknown
        known = ", ".join(sorted(checker.registry.actions)) or "none"
        return f"unknown action '{rest[0]}' (known: {known})"
    return f"action '{rest[0]}': {message}" if rest else message


def _placeholders(text: str) -> set[str] | None:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError:
        return None


def _targets(node: Node) -> Iterable[tuple[str | None, str | None]]:
    for choice in node.choices:
        yield choice.target.goto, choice.target.jump
    if node.target:
        yield node.target.goto, node.target.jump
    if node.country_picker:
        yield node.country_picker.goto, node.country_picker.jump
    for branch in node.branch:
        yield branch.target.goto, branch.target.jump


def _check_graph(
    checker: _Checker, file: _File, dialogue: Dialogue, dialogue_ids: set[str], advice_ids: set[str]
) -> None:
    nodes_raw: YamlMap = file.document["nodes"]

    def line(node_id: str, *path: Any) -> int:
        return line_at(file.document, ["nodes", node_id, *path])

    if dialogue.start not in dialogue.nodes:
        checker.report(file.name, file.document.line_of("start"), f"start node '{dialogue.start}' does not exist")
    for node in dialogue.nodes.values():
        raw = nodes_raw[node.id]
        for index, choice in enumerate(raw.get("choices") or ()):
            for position, entry in enumerate(choice.get("advice") or ()):
                if advice_id(entry) not in advice_ids:
                    where = line(node.id, "choices", index, "advice", position)
                    checker.report(file.name, where, f"unknown advice id '{advice_id(entry)}'")
        for path, key, value in _links(raw):
            if key == "goto" and value not in dialogue.nodes:
                checker.report(file.name, line(node.id, *path), f"goto to a missing node '{value}'")
            if key == "jump" and value not in dialogue_ids:
                checker.report(file.name, line(node.id, *path), f"jump to a missing dialogue '{value}'")
        _check_profile_names(checker, file, node.id, raw)
        if node.input is not None and node.input.save_as is None and not node.actions:
            checker.report(
                file.name, line(node.id, "input"), f"node '{node.id}' needs input.save_as or a do: to use the answer"
            )
        if node.input is not None and node.target is None:
            checker.report(file.name, line(node.id), f"node '{node.id}' asks for text but has no goto or jump")
        elif not (node.choices or node.country_picker or node.target or node.branch or node.end):
            checker.report(
                file.name, line(node.id), f"node '{node.id}' is a dead end: add choices, goto, jump or end: true"
            )
        if node.branch and node.branch[-1].when is not None:
            checker.report(
                file.name, line(node.id, "branch"), f"the branch of '{node.id}' needs a last entry without 'when'"
            )
        if node.input and node.input.pattern:
            try:
                re.compile(node.input.pattern)
            except re.error as error:
                checker.report(file.name, line(node.id, "input", "pattern"), f"invalid pattern: {error}")
    # A broken goto (or start) cuts off the nodes it was meant to lead to: reporting them too would bury
    # the one real error under lines it causes, so reachability is judged only once every goto resolves.
    reachable = _reachable(dialogue) if _links_resolve(dialogue) else set(dialogue.nodes)
    for node_id in dialogue.nodes:
        if node_id not in reachable:
            checker.report(file.name, line(node_id), f"node '{node_id}' is unreachable from '{dialogue.start}'")
    for node_id in _loops_without_question(dialogue):
        checker.report(file.name, line(node_id), f"node '{node_id}' loops forever without asking anything")


def _check_profile_names(checker: _Checker, file: _File, node_id: str, raw: YamlMap) -> None:
    """The region ids a node names (`set_profile: {country: X}`, `when: {country: [..]}`) exist."""
    if "regions" in checker.broken_kinds:  # its own problems are reported: the ids it has are not known
        return
    known = checker.regions.regions
    named: list[tuple[list[Any], str]] = []
    for index, choice in enumerate(raw.get("choices") or ()):
        country = (choice.get("set_profile") or {}).get("country")
        if country is not None:
            named.append((["choices", index, "set_profile", "country"], country))
    for index, entry in enumerate(raw.get("branch") or ()):
        for position, country in enumerate((entry.get("when") or {}).get("country") or ()):
            named.append((["branch", index, "when", "country", position], country))
    for path, country in named:
        if country not in known:
            where = line_at(file.document, ["nodes", node_id, *path])
            checker.report(file.name, where, f"unknown region '{country}' (known: {', '.join(known) or 'none'})")
    if "pick_country" in raw and not known:
        where = line_at(file.document, ["nodes", node_id, "pick_country"])
        checker.report(file.name, where, "pick_country needs the regions of dialogues/regions.yaml")


def _check_regions(checker: _Checker, files: list[_File]) -> None:
    """One regions file; every region gives every key, each route names the page that says it, and each region
    says when it was verified. A user who has not picked a country reads `other`: it must exist."""
    if len(files) > 1:
        for file in files[1:]:
            checker.report(file.name, 1, f"the regions are already in {files[0].name}: keep them in one file")
    if not files:
        return
    file = files[0]
    keys: YamlMap = file.document["keys"]
    regions: YamlMap = file.document["regions"]
    if OTHER not in regions:
        where = file.document.line_of("regions")
        checker.report(file.name, where, f"the region '{OTHER}' (another country, or not said) is missing")
    for region_id, region in regions.items():
        routes: YamlMap = region["routes"]
        for key in keys:
            if key not in routes:
                where = line_at(file.document, ["regions", region_id, "routes"])
                checker.report(file.name, where, f"region '{region_id}' lacks the route '{key}'")
        for key, route in routes.items():
            if key not in keys:
                where = line_at(file.document, ["regions", region_id, "routes", key])
                checker.report(file.name, where, f"region '{region_id}': unknown route key '{key}' (not in keys:)")
            source = urlsplit(route["source"])
            if HOME_PAGE_PATH.fullmatch(source.path) and not source.query:  # `/?p=15121` is a page, `/fr/` is not
                where = line_at(file.document, ["regions", region_id, "routes", key, "source"])
                checker.report(
                    file.name, where, f"region '{region_id}', route '{key}': the source is a home page; "
                    "give the page that says it"
                )  # fmt: skip
        try:
            date.fromisoformat(str(region["verified"]))
        except ValueError:
            where = line_at(file.document, ["regions", region_id, "verified"])
            checker.report(file.name, where, f"region '{region_id}': verified is not a date (YYYY-MM-DD)")


def _check_route_placeholders(checker: _Checker, name: str, item: Translatable) -> None:
    if "regions" in checker.broken_kinds:  # its own problems are reported: the keys it has are not known
        return
    for match in ROUTE_PLACEHOLDER.finditer(item.msgid):
        if match.group(1) not in checker.regions.keys:
            known = ", ".join(checker.regions.keys) or "none: dialogues/regions.yaml is missing"
            key, written = match.group(1), match.group(0)
            checker.report(name, item.line, f"unknown route key '{key}' in {written} (known: {known})")


def _links_resolve(dialogue: Dialogue) -> bool:
    gotos = [goto for node in dialogue.nodes.values() for goto, _ in _targets(node) if goto]
    return dialogue.start in dialogue.nodes and all(goto in dialogue.nodes for goto in gotos)


def _check_advice_reached(checker: _Checker, advice_files: list[_File], dialogues: Iterable[Dialogue]) -> None:
    """An action no reachable answer recommends is dead content: nobody would ever see it. Judged only
    once every link resolves (a broken goto would make whatever lies behind it look unreachable)."""
    dialogues = list(dialogues)
    if not all(_links_resolve(dialogue) for dialogue in dialogues):
        return
    reached: set[str] = set()
    for dialogue in dialogues:
        reachable = _reachable(dialogue)
        for node in dialogue.nodes.values():
            if node.id in reachable:
                reached.update(a for choice in node.choices for a in choice.advice)
    for file in advice_files:
        for item_id in file.document["advice"]:
            if item_id not in reached:
                where = line_at(file.document, ["advice", item_id])
                checker.report(file.name, where, f"advice '{item_id}' is recommended by no answer any dialogue reaches")


def _links(raw: YamlMap) -> Iterable[tuple[list[Any], str, str]]:
    """Every goto/jump of a raw node, with its path inside the node (for its line)."""
    for key in ("goto", "jump"):
        if key in raw:
            yield [key], key, raw[key]
        if key in (raw.get("pick_country") or {}):
            yield ["pick_country", key], key, raw["pick_country"][key]
    for group in ("choices", "branch"):
        for index, entry in enumerate(raw.get(group) or ()):
            for key in ("goto", "jump"):
                if key in entry:
                    yield [group, index, key], key, entry[key]


def _reachable(dialogue: Dialogue) -> set[str]:
    seen: set[str] = set()
    pending = [dialogue.start]
    while pending:
        node_id = pending.pop()
        if node_id in seen or node_id not in dialogue.nodes:
            continue
        seen.add(node_id)
        pending.extend(goto for goto, _ in _targets(dialogue.nodes[node_id]) if goto)
    return seen


def _loops_without_question(dialogue: Dialogue) -> list[str]:
    """Nodes on a cycle that never waits for the user: the engine would spin on them."""
    edges = {
        node.id: [goto for goto, _ in _targets(node) if goto in dialogue.nodes]
        for node in dialogue.nodes.values()
        if not node.waits
    }
    looping: list[str] = []
    for origin in edges:
        pending, seen = list(edges[origin]), set()
        while pending:
            node_id = pending.pop()
            if node_id == origin:
                looping.append(origin)
                break
            if node_id in seen or node_id not in edges:
                continue
            seen.add(node_id)
            pending.extend(edges[node_id])
    return looping


def _check_strings(checker: _Checker, file: _File, known: set[str] | None) -> None:
    for item in translatable_strings(file.document):
        _check_string(checker, file.name, item, known)


def _check_string(checker: _Checker, name: str, item: Translatable, known: set[str] | None) -> None:
    short = item.msgid if len(item.msgid) <= 50 else item.msgid[:47] + "..."
    sources = [item.msgid] + ([item.plural] if item.plural else [])
    source_fields = _placeholders(item.msgid)
    if source_fields is None:
        checker.report(name, item.line, f'unbalanced braces in "{short}" (write {{{{ or }}}} for a brace)')
        return
    _check_route_placeholders(checker, name, item)
    if known is not None:  # {route.…} placeholders are checked above, against the regions' keys
        for field_name in sorted({f for f in source_fields if not f.startswith("route.")} - known):
            checker.report(name, item.line, f'unknown placeholder {{{field_name}}} in "{short}"')
    translation = translated(checker.english, item.msgid)
    if translation is None:
        if checker.has_english:
            checker.report(name, item.line, f'no English translation for "{short}"')
        english: list[str] = []
    else:
        english = list(translation) if isinstance(translation, tuple) else [translation]
    for language, texts in (("French", sources), ("English", english)):
        for text in texts:
            if item.html and (why := html_text.problem(text)):
                checker.report(name, item.line, f'invalid Telegram HTML in the {language} text "{short}": {why}')
            length = len(html_text.strip(text)) if item.html else len(text)
            if length > LIMITS[item.kind]:
                limit = LIMITS[item.kind]
                checker.report(name, item.line, f"{item.kind} too long for Telegram in {language}: {length} > {limit}")
    if item.plural is not None:  # plural forms may differ (no {count} in "one"): compare them together
        source_fields |= _placeholders(item.plural) or set()
        english = ["".join(english)] if english else []
    for text in english:
        english_fields = _placeholders(text)
        if english_fields != source_fields:
            shown = ", ".join(sorted(f"{{{f}}}" for f in english_fields or ())) or "none"
            expected = ", ".join(sorted(f"{{{f}}}" for f in source_fields)) or "none"
            checker.report(
                name, item.line, f'placeholders differ in the English of "{short}": {shown} instead of {expected}'
            )


def _check_data_classes(checker: _Checker, file: _File, earlier: dict[str, str]) -> None:
    """Each French label names one data class: a shared msgid could only have one English translation."""
    labels = {label: name for name, label in earlier.items()}
    raw: YamlMap = file.document["data_classes"]
    for name, label in raw.items():
        if name in earlier:
            checker.report(file.name, raw.line_of(name), f"data class '{name}' is already labelled")
        elif label in labels:
            checker.report(file.name, raw.line_of(name), f"the label \"{label}\" is already used for '{labels[label]}'")
        labels.setdefault(label, name)


def _check_routes(checker: _Checker, built: list[tuple[_File, Dialogue]]) -> None:
    """Every route phrase has words, and each (language, phrase) opens one dialogue only."""
    claimed: dict[tuple[str, str, bool], tuple[str, str, int]] = {}  # -> dialogue, file, line
    for file, dialogue in built:
        declared = file.document.get("routes") or {}
        for language, phrases in declared.items():
            for index, phrase in enumerate(phrases):
                _claim(checker, claimed, file, Route(phrase, language, dialogue.id), index)


def _claim(
    checker: _Checker, claimed: dict[tuple[str, str, bool], tuple[str, str, int]], file: _File, route: Route, index: int
) -> None:
    line = line_at(file.document, ["routes", route.language, index])
    if not route.words:
        checker.report(file.name, line, f'the route "{route.phrase}" has no word in it')
        return
    key = (route.language, route.words, route.prefix)
    if key in claimed:
        owner, owner_file, owner_line = claimed[key]
        where = "this dialogue" if owner == route.dialogue else f"'{owner}'"
        checker.report(
            file.name,
            line,
            f'the route "{route.phrase}" ({route.language}) is already claimed by {where} ({owner_file}:{owner_line})',
        )
        return
    claimed[key] = (route.dialogue, file.name, line)


def _known_placeholders(dialogues: Iterable[Dialogue]) -> set[str]:
    """{score} and every answer a dialogue saves (free-text answers and choices' `save`)."""
    known = {"score"}
    for dialogue in dialogues:
        for node in dialogue.nodes.values():
            if node.input and node.input.save_as:
                known.add(node.input.save_as)
            known.update(name for choice in node.choices for name, _ in choice.save)
    return known


def check_content(dialogues_dir: Path, locales_dir: Path, registry: Registry) -> tuple[Content | None, list[Problem]]:
    """Check everything; return the built content (None when there is any problem) and the problems.

    `registry` holds the actions dialogues may name: the features' (bot/app.py's `check_content` gives it)."""
    checker = _Checker(dialogues_dir, read_catalog(locales_dir, "en"), registry)
    paths = sorted([*dialogues_dir.glob("*.yaml"), *dialogues_dir.glob("*.yml")])
    if not paths:
        why = "no dialogue files (*.yaml) here" if dialogues_dir.is_dir() else "this dialogues folder does not exist"
        checker.report(_display(dialogues_dir), 1, why)
    if not po_path(locales_dir, "en").is_file():
        checker.has_english = False
        checker.report(_display(po_path(locales_dir, "en")), 1, "no English translations: is the locales folder right?")
    files = [f for f in (_parse(checker, path) for path in paths) if f is not None]
    by_kind = {kind: [f for f in files if f.kind == kind] for kind in SCHEMAS}

    _check_regions(checker, by_kind["regions"])
    checker.regions = build_regions(by_kind["regions"][0].document) if by_kind["regions"] else Regions()
    advice = {k: v for f in by_kind["advice"] for k, v in build_advice(f.document).items()}
    messages = {k: v for f in by_kind["messages"] for k, v in build_messages(f.document).items()}
    data_classes: dict[str, str] = {}
    for file in by_kind["data_classes"]:
        _check_data_classes(checker, file, data_classes)
        data_classes.update(build_data_classes(file.document))
    dialogues: dict[str, Dialogue] = {}
    commands: dict[str, str] = {}
    built = [(file, build_dialogue(file.document, checker.regions)) for file in by_kind["dialogue"]]
    for file, dialogue in built:
        if dialogue.id in dialogues:
            checker.report(file.name, file.document.line_of("dialogue"), f"duplicate dialogue id '{dialogue.id}'")
        dialogues[dialogue.id] = dialogue
        if dialogue.commands:
            for name in {dialogue.commands.fr, dialogue.commands.en}:
                if commands.get(name, dialogue.id) != dialogue.id:
                    checker.report(
                        file.name,
                        file.document["commands"].line,
                        f"command /{name} is already used by '{commands[name]}'",
                    )
                commands[name] = dialogue.id
    for file, dialogue in built:
        _check_graph(checker, file, dialogue, set(dialogues), set(advice))
    if built:
        _check_advice_reached(checker, by_kind["advice"], (dialogue for _, dialogue in built))
    _check_routes(checker, built)
    known = _known_placeholders(dialogue for _, dialogue in built)
    for file in files:
        _check_strings(checker, file, known if file.kind == "dialogue" else set() if file.kind == "regions" else None)
    if paths and not checker.problems:
        used = {call.name for d in dialogues.values() for n in d.nodes.values()
                for call in (*n.actions, *(a for c in n.choices for a in c.actions))}  # fmt: skip
        said = dict(needed_messages())  # key -> where the code declares it (file:line)
        for name in sorted(used & set(registry.actions)):
            said.update(dict.fromkeys(registry.messages_of(name) - set(said), f"the action '{name}'"))
        if any(n.input and n.input.is_a_name for d in dialogues.values() for n in d.nodes.values()):
            said.update(dict.fromkeys(NAME_MESSAGES, "a question with `is_a_name: true`"))
        if any(key == "pushes" for d in dialogues.values() for n in d.nodes.values()
               for c in n.choices for key, _ in c.set_profile):  # fmt: skip
            said.update(dict.fromkeys(PUSHES_MESSAGES, "a choice with `set_profile: {pushes}`"))
        for key in sorted(set(said) - set(messages)):
            checker.report(
                _display(dialogues_dir / "messages.yaml"), 1, f"the interface message '{key}' is missing ({said[key]})"
            )
    problems = sorted(set(checker.problems))
    if problems:
        return None, problems
    routes = build_routes(route for dialogue in dialogues.values() for route in dialogue.routes)
    return Content(dialogues, advice, messages, commands, registry, data_classes, routes, checker.regions), []


def load_content(dialogues_dir: Path, locales_dir: Path, registry: Registry) -> Content:
    """The content, or ContentError naming every problem."""
    content, problems = check_content(dialogues_dir, locales_dir, registry)
    if content is None:
        raise ContentError(problems)
    return content
