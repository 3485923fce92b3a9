"""The settings documents are generated from the one declaration: the committed example file and
the IT guide's table match it, the example is a settings file Keyworker accepts, and the
declaration agrees with the settings object the rest of the app reads."""

from __future__ import annotations

import shutil
from dataclasses import fields, replace
from pathlib import Path

import pytest

from keyworker_app.forms.library import load_library
from keyworker_app.organisation import OrganisationSettings, read_file
from keyworker_app.settings_catalogue import CATALOGUE, Catalogue, Reading
from keyworker_app.settings_docs import (
    COMMAND,
    EXAMPLE,
    GUIDE,
    main,
    settings_table,
    stale,
    with_table,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_documents_are_generated_from_the_catalogue() -> None:
    differing = [str(path.relative_to(ROOT)) for path in stale(ROOT)]
    assert not differing, (
        f"{', '.join(differing)} differ from keyworker_app/settings_catalogue.py; "
        f"run `{COMMAND}` and commit the result."
    )


def test_a_changed_declaration_shows_in_both_documents() -> None:
    marking = CATALOGUE.setting("organisation.marking")
    changed = replace(marking, default="OFFICIAL", summary="the marking on every page")
    catalogue = Catalogue(tuple(changed if s is marking else s for s in CATALOGUE))
    assert stale(ROOT, catalogue) == [ROOT / EXAMPLE, ROOT / GUIDE]
    assert "| `organisation.marking` | the marking on every page | `OFFICIAL` |" in (
        settings_table(catalogue)
    )


def test_the_example_is_a_file_keyworker_accepts_with_every_example_value() -> None:
    values = read_file(ROOT / EXAMPLE, warn=pytest.fail)
    active = [s for s in CATALOGUE if s.example_active]
    assert sorted(values) == sorted(s.key for s in active)
    reading = Reading(ROOT / EXAMPLE, CATALOGUE, pytest.fail)
    for setting in active:
        assert values[setting.key] == setting.kind.check(setting.example, reading)
    known = {t.id for t in load_library().latest_all()}
    assert set(values["practice.templates"]) <= known


def test_each_setting_is_a_field_of_the_settings_with_its_declared_default() -> None:
    defaults = {f.name: f.default for f in fields(OrganisationSettings)}
    for setting in CATALOGUE:
        assert defaults[setting.attribute] == setting.default, setting.key
        # A default is no value at all, or one its own check keeps as it is.
        if setting.default not in (None, "", frozenset()):
            reading = Reading(ROOT / EXAMPLE, CATALOGUE, pytest.fail)
            assert setting.kind.check(setting.default, reading) == setting.default


def test_only_the_text_between_the_markers_is_replaced() -> None:
    guide = (
        "Intro\n<!-- settings-table:start: generated -->\nold\n<!-- settings-table:end -->\nEnd\n"
    )
    assert with_table(guide, "| new |\n") == (
        "Intro\n<!-- settings-table:start: generated -->\n| new |\n"
        "<!-- settings-table:end -->\nEnd\n"
    )
    with pytest.raises(ValueError, match="needs one"):
        with_table("Intro\n| old |\n", "| new |\n")


def test_the_check_names_each_stale_document_and_the_command_then_writing_fixes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "docs").mkdir()
    for document in (EXAMPLE, GUIDE):
        shutil.copy(ROOT / document, tmp_path / document)
    guide = (tmp_path / GUIDE).read_text(encoding="utf-8")
    (tmp_path / GUIDE).write_text(guide.replace("(1 to 240)", "(1 to 99)"), encoding="utf-8")

    assert main(["--check", "--root", str(tmp_path)]) == 1
    said = capsys.readouterr().err
    assert f"{tmp_path / GUIDE} differs" in said and f"run `{COMMAND}`" in said
    assert str(EXAMPLE.name) not in said

    assert main(["--root", str(tmp_path)]) == 0
    assert (tmp_path / GUIDE).read_text(encoding="utf-8") == guide
    assert main(["--check", "--root", str(tmp_path)]) == 0
