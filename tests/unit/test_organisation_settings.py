"""Organisation settings: a good file, a missing one, bad ones (each named by file and key),
and user overrides only where the organisation allows them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from keyworker_app import organisation
from keyworker_app.organisation import OrganisationSettings, SettingsError, load_settings
from keyworker_app.settings_catalogue import CATALOGUE, Catalogue
from keyworker_app.settings_docs import settings_table
from tests.pictures import png

GOOD = """
[organisation]
name = "Northshire Council"
logo = "northshire.png"
marking = "OFFICIAL-SENSITIVE: PERSONAL"

[central_store]
url = "https://keyworker.northshire.example/"

[practice]
idle_lock_minutes = 5
visiting_standard_days = 14
caseload_cap = 6
templates = ["five_ps_formulation", "deep_dive_review"]

[users_may_change]
settings = ["practice.idle_lock_minutes"]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_sets_everything(tmp_path: Path) -> None:
    (tmp_path / "northshire.png").write_bytes(png())
    settings = load_settings(write(tmp_path, "keyworker.toml", GOOD), tmp_path / "none.toml")
    assert settings.name == "Northshire Council"
    assert settings.logo == tmp_path / "northshire.png"
    assert settings.marking == "OFFICIAL-SENSITIVE: PERSONAL"
    assert settings.central_store_url == "https://keyworker.northshire.example"
    assert (settings.idle_lock_minutes, settings.visiting_standard_days) == (5, 14)
    assert settings.caseload_cap == 6
    assert settings.templates == ("five_ps_formulation", "deep_dive_review")
    assert settings.managed and not settings.user_may_change("practice.caseload_cap")
    assert settings.sources["practice.caseload_cap"] == tmp_path / "keyworker.toml"
    assert "organisation.logo" in settings.sources and "practice.nothing" not in settings.sources


def test_missing_files_give_the_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "a.toml", tmp_path / "b.toml") == OrganisationSettings()


def test_a_missing_file_named_by_the_environment_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYWORKER_SETTINGS", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError, match=r"missing\.toml: the settings file does not exist"):
        load_settings()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[practice]\nidle_lock_minute = 5\n", "(did you mean 'practice.idle_lock_minutes'?)"),
        ("[practice]\ncaseload_cap = 0\n", "practice.caseload_cap must be a whole number from 1"),
        ("[practice]\ncaseload_cap = true\n", "practice.caseload_cap must be a whole number"),
        ('[central_store]\nurl = "keyworker.example"\n', "central_store.url must be an address"),
        ('[organisation]\nlogo = "nowhere.png"\n', "organisation.logo must name a PNG or JPEG"),
        ("[organisation]\nname = 42\n", "organisation.name must be some text"),
        ('[practice]\ntemplates = "all"\n', "practice.templates must be a list of template ids"),
        ("name = 'x'\n", "'name' must be a [section] heading"),
        ('[users_may_change]\nsettings = ["organisation.nam"]\n', "must list settings from"),
        ("[users_may_change]\nsettings = [{ key = 1 }]\n", "must list settings from this file"),
        ('[users_may_change]\nsettings = "all"\n', "settings must list settings from this file"),
        ("[practice\n", "this is not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_file_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "keyworker.toml", text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path, None)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_logo_that_is_not_a_picture_is_named(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_text("not a picture")
    path = write(tmp_path, "keyworker.toml", '[organisation]\nlogo = "logo.png"\n')
    with pytest.raises(SettingsError, match=r"organisation\.logo must name a PNG or JPEG picture"):
        load_settings(path, None)
    (tmp_path / "logo.png").write_bytes(png()[:20])  # cut short before the picture's size
    with pytest.raises(SettingsError, match=r"organisation\.logo must name a PNG or JPEG picture"):
        load_settings(path, None)
    (tmp_path / "logo.png").write_bytes(png())
    assert load_settings(path, None).logo == tmp_path / "logo.png"


def test_a_user_may_change_only_what_the_organisation_allows(tmp_path: Path) -> None:
    (tmp_path / "northshire.png").write_bytes(png())
    machine = write(tmp_path, "keyworker.toml", GOOD)
    user = write(tmp_path, "user.toml", "[practice]\nidle_lock_minutes = 20\n")
    mine = load_settings(machine, user)
    assert (mine.idle_lock_minutes, mine.sources["practice.idle_lock_minutes"]) == (20, user)
    write(tmp_path, "user.toml", "[practice]\ncaseload_cap = 30\n")
    with pytest.raises(SettingsError, match=r"practice\.caseload_cap is set by the organisation"):
        load_settings(machine, user)


def test_without_an_organisation_file_the_user_may_set_everything(tmp_path: Path) -> None:
    user = write(tmp_path, "user.toml", "[practice]\nidle_lock_minutes = 20\ncaseload_cap = 5\n")
    mine = load_settings(tmp_path / "no-organisation.toml", user)
    assert (mine.idle_lock_minutes, mine.caseload_cap) == (20, 5)
    assert not mine.managed and mine.user_may_change("practice.caseload_cap")
    assert mine.sources["practice.caseload_cap"] == user
    with pytest.raises(SettingsError, match="only the organisation's file may set"):
        write(tmp_path, "user.toml", '[users_may_change]\nsettings = ["practice.caseload_cap"]\n')
        load_settings(tmp_path / "no-organisation.toml", user)


def test_a_setting_declared_for_the_organisation_only_is_never_a_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marking = CATALOGUE.setting("organisation.marking")
    fixed = replace(marking, user_may_change=False)
    catalogue = Catalogue(tuple(fixed if s is marking else s for s in CATALOGUE))
    monkeypatch.setattr(organisation, "CATALOGUE", catalogue)
    allows = (
        '[users_may_change]\nsettings = ["practice.idle_lock_minutes", "organisation.marking"]\n'
    )
    machine = write(tmp_path, "keyworker.toml", allows)
    with pytest.raises(SettingsError) as refused:
        load_settings(machine, None)
    assert str(refused.value) == (
        f"{machine}: users_may_change.settings lists 'organisation.marking', which only the "
        "organisation's file may set."
    )
    user = write(tmp_path, "user.toml", '[organisation]\nmarking = "OFFICIAL"\n')
    (tmp_path / "northshire.png").write_bytes(png())
    for organisation_file in (tmp_path / "none.toml", write(tmp_path, "keyworker.toml", GOOD)):
        with pytest.raises(SettingsError) as refused:
            load_settings(organisation_file, user)
        assert str(refused.value) == (
            f"{user}: only the organisation's file may set organisation.marking."
        )
    assert (
        "| `organisation.marking` | the protective marking printed at the top and bottom of "
        "every page (the organisation's file only) |" in settings_table(catalogue)
    )
