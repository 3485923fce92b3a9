"""The caseload CSV export: it re-imports with the real importer into a fresh store unchanged,
exports again byte for byte, imports back into its own store as no change, and the command
line writes it or refuses with one sentence."""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from keyworker_app.demo import generate_demo
from keyworker_app.domain.caseload_csv import COLUMNS, parse_caseload_csv
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.ssda903 import SSDA903_CODES, SSDA903_DESCRIPTIONS, ssda903_code
from keyworker_app.domain.vocabulary import (
    LegalStatus,
    Outcome,
    PlacementType,
    RiskCategory,
    Role,
)
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.export_csv import EXPORT_COLUMNS, export_caseload_csv
from keyworker_app.store.importing import import_caseload
from keyworker_app.store.models import Placement, Referral, Staff, Team, YoungPerson
from tests.integration.test_cli import Cli, one_sentence_error

TODAY = date(2026, 6, 30)


def export(store: Store) -> bytes:
    with store.reading() as session:
        return export_caseload_csv(session)


def add_edge_cases(store: Store) -> None:
    """What the demo does not make: a value needing quotes, pence, unknown in-area and cost, a
    second referral, a person with nothing else, and tombstones that must not be exported."""
    with store.unit_of_work() as uow:
        team = Team(id=new_id(), name="Hub, East")
        uow.add(team)
        uow.session.flush()
        worker = Staff(
            id=new_id(), user_name="zed.w", display_name="Zed", role=Role.KEYWORKER, team_id=team.id
        )
        uow.add(worker)
        uow.session.flush()
        quoted = YoungPerson(
            id=new_id(),
            reference="EDGE-1",
            given_name="Siân",
            family_name="O'Neill-Ng",
            date_of_birth=date(2010, 2, 28),
            school='St Mary\'s, "Upper"\nsite',
            uasc=True,
            legal_status=LegalStatus.SECTION_20,
            team_id=team.id,
            keyworker_id=worker.id,
        )
        bare = YoungPerson(
            id=new_id(),
            reference="EDGE-2",
            given_name="Bo",
            family_name="Nobody",
            date_of_birth=date(2012, 12, 12),
        )
        gone = YoungPerson(
            id=new_id(),
            reference="EDGE-3",
            given_name="Gone",
            family_name="Away",
            date_of_birth=date(2011, 1, 1),
        )
        uow.add_all([quoted, bare, gone])
        uow.session.flush()
        dropped_placement = Placement(
            id=new_id(),
            young_person_id=quoted.id,
            placement_type=PlacementType.SECURE,
            start_date=date(2025, 1, 1),
        )
        uow.add_all(
            [
                Referral(
                    id=new_id(),
                    young_person_id=quoted.id,
                    referral_date=date(2023, 3, 1),
                    source="Earlier referral",
                    risk_category=RiskCategory.OTHER,
                    closed_date=date(2023, 9, 1),
                    outcome=Outcome.OTHER,
                ),
                Referral(
                    id=new_id(),
                    young_person_id=quoted.id,
                    referral_date=date(2025, 4, 1),
                    source="MASH",
                    risk_category=RiskCategory.PLACEMENT_LIKELY_TO_DISRUPT,
                ),
                Placement(
                    id=new_id(),
                    young_person_id=quoted.id,
                    placement_type=PlacementType.IFA,
                    start_date=date(2025, 4, 1),
                    weekly_cost_pence=105_005,
                    in_area=False,
                ),
                Placement(
                    id=new_id(),
                    young_person_id=quoted.id,
                    placement_type=PlacementType.KINSHIP,
                    start_date=date(2024, 1, 1),
                    end_date=date(2025, 4, 1),
                ),
                dropped_placement,
                Referral(id=new_id(), young_person_id=gone.id, referral_date=date(2025, 5, 5)),
            ]
        )
        uow.commit()
    with store.unit_of_work() as uow:
        for record in (
            uow.get(YoungPerson, gone.id),
            uow.get(Placement, dropped_placement.id),
        ):
            assert record is not None
            uow.tombstone(record)
        uow.commit()


@pytest.fixture
def source(store: Store) -> Store:
    generate_demo(store, young_people=20, seed=11, years=2, today=TODAY)
    add_edge_cases(store)
    return store


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Store]:
    opened = Store.create(tmp_path / "fresh", os.urandom(32), user_name="importer")
    yield opened
    opened.close()


def import_bytes(store: Store, data: bytes) -> Any:
    parsed = parse_caseload_csv(data, today=TODAY)
    assert parsed.problems == ()
    assert parsed.notices == ("the column ssda903_code is not a caseload column and was ignored",)
    return import_caseload(store, parsed)


def snapshot(store: Store) -> dict[str, dict[str, Any]]:
    """Every field the format carries, by reference, with the latest referral only."""
    with store.reading() as session:
        teams = {t.id: t.name for t in session.scalars(select(Team))}
        staff = {s.id: s.user_name for s in session.scalars(select(Staff))}
        people = session.scalars(select(YoungPerson).where(YoungPerson.deleted.is_(False)))
        result: dict[str, dict[str, Any]] = {}
        for p in people:
            referrals = session.scalars(
                select(Referral).where(
                    Referral.young_person_id == p.id, Referral.deleted.is_(False)
                )
            ).all()
            latest = max(referrals, key=lambda r: r.referral_date or date.min, default=None)
            placements = session.scalars(
                select(Placement).where(
                    Placement.young_person_id == p.id, Placement.deleted.is_(False)
                )
            )
            result[p.reference] = {
                "person": (
                    p.given_name,
                    p.family_name,
                    p.date_of_birth,
                    p.school,
                    p.uasc,
                    p.legal_status,
                    teams.get(p.team_id or ""),
                    staff.get(p.keyworker_id or ""),
                    p.status,
                ),
                "referral": latest
                and (
                    latest.referral_date,
                    latest.source,
                    latest.risk_category,
                    latest.closed_date,
                    latest.outcome,
                ),
                "placements": sorted(
                    (
                        x.placement_type.value,
                        x.start_date,
                        x.end_date,
                        x.weekly_cost_pence,
                        x.in_area,
                    )
                    for x in placements
                ),
            }
        return result


def test_an_export_round_trips_through_the_real_importer(source: Store, fresh: Store) -> None:
    first = export(source)
    result = import_bytes(fresh, first)
    assert result.created == 22  # 20 demo young people and two edge cases, not the tombstoned
    assert export(fresh) == first
    assert snapshot(fresh) == snapshot(source)
    # Importing it again anywhere it came from changes nothing.
    for store in (fresh, source):
        again = import_bytes(store, first)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 22)
        assert (again.placements_added, again.placements_updated) == (0, 0)


def test_the_file_is_excel_csv_with_the_import_columns(source: Store) -> None:
    data = export(source)
    assert data.startswith(b"\xef\xbb\xbfreference,given_name,family_name,date_of_birth,")
    assert b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == [*COLUMNS, "ssda903_code"] == list(EXPORT_COLUMNS)
    edge = [r for r in rows if r["reference"] == "EDGE-1"]
    # Placements by start date; the person's and referral's columns on the first row only.
    assert [(r["placement_type"], r["placement_start"]) for r in edge] == [
        ("kinship", "2024-01-01"),
        ("ifa", "2025-04-01"),
    ]
    first, second = edge
    assert first["school"] == 'St Mary\'s, "Upper"\nsite'
    assert (first["team"], first["keyworker"], first["uasc"]) == ("Hub, East", "zed.w", "yes")
    assert (first["referral_date"], first["referral_source"]) == ("2025-04-01", "MASH")
    assert (first["placement_weekly_cost"], first["placement_in_area"]) == ("", "")
    assert (first["ssda903_code"], second["ssda903_code"]) == ("U3", "U6")
    assert second["given_name"] == second["referral_date"] == ""
    assert (second["placement_weekly_cost"], second["placement_in_area"]) == ("1050.05", "no")
    bare = [r for r in rows if r["reference"] == "EDGE-2"]
    assert len(bare) == 1 and bare[0]["placement_type"] == bare[0]["ssda903_code"] == ""
    assert not [r for r in rows if r["reference"] == "EDGE-3"]  # tombstoned


def test_an_empty_caseload_exports_just_the_header(store: Store) -> None:
    assert export(store) == ("\ufeff" + ",".join(EXPORT_COLUMNS) + "\r\n").encode()


def test_every_placement_type_has_an_ssda903_code() -> None:
    assert set(SSDA903_CODES) == set(PlacementType)
    assert set(SSDA903_CODES.values()) <= set(SSDA903_DESCRIPTIONS)
    assert ssda903_code(PlacementType.EXTERNAL_RESIDENTIAL) == "K2"
    assert ssda903_code("a_code_from_a_newer_version") is None


# -- the command line --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    runner = Cli(tmp_path_factory.mktemp("export-csv"))
    runner.ok("init", "--user", "asha.k")
    runner.ok("demo", "--young-people", "12", "--seed", "9", "--years", "1")
    yield runner


def test_export_csv_writes_a_file_another_caseload_imports_unchanged(
    cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "caseload.csv"
    result = cli.ok("export-csv", "--out", str(out))
    assert result.stdout.startswith("Wrote 12 young people and ")
    assert "not encrypted" in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    other = Cli(tmp_path / "other")
    other.ok("init", "--user", "bea.m")
    imported = other.ok("import-csv", str(out))
    assert "12 young people added" in imported.stdout
    again = tmp_path / "again.csv"
    # --data-dir is also accepted after the command.
    other.ok("export-csv", "--out", str(again), "--data-dir", str(other.data), data=False)
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("missing/caseload.csv", "does not exist"),
        (".", "is a folder"),
    ],
)
def test_export_csv_to_a_bad_place_gets_one_sentence_and_no_file(
    cli: Cli, tmp_path: Path, where: str, expected: str
) -> None:
    out = tmp_path / where
    message = one_sentence_error(cli("export-csv", "--out", str(out)))
    assert expected in message and message.endswith(".")
    assert not (tmp_path / "missing").exists()
    assert list(tmp_path.iterdir()) == []
