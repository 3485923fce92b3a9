"""Who may see and change what. Enforced by the server on every push and pull.

Keyworkers, clinicians and supervisors see their own team's young people; a restricted young
person is seen only by the users named for them; admins manage accounts and see no case data.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.server.models import Account, Record, Restriction
from keyworker_app.server.records import SHARED_TYPES

CASE_ROLES = frozenset({"keyworker", "clinician", "supervisor"})


@dataclass(frozen=True)
class Viewer:
    user_name: str
    role: str
    team_id: str | None


def viewer_of(account: Account) -> Viewer:
    return Viewer(account.user_name, account.role, account.team_id)


def allowed_for(session: Session, young_person_id: str) -> set[str] | None:
    """The users named for a restricted young person, or None when not restricted."""
    names = set(
        session.scalars(
            select(Restriction.user_name).where(Restriction.young_person_id == young_person_id)
        )
    )
    return names or None


def can_see_young_person(
    session: Session, viewer: Viewer, young_person_id: str, team_id: str | None
) -> bool:
    if viewer.role not in CASE_ROLES:
        return False
    allowed = allowed_for(session, young_person_id)
    if allowed is not None:
        return viewer.user_name in allowed
    return team_id is not None and team_id == viewer.team_id


def visible_young_people(session: Session, viewer: Viewer) -> set[str]:
    """Every young person ``viewer`` may see now."""
    if viewer.role not in CASE_ROLES:
        return set()
    restricted: dict[str, set[str]] = {}
    for young_person_id, user_name in session.execute(
        select(Restriction.young_person_id, Restriction.user_name)
    ):
        restricted.setdefault(young_person_id, set()).add(user_name)
    team_people = set(
        session.scalars(
            select(Record.record_id).where(
                Record.record_type == "young_person", Record.team_id == viewer.team_id
            )
        )
    )
    mine = {yp for yp, users in restricted.items() if viewer.user_name in users}
    return {yp for yp in team_people if yp not in restricted} | mine


def can_see_record(
    session: Session, viewer: Viewer, record: Record, visible: set[str] | None = None
) -> bool:
    if record.young_person_id is None:
        # Shared records: teams, staff, template versions. Admins see no case data at all.
        return viewer.role in CASE_ROLES
    if visible is not None:
        return record.young_person_id in visible
    person = session.get(Record, ("young_person", record.young_person_id))
    team_id = person.team_id if person is not None else record.team_id
    return can_see_young_person(session, viewer, record.young_person_id, team_id)


def sees_record(
    viewer: Viewer,
    visible: set[str],
    record_type: str,
    young_person_id: str | None,
    team_id: str | None,
) -> bool:
    """A young person's records go to those who may see the young person; a team's own records
    (team forms, team actions) to the team; teams, workers and templates to every case worker."""
    if young_person_id is not None:
        return young_person_id in visible
    if viewer.role not in CASE_ROLES:
        return False
    return record_type in SHARED_TYPES or (team_id is not None and team_id == viewer.team_id)
