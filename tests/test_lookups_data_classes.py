"""`dialogues/data_classes.yaml`: HIBP's data classes in French, checked and translated like every string."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from bot.app import check_content
from bot.authoring.i18n_extract import extract_dialogue_yaml

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
TRANSLATED = {"Adresses e-mail": "Email addresses", "Mots de passe": "Passwords"}


def content_with(tmp_path: Path, data_classes_yaml: str, translations: dict[str, str] = TRANSLATED) -> Path:
    """A copy of the mini content plus a data_classes.yaml and these English translations; its dialogues folder."""
    shutil.copytree(MINI, tmp_path, dirs_exist_ok=True)
    (tmp_path / "dialogues" / "data_classes.yaml").write_text(data_classes_yaml, encoding="utf-8")
    po = tmp_path / "locales" / "en" / "LC_MESSAGES" / "messages.po"
    entries = "".join(f'\nmsgid "{french}"\nmsgstr "{english}"\n' for french, english in translations.items())
    po.write_text(po.read_text(encoding="utf-8") + entries, encoding="utf-8")
    return tmp_path / "dialogues"


def problems_of(dialogues: Path) -> list[tuple[str, int, str]]:
    _, problems = check_content(dialogues, dialogues.parent / "locales")
    return [(Path(p.file).name, p.line, p.message) for p in problems]


VALID = 'data_classes:\n  Email addresses: "Adresses e-mail"\n  Passwords: "Mots de passe"\n'


def test_data_classes_are_built_into_the_content(tmp_path: Path) -> None:
    dialogues = content_with(tmp_path, VALID)
    content, problems = check_content(dialogues, tmp_path / "locales")
    assert problems == [] and content is not None
    assert content.data_classes == {"Email addresses": "Adresses e-mail", "Passwords": "Mots de passe"}


def test_content_without_data_classes_has_none(tmp_path: Path) -> None:
    content, _ = check_content(MINI / "dialogues", MINI / "locales")
    assert content is not None and content.data_classes == {}


def test_a_label_without_english_is_reported_on_its_line(tmp_path: Path) -> None:
    dialogues = content_with(tmp_path, VALID + '  Usernames: "Noms d\'utilisateur"\n')
    assert problems_of(dialogues) == [("data_classes.yaml", 4, 'no English translation for "Noms d\'utilisateur"')]


def test_two_classes_with_one_french_label_are_refused(tmp_path: Path) -> None:
    dialogues = content_with(tmp_path, VALID + '  Historical passwords: "Mots de passe"\n')
    assert problems_of(dialogues) == [
        ("data_classes.yaml", 4, "the label \"Mots de passe\" is already used for 'Passwords'")
    ]


def test_the_schema_wants_short_strings(tmp_path: Path) -> None:
    dialogues = content_with(tmp_path, VALID + "  Names: 42\n  Bios: " + "x" * 70 + "\n")
    problems = problems_of(dialogues)
    assert [(name, line) for name, line, _ in problems] == [("data_classes.yaml", 4), ("data_classes.yaml", 5)]
    assert "is not of type 'string'" in problems[0][2] and "is too long" in problems[1][2]


def test_the_extractor_gives_translators_the_shipped_labels() -> None:
    shipped = ROOT / "dialogues" / "data_classes.yaml"
    extracted = list(extract_dialogue_yaml(io.BytesIO(shipped.read_bytes()), {}, [], {}))
    labels = [message for _, _, message, _ in extracted]
    assert "Adresses e-mail" in labels and "Numéros de passeport" in labels
    assert len(labels) == shipped.read_text(encoding="utf-8").count(': "')
