"""The caseload as a spreadsheet, in exactly the format ``keyworker import-csv`` reads, so an
export imports back (into this store or a fresh one) unchanged and exports again byte for byte.

One row per placement (a young person with none gets one row); the person's and referral's
columns are filled on their first row only, as the import format allows. Rows are ordered by
reference and placements by start date, never by record id, so two stores holding the same
caseload write the same bytes.

What the format cannot carry is left out: a young person's preferred name, gender, first
language, restricted flag and status (the import works status out from the closed date); a
referral's reason; a placement's provider and end reason; display names (workers are given by
user name); and every referral but the latest, since the format holds one per young person.
Tombstoned records are left out, and so is a team or worker that has been tombstoned.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.atomic import write_atomically
from keyworker_app.domain.caseload_csv import COLUMNS, guard_formula
from keyworker_app.domain.ssda903 import ssda903_code
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Placement, Referral, Staff, Team, YoungPerson

# The importer ignores columns it does not know (with a note), so the SSDA903 code rides along
# for the statutory return without breaking the round trip.
EXPORT_COLUMNS = (*COLUMNS, "ssda903_code")

Row = dict[str, str]


@dataclass(frozen=True)
class ExportCounts:
    young_people: int
    placements: int


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def _money(pence: int | None) -> str:
    # Plain pounds and pence, no "£" or thousands separator, so Excel reads it as a number.
    return "" if pence is None else f"{pence // 100}.{pence % 100:02d}"


def _code(value: object | None) -> str:
    return "" if value is None else str(value)


def _latest(referrals: list[Referral]) -> Referral | None:
    """The referral the import would match a dateless row to: the latest dated one, else one
    without a date. Ties are broken by content, not id, so the choice is the same anywhere."""
    return max(
        referrals,
        key=lambda r: (
            r.referral_date is not None,
            r.referral_date or date.min,
            r.closed_date or date.min,
            _code(r.risk_category),
            _code(r.outcome),
            r.source or "",
        ),
        default=None,
    )


def _placement_order(p: Placement) -> tuple[date, str, date, int, str]:
    return (
        p.start_date,
        _code(p.placement_type),
        p.end_date or date.max,
        p.weekly_cost_pence or 0,
        _yes_no(p.in_area),
    )


def _person_columns(person: YoungPerson, teams: dict[str, Team], staff: dict[str, Staff]) -> Row:
    team = teams.get(person.team_id or "")
    worker = staff.get(person.keyworker_id or "")
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": _day(person.date_of_birth),
        "team": team.name if team else "",
        "keyworker": worker.user_name if worker else "",
        "school": person.school or "",
        "uasc": _yes_no(person.uasc),
        "legal_status": _code(person.legal_status),
    }


def _referral_columns(referral: Referral | None) -> Row:
    if referral is None:
        return {}
    return {
        "referral_date": _day(referral.referral_date),
        "referral_source": referral.source or "",
        "risk_category": _code(referral.risk_category),
        "closed_date": _day(referral.closed_date),
        "outcome": _code(referral.outcome),
    }


def _placement_columns(placement: Placement) -> Row:
    return {
        "placement_type": _code(placement.placement_type),
        "placement_start": _day(placement.start_date),
        "placement_end": _day(placement.end_date),
        "placement_weekly_cost": _money(placement.weekly_cost_pence),
        "placement_in_area": _yes_no(placement.in_area),
        "ssda903_code": ssda903_code(placement.placement_type) or "",
    }


def _rows(session: Session) -> tuple[list[Row], ExportCounts]:
    live = YoungPerson.deleted.is_(False)
    people = list(session.scalars(select(YoungPerson).where(live).order_by(YoungPerson.reference)))
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.deleted.is_(False)))}
    staff = {s.id: s for s in session.scalars(select(Staff).where(Staff.deleted.is_(False)))}
    referrals: dict[str, list[Referral]] = defaultdict(list)
    for referral in session.scalars(select(Referral).where(Referral.deleted.is_(False))):
        referrals[referral.young_person_id].append(referral)
    placements: dict[str, list[Placement]] = defaultdict(list)
    for placement in session.scalars(select(Placement).where(Placement.deleted.is_(False))):
        placements[placement.young_person_id].append(placement)

    rows: list[Row] = []
    placement_count = 0
    for person in people:
        first: Row = {
            "reference": person.reference,
            **_person_columns(person, teams, staff),
            **_referral_columns(_latest(referrals[person.id])),
        }
        theirs = sorted(placements[person.id], key=_placement_order)
        placement_count += len(theirs)
        if not theirs:
            rows.append(first)
        for index, placement in enumerate(theirs):
            base = first if index == 0 else {"reference": person.reference}
            rows.append({**base, **_placement_columns(placement)})
    return rows, ExportCounts(young_people=len(people), placements=placement_count)


def _csv_bytes(rows: list[Row]) -> bytes:
    buffer = io.StringIO(newline="")
    # Excel's own "CSV UTF-8": a byte-order mark (so names like Siân open correctly) and CRLF.
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, restval="", lineterminator="\r\n")
    writer.writeheader()
    # A name like =HYPERLINK(...) must show as text in Excel, not run (the import undoes this).
    writer.writerows({k: guard_formula(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def export_caseload_csv(session: Session) -> bytes:
    """The caseload's young people, latest referrals and placements as import-format CSV."""
    return _csv_bytes(_rows(session)[0])


def save_caseload_csv(store: Store, out: Path) -> ExportCounts:
    """Write the caseload CSV to ``out`` atomically (readable by the user only) and audit it.

    Raises OSError when the file cannot be written; nothing is half-written.
    """
    with store.reading() as session:
        rows, counts = _rows(session)
    write_atomically(out, _csv_bytes(rows), mode=0o600)
    with store.unit_of_work() as uow:
        uow.audit(
            "export_caseload_csv",
            detail={"young_people": counts.young_people, "placements": counts.placements},
        )
        uow.commit()
    return counts
