"""Importing a caseload spreadsheet into the store: all of it in one unit of work, or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from keyworker_app.domain.caseload_csv import CaseImport, ParsedCaseload, RowProblem
from keyworker_app.domain.vocabulary import CaseStatus, Role
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.engine import StoreError
from keyworker_app.store.models import Placement, Referral, Staff, Team, YoungPerson
from keyworker_app.store.unit_of_work import UnitOfWork

# Spreadsheet column -> YoungPerson field, for the person's own details.
PERSON_FIELDS = {
    "given_name": "given_name",
    "family_name": "family_name",
    "date_of_birth": "date_of_birth",
    "school": "school",
    "uasc": "uasc",
    "legal_status": "legal_status",
}
REFERRAL_FIELDS = {
    "referral_source": "source",
    "risk_category": "risk_category",
    "closed_date": "closed_date",
    "outcome": "outcome",
}


class ImportRefused(StoreError):
    """The file has problems and --skip-invalid was not given; nothing was written."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file; nothing was imported")
        self.problems = problems


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    placements_added: int = 0
    referrals_created: int = 0
    referrals_updated: int = 0
    teams_created: int = 0
    staff_created: int = 0
    rows_skipped: int = 0
    skipped_problems: list[RowProblem] = field(default_factory=list)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def describe_result(result: ImportResult) -> str:
    parts = [
        _count(result.created, "young person added", "young people added"),
        f"{result.updated} updated",
        f"{result.unchanged} unchanged",
        _count(result.placements_added, "placement added", "placements added"),
        _count(
            result.referrals_created + result.referrals_updated,
            "referral added or updated",
            "referrals added or updated",
        ),
    ]
    if result.teams_created or result.staff_created:
        parts.append(
            _count(result.teams_created, "team", "teams")
            + " and "
            + _count(result.staff_created, "worker", "workers")
            + " added"
        )
    if result.rows_skipped:
        parts.append(_count(result.rows_skipped, "bad row skipped", "bad rows skipped"))
    return ", ".join(parts) + "."


class _Importer:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session
        self.result = ImportResult()
        self.teams = {t.name.casefold(): t for t in self.session.scalars(select(Team))}
        self.staff = {s.user_name.casefold(): s for s in self.session.scalars(select(Staff))}

    def team(self, name: str | None) -> Team | None:
        if not name:
            return None
        found = self.teams.get(name.casefold())
        if found is None:
            found = self.teams[name.casefold()] = Team(name=name)
            self.uow.add(found)
            self.session.flush()
            self.result.teams_created += 1
        return found

    def worker(self, user_name: str | None, team: Team | None) -> Staff | None:
        if not user_name:
            return None
        found = self.staff.get(user_name.casefold())
        if found is None:
            found = Staff(
                user_name=user_name,
                display_name=user_name,
                role=Role.KEYWORKER,
                team_id=team.id if team else None,
            )
            self.staff[user_name.casefold()] = found
            self.uow.add(found)
            self.session.flush()
            self.result.staff_created += 1
        return found

    def apply(self, case: CaseImport) -> None:
        team = self.team(case.get("team"))
        worker = self.worker(case.get("keyworker"), team)
        wanted: dict[str, Any] = {
            attr: case.get(column)
            for column, attr in PERSON_FIELDS.items()
            if case.get(column) is not None
        }
        if team is not None:
            wanted["team_id"] = team.id
        if worker is not None:
            wanted["keyworker_id"] = worker.id
        if case.get("closed_date") is not None:
            wanted["status"] = CaseStatus.CLOSED
        person = self.session.scalars(
            select(YoungPerson).where(YoungPerson.reference == case.reference)
        ).first()
        if person is None:
            person = YoungPerson(reference=case.reference, **wanted)
            self.uow.add(person)
            self.session.flush()
            self.result.created += 1
            self.referral(person, case)
            self.placements(person, case)
            return
        changed = _update(person, wanted)
        changed |= self.referral(person, case)
        changed |= self.placements(person, case)
        if changed:
            self.result.updated += 1
        else:
            self.result.unchanged += 1

    def referral(self, person: YoungPerson, case: CaseImport) -> bool:
        referred = case.get("referral_date")
        wanted = {
            attr: case.get(col)
            for col, attr in REFERRAL_FIELDS.items()
            if case.get(col) is not None
        }
        if referred is None and not wanted:
            return False
        # One referral per date; a risk category or outcome without a date is kept all the same.
        same_date = (
            Referral.referral_date.is_(None)
            if referred is None
            else Referral.referral_date == referred
        )
        existing = self.session.scalars(
            select(Referral).where(
                Referral.young_person_id == person.id, same_date, Referral.deleted.is_(False)
            )
        ).first()
        if existing is None:
            self.uow.add(Referral(young_person_id=person.id, referral_date=referred, **wanted))
            self.result.referrals_created += 1
            return True
        if _update(existing, wanted):
            self.result.referrals_updated += 1
            return True
        return False

    def placements(self, person: YoungPerson, case: CaseImport) -> bool:
        added = False
        for row in case.placements:
            existing = self.session.scalars(
                select(Placement).where(
                    Placement.young_person_id == person.id,
                    Placement.placement_type == row.placement_type,
                    Placement.start_date == row.start,
                    Placement.deleted.is_(False),
                )
            ).first()
            wanted = {
                "end_date": row.end,
                "weekly_cost_pence": row.weekly_cost_pence,
                "in_area": row.in_area,
            }
            if existing is None:
                self.uow.add(
                    Placement(
                        young_person_id=person.id,
                        placement_type=row.placement_type,
                        start_date=row.start,
                        **wanted,
                    )
                )
                self.result.placements_added += 1
                added = True
            else:
                added |= _update(existing, {k: v for k, v in wanted.items() if v is not None})
        return added


def _update(record: Any, wanted: dict[str, Any]) -> bool:
    """Set only the fields that differ, so an unchanged row writes nothing at all."""
    changed = False
    for attr, value in wanted.items():
        if getattr(record, attr) != value:
            setattr(record, attr, value)
            changed = True
    return changed


def import_caseload(
    store: Store, parsed: ParsedCaseload, *, skip_invalid: bool = False, dry_run: bool = False
) -> ImportResult:
    """Create or update young people from a checked spreadsheet.

    Raises ImportRefused (writing nothing) when the file has problems and ``skip_invalid`` is
    false. ``dry_run`` does the whole import and then rolls it back, so its counts are exact.
    """
    if parsed.problems and (not skip_invalid or any(p.line == 0 for p in parsed.problems)):
        raise ImportRefused(parsed.problems)
    with store.unit_of_work() as uow:
        importer = _Importer(uow)
        for case in parsed.cases:
            importer.apply(case)
        result = importer.result
        result.rows_skipped = len(parsed.bad_lines)
        result.skipped_problems = list(parsed.problems)
        if not dry_run:
            uow.commit()
    return result
