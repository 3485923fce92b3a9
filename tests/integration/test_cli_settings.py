"""The organisation's settings file from the outside: a good file reaches the packs, the
caseload, the templates and sign-in; a bad or missing one stops every command with one sentence
naming the file and the key, exit code 2, and nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.integration.test_cli import Cli, caseload, files, one_sentence_error
from tests.pictures import png

MARKING = "OFFICIAL-SENSITIVE: NORTHSHIRE"
GOOD = f"""
[organisation]
name = "Northshire Council"
logo = "northshire.png"
marking = "{MARKING}"

[central_store]
url = "http://127.0.0.1:9"

[practice]
idle_lock_minutes = 5
visiting_standard_days = 3
caseload_cap = 1
templates = ["five_ps_formulation", "deep_dive_review"]

[users_may_change]
settings = ["practice.idle_lock_minutes"]
"""


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    runner = Cli(tmp_path_factory.mktemp("settings"))
    runner.ok("init", "--user", "asha.k")
    runner.ok("demo", "--young-people", "10", "--seed", "8", "--years", "1")
    yield runner


@pytest.fixture
def organisation(tmp_path: Path) -> dict[str, str]:
    """The environment that deploys GOOD as the organisation's file."""
    (tmp_path / "northshire.png").write_bytes(png())
    path = tmp_path / "keyworker.toml"
    path.write_text(GOOD, encoding="utf-8")
    return {"KEYWORKER_SETTINGS": str(path)}


def test_without_a_file_the_defaults_are_in_force(cli: Cli) -> None:
    shown = json.loads(cli.ok("settings", "--json").stdout)
    assert shown["settings"]["organisation.marking"] == {
        "value": "OFFICIAL-SENSITIVE",
        "from": "default",
    }
    assert shown["settings"]["practice.visiting_standard_days"]["value"] is None
    assert shown["files"]["organisation"]["exists"] is False


def test_settings_shows_each_value_and_the_file_it_came_from(
    cli: Cli, organisation: dict[str, str]
) -> None:
    text = cli.ok("settings", env=organisation).stdout
    path = organisation["KEYWORKER_SETTINGS"]
    assert f"practice.caseload_cap            1  [{path}]" in text
    assert "practice.templates               deep_dive_review, five_ps_formulation" in text
    assert "users_may_change.settings        practice.idle_lock_minutes" in text


def test_the_packs_carry_the_organisations_name_logo_and_marking(
    cli: Cli, organisation: dict[str, str], tmp_path: Path
) -> None:
    reference = caseload(cli)[0]["reference"]
    out = tmp_path / "pack.pdf"
    cli.ok("pack", "--young-person", str(reference), "--out", str(out), env=organisation)
    pages = PdfReader(out).pages
    assert "Northshire Council" in pages[0].extract_text()
    assert [image.image.size for image in pages[0].images] == [(120, 40)]
    assert all(MARKING in page.extract_text() for page in pages)

    plain = tmp_path / "plain.pdf"
    cli.ok("pack", "--young-person", str(reference), "--out", str(plain))
    first = PdfReader(plain).pages[0]
    assert "Northshire" not in first.extract_text() and not first.images
    assert MARKING not in first.extract_text() and "OFFICIAL-SENSITIVE" in first.extract_text()


def test_the_service_report_uses_the_organisations_cap(
    cli: Cli, organisation: dict[str, str], tmp_path: Path
) -> None:
    def workers(env: dict[str, str] | None) -> list[dict[str, object]]:
        out, figures = tmp_path / "report.pdf", tmp_path / "figures.json"
        period = ["--from", "2020-01-01", "--to", "2030-01-01"]
        cli.ok("service-report", *period, "--out", str(out), "--json", str(figures), env=env)
        assert MARKING in PdfReader(out).pages[-1].extract_text() or env is None
        return json.loads(figures.read_text())["capacity"]["workers"]

    assert {w["cap"] for w in workers(None)} != {1}
    capped = workers(organisation)
    assert capped and {w["cap"] for w in capped} == {1}
    assert all(w["over_cap"] == (w["open"] > 1) for w in capped)


def test_the_supervision_pack_shades_against_the_organisations_standard(
    cli: Cli, organisation: dict[str, str], tmp_path: Path
) -> None:
    worker = next(r["keyworker_user_name"] for r in caseload(cli) if r["keyworker_user_name"])
    out = tmp_path / "supervision.pdf"
    cli.ok("supervision-pack", "--worker", str(worker), "--out", str(out), env=organisation)
    cover = PdfReader(out).pages[0].extract_text()
    assert "Northshire Council" in cover and MARKING in cover
    rows = [
        r for r in caseload(cli) if r["keyworker_user_name"] == worker and r["status"] == "open"
    ]
    due = sum(1 for r in rows if r["days_since_contact"] is None or r["days_since_contact"] > 3)
    assert f"Due a visit {due}" in cover.replace("\n", " ")


def test_only_the_enabled_templates_are_offered(cli: Cli, organisation: dict[str, str]) -> None:
    listed = json.loads(cli.ok("forms", "list", "--json", env=organisation).stdout)["templates"]
    enabled = sorted(t["id"] for t in listed if t["enabled"])
    assert enabled == ["deep_dive_review", "five_ps_formulation"]
    assert len(listed) > 2  # the others are still there, for forms already written
    text = cli.ok("forms", "list", env=organisation).stdout
    assert "(turned off by your organisation)" in text
    assert "2 offered for new forms" in text


def test_login_signs_in_to_the_organisations_central_store(
    cli: Cli, organisation: dict[str, str]
) -> None:
    password = {"KEYWORKER_PASSWORD": "synthetic password"}
    missing = one_sentence_error(cli("login", "--user", "asha.k", env=password))
    assert "No central store was given: add --server URL" in missing
    # Nothing listens on port 9: the sentence shows it tried the organisation's address.
    tried = one_sentence_error(cli("login", "--user", "asha.k", env={**organisation, **password}))
    assert "127.0.0.1:9" in tried


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[practice]\nidle_lock_minute = 5\n", "did you mean 'practice.idle_lock_minutes'"),
        ("[practice]\ncaseload_cap = 0\n", "practice.caseload_cap must be a whole number"),
        ('[central_store]\nurl = "keyworker"\n', "central_store.url must be an address"),
        ('[practice]\ntemplates = ["five_ps"]\n', "practice.templates names 'five_ps'"),
        ('[organisation]\nlogo = "none.png"\n', "organisation.logo must name a PNG or JPEG"),
        ("[practice\n", "this is not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_file_stops_every_command_with_one_sentence(
    cli: Cli, tmp_path: Path, text: str, key: str
) -> None:
    path = tmp_path / "keyworker.toml"
    path.write_text(text, encoding="utf-8")
    env = {"KEYWORKER_SETTINGS": str(path)}
    before = files(cli.data)
    for command in (["caseload"], ["settings"], ["add-contact", "--young-person", "X",
                    "--type", "visit", "--note", "synthetic"]):  # fmt: skip
        result = cli(*command, env=env)
        assert result.returncode == 2, result.stderr
        sentence = one_sentence_error(result)
        assert sentence.startswith(f"{path}: ") and key in sentence
    assert files(cli.data) == before

    fresh = tmp_path / "fresh"
    result = cli("--data-dir", str(fresh), "init", data=False, env=env)
    assert result.returncode == 2 and not fresh.exists()

    # IT can still check another file while this one is broken.
    (tmp_path / "northshire.png").write_bytes(png())
    good = tmp_path / "good.toml"
    good.write_text(GOOD, encoding="utf-8")
    checked = cli.ok("settings", "--check", str(good), env=env).stdout
    assert checked.startswith(f"{good} is a valid settings file with 9 settings")
    refused = cli("settings", "--check", str(path))
    assert refused.returncode == 2 and key in one_sentence_error(refused)


def test_a_missing_file_named_by_the_environment_stops_the_command(
    cli: Cli, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.toml"
    result = cli("caseload", env={"KEYWORKER_SETTINGS": str(missing)})
    assert result.returncode == 2
    assert one_sentence_error(result) == f"{missing}: the settings file does not exist."


def test_a_user_file_may_change_only_what_the_organisation_allows(
    cli: Cli, organisation: dict[str, str]
) -> None:
    own = cli.home / "xdg-config" / "Keyworker" / "keyworker.toml"
    own.parent.mkdir(parents=True, exist_ok=True)
    try:
        own.write_text("[practice]\nidle_lock_minutes = 20\n", encoding="utf-8")
        shown = json.loads(cli.ok("settings", "--json", env=organisation).stdout)
        assert shown["settings"]["practice.idle_lock_minutes"] == {
            "value": 20,
            "from": str(own),
        }
        own.write_text("[practice]\ncaseload_cap = 30\n", encoding="utf-8")
        result = cli("caseload", env=organisation)
        assert result.returncode == 2
        assert one_sentence_error(result) == (
            f"{own}: practice.caseload_cap is set by the organisation and cannot be changed "
            "here; remove it from this file."
        )
    finally:
        own.unlink(missing_ok=True)


def test_the_desktop_app_does_not_open_on_a_bad_file(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "keyworker.toml"
    path.write_text("[practice]\nidle_lock_minutes = 0\n", encoding="utf-8")
    shot = tmp_path / "shot.png"
    result = cli("--screenshot", str(shot), env={"KEYWORKER_SETTINGS": str(path)})
    assert result.returncode == 2
    sentence = one_sentence_error(result)
    assert sentence.startswith(f"{path}: practice.idle_lock_minutes must be a whole number")
    assert sentence.endswith("ask your IT team.")
    assert not shot.exists()
