"""The validator: each broken fixture yields exactly its one problem, valid content loads, the CLI agrees."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import check_content, registry
from bot.authoring.check import MAX_CONTENT_BYTES, Problem
from bot.content.loader import ContentError, load_content, read_content
from bot.core.dialogue import Content

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
MINI = FIXTURES / "mini"
BROKEN = FIXTURES / "broken"

# case: the expected problems, as (file name, line, part of the message), in the order check reports them.
EXPECTED: dict[str, list[tuple[str, int, str]]] = {
    "yaml_syntax": [("bad.yaml", 7, "YAML syntax error")],
    "unknown_key": [("bad.yaml", 7, "unknown key 'colour'")],
    "duplicate_node": [("bad.yaml", 8, "duplicate key 'hello' (first on line 5)")],
    "goto_missing_node": [("bad.yaml", 11, "goto to a missing node 'nowhere'")],
    # The nodes the typo cuts off are not reported as unreachable: the typo is the one error.
    "goto_typo_orphans_nodes": [
        ("bad.yaml", 10, "goto to a missing node 'nexte'"),
        ("bad.yaml", 12, "goto to a missing node 'nexte'"),
    ],
    "jump_missing_dialogue": [("bad.yaml", 11, "jump to a missing dialogue 'elsewhere'")],
    "unreachable_node": [("bad.yaml", 13, "node 'orphan' is unreachable from 'hello'")],
    "dead_end": [("bad.yaml", 10, "node 'bye' is a dead end")],
    "unknown_advice": [("bad.yaml", 12, "unknown advice id 'backups'")],
    "missing_translation": [("bad.yaml", 11, 'no English translation for "Bonjour tout le monde"')],
    "placeholder_mismatch": [
        ("bad.yaml", 12, 'placeholders differ in the English of "Salut {name} !": {nom} instead of {name}')
    ],
    "label_too_long": [("bad.yaml", 8, "label too long for Telegram in French: 70 > 64")],
    "text_too_long": [("bad.yaml", 6, "text too long for Telegram in French: 4159 > 4096")],
    "invalid_html": [("bad.yaml", 6, "invalid Telegram HTML in the French text")],
    "unknown_placeholder": [("bad.yaml", 6, 'unknown placeholder {nope} in "Salut {nope} !"')],
    "branch_without_otherwise": [("bad.yaml", 11, "the branch of 'route' needs a last entry without 'when'")],
    # Every node of the cycle is named, so a two-node loop gives two lines.
    "loop_without_question": [
        ("bad.yaml", 12, "node 'ping' loops forever without asking anything"),
        ("bad.yaml", 15, "node 'pong' loops forever without asking anything"),
    ],
    "missing_start_node": [("bad.yaml", 3, "start node 'helo' does not exist")],
    "unknown_action": [("bad.yaml", 9, "unknown action 'teleport' (known: ")],
    "bad_action_arguments": [("bad.yaml", 8, "action 'progress': unknown key 'colour'")],
    "unreachable_advice": [("advice.yaml", 7, "advice 'manager' is recommended by no answer any dialogue reaches")],
    "home_page_source": [("advice.yaml", 6, "'https://www.cybermalveillance.gouv.fr' is not an https page")],
    # Case and accents don't make another phrase; the same word in another language is fine.
    "route_claimed_twice": [("b.yaml", 6, "the route \"PIRATE\" (fr) is already claimed by 'a' (")],
    "route_without_words": [("bad.yaml", 4, 'the route "?!" has no word in it')],
}


def locales_for(case_dir: Path) -> Path:
    own = case_dir / "locales"
    return own if own.is_dir() else MINI / "locales"


def check_case(case: str) -> tuple[object, list[Problem]]:
    case_dir = BROKEN / case
    return check_content(case_dir, locales_for(case_dir))


def run_check(dialogues: Path, locales: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "check", "--dialogues", str(dialogues), "--locales", str(locales)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_broken_fixture_has_an_expectation() -> None:
    cases = {p.name for p in BROKEN.iterdir() if p.is_dir()}
    assert cases == set(EXPECTED)


@pytest.mark.parametrize("case", list(EXPECTED))
def test_broken_case_reports_exactly_its_problem(case: str) -> None:
    content, problems = check_case(case)
    assert content is None
    got = [(Path(p.file).name, p.line, p.message) for p in problems]
    expected = EXPECTED[case]
    assert len(got) == len(expected), "\n".join(str(p) for p in problems)
    for (name, line, message), (want_name, want_line, fragment) in zip(got, expected, strict=True):
        assert (name, line) == (want_name, want_line), got
        assert fragment in message, got


# What a running Gaffe can do without, but a writer should fix: `check` reports it, the service's loader does not.
WRITERS_DIAGNOSTICS = ("unreachable_node", "unreachable_advice")


@pytest.mark.parametrize("case", list(EXPECTED))
def test_the_loader_refuses_what_check_refuses_but_the_writers_diagnostics(case: str) -> None:
    case_dir = BROKEN / case
    _, problems = check_case(case)
    reading = read_content(case_dir, locales_for(case_dir), registry())
    if case in WRITERS_DIAGNOSTICS:  # (these small fixtures lack the messages the code says: the loader says so)
        assert reading.problems == [] and reading.missing and not set(problems) & set(reading.missing)
        return
    assert reading.problems == problems  # the same lines, file:line: problem
    with pytest.raises(ContentError) as refused:
        load_content(case_dir, locales_for(case_dir), registry())
    assert refused.value.problems == problems


def test_each_bad_link_is_reported_on_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "links.yaml").write_text(
        """dialogue: quiz
title: "Quiz"
start: hello
nodes:
  hello:
    text: "Tu veux faire quoi ?"
    choices:
      - label: "Oui"
        goto: nowhere
      - label: "Non"
        goto: nowhere
      - label: "Oui"
        jump: nowhere
""",
        encoding="utf-8",
    )
    _, problems = check_content(tmp_path, MINI / "locales")
    got = [(p.line, p.message) for p in problems]
    assert got == [
        (9, "goto to a missing node 'nowhere'"),
        (11, "goto to a missing node 'nowhere'"),
        (13, "jump to a missing dialogue 'nowhere'"),
    ]


def test_problem_str_is_file_line_message() -> None:
    assert str(Problem("dialogues/x.yaml", 12, "boom")) == "dialogues/x.yaml:12: boom"


def test_invalid_html_names_the_tag() -> None:
    _, problems = check_case("invalid_html")
    assert "the tag <blink> is not allowed" in problems[0].message


def test_cli_exits_1_and_prints_file_line_on_a_broken_case() -> None:
    case_dir = BROKEN / "goto_missing_node"
    result = run_check(case_dir, locales_for(case_dir))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    assert lines[0].endswith("bad.yaml:11: goto to a missing node 'nowhere'"), lines[0]
    file_part = lines[0].split(":", 1)[0]
    assert (ROOT / file_part).resolve() == (case_dir / "bad.yaml").resolve()


def test_cli_exits_0_on_the_mini_fixture() -> None:
    result = run_check(MINI / "dialogues", MINI / "locales")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all good" in result.stdout


def test_cli_exits_0_on_the_shipped_content() -> None:
    result = run_check(ROOT / "dialogues", ROOT / "locales")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all good" in result.stdout


def test_mini_content_loads() -> None:
    content, problems = check_content(MINI / "dialogues", MINI / "locales")
    assert problems == []
    assert content is not None
    assert {"quiz", "menu"} <= set(content.dialogues)
    assert content.dialogues["quiz"].start == "hello"
    assert {"twofa", "manager", "updates", "backup"} <= set(content.advice)


def test_fuzzy_translation_counts_as_missing(tmp_path: Path) -> None:
    po_text = (MINI / "locales" / "en" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    target = 'msgid "On a du boulot."'
    assert target in po_text
    fuzzy = po_text.replace(target, f"#, fuzzy\n{target}")
    po_dir = tmp_path / "en" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    (po_dir / "messages.po").write_text(fuzzy, encoding="utf-8")

    content, problems = check_content(MINI / "dialogues", tmp_path)
    assert content is None
    assert [(Path(p.file).name, p.line, p.message) for p in problems] == [
        ("quiz.yaml", 61, 'no English translation for "On a du boulot."')
    ]


def test_empty_translation_counts_as_missing(tmp_path: Path) -> None:
    po_text = (MINI / "locales" / "en" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    target = 'msgstr "See you!"'
    assert target in po_text
    po_dir = tmp_path / "en" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    (po_dir / "messages.po").write_text(po_text.replace(target, 'msgstr ""'), encoding="utf-8")

    _, problems = check_content(MINI / "dialogues", tmp_path)
    assert [str(p).split(":", 1)[1] for p in problems] == ['65: no English translation for "À plus !"']


def test_every_shipped_string_has_an_english_translation() -> None:
    _, problems = check_content(ROOT / "dialogues", ROOT / "locales")
    untranslated = [str(p) for p in problems if "no English translation" in p.message]
    assert untranslated == []


def test_one_goto_typo_in_the_shipped_checkup_gives_one_line(tmp_path: Path) -> None:
    import shutil

    dialogues = tmp_path / "dialogues"
    shutil.copytree(ROOT / "dialogues", dialogues)
    checkup = dialogues / "checkup.yaml"
    text = checkup.read_text(encoding="utf-8")
    assert text.count("goto: manager\n") == 1
    checkup.write_text(text.replace("goto: manager\n", "goto: manger\n"), encoding="utf-8")
    content, problems = check_content(dialogues, ROOT / "locales")
    assert content is None
    assert [p.message for p in problems] == ["goto to a missing node 'manger'"]


def test_a_missing_locales_folder_is_one_line_not_one_per_string(tmp_path: Path) -> None:
    content, problems = check_content(ROOT / "dialogues", tmp_path / "nowhere")
    assert content is None
    assert len(problems) == 1 and "no English translations" in problems[0].message, problems


def test_every_shipped_advice_has_a_page_source_and_is_reachable(shipped: Content) -> None:
    """Walked here independently of `check`: an action nobody can be given, or backed by a home page, is a bug."""
    reached: set[str] = set()
    for dialogue in shipped.dialogues.values():
        seen, pending = set(), [dialogue.start]
        while pending:
            node = dialogue.nodes[pending.pop()]
            if node.id in seen:
                continue
            seen.add(node.id)
            for choice in node.choices:
                reached.update(choice.advice)
            targets = [c.target for c in node.choices] + [b.target for b in node.branch]
            targets += [node.target] if node.target else []
            pending.extend(t.goto for t in targets if t.goto)
    for advice in shipped.advice.values():
        assert re.fullmatch(r"https://[^/\s]+/\S+", advice.source), f"{advice.id}: {advice.source} is not a page"
        assert advice.id in reached, f"{advice.id} is recommended by no reachable answer"


def test_a_content_file_over_the_size_limit_is_refused_with_file_and_line(tmp_path: Path) -> None:
    shutil.copytree(MINI / "dialogues", tmp_path, dirs_exist_ok=True)
    padding = "# " + "x" * 98 + "\n"
    (tmp_path / "quiz.yaml").write_text(
        (MINI / "dialogues" / "quiz.yaml").read_text(encoding="utf-8") + padding * (MAX_CONTENT_BYTES // 100 + 1),
        encoding="utf-8",
    )
    _, problems = check_content(tmp_path, MINI / "locales")
    assert [(Path(p.file).name, p.line) for p in problems if "content files are at most" in p.message] == [
        ("quiz.yaml", 1)
    ]
    (tmp_path / "quiz.yaml").write_text((MINI / "dialogues" / "quiz.yaml").read_text(encoding="utf-8"))
    assert check_content(tmp_path, MINI / "locales")[1] == []  # the same file, small: accepted


def test_gaffe_refuses_to_start_without_a_message_its_code_says(tmp_path: Path) -> None:
    """The running service's loader requires the interface messages the code needs (not `check` alone): without
    one, the first time Gaffe said it would fail."""
    dialogues = tmp_path / "dialogues"
    shutil.copytree(MINI / "dialogues", dialogues)
    messages = dialogues / "messages.yaml"
    messages.write_text(messages.read_text(encoding="utf-8").replace('  use_buttons: "Utilise les boutons."\n', ""))
    with pytest.raises(ContentError) as refused:
        load_content(dialogues, MINI / "locales", registry())
    assert [p.message for p in refused.value.problems] == [
        "the interface message 'use_buttons' is missing (bot/core/engine.py:27)"
    ]


def test_gaffe_runs_on_content_with_dead_parts_that_check_reports(tmp_path: Path) -> None:
    """A node no path reaches is the writers' to fix (`check` says so), not a reason to stop a running Gaffe."""
    dialogues = tmp_path / "dialogues"
    shutil.copytree(MINI / "dialogues", dialogues)
    with (dialogues / "menu.yaml").open("a", encoding="utf-8") as menu:
        menu.write('  orphan:\n    text: "C\'est noté."\n    end: true\n')
    content = load_content(dialogues, MINI / "locales", registry())
    assert "orphan" in content.dialogues["menu"].nodes
    _, problems = check_content(dialogues, MINI / "locales")
    assert [p.message for p in problems] == ["node 'orphan' is unreachable from 'menu'"]
