"""Importing a checked caseload spreadsheet into the store: all of it in one unit of work, or
nothing.

Young people match by reference, teams by name and keyworkers by user name (both ignoring
case). What each young person's rows mean is decided in ``domain/case_changes.py``, as for the
central store's import; this module applies it. Only fields that differ are set, and a blank
cell never clears a stored value, so importing the same file twice writes nothing the second
time (no outbox entries, no audit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from keyworker_app.domain.case_changes import (
    ExistingCase,
    ExistingPlacement,
    ExistingReferral,
    Fields,
    PlacementChange,
    ReferralChange,
    changes_for,
)
from keyworker_app.domain.caseload_csv import COLUMNS, CaseImport, ParsedCaseload, RowProblem
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import Role
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.engine import StoreError
from keyworker_app.store.models import Placement, Referral, Staff, Syncable, Team, YoungPerson
from keyworker_app.store.unit_of_work import UnitOfWork


class ImportRefused(StoreError):
    """The file has problems and skipping bad rows was not asked for; nothing was written."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file; nothing was imported.")
        self.problems = list(problems)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    placements_added: int = 0
    placements_updated: int = 0
    referrals_created: int = 0
    referrals_updated: int = 0
    teams_created: int = 0
    staff_created: int = 0
    rows_skipped: int = 0
    skipped_problems: list[RowProblem] = field(default_factory=list)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def describe_result(result: ImportResult) -> str:
    """One sentence: "2 young people added, 0 updated, 1 unchanged; 3 placements added; ..."."""
    placements = _count(result.placements_added, "placement added", "placements added")
    if result.placements_updated:
        placements += f", {result.placements_updated} updated"
    parts = [
        f"{_count(result.created, 'young person added', 'young people added')}, "
        f"{result.updated} updated, {result.unchanged} unchanged",
        placements,
        f"{_count(result.referrals_created, 'referral added', 'referrals added')}, "
        f"{result.referrals_updated} updated",
    ]
    if result.teams_created or result.staff_created:
        parts.append(
            f"{_count(result.teams_created, 'team', 'teams')} and "
            f"{_count(result.staff_created, 'worker', 'workers')} added"
        )
    if result.rows_skipped:
        parts.append(_count(result.rows_skipped, "bad row skipped", "bad rows skipped"))
    return "; ".join(parts) + "."


def _sort_problems(problems: Iterable[RowProblem]) -> list[RowProblem]:
    return sorted(problems, key=lambda p: (p.line, COLUMNS.index(p.column) if p.column else -1))


class _Importer:
    """Applies cases inside one unit of work, counting what it does."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session
        self.result = ImportResult()
        # Deleted records stay (as tombstones) and keep their unique names, so they are loaded
        # too: a name they hold is a problem to report, not a new record to create.
        self.teams = {t.name.casefold(): t for t in self.session.scalars(select(Team))}
        self.staff = {s.user_name.casefold(): s for s in self.session.scalars(select(Staff))}
        self.people = {p.reference: p for p in self.session.scalars(select(YoungPerson))}

    def clashes(self, case: CaseImport) -> list[RowProblem]:
        """Problems only the store can show: names held by deleted records."""
        found = []
        line = case.lines[0]
        person = self.people.get(case.reference)
        if person is not None and person.deleted:
            found.append(
                RowProblem(
                    line,
                    "reference",
                    f"{case.reference} belongs to a deleted young person; use another reference",
                )
            )
        team = self.teams.get((case.person.team or "").casefold())
        if team is not None and team.deleted:
            found.append(
                RowProblem(
                    line, "team", f"{case.person.team} is a deleted team; use another team name"
                )
            )
        worker = self.staff.get((case.person.keyworker or "").casefold())
        if worker is not None and worker.deleted:
            found.append(
                RowProblem(
                    line,
                    "keyworker",
                    f"{case.person.keyworker} belongs to a deleted worker; use another user name",
                )
            )
        return found

    def team(self, name: str | None) -> Team | None:
        if not name:
            return None
        found = self.teams.get(name.casefold())
        if found is None:
            found = self.teams[name.casefold()] = Team(id=new_id(), name=name)
            self._insert_now(found)
            self.result.teams_created += 1
        return found

    def worker(self, user_name: str | None, team: Team | None) -> Staff | None:
        if not user_name:
            return None
        found = self.staff.get(user_name.casefold())
        if found is None:
            found = self.staff[user_name.casefold()] = Staff(
                id=new_id(),
                user_name=user_name,
                display_name=user_name,
                role=Role.KEYWORKER,
                team_id=team.id if team else None,
            )
            self._insert_now(found)
            self.result.staff_created += 1
        return found

    def _insert_now(self, record: Team | Staff | YoungPerson) -> None:
        # The models map no relationships, so a flush does not order inserts by foreign key:
        # a record others refer to is written first, on its own.
        self.uow.add(record)
        self.session.flush()

    def apply(self, case: CaseImport) -> None:
        person = self.people.get(case.reference)
        referrals: list[Referral] = []
        placements: list[Placement] = []
        if person is not None:
            # Read everything before changing anything: a query flushes pending changes, and
            # changing the person in two flushes would send two patches for one import.
            referrals = self._of(Referral, person)
            placements = self._of(Placement, person)
        team = self.team(case.person.team)
        worker = self.worker(case.person.keyworker, team)
        changes = changes_for(
            case,
            None if person is None else _existing(person, referrals, placements),
            team_id=team.id if team else None,
            keyworker_id=worker.id if worker else None,
        )
        if person is None:
            person = YoungPerson(id=new_id(), reference=case.reference, **changes.person)
            self.people[case.reference] = person
            self._insert_now(person)
            self.result.created += 1
        else:
            _set(person, changes.person)
            if changes.changes_anything:
                self.result.updated += 1
            else:
                self.result.unchanged += 1
        self.referral(person, changes.referral, referrals)
        self.placements(person, changes.placements, placements)

    def _of(self, model: type[Referral] | type[Placement], person: YoungPerson) -> list[Any]:
        return list(
            self.session.scalars(
                select(model).where(model.young_person_id == person.id, model.deleted.is_(False))
            )
        )

    def referral(
        self, person: YoungPerson, change: ReferralChange | None, existing: list[Referral]
    ) -> None:
        if change is None:
            return
        if change.key is None:
            self.uow.add(
                Referral(
                    id=new_id(),
                    young_person_id=person.id,
                    referral_date=change.referral_date,
                    **change.fields,
                )
            )
            self.result.referrals_created += 1
        else:
            _set(next(r for r in existing if r.id == change.key), change.fields)
            self.result.referrals_updated += 1

    def placements(
        self,
        person: YoungPerson,
        changes: Sequence[PlacementChange],
        existing: list[Placement],
    ) -> None:
        for change in changes:
            if change.key is None:
                self.uow.add(
                    Placement(
                        id=new_id(),
                        young_person_id=person.id,
                        placement_type=change.placement_type,
                        start_date=change.start_date,
                        **change.fields,
                    )
                )
                self.result.placements_added += 1
            else:
                _set(next(p for p in existing if p.id == change.key), change.fields)
                self.result.placements_updated += 1


def _set(record: Syncable, fields: Fields) -> None:
    # Only changed fields are given, so an unchanged row writes nothing at all.
    for name, value in fields.items():
        setattr(record, name, value)


def _existing(
    person: YoungPerson, referrals: list[Referral], placements: list[Placement]
) -> ExistingCase:
    """What the store holds for ``person``, for deciding what the rows mean."""
    return ExistingCase(
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        status=person.status,
        school=person.school,
        uasc=person.uasc,
        legal_status=person.legal_status,
        team_id=person.team_id,
        keyworker_id=person.keyworker_id,
        referrals=tuple(
            ExistingReferral(
                key=r.id,
                referral_date=r.referral_date,
                source=r.source,
                risk_category=r.risk_category,
                closed_date=r.closed_date,
                outcome=r.outcome,
            )
            for r in referrals
        ),
        placements=tuple(
            ExistingPlacement(
                key=p.id,
                placement_type=p.placement_type,
                start_date=p.start_date,
                end_date=p.end_date,
                weekly_cost_pence=p.weekly_cost_pence,
                in_area=p.in_area,
            )
            for p in placements
        ),
    )


def import_caseload(
    store: Store, parsed: ParsedCaseload, *, skip_invalid: bool = False, dry_run: bool = False
) -> ImportResult:
    """Create or update young people from a checked spreadsheet, in one unit of work.

    Raises ImportRefused, writing nothing, when the file has problems and ``skip_invalid`` is
    false, or when the file as a whole cannot be read. With ``skip_invalid`` bad rows are
    skipped and listed in ``skipped_problems``. ``dry_run`` does the whole import and rolls it
    back, so its counts are exactly what a real import would do.
    """
    if parsed.refused_whole or (parsed.problems and not skip_invalid):
        raise ImportRefused(parsed.problems)
    with store.unit_of_work() as uow:
        importer = _Importer(uow)
        clashes = {case.reference: importer.clashes(case) for case in parsed.cases}
        store_problems = [p for found in clashes.values() for p in found]
        if store_problems and not skip_invalid:
            raise ImportRefused(_sort_problems(store_problems))
        skipped_lines = set(parsed.bad_lines)
        for case in parsed.cases:
            if clashes[case.reference]:
                skipped_lines.update(case.lines)
            else:
                importer.apply(case)
        result = importer.result
        result.rows_skipped = len(skipped_lines)
        result.skipped_problems = _sort_problems([*parsed.problems, *store_problems])
        if not dry_run:
            uow.commit()
    return result
