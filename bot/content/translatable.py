"""Which strings of a content file are translatable, with their line and kind.

Shared by the loader (`bot.content.loader`) and the babel extractor (`bot.authoring.i18n_extract`), so that what is
checked for a translation is exactly what translators are given.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.content.yaml_lines import YamlMap

# Telegram's limits, in characters.
LIMITS = {"label": 64, "text": 4096, "description": 256, "title": 4096}


@dataclass(frozen=True)
class Translatable:
    line: int
    msgid: str
    kind: str  # a key of LIMITS
    plural: str | None = None  # for messages whose wording depends on a count
    html: bool = True  # texts are Telegram HTML; labels and command descriptions are plain


def _items(mapping: Any) -> Iterator[tuple[Any, Any, int]]:
    if isinstance(mapping, YamlMap):
        for key, value in mapping.items():
            yield key, value, mapping.line_of(key)


def _string(mapping: Any, key: str, kind: str, html: bool = True) -> Iterator[Translatable]:
    if isinstance(mapping, YamlMap) and isinstance(mapping.get(key), str):
        yield Translatable(mapping.line_of(key), mapping[key], kind, html=html)


def translatable_strings(document: Any) -> Iterator[Translatable]:
    """Every translatable string of a dialogue, advice, messages or data classes document, in file order."""
    if not isinstance(document, YamlMap):
        return
    yield from _string(document, "title", "title")
    yield from _string(document.get("commands"), "description", "description", html=False)
    for _, node, _ in _items(document.get("nodes")):
        yield from _string(node, "text", "text")
        if isinstance(node, YamlMap):
            for choice in node.get("choices") or ():
                yield from _string(choice, "label", "label", html=False)
                yield from _string(choice, "reply", "text")
            yield from _string(node.get("input"), "error", "text")
    for _, advice, _ in _items(document.get("advice")):
        yield from _string(advice, "title", "text")
        yield from _string(advice, "how", "text")
    for _, message, line in _items(document.get("messages")):
        if isinstance(message, str):
            yield Translatable(line, message, "text")
        elif isinstance(message, YamlMap) and isinstance(message.get("one"), str):
            yield Translatable(line, message["one"], "text", plural=str(message.get("other", "")))
    for _, label, line in _items(document.get("data_classes")):
        if isinstance(label, str):  # shown in lists, as plain text, like a button's label
            yield Translatable(line, label, "label", html=False)
    for _, region, _ in _items(document.get("regions")):
        yield from _string(region, "name", "label", html=False)  # the country picker's button
        for _, route, _ in _items(region.get("routes") if isinstance(region, YamlMap) else None):
            yield from _string(route, "name", "label")  # {route.KEY.name}, inside a text: HTML like it
            yield from _string(route, "how", "text")  # {route.KEY}
