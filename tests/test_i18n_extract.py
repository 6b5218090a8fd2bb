"""The `gaffe_yaml` babel extractor: what translators get is what `check` checks."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.authoring.i18n_extract import extract_dialogue_yaml
from bot.content.translatable import translatable_strings
from bot.content.yaml_lines import load_yaml

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
METHOD_MAP = [("dialogues/**.yaml", "gaffe_yaml"), ("bot/**.py", "python")]
PLURAL = ("Ta priorité ({score}/100)", "Tes {count} priorités ({score}/100)")


def extracted() -> list[tuple[str, int, str | tuple[str, ...], list[str]]]:
    return [
        (Path(filename).as_posix(), line, message, comments)
        for filename, line, message, comments, _context in extract_from_dir(MINI, method_map=METHOD_MAP)
    ]


def test_label_is_extracted_with_its_line_and_a_label_comment() -> None:
    hits = [item for item in extracted() if item[2] == "À moitié"]
    assert hits == [("dialogues/quiz.yaml", 37, "À moitié", ["label"])]


def test_text_is_extracted_with_its_line_and_no_comment() -> None:
    hits = [item for item in extracted() if item[2] == "Et la double authentification ?"]
    assert hits == [("dialogues/quiz.yaml", 32, "Et la double authentification ?", [])]


def test_plural_message_is_extracted_as_a_pair() -> None:
    hits = [item for item in extracted() if isinstance(item[2], tuple)]
    assert hits == [("dialogues/messages.yaml", 7, PLURAL, [])]


def test_one_message_per_translatable_string() -> None:
    expected = []
    for path in sorted((MINI / "dialogues").glob("*.yaml")):
        document, _ = load_yaml(path)
        for item in translatable_strings(document):
            message = (item.msgid, item.plural) if item.plural is not None else item.msgid
            expected.append((f"dialogues/{path.name}", item.line, message))
    got = [(filename, line, message) for filename, line, message, _ in extracted()]
    assert len(expected) > 30
    assert sorted(got, key=repr) == sorted(expected, key=repr)


def test_extractor_called_directly_on_an_open_file() -> None:
    with (MINI / "dialogues" / "quiz.yaml").open("rb") as fileobj:
        results = list(extract_dialogue_yaml(fileobj, {}, (), {}))
    assert (37, None, "À moitié", ["label"]) in results
    assert results[0] == (3, None, "Quiz", [])
    assert all(isinstance(message, str) for _, _, message, _ in results)


def test_extractor_honours_the_encoding_option() -> None:
    source = 'dialogue: x\ntitle: "Où ?"\nstart: a\nnodes:\n  a:\n    text: "Là."\n    end: true\n'
    results = list(extract_dialogue_yaml(io.BytesIO(source.encode("latin-1")), {}, (), {"encoding": "latin-1"}))
    assert [(line, message) for line, _, message, _ in results] == [(2, "Où ?"), (6, "Là.")]


def test_gaffe_yaml_entry_point_is_registered() -> None:
    found = {ep.name: ep for ep in entry_points(group="babel.extractors")}
    assert "gaffe_yaml" in found
    assert found["gaffe_yaml"].load() is extract_dialogue_yaml


def test_pybabel_extract_writes_a_pot_with_the_dialogue_strings(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    pybabel = shutil.which("pybabel", path=str(Path(sys.executable).parent))
    command = [pybabel] if pybabel else [sys.executable, "-m", "babel.messages.frontend"]
    result = subprocess.run(
        [*command, "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(pot), "."],
        cwd=MINI,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = pot.read_text(encoding="utf-8")
    assert 'msgid "À moitié"' in text
    with pot.open("rb") as pot_file:
        catalog = read_po(pot_file)
    assert catalog.get("À moitié") is not None
    assert ("dialogues/quiz.yaml", 37) in catalog.get("À moitié").locations
    assert catalog.get(PLURAL[0]).id == PLURAL


def test_the_regions_names_and_routes_are_extracted_with_their_lines() -> None:
    """Translators get each region's name (a label: the picker's button), each route's short name and sentence."""
    path = ROOT / "dialogues" / "regions.yaml"
    with path.open("rb") as fileobj:
        got = list(extract_dialogue_yaml(fileobj, {}, [], {}))
    lines = path.read_text(encoding="utf-8").splitlines()
    region = next(i for i, line in enumerate(lines) if line == "  gb:") + 1  # its `name:` line, 1-based
    assert (region + 1, None, lines[region].split('"')[1], ["label"]) in got
    hows = [message for line, _, message, _ in got if lines[line - 1].lstrip().startswith("how:")]
    names = [message for line, _, message, _ in got if lines[line - 1].lstrip().startswith("name:")]
    assert "7726" in names and any("7726" in how for how in hows)
    assert len(hows) == sum(1 for line in lines if line.lstrip().startswith("how:"))  # every route's sentence
