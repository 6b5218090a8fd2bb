"""French typography in every French text of every content file: a no-break space before : ; ! ? and inside « ».

A plain space there lets Telegram wrap the line between a word and its "?" (or leave "« " alone at the end of a
line); no space at all is simply wrong in French. What is not prose is left out: URLs and HTML tags, entities
(`&amp;`), placeholders (`{route.emergency}`), what is quoted as code (`<code>P@ssw0rd!</code>`), times (`9:30`),
and a mark right after another ("?!").
"""

from __future__ import annotations

import re

import pytest

from bot.content.paths import bundled
from bot.content.translatable import translatable_strings
from bot.content.yaml_lines import load_yaml

NO_BREAK = "\u00a0\u202f"  # a no-break space, or the narrow one
NOT_PROSE = re.compile(
    r"<code>.*?</code>|<[^>]*>|https?://\S+|\b[\w.-]+\.(?:fr|com|org|gouv|net|io)\S*|&\w+;|\{[^}]*\}|\d:\d"
)


def problems(text: str) -> list[str]:
    """Each typography mistake in a French text, as the few characters around it."""
    prose = NOT_PROSE.sub(lambda m: "x" * len(m.group()), text)
    found = []
    for match in re.finditer(r"[:;!?»]|«", prose):
        at = match.start()
        mark = match.group()
        if mark == "«":
            ok = at + 1 >= len(prose) or prose[at + 1] in NO_BREAK
        else:
            before = prose[at - 1] if at else " "
            ok = before in NO_BREAK or (mark in "!?" and before in "!?…") or (mark == "»" and before == "\n")
        if not ok:
            found.append(repr(text[max(0, at - 15) : at + 3]))
    return found


def french_texts() -> list[object]:
    texts: list[object] = []
    for path in sorted(bundled("dialogues").glob("*.yaml")):
        document, _ = load_yaml(path)
        texts.extend(
            pytest.param(path.name, item.line, item.msgid, id=f"{path.name}:{item.line}")
            for item in translatable_strings(document)
        )
    return texts


def test_the_rule_catches_a_plain_space_and_a_missing_one_and_spares_urls() -> None:
    assert problems("Tu viens ?") and problems("Tu viens?") and problems("« Oui »")
    assert not problems("Tu viens\u00a0? «\u00a0Oui\u00a0» Bam\u00a0!?")
    assert not problems('Va sur <a href="https://x.fr/a?b=c">x.fr</a>, &amp; https://y.org/z?q, {route.emergency}')
    assert not problems("C'est à 9:30.") and not problems("«\u00a0<code>P@ssw0rd!</code>\u00a0»")


@pytest.mark.parametrize(("name", "line", "text"), french_texts())
def test_french_texts_have_no_break_spaces(name: str, line: int, text: str) -> None:
    found = problems(text)
    assert not found, f"{name}:{line}: a no-break space (U+00A0) is missing before : ; ! ? or inside « »: {found}"
