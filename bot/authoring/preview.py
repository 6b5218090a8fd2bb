"""`python -m bot preview [OUT]`: every dialogue as a static site a writer opens in a browser.

Why: a writer or translator should read a flow without running the terminal chat. Each node is shown as
Telegram would show it (bold, italics, links; buttons as buttons), French and English side by side; each
button is a link to the node it leads to (another dialogue's page for a `jump`), a branch lists its
conditions as links, the actions a node runs are named, sources are links, and `check`'s verdict is at the
top of the index. Plain HTML and CSS: readable without JavaScript and without a server (open index.html).

The page shows the text as written: placeholders filled at run time ({score}, {name}) stay visible, marked.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.core.dialogue import ActionCall, Branch, Choice, Condition, Content, Dialogue, Node, Target
from bot.core.i18n import LANGUAGES, Translator
from bot.core.regions import Region
from bot.core.render import with_routes

PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_][a-z0-9_.]*)\}(?!\})")
MARKER = ".gaffe-preview"  # in a folder the preview wrote, so that the next run may replace it
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.1em; margin: 0 0 .4em; }
.check { padding: .6em 1em; border-radius: 6px; }
.check.ok { background: #e7f6e7; } .check.bad { background: #fde8e8; }
.node { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; border-top: 1px solid #ddd; padding: 1em 0; }
.node:target { background: #fffbe6; }
.node > header { grid-column: 1 / -1; font-size: .85em; color: #666; }
.bubble { background: #eef4fb; border-radius: 12px; padding: .7em .9em; white-space: pre-wrap; }
.buttons { display: flex; flex-direction: column; gap: .3em; margin-top: .5em; }
a.button { display: block; text-align: center; padding: .45em; border-radius: 8px; background: #dbe8f7;
  color: #1d4f91; text-decoration: none; }
a.button:hover { background: #c5d9f2; }
.placeholder { background: #fff0c2; border-radius: 3px; font-family: monospace; }
.meta { font-size: .85em; color: #555; margin-top: .4em; }
.tag { font-family: monospace; background: #eee; border-radius: 3px; padding: 0 .3em; }
ul.dialogues { columns: 2; }
"""


@dataclass(frozen=True)
class Page:
    name: str  # the file name
    html: str


def _link(dialogue: Dialogue, target: Target) -> str:
    """Where a button or a branch leads: a node of this page, or another dialogue's page at its start."""
    if target.jump:
        return f"{target.jump}.html#start"
    return f"#{target.goto}" if target.goto else "#"


def _text(translator: Translator, msgid: str, region: Region | None) -> str:
    """A Telegram-HTML text as the chat shows it in that region: its routes filled in, the placeholders filled
    at run time marked, `{{` `}}` shown as braces."""
    filled, _ = with_routes(translator.text(msgid), translator, region)
    shown = PLACEHOLDER.sub(r'<span class="placeholder">{\1}</span>', filled)
    return shown.replace("{{", "{").replace("}}", "}")


def _host(url: str) -> str:
    return urlsplit(url).netloc.removeprefix("www.") or url


def _actions(calls: Iterable[ActionCall]) -> str:
    named = [f'<span class="tag">{html.escape(c.name)}{" " + html.escape(str(dict(c.args))) if c.args else ""}</span>'
             for c in calls]  # fmt: skip
    return f'<div class="meta">Actions: {", ".join(named)}</div>' if named else ""


def _condition(condition: Condition | None) -> str:
    if condition is None:
        return "otherwise"
    parts = [f"{condition.answer} in {', '.join(condition.values)}"] if condition.answer else []
    parts += [f"score ≥ {condition.score_at_least}"] if condition.score_at_least is not None else []
    parts += [f"score < {condition.score_below}"] if condition.score_below is not None else []
    parts += [f"critical gap: {condition.critical_gap}"] if condition.critical_gap is not None else []
    return " and ".join(parts)


def _button(dialogue: Dialogue, translator: Translator, choice: Choice) -> str:
    extra = f" (+{choice.points})" if choice.points else ""
    label = html.escape(translator.text(choice.label))
    return f'<a class="button" href="{_link(dialogue, choice.target)}">{label}{extra}</a>'


def _branch(dialogue: Dialogue, branch: Branch) -> str:
    target = html.escape(branch.target.jump or branch.target.goto or "?")
    return f'<a class="button" href="{_link(dialogue, branch.target)}">{_condition(branch.when)} → {target}</a>'


def _cell(dialogue: Dialogue, node: Node, translator: Translator, region: Region | None) -> str:
    parts = [f'<div lang="{translator.language}">']
    if node.text:
        parts.append(f'<div class="bubble">{_text(translator, node.text, region)}</div>')
    if node.result:
        parts.append('<div class="meta">+ the score, and the 3 most urgent actions from the answers</div>')
    _, route_sources = with_routes(translator.text(node.text or ""), translator, region)
    sources = (*node.sources, *(u for u in route_sources if u not in node.sources))
    if sources:
        links = ", ".join(f'<a href="{html.escape(u)}">{html.escape(_host(u))}</a>' for u in sources)
        parts.append(f'<div class="meta">Source : {links}</div>')
    parts.append(_actions(node.actions))
    buttons = [_button(dialogue, translator, c) for c in node.choices]
    buttons += [_branch(dialogue, b) for b in node.branch]
    if node.input:
        parts.append(f'<div class="meta">Typed answer{" → " + node.input.save_as if node.input.save_as else ""}</div>')
    if node.target:
        where = html.escape(node.target.jump or node.target.goto or "")
        buttons.append(f'<a class="button" href="{_link(dialogue, node.target)}">→ {where}</a>')
    if buttons:
        parts.append(f'<nav class="buttons">{"".join(buttons)}</nav>')
    for choice in node.choices:
        if choice.actions:
            parts.append(_actions(choice.actions).replace("Actions:", f"{html.escape(translator.text(choice.label))}:"))
    if node.end:
        parts.append('<div class="meta">End of the conversation.</div>')
    parts.append("</div>")
    return "".join(parts)


def _kind(node: Node) -> str:
    if node.branch:
        return "branch"
    if node.result:
        return "result"
    if node.end:
        return "end"
    if node.input:
        return "free-text question"
    return "question" if node.choices else "message"


def dialogue_page(
    content: Content, dialogue: Dialogue, translators: dict[str, Translator], region: Region | None
) -> Page:
    start = dialogue.start
    ordered = [dialogue.nodes[start], *(n for n in dialogue.nodes.values() if n.id != start)]
    rows = []
    for node in ordered:
        anchor = ' id="start"' if node.id == start else ""
        cells = "".join(_cell(dialogue, node, translators[lang], region) for lang in LANGUAGES)
        rows.append(
            f'<section class="node {_kind(node).replace(" ", "-")}" id="{node.id}">'
            f"<header><span{anchor}></span><b>{node.id}</b> · {_kind(node)}</header>{cells}</section>"
        )
    fr, en = translators["fr"], translators["en"]
    title = f"{html.escape(fr.text(dialogue.title))} / {html.escape(en.text(dialogue.title))}"
    commands = f" · /{dialogue.commands.fr} · /{dialogue.commands.en}" if dialogue.commands else ""
    where = _region_names(region, translators)
    body = (
        f'<p><a href="index.html">← all dialogues ({where})</a></p><h1>{title}</h1>'
        f'<p class="meta">{dialogue.id}{commands} · routes of {where}</p>'
        f'<div class="node"><header></header><h2>{LANGUAGE_NAMES["fr"]}</h2><h2>{LANGUAGE_NAMES["en"]}</h2></div>'
        + "".join(rows)
    )
    return Page(f"{_folder(region)}{dialogue.id}.html", _document(title, body, "../" if region else ""))


def _verdict(problems: list[str]) -> str:
    """`check`'s word, at the top of the index."""
    if not problems:
        return '<p class="check ok">python -m bot check: all good.</p>'
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    return f'<div class="check bad"><p>python -m bot check found problems:</p><ul>{items}</ul></div>'


def _folder(region: Region | None) -> str:
    return f"{region.id}/" if region else ""


def _region_names(region: Region | None, translators: dict[str, Translator]) -> str:
    if region is None:
        return "no region"
    return html.escape(f"{translators['fr'].text(region.name)} / {translators['en'].text(region.name)}")


def index_page(content: Content | None, translators: dict[str, Translator], problems: list[str]) -> Page:
    """`check`'s verdict and the region picker: each region has its own pages, its routes filled in. Content
    that does not load has only the verdict."""
    regions = content.regions.regions.values() if content else []
    items = "".join(f'<li><a href="{r.id}/index.html">{_region_names(r, translators)}</a></li>' for r in regions)
    picker = f"<h2>Pick a region: its numbers and sites fill the texts</h2><ul>{items}</ul>" if items else ""
    body = f"<h1>Gaffe: dialogues</h1>{_verdict(problems)}{picker}"
    return Page("index.html", _document("Gaffe: dialogues", body))


def region_index(content: Content, translators: dict[str, Translator], region: Region) -> Page:
    """A region's list of dialogues."""
    items = "".join(
        f'<li><a href="{d.id}.html">{html.escape(translators["fr"].text(d.title))}</a> '
        f'<span class="meta">({d.id}{", /" + d.commands.fr if d.commands else ""})</span></li>'
        for d in sorted(content.dialogues.values(), key=lambda d: d.id)
    )
    where = _region_names(region, translators)
    back = '<p><a href="../index.html">← regions</a></p>'
    body = f'{back}<h1>Gaffe: dialogues, {where}</h1><ul class="dialogues">{items}</ul>'
    return Page(f"{region.id}/index.html", _document(f"Gaffe: {where}", body, "../"))


def _document(title: str, body: str, root: str = "") -> str:
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="{root}style.css">'
        f"</head><body>{body}</body></html>\n"
    )


class PreviewError(Exception):
    """The preview can't be written where asked; the message says why, in one line."""


def write_site(out: Path, pages: Iterable[Page]) -> None:
    """Write the pages and the style sheet into `out`: a new folder, or one an earlier preview wrote (marked by
    MARKER, replaced whole). Any other existing path is left untouched: Gaffe changes nothing it did not create."""
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise PreviewError(f"{out} exists and is not a folder")
        if (out / MARKER).is_file():
            shutil.rmtree(out)
        elif any(out.iterdir()):
            raise PreviewError(f"{out} is a folder that holds other files: name a new or empty one")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("Written by python -m bot preview; replaced on each run.\n")
    (out / "style.css").write_text(STYLE, encoding="utf-8")
    for page in pages:
        (out / page.name).parent.mkdir(exist_ok=True)
        (out / page.name).write_text(page.html, encoding="utf-8")


def build(content: Content, translators: dict[str, Translator]) -> list[Page]:
    """The index, then each region's index and dialogue pages."""
    pages = [index_page(content, translators, [])]
    for region in content.regions.regions.values():
        pages.append(region_index(content, translators, region))
        pages += [dialogue_page(content, d, translators, region) for d in content.dialogues.values()]
    return pages
