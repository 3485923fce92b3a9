"""Cases arriving centrally: the caseload spreadsheet format, applied to the central store.

Teams and keyworkers are matched by name (they must already exist); every row is checked before
anything is written, and what each young person's rows mean is decided by
``domain/case_changes.py``, exactly as on the desktop."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.domain.case_changes import (
    ExistingCase,
    ExistingPlacement,
    ExistingReferral,
    Fields,
    PlacementChange,
    ReferralChange,
    changes_for,
)
from keyworker_app.domain.caseload_csv import ParsedCaseload, RowProblem
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import (
    CaseStatus,
    LegalStatus,
    Outcome,
    PlacementType,
    RiskCategory,
    Vocabulary,
)
from keyworker_app.server.accounts import find_account
from keyworker_app.server.audit_log import audit
from keyworker_app.server.models import Record
from keyworker_app.server.records import write_record
from keyworker_app.store.serialise import to_json_value

V = TypeVar("V", bound=Vocabulary)


@dataclass
class CentralImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    placements_added: int = 0
    placements_updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def _teams(session: Session) -> dict[str, Record]:
    return {
        str(r.data.get("name", "")).casefold(): r
        for r in session.scalars(
            select(Record).where(Record.record_type == "team", Record.deleted.is_(False))
        )
    }


def _check_names(session: Session, parsed: ParsedCaseload) -> list[RowProblem]:
    teams = _teams(session)
    problems = []
    for case in parsed.cases:
        line = case.lines[0]
        if case.person.team and case.person.team.casefold() not in teams:
            problems.append(
                RowProblem(
                    line,
                    "team",
                    f"there is no team called {case.person.team}; add it with add-team",
                )
            )
        if case.person.keyworker:
            account = find_account(session, case.person.keyworker)
            if account is None or account.staff_id is None:
                problems.append(
                    RowProblem(
                        line,
                        "keyworker",
                        f"there is no case worker called {case.person.keyworker}; "
                        "add them with add-user",
                    )
                )
    return problems


def _staff_id(session: Session, user_name: str | None) -> str | None:
    if not user_name:
        return None
    account = find_account(session, user_name)
    return account.staff_id if account else None


def import_central(
    session: Session, parsed: ParsedCaseload, *, skip_invalid: bool = False, actor: str = "admin"
) -> CentralImport:
    """Create or update young people (with referral and placements) from a checked spreadsheet.
    Raises ValueError listing problems when any row is bad and ``skip_invalid`` is false."""
    problems = list(parsed.problems) + _check_names(session, parsed)
    refused_lines = {p.line for p in problems}
    if problems and (not skip_invalid or any(p.line == 0 for p in problems)):
        result = CentralImport(problems=problems)
        raise ImportProblems(result)
    teams = _teams(session)
    result = CentralImport(problems=problems)
    # A deleted young person has let their reference go (see records._claim_reference), so a
    # row with it starts a new young person.
    existing = {
        str(r.data.get("reference")): r
        for r in session.scalars(
            select(Record).where(Record.record_type == "young_person", Record.deleted.is_(False))
        )
    }
    for case in parsed.cases:
        if case.lines[0] in refused_lines:
            continue
        record = existing.get(case.reference)
        referrals = _children(session, "referral", record.record_id) if record else []
        placements = _children(session, "placement", record.record_id) if record else []
        team = teams[case.person.team.casefold()] if case.person.team else None
        changes = changes_for(
            case,
            _existing(record, referrals, placements) if record else None,
            team_id=team.record_id if team else None,
            keyworker_id=_staff_id(session, case.person.keyworker),
        )
        if record is None:
            record_id = new_id()
            write_record(
                session,
                "young_person",
                record_id,
                {
                    "reference": case.reference,
                    "uasc": False,
                    "restricted": False,
                    "deleted": False,
                    **_json(changes.person),
                },
                actor=actor,
            )
            result.created += 1
        else:
            record_id = record.record_id
            if changes.person:
                write_record(
                    session,
                    "young_person",
                    record_id,
                    {**record.data, **_json(changes.person)},
                    actor=actor,
                )
            if changes.changes_anything:
                result.updated += 1
            else:
                result.unchanged += 1
        _referral(session, record_id, changes.referral, referrals, actor)
        _placements(session, record_id, changes.placements, placements, actor, result)
    audit(session, actor, "import_csv", created=result.created, updated=result.updated)
    return result


class ImportProblems(Exception):
    def __init__(self, result: CentralImport) -> None:
        super().__init__(f"{len(result.problems)} problem(s); nothing was imported")
        self.result = result


def _children(session: Session, record_type: str, young_person_id: str) -> list[Record]:
    return list(
        session.scalars(
            select(Record).where(
                Record.record_type == record_type,
                Record.young_person_id == young_person_id,
                Record.deleted.is_(False),
            )
        )
    )


def _json(fields: Fields) -> dict[str, Any]:
    return {name: to_json_value(value) for name, value in fields.items()}


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def _code(vocabulary: type[V], value: object) -> V | None:
    """The member for a stored code; None for none, or for a code this version does not know
    (the row's value then replaces it)."""
    try:
        return vocabulary(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _existing(record: Record, referrals: list[Record], placements: list[Record]) -> ExistingCase:
    """What the central store holds for one young person, as the domain's plain values."""
    data = record.data
    return ExistingCase(
        given_name=str(data.get("given_name", "")),
        family_name=str(data.get("family_name", "")),
        date_of_birth=_day(data.get("date_of_birth")) or date.min,
        status=_code(CaseStatus, data.get("status")) or CaseStatus.OPEN,
        school=data.get("school"),
        uasc=data.get("uasc"),
        legal_status=_code(LegalStatus, data.get("legal_status")),
        team_id=data.get("team_id"),
        keyworker_id=data.get("keyworker_id"),
        referrals=tuple(
            ExistingReferral(
                key=r.record_id,
                referral_date=_day(r.data.get("referral_date")),
                source=r.data.get("source"),
                risk_category=_code(RiskCategory, r.data.get("risk_category")),
                closed_date=_day(r.data.get("closed_date")),
                outcome=_code(Outcome, r.data.get("outcome")),
            )
            for r in referrals
        ),
        placements=tuple(
            ExistingPlacement(
                key=p.record_id,
                placement_type=placement_type,
                start_date=start,
                end_date=_day(p.data.get("end_date")),
                weekly_cost_pence=p.data.get("weekly_cost_pence"),
                in_area=p.data.get("in_area"),
            )
            for p in placements
            if (placement_type := _code(PlacementType, p.data.get("placement_type")))
            and (start := _day(p.data.get("start_date")))
        ),
    )


def _referral(
    session: Session,
    young_person_id: str,
    change: ReferralChange | None,
    existing: list[Record],
    actor: str,
) -> None:
    if change is None:
        return
    if change.key is None:
        values = {
            "young_person_id": young_person_id,
            "referral_date": to_json_value(change.referral_date),
            **_json(change.fields),
        }
        write_record(
            session,
            "referral",
            new_id(),
            {"deleted": False, **{k: v for k, v in values.items() if v is not None}},
            actor=actor,
        )
        return
    record = next(r for r in existing if r.record_id == change.key)
    write_record(
        session, "referral", record.record_id, {**record.data, **_json(change.fields)}, actor=actor
    )


def _placements(
    session: Session,
    young_person_id: str,
    changes: tuple[PlacementChange, ...],
    existing: list[Record],
    actor: str,
    result: CentralImport,
) -> None:
    for change in changes:
        if change.key is None:
            write_record(
                session,
                "placement",
                new_id(),
                {
                    "young_person_id": young_person_id,
                    "placement_type": change.placement_type.value,
                    "start_date": change.start_date.isoformat(),
                    "end_date": None,
                    "weekly_cost_pence": None,
                    "in_area": None,
                    **_json(change.fields),
                    "deleted": False,
                },
                actor=actor,
            )
            result.placements_added += 1
        else:
            record = next(p for p in existing if p.record_id == change.key)
            write_record(
                session,
                "placement",
                record.record_id,
                {**record.data, **_json(change.fields)},
                actor=actor,
            )
            result.placements_updated += 1
