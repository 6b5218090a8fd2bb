"""A safe YAML loader that remembers line numbers, so that every problem can name `file:line`.

It is `yaml.SafeLoader` with one change: mappings and sequences come back as `YamlMap` / `YamlList`,
which carry the line of each key or item, and duplicate keys (which PyYAML silently overwrites) are
recorded instead of lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class YamlMap(dict[Any, Any]):
    """A dict that knows its own line and the line of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class YamlList(list[Any]):
    """A list that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


@dataclass(frozen=True)
class DuplicateKey:
    key: str
    line: int
    first_line: int


class _LineLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[DuplicateKey] = []


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    mapping = YamlMap()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(None, None, "a key must be a plain word", key_node.start_mark)
        if key in mapping:
            loader.duplicates.append(DuplicateKey(str(key), line, mapping.key_lines[key]))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


def _construct_list(loader: _LineLoader, node: yaml.SequenceNode) -> YamlList:
    items = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_list)


def _construct_date(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    """A date (`verified: 2026-12-07` in regions.yaml) stays the text written: the schema checks it as one."""
    return str(loader.construct_scalar(node))


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_date)


def load_yaml(path: Path) -> tuple[Any, list[DuplicateKey]]:
    """Parse one YAML file safely; raises `yaml.YAMLError` (with a mark) on bad syntax."""
    return parse_yaml(path.read_text(encoding="utf-8"))


def parse_yaml(text: str) -> tuple[Any, list[DuplicateKey]]:
    loader = _LineLoader(text)
    try:
        document = loader.get_single_data()
    finally:
        loader.dispose()
    return document, loader.duplicates


def line_at(document: Any, path: list[Any]) -> int:
    """The line of the deepest element along `path` (keys and indexes) that the document has."""
    line = getattr(document, "line", 1)
    current = document
    for part in path:
        if isinstance(current, YamlMap) and part in current:
            line = current.line_of(part)
            current = current[part]
        elif isinstance(current, YamlList) and isinstance(part, int) and part < len(current):
            line = current.item_lines[part]
            current = current[part]
        else:
            break
    return line
