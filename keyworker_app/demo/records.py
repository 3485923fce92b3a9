"""The records of one young person, built from their case plan.

Records are typed model instances that never join a session: the generator hands their column
values to the unit of work's bulk insert, which is several times faster than flushing objects.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from keyworker_app.demo.casefile import CasePlan
from keyworker_app.demo.clock import on_or_before, uk_moment
from keyworker_app.demo.narratives import SHORT_TYPES, NoteWriter
from keyworker_app.demo.wordlists import WordLists
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import (
    ActionSource,
    ActionStatus,
    CaseStatus,
    RecordStatus,
)
from keyworker_app.store.models import (
    Action,
    Addendum,
    Contact,
    MissingEpisode,
    Placement,
    Referral,
    Staff,
    Syncable,
    Team,
    YoungPerson,
)


@dataclass(frozen=True)
class Allocation:
    """Who works with one young person."""

    team: Team
    keyworker: Staff
    colleagues: tuple[Staff, ...]  # the team's other keyworkers, who cover visits
    supervisor: Staff
    clinician: Staff


@dataclass
class CaseRecords:
    records: list[Syncable] = field(default_factory=list)

    def append(self, record: Syncable) -> None:
        self.records.append(record)

    def counts(self) -> Counter[str]:
        return Counter(r.__tablename__ for r in self.records)

    def drafts(self) -> int:
        return sum(
            1 for r in self.records if isinstance(r, Contact) and r.status == RecordStatus.DRAFT
        )


@dataclass
class CaseBuilder:
    """Builds one case's records; shared helpers for the goal/action/chronology module."""

    rng: random.Random
    words: WordLists
    plan: CasePlan
    staff: Allocation
    person_id: str
    latest: datetime  # nothing generated is later than this (late yesterday evening)
    today: date
    writer: NoteWriter
    records: CaseRecords = field(default_factory=CaseRecords)

    def new_id(self, when: date | datetime) -> str:
        if not isinstance(when, datetime):
            when = datetime(when.year, when.month, when.day, 12, tzinfo=UTC)
        return new_id(at=when, rng=self.rng)

    def fill(self, template: str, day: date) -> str:
        return self.writer.fill(template, self.writer.context(day))

    def owner(self, *, clinical: bool = False) -> Staff:
        roll = self.rng.random()
        if clinical and roll < 0.5:
            return self.staff.clinician
        if roll < 0.75 or not self.staff.colleagues:
            return self.staff.keyworker
        if roll < 0.87:
            return self.staff.supervisor
        return self.rng.choice(self.staff.colleagues)

    def action(
        self, description: str, source: ActionSource, created: date, *, source_id: str | None = None
    ) -> Action:
        """An action agreed on ``created``; closed cases have finished all theirs."""
        rng = self.rng
        due = created + timedelta(days=rng.randint(3, 28))
        finish_by = self.plan.closed_date or self.today - timedelta(days=1)
        status = self._action_status(due)
        completed = None
        if status == ActionStatus.DONE:
            completed = min(max(due + timedelta(days=rng.randint(-5, 7)), created), finish_by)
        record = Action(
            id=self.new_id(created),
            young_person_id=self.person_id,
            team_id=self.staff.team.id,
            source=source,
            source_id=source_id,
            description=description,
            owner_id=self.owner(clinical=source == ActionSource.DEEP_DIVE).id,
            due_on=due,
            status=status,
            completed_on=completed,
        )
        self.records.append(record)
        return record

    def _action_status(self, due: date) -> ActionStatus:
        """Most actions get done; a few long past their date are still open (overdue)."""
        roll = self.rng.random()
        if self.plan.closed_date is not None:
            return ActionStatus.DONE if roll < 0.92 else ActionStatus.CANCELLED
        if due >= self.today - timedelta(days=7):
            return ActionStatus.DONE if roll < 0.35 else ActionStatus.OPEN
        if roll < 0.85:
            return ActionStatus.DONE
        return ActionStatus.CANCELLED if roll < 0.9 else ActionStatus.OPEN

    # -- the case's core records -----------------------------------------------------------
    def young_person(self, reference: str) -> None:
        plan, who = self.plan, self.plan.identity
        self.records.append(
            YoungPerson(
                id=self.person_id,
                reference=reference,
                given_name=who.given_name,
                family_name=who.family_name,
                preferred_name=who.preferred_name,
                date_of_birth=plan.date_of_birth,
                gender=who.gender,
                first_language=who.first_language,
                uasc=who.uasc,
                legal_status=plan.legal_status,
                school=plan.school,
                restricted=plan.restricted,
                team_id=self.staff.team.id,
                keyworker_id=self.staff.keyworker.id,
                status=CaseStatus.CLOSED if plan.closed_date else CaseStatus.OPEN,
            )
        )
        self.records.append(
            Referral(
                id=self.new_id(plan.referral_date),
                young_person_id=self.person_id,
                referral_date=plan.referral_date,
                source=plan.referral_source,
                reason=plan.referral_reason,
                risk_category=plan.risk,
                closed_date=plan.closed_date,
                outcome=plan.outcome,
            )
        )

    def placements(self) -> None:
        for placement in self.plan.placements:
            self.records.append(
                Placement(
                    id=self.new_id(placement.start),
                    young_person_id=self.person_id,
                    placement_type=placement.placement_type,
                    provider=placement.provider,
                    in_area=placement.in_area,
                    start_date=placement.start,
                    end_date=placement.end,
                    weekly_cost_pence=placement.weekly_cost_pence,
                    end_reason=placement.end_reason,
                )
            )

    def missing_episodes(self) -> list[MissingEpisode]:
        """About a quarter of young people go missing at least once during the work."""
        rng, plan = self.rng, self.plan
        exploited = "exploitation" in plan.themes or "out_late" in plan.themes
        span = (plan.last_day - plan.referral_date).days
        if rng.random() >= (0.45 if exploited else 0.12) or span < 0:
            return []
        count = rng.choice((1, 1, 1, 2, 2, 3, 4, 6) if exploited else (1, 1, 2))
        days = sorted(
            plan.referral_date + timedelta(days=rng.randint(0, span)) for _ in range(count)
        )
        return [self._missing_episode(day, exploited) for day in days]

    def _missing_episode(self, day: date, exploited: bool) -> MissingEpisode:
        rng, notes = self.rng, self.words.notes
        went = uk_moment(day, rng.randint(17 * 12, 23 * 12 + 11) * 5)
        returned = on_or_before(went + timedelta(minutes=rng.randint(3 * 60, 60 * 60)), self.latest)
        reported = rng.random() < 0.75
        interview = None
        text = [self.fill(rng.choice(_mentioning_police(notes["missing_notes"], reported)), day)]
        if reported and rng.random() < 0.8:
            interview = min(returned.date() + timedelta(days=rng.randint(1, 3)), self.today)
            text.append(self.fill(rng.choice(notes["return_interview"]), day))
        episode = MissingEpisode(
            id=self.new_id(went),
            young_person_id=self.person_id,
            went_missing_at=went,
            returned_at=returned,
            reported_to_police=reported,
            return_interview_on=interview,
            where_found=rng.choice(_mentioning_police(self.words.places.where_found, reported)),
            exploitation_concern=rng.random() < (0.45 if exploited else 0.08),
            notes=" ".join(text),
        )
        self.records.append(episode)
        return episode

    def contacts(self, episodes: list[MissingEpisode]) -> None:
        """Contacts from referral to closure (or yesterday), one or two a week at first."""
        rng, plan = self.rng, self.plan
        returns = sorted((e.returned_at or e.went_missing_at).date() for e in episodes)
        days = _contact_days(rng, plan.referral_date, plan.last_day)
        leave_draft = (
            plan.closed_date is None
            and bool(days)
            and (plan.last_day - days[-1]).days < 10
            and rng.random() < 0.07
        )
        previous = plan.referral_date - timedelta(days=1)
        for index, day in enumerate(days):
            missing = any(previous < r <= day for r in returns)
            draft = leave_draft and index == len(days) - 1
            self._contact(day, missing=missing, draft=draft)
            previous = day

    def _contact(self, day: date, *, missing: bool, draft: bool) -> None:
        rng = self.rng
        early = (day - self.plan.referral_date).days < 120
        text = self.writer.contact(day, missing_since_last=missing, early=early)
        occurred = on_or_before(uk_moment(day, text.minutes_after_midnight), self.latest)
        author = self._author()
        finalised = None if draft else self._finalised_at(day, occurred, text.duration_minutes)
        contact = Contact(
            id=self.new_id(occurred),
            young_person_id=self.person_id,
            occurred_at=occurred,
            contact_type=text.contact_type,
            duration_minutes=text.duration_minutes,
            location=text.location,
            present=text.present,
            purpose=text.purpose,
            narrative=text.narrative,
            own_words=text.own_words,
            worries=text.worries,
            significant=text.significant,
            status=RecordStatus.DRAFT if draft else RecordStatus.FINAL,
            author=author,
            finalised_at=finalised,
            finalised_by=None if draft else author,
        )
        self.records.append(contact)
        if draft:
            return
        if text.contact_type not in SHORT_TYPES and rng.random() < 0.08:
            self._agreed_action(contact, day)
        if rng.random() < 0.015:
            self._addendum(contact, day)

    def _finalised_at(self, day: date, occurred: datetime, duration: int | None) -> datetime:
        """Most notes are finished the same evening, the rest first thing next morning."""
        rng = self.rng
        if rng.random() < 0.7:
            moment = occurred + timedelta(minutes=(duration or 5) + rng.randint(10, 120))
        else:
            moment = uk_moment(day + timedelta(days=1), rng.randint(8 * 12 + 6, 11 * 12) * 5)
        return on_or_before(max(moment, occurred), self.latest)

    def _author(self) -> str:
        roll = self.rng.random()
        if roll < 0.9 or not self.staff.colleagues:
            return self.staff.keyworker.user_name
        if roll < 0.97:
            return self.rng.choice(self.staff.colleagues).user_name
        return self.staff.supervisor.user_name

    def _agreed_action(self, contact: Contact, day: date) -> None:
        themes = [self.words.themes[k] for k in self.plan.themes]
        ideas = [a for t in themes for a in t.actions] or self.words.notes["review_actions"]
        description = self.fill(self.rng.choice(ideas), day)
        self.action(description, ActionSource.CONTACT, day, source_id=contact.id)

    def _addendum(self, contact: Contact, day: date) -> None:
        rng = self.rng
        text = self.fill(rng.choice(self.words.notes["addenda"]), day)
        later = day + timedelta(days=rng.randint(1, 10))
        written = on_or_before(uk_moment(later, rng.randint(9 * 12, 17 * 12) * 5), self.latest)
        written = max(written, contact.finalised_at or contact.occurred_at)
        by_supervisor = "supervisor" in text.split(":")[0]
        self.records.append(
            Addendum(
                id=self.new_id(written),
                contact_id=contact.id,
                young_person_id=self.person_id,
                written_at=written,
                author=self.staff.supervisor.user_name if by_supervisor else contact.author or "",
                text=text,
            )
        )


def _mentioning_police(texts: Sequence[str], reported: bool) -> list[str]:
    """The texts that fit whether the police were told (notes must not contradict the flag)."""
    return [t for t in texts if reported or "police" not in t.lower()]


def _contact_days(rng: random.Random, first: date, last: date) -> list[date]:
    """About two contacts a week for four months, then weekly, then a little less."""
    days: list[date] = []
    day = first + timedelta(days=rng.randint(0, 3))
    while day <= last:
        days.append(day)
        weeks = (day - first).days / 7
        if weeks < 16:
            gap = rng.randint(1, 6)
        elif weeks < 52:
            gap = rng.randint(2, 10)
        else:
            gap = rng.randint(3, 13)
        day += timedelta(days=gap)
    return days
