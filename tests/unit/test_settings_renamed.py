"""A renamed setting: a file still using the old name works, and the reader says once, naming
the file, the old name and the new one. No setting has been renamed yet, so these tests declare
`practice.idle_lock` as the old name of `practice.idle_lock_minutes`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from keyworker_app import organisation
from keyworker_app.organisation import SettingsError, load_settings, read_file
from keyworker_app.settings_catalogue import CATALOGUE, Catalogue

OLD, NEW = "practice.idle_lock", "practice.idle_lock_minutes"


def renamed() -> Catalogue:
    return Catalogue(tuple(replace(s, old_names=(OLD,)) if s.key == NEW else s for s in CATALOGUE))


@pytest.fixture
def catalogue(monkeypatch: pytest.MonkeyPatch) -> Catalogue:
    with_old_name = renamed()
    monkeypatch.setattr(organisation, "CATALOGUE", with_old_name)
    return with_old_name


def warning(path: Path) -> str:
    return (
        f"{path}: '{OLD}' is now called '{NEW}'; rename it, the old name will stop working in "
        "a later version."
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_without_the_declaration_the_old_name_is_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, "keyworker.toml", "[practice]\nidle_lock = 5\n")
    with pytest.raises(SettingsError, match=rf"there is no setting '{OLD}' \(did you mean"):
        load_settings(path, None)


def test_an_old_name_still_works_with_one_warning_line_naming_the_file(
    tmp_path: Path, catalogue: Catalogue, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "keyworker.toml", "[practice]\nidle_lock = 5\n")
    settings = load_settings(path, None)
    assert settings.idle_lock_minutes == 5
    assert settings.sources == {NEW: path}
    assert capsys.readouterr().err == warning(path) + "\n"
    # Read again in the same run (IT checking the deployed file): not said twice.
    assert read_file(path) == {NEW: 5}
    assert capsys.readouterr().err == ""


def test_the_organisation_may_allow_a_setting_by_its_old_name(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    machine = write(tmp_path, "keyworker.toml", f'[users_may_change]\nsettings = ["{OLD}"]\n')
    user = write(tmp_path, "user.toml", "[practice]\nidle_lock = 20\n")
    heard: list[str] = []
    mine = load_settings(machine, user, warn=heard.append)
    assert mine.users_may_change == {NEW} and mine.user_may_change(NEW)
    assert (mine.idle_lock_minutes, mine.sources[NEW]) == (20, user)
    assert heard == [warning(machine), warning(user)]


def test_a_file_with_both_names_is_refused(tmp_path: Path, catalogue: Catalogue) -> None:
    path = write(tmp_path, "keyworker.toml", "[practice]\nidle_lock = 5\nidle_lock_minutes = 6\n")
    with pytest.raises(SettingsError) as refused:
        read_file(path, warn=lambda _: None)
    assert str(refused.value) == (
        f"{path}: '{OLD}' and '{NEW}' are the same setting; keep only '{NEW}'."
    )


def test_a_bad_value_under_the_old_name_names_what_the_file_says(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    path = write(tmp_path, "keyworker.toml", "[practice]\nidle_lock = 0\n")
    with pytest.raises(SettingsError) as refused:
        read_file(path, warn=lambda _: None)
    assert str(refused.value) == f"{path}: {OLD} must be a whole number from 1 to 240."


def test_keyworker_settings_works_with_an_old_name_and_warns_once(
    tmp_path: Path,
    catalogue: Catalogue,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from keyworker_app.cli import main

    path = write(tmp_path, "keyworker.toml", "[practice]\nidle_lock = 5\n")
    monkeypatch.setenv("KEYWORKER_SETTINGS", str(path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["--data-dir", str(tmp_path / "caseload"), "settings"]) == 0
    shown = capsys.readouterr()
    assert shown.err == warning(path) + "\n"
    assert f"{NEW}       5  [{path}]" in shown.out

    other = write(tmp_path, "other.toml", "[practice]\nidle_lock = 7\n")
    assert main(["--data-dir", str(tmp_path / "caseload"), "settings", "--check", str(other)]) == 0
    checked = capsys.readouterr()
    assert checked.err == warning(other) + "\n"  # the deployed file was warned of already
    assert checked.out == f"{other} is a valid settings file with 1 setting: {NEW}.\n"


def test_an_old_name_may_belong_to_one_setting_only() -> None:
    twice = (NEW, "organisation.name")
    with pytest.raises(ValueError, match=f"setting '{OLD}' is declared twice"):
        Catalogue(tuple(replace(s, old_names=(OLD,)) if s.key in twice else s for s in CATALOGUE))
    # Nor may it be the name of another setting now.
    name = CATALOGUE.setting("organisation.name")
    taken = replace(name, old_names=("practice.caseload_cap",))
    with pytest.raises(ValueError, match=r"setting 'practice\.caseload_cap' is declared twice"):
        Catalogue(tuple(taken if s is name else s for s in CATALOGUE))
