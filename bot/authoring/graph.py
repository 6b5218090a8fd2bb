"""A Mermaid flowchart of one dialogue, for writers to see its shape (paste it into any Mermaid viewer)."""

from __future__ import annotations

from bot.core.dialogue import Dialogue
from bot.core.html_text import strip


def _label(text: str, limit: int = 40) -> str:
    plain = " ".join(strip(text).split())
    short = plain if len(plain) <= limit else plain[: limit - 1] + "…"
    return short.replace('"', "#quot;")


def mermaid(dialogue: Dialogue) -> str:
    lines = ["flowchart TD", f'    start(("{dialogue.id}")) --> {dialogue.start}']
    for node in dialogue.nodes.values():
        text = _label(node.text or node.id)
        if node.branch:
            lines.append(f'    {node.id}{{"{node.id}"}}')
        elif node.end:
            lines.append(f'    {node.id}(["{text}"])')
        elif node.result:
            lines.append(f'    {node.id}[["{text}"]]')
        else:
            lines.append(f'    {node.id}["{text}"]')
        for choice in node.choices:
            extra = f" +{choice.points}" if choice.points else ""
            extra += f" x{node.weight}" if choice.points and node.weight != 1 else ""
            target = _target(choice.target.goto, choice.target.jump)
            lines.append(f'    {node.id} -- "{_label(choice.label, 30)}{extra}" --> {target}')
        for branch in node.branch:
            condition = "otherwise"
            if branch.when is not None:
                when = branch.when
                if when.answer:
                    condition = f"{when.answer} in {', '.join(when.values)}"
                else:
                    bounds = [f"score >= {when.score_at_least}"] if when.score_at_least is not None else []
                    bounds += [f"score < {when.score_below}"] if when.score_below is not None else []
                    condition = " and ".join(bounds)
                if when.critical_gap is not None:
                    gap = "a critical gap" if when.critical_gap else "no critical gap"
                    condition = f"{condition} and {gap}" if condition else gap
            lines.append(
                f'    {node.id} -. "{_label(condition, 40)}" .-> {_target(branch.target.goto, branch.target.jump)}'
            )
        if node.target:
            lines.append(f"    {node.id} --> {_target(node.target.goto, node.target.jump)}")
    return "\n".join(lines) + "\n"


def _target(goto: str | None, jump: str | None) -> str:
    return goto if goto else f'jump_{jump}[/"{jump}"/]'
