"""The demo's teams and staff, and which keyworker holds which young person.

Teams are reused by name, so a second run adds to the same hubs; new keyworkers are added for
the new young people so nobody goes over the team's caseload cap.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from keyworker_app.demo.people import staff_display_name, user_name_for
from keyworker_app.demo.records import Allocation
from keyworker_app.demo.wordlists import WordLists
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import Role
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Staff, Team

CASELOAD_CAP = 12
_TARGETS = (8, 12)  # how many open cases each new keyworker is meant to hold


@dataclass
class Crew:
    team: Team
    supervisor: Staff
    keyworkers: list[Staff]


@dataclass(frozen=True)
class Staffing:
    crews: list[Crew]
    clinician: Staff
    teams_created: int
    staff_created: int


def staff_the_teams(
    store: Store,
    rng: random.Random,
    words: WordLists,
    open_cases: list[int],
    *,
    created: date,
) -> Staffing:
    """Teams (reused by name), a supervisor each, one clinician, and enough keyworkers for
    ``open_cases[i]`` open cases in team i. Committed before any young person is written."""
    at = datetime(created.year, created.month, created.day, 9, tzinfo=UTC)
    with store.unit_of_work() as uow:
        teams = {t.name: t for t in uow.session.scalars(select(Team))}
        everyone = list(uow.session.scalars(select(Staff)))
        taken = {s.user_name for s in everyone}
        local_user_free = store.user_name not in taken
        taken.add(store.user_name)  # kept for the local user, never generated for anyone else
        new_teams: list[Team] = []
        for name in words.places.teams[: len(open_cases)]:
            if name not in teams:
                teams[name] = Team(id=new_id(at=at, rng=rng), name=name, caseload_cap=CASELOAD_CAP)
                new_teams.append(teams[name])
        uow.add_all(list(new_teams))
        uow.session.flush()
        new_staff: list[Staff] = []

        def hire(role: Role, team: Team, *, title: str = "") -> Staff:
            display = title + staff_display_name(rng, words)
            person = Staff(
                id=new_id(at=at, rng=rng),
                user_name=user_name_for(display, taken),
                display_name=display,
                role=role,
                team_id=team.id,
                active=True,
            )
            new_staff.append(person)
            return person

        crews = []
        for index, name in enumerate(words.places.teams[: len(open_cases)]):
            team = teams[name]
            supervisor = _existing(everyone, Role.SUPERVISOR, team) or hire(Role.SUPERVISOR, team)
            targets = _caseload_targets(rng, open_cases[index])
            keyworkers = [hire(Role.KEYWORKER, team) for _ in targets]
            crews.append(Crew(team, supervisor, keyworkers))
        if local_user_free:
            # The person running the demo should find a caseload under "my caseload".
            busiest = max(range(len(crews)), key=lambda i: open_cases[i])
            crews[busiest].keyworkers[0].user_name = store.user_name
        clinician = _existing(everyone, Role.CLINICIAN, None) or hire(
            Role.CLINICIAN, crews[0].team, title="Dr "
        )
        uow.add_all(list(new_staff))
        uow.commit()
    return Staffing(crews, clinician, len(new_teams), len(new_staff))


def _existing(everyone: list[Staff], role: Role, team: Team | None) -> Staff | None:
    for person in everyone:
        in_team = team is None or person.team_id == team.id
        if person.role == role and person.active and not person.deleted and in_team:
            return person
    return None


def _caseload_targets(rng: random.Random, open_count: int) -> list[int]:
    """One target per keyworker, enough between them for ``open_count`` cases (at least one)."""
    targets = [rng.randint(*_TARGETS)]
    while sum(targets) < open_count:
        targets.append(rng.randint(*_TARGETS))
    return targets


def allocate(
    rng: random.Random,
    staffing: Staffing,
    team_of: list[int],
    closed: list[bool],
) -> list[Allocation]:
    """A keyworker for every young person: open cases spread evenly within each team (never
    over the cap), closed ones with whichever worker held them."""
    turns = [itertools.cycle(crew.keyworkers) for crew in staffing.crews]
    result = []
    for team_index, is_closed in zip(team_of, closed, strict=True):
        crew = staffing.crews[team_index]
        keyworker = rng.choice(crew.keyworkers) if is_closed else next(turns[team_index])
        colleagues = tuple(k for k in crew.keyworkers if k is not keyworker)
        result.append(
            Allocation(crew.team, keyworker, colleagues, crew.supervisor, staffing.clinician)
        )
    return result
