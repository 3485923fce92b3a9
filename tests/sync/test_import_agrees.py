"""One meaning for a spreadsheet row: the same files imported into a laptop's store and into
the central store (SQLite and PostgreSQL) leave the same young people, referrals and
placements, field by field."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.server.database import Database
from keyworker_app.server.importing import import_central
from keyworker_app.server.models import Record
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.importing import import_caseload
from keyworker_app.store.models import Placement, Referral, Staff, Syncable, Team, YoungPerson
from keyworker_app.store.serialise import content_fields, record_as_dict
from tests.sync.conftest import add_people

TODAY = date(2026, 11, 20)
HEADER = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,school,referral_date,"
    "referral_source,risk_category,closed_date,outcome,placement_type,placement_start,"
    "placement_end,placement_weekly_cost,placement_in_area,uasc,legal_status\n"
)
# C-1 has two placements over two rows; C-2 is closed with an outcome; C-3 leaves every
# optional column blank; C-4 is closed; C-5 has one dated referral.
FIRST = HEADER + (
    "C-1,Ava,Stone,2008-01-01,North,kw.one,Oak High,2024-01-10,police,"
    "placement_likely_to_disrupt,,,kinship,2023-01-01,2024-02-01,,yes,no,cin\n"
    "C-1,,,,,,,,,,,,ifa,2024-02-01,,850.00,no,,\n"
    "C-2,Ben,Hart,2009-02-02,North,kw.one,,2024-02-11,,other,2024-09-30,deflected_from_care,"
    ",,,,,,\n"
    "C-3,Eve,Moss,2010-05-05,,,,,,,,,,,,,,,\n"
    "C-4,Dan,Ash,2008-08-08,North,kw.one,Ash School,2023-03-03,,other,2023-09-01,,,,,,,yes,s20\n"
    "C-5,Fay,Lee,2011-11-11,North,,,2024-01-01,school,other,,,,,,,,,\n"
)
# Again, changed: C-1's IFA placement ended (and its cost changed) and their school changed;
# C-2 as before; C-3 referred and closed; C-4 referred again; C-5's case closed on a row
# without a referral date; C-6 is new.
SECOND = HEADER + (
    "C-1,Ava,Stone,2008-01-01,North,kw.one,Elm Academy,2024-01-10,police,"
    "placement_likely_to_disrupt,,,kinship,2023-01-01,2024-02-01,,yes,no,cin\n"
    "C-1,,,,,,,,,,,,ifa,2024-02-01,2025-03-31,900.00,no,,\n"
    "C-2,Ben,Hart,2009-02-02,North,kw.one,,2024-02-11,,other,2024-09-30,deflected_from_care,"
    ",,,,,,\n"
    "C-3,Eve,Moss,2010-05-05,,,,2024-05-05,,,2025-01-01,placement_stabilised,,,,,,,\n"
    "C-4,Dan,Ash,2008-08-08,,,,2025-06-01,,placement_likely_without_intervention,,,,,,,,,\n"
    "C-5,Fay,Lee,2011-11-11,,,,,,,2025-02-02,entered_care,,,,,,,\n"
    "C-6,Gus,Finch,2012-12-12,North,kw.one,,,,,,,with_parents,2025-05-05,,,yes,,\n"
)

# Compared by what they mean, not by each store's own ids.
PERSON_FIELDS = [
    f for f in content_fields(YoungPerson) if f not in {"team_id", "keyworker_id", "deleted"}
]
REFERRAL_FIELDS = [f for f in content_fields(Referral) if f != "young_person_id"]
PLACEMENT_FIELDS = [f for f in content_fields(Placement) if f != "young_person_id"]

Case = dict[str, Any]


def _case(
    person: dict[str, Any],
    team: str | None,
    keyworker: str | None,
    referrals: list[dict[str, Any]],
    placements: list[dict[str, Any]],
) -> Case:
    return {
        **{f: person.get(f) for f in PERSON_FIELDS},
        "team": team,
        "keyworker": keyworker,
        "referrals": sorted(
            ({f: r.get(f) for f in REFERRAL_FIELDS} for r in referrals),
            key=lambda r: (r["referral_date"] or "", repr(r)),
        ),
        "placements": sorted(
            ({f: p.get(f) for f in PLACEMENT_FIELDS} for p in placements),
            key=lambda p: (p["start_date"], p["placement_type"]),
        ),
    }


def laptop_cases(store: Store) -> dict[str, Case]:
    def content(record: Syncable) -> dict[str, Any]:
        return record_as_dict(record, with_bookkeeping=False)

    with store.reading() as session:
        teams = {t.id: t.name for t in session.scalars(select(Team))}
        staff = {s.id: s.user_name for s in session.scalars(select(Staff))}
        cases = {}
        for person in session.scalars(select(YoungPerson).where(YoungPerson.deleted.is_(False))):
            referrals = session.scalars(
                select(Referral).where(
                    Referral.young_person_id == person.id, Referral.deleted.is_(False)
                )
            )
            placements = session.scalars(
                select(Placement).where(
                    Placement.young_person_id == person.id, Placement.deleted.is_(False)
                )
            )
            cases[person.reference] = _case(
                content(person),
                teams.get(person.team_id or ""),
                staff.get(person.keyworker_id or ""),
                [content(r) for r in referrals],
                [content(p) for p in placements],
            )
    return cases


def central_cases(central: Database) -> dict[str, Case]:
    with central.session() as session:
        records = session.scalars(select(Record).where(Record.deleted.is_(False))).all()
        of_type: dict[str, list[Record]] = {}
        for record in records:
            of_type.setdefault(record.record_type, []).append(record)
        teams = {r.record_id: r.data["name"] for r in of_type.get("team", [])}
        staff = {r.record_id: r.data["user_name"] for r in of_type.get("staff", [])}

        def children(record_type: str, person: Record) -> list[dict[str, Any]]:
            return [
                r.data
                for r in of_type.get(record_type, [])
                if r.young_person_id == person.record_id
            ]

        return {
            person.data["reference"]: _case(
                person.data,
                teams.get(person.data.get("team_id") or ""),
                staff.get(person.data.get("keyworker_id") or ""),
                children("referral", person),
                children("placement", person),
            )
            for person in of_type.get("young_person", [])
        }


def central_versions(central: Database) -> dict[tuple[str, str], int]:
    with central.session() as session:
        return {(r.record_type, r.record_id): r.version for r in session.scalars(select(Record))}


def differences(laptop: dict[str, Case], central: dict[str, Case]) -> list[str]:
    """Each value that differs, as "C-4 status: laptop 'open', central 'closed'"."""
    found = []
    for reference in sorted(laptop.keys() | central.keys()):
        mine, theirs = laptop.get(reference, {}), central.get(reference, {})
        for name in sorted(mine.keys() | theirs.keys()):
            if mine.get(name) != theirs.get(name):
                found.append(
                    f"{reference} {name}: laptop {mine.get(name)!r}, central {theirs.get(name)!r}"
                )
    return found


def import_both(store: Store, central: Database, text: str) -> tuple[int, ...]:
    """Import ``text`` into both; the counts both report (added, updated, unchanged young
    people; placements added and updated), which must agree too."""
    parsed = parse_caseload_csv(text.encode(), today=TODAY)
    assert parsed.ok, parsed.problems
    mine = import_caseload(store, parsed)
    with central.session() as session, session.begin():
        theirs = import_central(session, parsed)
    counts = (
        mine.created,
        mine.updated,
        mine.unchanged,
        mine.placements_added,
        mine.placements_updated,
    )
    assert counts == (
        theirs.created,
        theirs.updated,
        theirs.unchanged,
        theirs.placements_added,
        theirs.placements_updated,
    )
    return counts


def test_a_spreadsheet_imported_on_a_laptop_and_centrally_gives_the_same_records(
    store: Store, central: Database
) -> None:
    # The central store refuses teams and workers it does not know; the laptop adds them.
    add_people(central, ("kw.one", "keyworker", "North"))

    assert import_both(store, central, FIRST) == (5, 0, 0, 2, 0)
    first = laptop_cases(store)
    assert differences(first, central_cases(central)) == []
    assert first["C-1"]["school"] == "Oak High"
    assert [p["weekly_cost_pence"] for p in first["C-1"]["placements"]] == [None, 85000]
    assert (first["C-2"]["status"], first["C-2"]["referrals"][0]["outcome"]) == (
        "closed",
        "deflected_from_care",
    )
    assert (first["C-3"]["school"], first["C-3"]["referrals"], first["C-3"]["team"]) == (
        None,
        [],
        None,
    )

    assert import_both(store, central, SECOND) == (1, 4, 1, 1, 1)
    second = laptop_cases(store)
    assert differences(second, central_cases(central)) == []
    # What the changed file meant, the same on both.
    assert second["C-1"]["school"] == "Elm Academy"
    assert [(p["end_date"], p["weekly_cost_pence"]) for p in second["C-1"]["placements"]] == [
        ("2024-02-01", None),
        ("2025-03-31", 90000),
    ]
    assert second["C-3"]["status"] == "closed"
    assert (second["C-4"]["status"], len(second["C-4"]["referrals"])) == ("open", 2)
    assert second["C-5"]["status"] == "closed"
    assert [(r["referral_date"], r["outcome"]) for r in second["C-5"]["referrals"]] == [
        ("2024-01-01", "entered_care")
    ]
    assert (second["C-6"]["keyworker"], second["C-6"]["team"]) == ("kw.one", "North")

    # A third import of the same file changes nothing on either.
    versions = central_versions(central)
    assert import_both(store, central, SECOND) == (0, 0, 6, 0, 0)
    assert laptop_cases(store) == second
    assert differences(second, central_cases(central)) == []
    assert central_versions(central) == versions
