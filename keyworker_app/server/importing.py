"""Cases arriving centrally: the caseload spreadsheet format, applied to the central store.

Teams and keyworkers are matched by name (they must already exist); every row is checked before
anything is written, exactly as on the desktop."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.domain.caseload_csv import CaseImport, ParsedCaseload, RowProblem
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import CaseStatus
from keyworker_app.server.accounts import audit, find_account
from keyworker_app.server.models import Record
from keyworker_app.server.records import write_record
from keyworker_app.store.serialise import to_json_value


@dataclass
class CentralImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    placements_added: int = 0
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


def _person_values(
    session: Session, case: CaseImport, teams: dict[str, Record]
) -> dict[str, object]:
    person = case.person
    values: dict[str, object] = {
        "reference": case.reference,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth.isoformat(),
    }
    for name in ("school", "uasc", "legal_status"):
        value = getattr(person, name)
        if value is not None:
            values[name] = to_json_value(value)
    if person.team:
        values["team_id"] = teams[person.team.casefold()].record_id
    if person.keyworker:
        account = find_account(session, person.keyworker)
        values["keyworker_id"] = account.staff_id if account else None
    if case.referral and case.referral.closed_date:
        values["status"] = CaseStatus.CLOSED.value
    return values


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
    existing = {
        str(r.data.get("reference")): r
        for r in session.scalars(
            select(Record).where(Record.record_type == "young_person", Record.deleted.is_(False))
        )
    }
    for case in parsed.cases:
        if case.lines[0] in refused_lines:
            continue
        values = _person_values(session, case, teams)
        record = existing.get(case.reference)
        if record is None:
            record_id = new_id()
            write_record(
                session,
                "young_person",
                record_id,
                {"uasc": False, "restricted": False, "status": "open", "deleted": False, **values},
                actor=actor,
            )
            result.created += 1
        else:
            record_id = record.record_id
            if any(record.data.get(k) != v for k, v in values.items()):
                write_record(
                    session, "young_person", record_id, {**record.data, **values}, actor=actor
                )
                result.updated += 1
            else:
                result.unchanged += 1
        _referral(session, record_id, case, actor)
        result.placements_added += _placements(session, record_id, case, actor)
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


def _referral(session: Session, young_person_id: str, case: CaseImport, actor: str) -> None:
    referral = case.referral
    if referral is None:
        return
    values = {
        "young_person_id": young_person_id,
        "referral_date": to_json_value(referral.referral_date),
        "source": referral.source,
        "risk_category": to_json_value(referral.risk_category),
        "closed_date": to_json_value(referral.closed_date),
        "outcome": to_json_value(referral.outcome),
    }
    values = {k: v for k, v in values.items() if v is not None}
    same = [
        r
        for r in _children(session, "referral", young_person_id)
        if r.data.get("referral_date") == values.get("referral_date")
    ]
    if not same:
        write_record(session, "referral", new_id(), {"deleted": False, **values}, actor=actor)
    elif any(same[0].data.get(k) != v for k, v in values.items()):
        write_record(
            session, "referral", same[0].record_id, {**same[0].data, **values}, actor=actor
        )


def _placements(session: Session, young_person_id: str, case: CaseImport, actor: str) -> int:
    added = 0
    known = {
        (r.data.get("placement_type"), r.data.get("start_date"))
        for r in _children(session, "placement", young_person_id)
    }
    for placement in case.placements:
        key = (placement.placement_type.value, placement.start.isoformat())
        if key in known:
            continue
        write_record(
            session,
            "placement",
            new_id(),
            {
                "young_person_id": young_person_id,
                "placement_type": placement.placement_type.value,
                "start_date": placement.start.isoformat(),
                "end_date": to_json_value(placement.end),
                "weekly_cost_pence": placement.weekly_cost_pence,
                "in_area": placement.in_area,
                "deleted": False,
            },
            actor=actor,
        )
        known.add(key)
        added += 1
    return added
