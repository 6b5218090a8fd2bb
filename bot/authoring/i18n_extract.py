"""A babel extractor for dialogue YAML, registered as the `gaffe_yaml` entry point.

With it, `pybabel extract -F babel.cfg -o locales/messages.pot .` collects the French source strings of
`dialogues/*.yaml` (texts, labels, replies, errors, advice, interface messages) next to any marked
Python strings, with their line numbers, so `pybabel update` works as translators expect.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from bot.content.translatable import translatable_strings
from bot.content.yaml_lines import parse_yaml


def extract_dialogue_yaml(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str | tuple[str, str], list[str]]]:
    encoding = options.get("encoding", "utf-8")
    document, _ = parse_yaml(fileobj.read().decode(encoding))
    for item in translatable_strings(document):
        if item.plural is not None:
            yield item.line, "ngettext", (item.msgid, item.plural), []
        else:
            yield item.line, None, item.msgid, [item.kind] if item.kind == "label" else []
