"""`keyworker pack`, `supervision-pack` and `service-report` run as a user would run them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from keyworker_app.reports.pack_sections import CODES
from tests.integration.test_cli import Cli, caseload, one_sentence_error


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    runner = Cli(tmp_path_factory.mktemp("reports"))
    runner.ok("init", "--user", "asha.k")
    runner.ok("demo", "--young-people", "12", "--seed", "5", "--years", "1")
    yield runner


def test_a_review_pack_is_written_and_reads_back(cli: Cli, tmp_path: Path) -> None:
    reference = caseload(cli)[0]["reference"]
    out = tmp_path / "pack.pdf"
    result = cli.ok("pack", "--young-person", str(reference), "--out", str(out))
    assert "pages" in result.stdout
    reader = PdfReader(out)
    assert "OFFICIAL-SENSITIVE" in reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in reader.pages[-1].extract_text()


def test_the_pack_help_names_the_sections_of_the_table(cli: Cli) -> None:
    # The help is written out rather than read from the table: importing the pack's builders
    # would add a second to every command's start. The codes accepted come from the table.
    help_text = " ".join(cli.ok("pack", "--help", data=False).stdout.split())
    assert f"comma-separated: {', '.join(CODES)} (default all)" in help_text


def test_a_pack_with_a_password_needs_it(cli: Cli, tmp_path: Path) -> None:
    reference = caseload(cli)[0]["reference"]
    out = tmp_path / "locked.pdf"
    cli.ok(
        "pack",
        "--young-person",
        str(reference),
        "--out",
        str(out),
        "--sections",
        "summary",
        "--password-env",
        "PACK_PASSWORD",
        env={"PACK_PASSWORD": "open sesame seeds"},
    )
    reader = PdfReader(out)
    assert reader.is_encrypted and reader.decrypt("open sesame seeds") != 0


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--sections", "summary,letters"], {}, "no section called letters"),
        (["--password-env", "UNSET_VAR"], {}, "UNSET_VAR"),
        (["--from", "2026-13-01"], {}, "not a date"),
        (["--from", "2026-10-01", "--to", "2026-01-01"], {}, "starts after it ends"),
    ],
)
def test_bad_pack_requests_get_one_sentence_and_no_file(
    cli: Cli, tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    reference = caseload(cli)[0]["reference"]
    out = tmp_path / "pack.pdf"
    result = cli("pack", "--young-person", str(reference), "--out", str(out), *args, env=env)
    assert expected in one_sentence_error(result)
    assert not out.exists()


def test_a_pack_for_nobody_or_into_a_missing_folder_is_refused(cli: Cli, tmp_path: Path) -> None:
    result = cli("pack", "--young-person", "NOBODY", "--out", str(tmp_path / "p.pdf"))
    assert "NOBODY" in one_sentence_error(result)
    reference = caseload(cli)[0]["reference"]
    result = cli("pack", "--young-person", str(reference), "--out", str(tmp_path / "no" / "p.pdf"))
    assert "does not exist" in one_sentence_error(result)


def test_a_supervision_pack_lists_the_workers_young_people(cli: Cli, tmp_path: Path) -> None:
    rows = caseload(cli)
    worker = next(str(r["keyworker_user_name"]) for r in rows if r["keyworker_user_name"])
    mine = [r for r in rows if r["keyworker_user_name"] == worker and r["status"] == "open"]
    out = tmp_path / "supervision.pdf"
    cli.ok("supervision-pack", "--worker", worker, "--out", str(out))
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    for row in mine:
        assert str(row["reference"]) in text
    assert "nobody.here" in one_sentence_error(
        cli("supervision-pack", "--worker", "nobody.here", "--out", str(tmp_path / "x.pdf"))
    )


def test_the_service_report_writes_a_pdf_and_its_figures(cli: Cli, tmp_path: Path) -> None:
    out, figures = tmp_path / "report.pdf", tmp_path / "report.json"
    cli.ok(
        "service-report",
        "--from",
        "2025-01-01",
        "--to",
        "2026-12-31",
        "--out",
        str(out),
        "--json",
        str(figures),
    )
    body = json.loads(figures.read_text())
    for key in ("received", "closed", "open", "by_risk_category"):
        assert key in body["referrals"]
    assert body["referrals"]["received"] == len(caseload(cli))  # all referred in the range
    assert {"full_year_saving_from_ended", "full_year_cost_of_new", "net_full_year"} <= set(
        body["cost"]
    )
    assert "outcomes" in body and "placements_started" in body and "capacity" in body
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Service report" in text and "OFFICIAL-SENSITIVE" in text


def test_a_service_report_over_too_many_years_is_refused(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "century.pdf"
    result = cli("service-report", "--from", "2000-01-01", "--to", "2099-12-31", "--out", str(out))
    assert result.returncode == 1
    assert "covers at most 10 years" in one_sentence_error(result)
    assert not out.exists()
