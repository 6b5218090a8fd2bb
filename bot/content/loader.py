"""The content loader: dialogues/*.yaml and the translations → the content model (`bot.core.dialogue.Content`),
or every problem that keeps it from running, each one line `file:line: message`.

Why here, in a layer of its own between the core and the writers' tools: the running service loads the content
through it, and `python -m bot check` (bot/authoring/check.py) builds on it. The core stays pure (no file is read
there); the writers' tools stay the writers' (the service imports none of them).

What it refuses is what a running Gaffe needs right: each file parses, fits its JSON Schema (the ones in
`dialogues/`, which editors use too) and names only registered actions; ids are unique, every goto, jump,
advice id and region exists, no dialogue loops without asking anything; routes are unambiguous; every text's
braces, placeholders, Telegram HTML and length are right in French and in English. `check` adds the writers'
diagnostics, which a running Gaffe can do without: dead content (unreachable nodes, advice no answer
recommends) and sources that are home pages. The interface messages the code needs (bot/content/needed.py)
must be in messages.yaml: without one, Gaffe would fail when it says it.
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

import yaml
from babel.messages.catalog import Catalog
from jsonschema import Draft202012Validator, ValidationError

from bot.content.needed import needed_messages
from bot.content.paths import bundled
from bot.content.schema import with_actions
from bot.content.translatable import LIMITS, Translatable, translatable_strings
from bot.content.yaml_lines import YamlMap, line_at, load_yaml
from bot.core import html_text
from bot.core.actions import Registry
from bot.core.dialogue import (
    Content,
    Dialogue,
    Message,
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
class ContentFile:
    """A content file that parsed and fits its schema: its YAML document (with lines), and its kind."""

    path: Path
    name: str
    kind: str
    document: YamlMap


@dataclass
class _Reader:
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


def display(path: Path) -> str:
    """A path as problems name it: relative to the current folder when it can be."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _validator(reader: _Reader, kind: str) -> Draft202012Validator:
    """The schema beside the dialogues (where editors find it), else the checkout's own; for dialogues,
    with the registered actions in place of the reference to actions.schema.json."""
    if kind not in reader.validators:
        beside = reader.dialogues_dir / SCHEMAS[kind]
        schema = _load_schema(beside if beside.exists() else bundled("dialogues") / SCHEMAS[kind])
        if kind == "dialogue":
            schema = with_actions(schema, reader.registry)
        reader.validators[kind] = Draft202012Validator(schema)
    return reader.validators[kind]


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


def _parse(reader: _Reader, path: Path) -> ContentFile | None:
    name = display(path)
    size = path.stat().st_size
    if size > MAX_CONTENT_BYTES:  # parsed with the safe loader; a huge file is a mistake or an attack (aliases)
        reader.report(name, 1, f"the file is {size:,} bytes; content files are at most {MAX_CONTENT_BYTES:,}")
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
        reader.report(name, line, f"YAML syntax error: {reason}")
        return None
    for duplicate in duplicates:
        reader.report(name, duplicate.line, f"duplicate key '{duplicate.key}' (first on line {duplicate.first_line})")
    if not isinstance(document, YamlMap):
        reader.report(name, 1, TOP_KEYS_EXPECTED)
        return None
    kind = next((k for k in SCHEMAS if k in document), None)
    if kind is None:
        reader.report(name, 1, TOP_KEYS_EXPECTED)
        return None
    errors = sorted(_validator(reader, kind).iter_errors(document), key=lambda e: list(e.absolute_path))
    for schema_error in errors:
        error_path, message = _schema_message(schema_error)
        reader.report(name, line_at(document, error_path), _about_actions(reader, error_path, message))
    if errors or duplicates:
        reader.broken_kinds.add(kind)
        return None
    return ContentFile(path, name, kind, document)


def _about_actions(reader: _Reader, path: list[Any], message: str) -> str:
    """Say which action a schema error under `do:` is about, and which actions exist."""
    if "do" not in path:
        return message
    rest = path[path.index("do") + 1 :]
    if len(rest) == 1 and message == f"unknown key '{rest[0]}'":  # the action's name itself is unknown
        known = ", ".join(sorted(reader.registry.actions)) or "none"
        return f"unknown action '{rest[0]}' (known: {known})"
    return f"action '{rest[0]}': {message}" if rest else message


def _placeholders(text: str) -> set[str] | None:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError:
        return None


def targets(node: Node) -> Iterable[tuple[str | None, str | None]]:
    for choice in node.choices:
        yield choice.target.goto, choice.target.jump
    if node.target:
        yield node.target.goto, node.target.jump
    if node.country_picker:
        yield node.country_picker.goto, node.country_picker.jump
    for branch in node.branch:
        yield branch.target.goto, branch.target.jump


def _check_graph(
    reader: _Reader, file: ContentFile, dialogue: Dialogue, dialogue_ids: set[str], advice_ids: set[str]
) -> None:
    nodes_raw: YamlMap = file.document["nodes"]

    def line(node_id: str, *path: Any) -> int:
        return line_at(file.document, ["nodes", node_id, *path])

    if dialogue.start not in dialogue.nodes:
        reader.report(file.name, file.document.line_of("start"), f"start node '{dialogue.start}' does not exist")
    for node in dialogue.nodes.values():
        raw = nodes_raw[node.id]
        for index, choice in enumerate(raw.get("choices") or ()):
            for position, entry in enumerate(choice.get("advice") or ()):
                if advice_id(entry) not in advice_ids:
                    where = line(node.id, "choices", index, "advice", position)
                    reader.report(file.name, where, f"unknown advice id '{advice_id(entry)}'")
        for path, key, value in _links(raw):
            if key == "goto" and value not in dialogue.nodes:
                reader.report(file.name, line(node.id, *path), f"goto to a missing node '{value}'")
            if key == "jump" and value not in dialogue_ids:
                reader.report(file.name, line(node.id, *path), f"jump to a missing dialogue '{value}'")
        _check_profile_names(reader, file, node.id, raw)
        if node.input is not None and node.input.save_as is None and not node.actions:
            reader.report(
                file.name, line(node.id, "input"), f"node '{node.id}' needs input.save_as or a do: to use the answer"
            )
        if node.input is not None and node.target is None:
            reader.report(file.name, line(node.id), f"node '{node.id}' asks for text but has no goto or jump")
        elif not (node.choices or node.country_picker or node.target or node.branch or node.end):
            reader.report(
                file.name, line(node.id), f"node '{node.id}' is a dead end: add choices, goto, jump or end: true"
            )
        if node.branch and node.branch[-1].when is not None:
            reader.report(
                file.name, line(node.id, "branch"), f"the branch of '{node.id}' needs a last entry without 'when'"
            )
        if node.input and node.input.pattern:
            try:
                re.compile(node.input.pattern)
            except re.error as error:
                reader.report(file.name, line(node.id, "input", "pattern"), f"invalid pattern: {error}")
    for node_id in _loops_without_question(dialogue):
        reader.report(file.name, line(node_id), f"node '{node_id}' loops forever without asking anything")


def _check_profile_names(reader: _Reader, file: ContentFile, node_id: str, raw: YamlMap) -> None:
    """The region ids a node names (`set_profile: {country: X}`, `when: {country: [..]}`) exist."""
    if "regions" in reader.broken_kinds:  # its own problems are reported: the ids it has are not known
        return
    known = reader.regions.regions
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
            reader.report(file.name, where, f"unknown region '{country}' (known: {', '.join(known) or 'none'})")
    if "pick_country" in raw and not known:
        where = line_at(file.document, ["nodes", node_id, "pick_country"])
        reader.report(file.name, where, "pick_country needs the regions of dialogues/regions.yaml")


def _check_regions(reader: _Reader, files: list[ContentFile]) -> None:
    """One regions file; every region gives every key (and no other), and says when it was verified. A user who
    has not picked a country reads `other`: it must exist. (That each route names the page that says it, not a
    home page, is `check`'s.)"""
    if len(files) > 1:
        for file in files[1:]:
            reader.report(file.name, 1, f"the regions are already in {files[0].name}: keep them in one file")
    if not files:
        return
    file = files[0]
    keys: YamlMap = file.document["keys"]
    regions: YamlMap = file.document["regions"]
    if OTHER not in regions:
        where = file.document.line_of("regions")
        reader.report(file.name, where, f"the region '{OTHER}' (another country, or not said) is missing")
    for region_id, region in regions.items():
        routes: YamlMap = region["routes"]
        for key in keys:
            if key not in routes:
                where = line_at(file.document, ["regions", region_id, "routes"])
                reader.report(file.name, where, f"region '{region_id}' lacks the route '{key}'")
        for key in routes:
            if key not in keys:
                where = line_at(file.document, ["regions", region_id, "routes", key])
                reader.report(file.name, where, f"region '{region_id}': unknown route key '{key}' (not in keys:)")
        try:
            date.fromisoformat(str(region["verified"]))
        except ValueError:
            where = line_at(file.document, ["regions", region_id, "verified"])
            reader.report(file.name, where, f"region '{region_id}': verified is not a date (YYYY-MM-DD)")


def _check_route_placeholders(reader: _Reader, name: str, item: Translatable) -> None:
    if "regions" in reader.broken_kinds:  # its own problems are reported: the keys it has are not known
        return
    for match in ROUTE_PLACEHOLDER.finditer(item.msgid):
        if match.group(1) not in reader.regions.keys:
            known = ", ".join(reader.regions.keys) or "none: dialogues/regions.yaml is missing"
            key, written = match.group(1), match.group(0)
            reader.report(name, item.line, f"unknown route key '{key}' in {written} (known: {known})")


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


def _loops_without_question(dialogue: Dialogue) -> list[str]:
    """Nodes on a cycle that never waits for the user: the engine would spin on them."""
    edges = {
        node.id: [goto for goto, _ in targets(node) if goto in dialogue.nodes]
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


def _check_strings(reader: _Reader, file: ContentFile, known: set[str] | None) -> None:
    for item in translatable_strings(file.document):
        _check_string(reader, file.name, item, known)


def _check_string(reader: _Reader, name: str, item: Translatable, known: set[str] | None) -> None:
    short = item.msgid if len(item.msgid) <= 50 else item.msgid[:47] + "..."
    sources = [item.msgid] + ([item.plural] if item.plural else [])
    source_fields = _placeholders(item.msgid)
    if source_fields is None:
        reader.report(name, item.line, f'unbalanced braces in "{short}" (write {{{{ or }}}} for a brace)')
        return
    _check_route_placeholders(reader, name, item)
    if known is not None:  # {route.…} placeholders are checked above, against the regions' keys
        for field_name in sorted({f for f in source_fields if not f.startswith("route.")} - known):
            reader.report(name, item.line, f'unknown placeholder {{{field_name}}} in "{short}"')
    translation = translated(reader.english, item.msgid)
    if translation is None:
        if reader.has_english:
            reader.report(name, item.line, f'no English translation for "{short}"')
        english: list[str] = []
    else:
        english = list(translation) if isinstance(translation, tuple) else [translation]
    for language, texts in (("French", sources), ("English", english)):
        for text in texts:
            if item.html and (why := html_text.problem(text)):
                reader.report(name, item.line, f'invalid Telegram HTML in the {language} text "{short}": {why}')
            length = len(html_text.strip(text)) if item.html else len(text)
            if length > LIMITS[item.kind]:
                limit = LIMITS[item.kind]
                reader.report(name, item.line, f"{item.kind} too long for Telegram in {language}: {length} > {limit}")
    if item.plural is not None:  # plural forms may differ (no {count} in "one"): compare them together
        source_fields |= _placeholders(item.plural) or set()
        english = ["".join(english)] if english else []
    for text in english:
        english_fields = _placeholders(text)
        if english_fields != source_fields:
            shown = ", ".join(sorted(f"{{{f}}}" for f in english_fields or ())) or "none"
            expected = ", ".join(sorted(f"{{{f}}}" for f in source_fields)) or "none"
            reader.report(
                name, item.line, f'placeholders differ in the English of "{short}": {shown} instead of {expected}'
            )


def _check_data_classes(reader: _Reader, file: ContentFile, earlier: dict[str, str]) -> None:
    """Each French label names one data class: a shared msgid could only have one English translation."""
    labels = {label: name for name, label in earlier.items()}
    raw: YamlMap = file.document["data_classes"]
    for name, label in raw.items():
        if name in earlier:
            reader.report(file.name, raw.line_of(name), f"data class '{name}' is already labelled")
        elif label in labels:
            reader.report(file.name, raw.line_of(name), f"the label \"{label}\" is already used for '{labels[label]}'")
        labels.setdefault(label, name)


def _check_routes(reader: _Reader, built: list[tuple[ContentFile, Dialogue]]) -> None:
    """Every route phrase has words, and each (language, phrase) opens one dialogue only."""
    claimed: dict[tuple[str, str, bool], tuple[str, str, int]] = {}  # -> dialogue, file, line
    for file, dialogue in built:
        declared = file.document.get("routes") or {}
        for language, phrases in declared.items():
            for index, phrase in enumerate(phrases):
                _claim(reader, claimed, file, Route(phrase, language, dialogue.id), index)


def _claim(
    reader: _Reader,
    claimed: dict[tuple[str, str, bool], tuple[str, str, int]],
    file: ContentFile,
    route: Route,
    index: int,
) -> None:
    line = line_at(file.document, ["routes", route.language, index])
    if not route.words:
        reader.report(file.name, line, f'the route "{route.phrase}" has no word in it')
        return
    key = (route.language, route.words, route.prefix)
    if key in claimed:
        owner, owner_file, owner_line = claimed[key]
        where = "this dialogue" if owner == route.dialogue else f"'{owner}'"
        reader.report(
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


def _missing_messages(reader: _Reader, dialogues: dict[str, Dialogue], messages: dict[str, Message]) -> list[Problem]:
    """The interface messages the code says (declared where it says them, or with the actions the dialogues run)
    that messages.yaml lacks, each named with where it is needed (Gaffe would fail when it says one)."""
    used = {call.name for d in dialogues.values() for n in d.nodes.values()
            for call in (*n.actions, *(a for c in n.choices for a in c.actions))}  # fmt: skip
    said = dict(needed_messages())  # key -> where the code declares it (file:line)
    for name in sorted(used & set(reader.registry.actions)):
        said.update(dict.fromkeys(reader.registry.messages_of(name) - set(said), f"the action '{name}'"))
    if any(n.input and n.input.is_a_name for d in dialogues.values() for n in d.nodes.values()):
        said.update(dict.fromkeys(NAME_MESSAGES, "a question with `is_a_name: true`"))
    if any(key == "pushes" for d in dialogues.values() for n in d.nodes.values()
           for c in n.choices for key, _ in c.set_profile):  # fmt: skip
        said.update(dict.fromkeys(PUSHES_MESSAGES, "a choice with `set_profile: {pushes}`"))
    messages_file = display(reader.dialogues_dir / "messages.yaml")
    return [
        Problem(messages_file, 1, f"the interface message '{key}' is missing ({said[key]})")
        for key in sorted(set(said) - set(messages))
    ]


@dataclass(frozen=True)
class Reading:
    """What reading the content found: the files that parsed (by kind), the dialogues built from them, the
    problems, and the content itself when there is none. `check` adds its diagnostics from the same reading."""

    dialogues_dir: Path
    registry: Registry
    files: dict[str, list[ContentFile]]
    built: list[tuple[ContentFile, Dialogue]]
    problems: list[Problem]
    missing: list[Problem]  # interface messages the code needs that messages.yaml lacks: judged without `problems`
    content: Content | None
    paths: list[Path]  # every content file found, parsed or not


def read_content(dialogues_dir: Path, locales_dir: Path, registry: Registry) -> Reading:
    """Read, check and build the content; `registry` holds the actions dialogues may name."""
    reader = _Reader(dialogues_dir, read_catalog(locales_dir, "en"), registry)
    paths = sorted([*dialogues_dir.glob("*.yaml"), *dialogues_dir.glob("*.yml")])
    if not paths:
        why = "no dialogue files (*.yaml) here" if dialogues_dir.is_dir() else "this dialogues folder does not exist"
        reader.report(display(dialogues_dir), 1, why)
    if not po_path(locales_dir, "en").is_file():
        reader.has_english = False
        reader.report(display(po_path(locales_dir, "en")), 1, "no English translations: is the locales folder right?")
    files = [f for f in (_parse(reader, path) for path in paths) if f is not None]
    by_kind = {kind: [f for f in files if f.kind == kind] for kind in SCHEMAS}

    _check_regions(reader, by_kind["regions"])
    reader.regions = build_regions(by_kind["regions"][0].document) if by_kind["regions"] else Regions()
    advice = {k: v for f in by_kind["advice"] for k, v in build_advice(f.document).items()}
    messages = {k: v for f in by_kind["messages"] for k, v in build_messages(f.document).items()}
    data_classes: dict[str, str] = {}
    for file in by_kind["data_classes"]:
        _check_data_classes(reader, file, data_classes)
        data_classes.update(build_data_classes(file.document))
    dialogues: dict[str, Dialogue] = {}
    commands: dict[str, str] = {}
    built = [(file, build_dialogue(file.document, reader.regions)) for file in by_kind["dialogue"]]
    for file, dialogue in built:
        if dialogue.id in dialogues:
            reader.report(file.name, file.document.line_of("dialogue"), f"duplicate dialogue id '{dialogue.id}'")
        dialogues[dialogue.id] = dialogue
        if dialogue.commands:
            for name in {dialogue.commands.fr, dialogue.commands.en}:
                if commands.get(name, dialogue.id) != dialogue.id:
                    reader.report(
                        file.name,
                        file.document["commands"].line,
                        f"command /{name} is already used by '{commands[name]}'",
                    )
                commands[name] = dialogue.id
    for file, dialogue in built:
        _check_graph(reader, file, dialogue, set(dialogues), set(advice))
    _check_routes(reader, built)
    known = _known_placeholders(dialogue for _, dialogue in built)
    for file in files:
        _check_strings(reader, file, known if file.kind == "dialogue" else set() if file.kind == "regions" else None)
    problems = sorted(set(reader.problems))
    # Judged once all else is right (a broken file would make its messages look missing), and kept apart, so
    # that `check` judges them only once its own diagnostics find nothing either.
    missing = _missing_messages(reader, dialogues, messages) if paths and not problems else []
    content = None
    if not problems and not missing:
        routes = build_routes(route for dialogue in dialogues.values() for route in dialogue.routes)
        content = Content(dialogues, advice, messages, commands, registry, data_classes, routes, reader.regions)
    return Reading(dialogues_dir, registry, by_kind, built, problems, missing, content, paths)


def load_content(dialogues_dir: Path, locales_dir: Path, registry: Registry) -> Content:
    """The content, or ContentError naming every problem."""
    reading = read_content(dialogues_dir, locales_dir, registry)
    if reading.content is None:
        raise ContentError(reading.problems or reading.missing)
    return reading.content
