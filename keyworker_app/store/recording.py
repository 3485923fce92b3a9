"""Recording work with a young person: contacts, addenda, actions agreed, goals and chronology.

These are the use cases screens and the command line call with plain values. Each runs in one
unit of work, so the record, its outbox entries and its audit events are saved together or not
at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.domain.dates import utc_now
from keyworker_app.domain.vocabulary import (
    ActionSource,
    ChronologyCategory,
    ContactType,
    RecordStatus,
    ScoreStage,
    Worry,
)
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.engine import StoreError
from keyworker_app.store.models import (
    Action,
    Addendum,
    ChronologyEvent,
    Contact,
    Goal,
    GoalScore,
    Staff,
    YoungPerson,
)
from keyworker_app.store.unit_of_work import RecordLocked, UnitOfWork

# Clocks on laptops drift; a contact a few minutes "in the future" is a clock, not a typo.
FUTURE_GRACE = timedelta(minutes=5)


class NotFound(StoreError):
    pass


def find_young_person(session: Session, reference: str) -> YoungPerson | None:
    return session.scalars(
        select(YoungPerson).where(
            YoungPerson.reference == reference.strip(), YoungPerson.deleted.is_(False)
        )
    ).first()


def require_young_person(session: Session, reference: str) -> YoungPerson:
    young_person = find_young_person(session, reference)
    if young_person is None:
        raise NotFound(
            f"No young person has the reference {reference!r}; check it with `keyworker caseload`."
        )
    return young_person


def staff_by_user_name(session: Session, user_name: str) -> Staff | None:
    return session.scalars(select(Staff).where(Staff.user_name == user_name)).first()


@dataclass
class AgreedAction:
    description: str
    owner_user_name: str | None = None
    due_on: date | None = None


@dataclass
class ContactDetails:
    """What a worker writes about one contact."""

    contact_type: ContactType
    narrative: str
    occurred_at: datetime = field(default_factory=utc_now)
    duration_minutes: int | None = None
    location: str | None = None
    present: list[str] = field(default_factory=list)
    purpose: str | None = None
    own_words: str | None = None
    worries: list[Worry] = field(default_factory=list)
    significant: bool = False
    actions: list[AgreedAction] = field(default_factory=list)


def _require_storable(text: str | None, what: str) -> None:
    """Refuse text holding a lone surrogate (undecodable bytes on a command line, a broken
    paste) in one sentence: the store cannot encode it, and the error it raised named a codec."""
    try:
        (text or "").encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"The {what} holds a character that is not valid text (a lone surrogate, usually "
            "from bytes in another encoding); retype it and save again."
        ) from None


def _validate(details: ContactDetails) -> None:
    _require_storable(details.narrative, "note")
    for text, what in (
        (details.purpose, "purpose"),
        (details.own_words, "young person's own words"),
        (details.location, "location"),
        *((name, "list of people present") for name in details.present),
        *((action.description, "agreed action") for action in details.actions),
    ):
        _require_storable(text, what)
    if details.occurred_at.tzinfo is None:
        raise ValueError("The contact's time needs a time zone.")
    if details.occurred_at > utc_now() + FUTURE_GRACE:
        raise ValueError("A contact cannot be recorded in the future; check the date and time.")
    if details.duration_minutes is not None and not 0 <= details.duration_minutes <= 24 * 60:
        raise ValueError("The duration must be between 0 and 1,440 minutes.")


def _create_actions(uow: UnitOfWork, contact: Contact, actions: Sequence[AgreedAction]) -> None:
    for agreed in actions:
        owner = (
            staff_by_user_name(uow.session, agreed.owner_user_name)
            if agreed.owner_user_name
            else None
        )
        if agreed.owner_user_name and owner is None:
            raise NotFound(f"No worker has the user name {agreed.owner_user_name!r}.")
        uow.add(
            Action(
                young_person_id=contact.young_person_id,
                source=ActionSource.CONTACT,
                source_id=contact.id,
                description=agreed.description,
                owner_id=owner.id if owner else None,
                due_on=agreed.due_on,
            )
        )


def add_contact(
    store: Store, young_person_id: str, details: ContactDetails, *, finalise: bool = False
) -> Contact:
    """Record a contact, as a draft or finalised at once, with the actions agreed in it."""
    _validate(details)
    with store.unit_of_work() as uow:
        if uow.get(YoungPerson, young_person_id) is None:
            raise NotFound("That young person is not in this caseload.")
        contact = Contact(
            young_person_id=young_person_id,
            occurred_at=details.occurred_at,
            contact_type=ContactType(details.contact_type),
            duration_minutes=details.duration_minutes,
            location=details.location,
            present=list(details.present),
            purpose=details.purpose,
            narrative=details.narrative,
            own_words=details.own_words,
            worries=[Worry(w).value for w in details.worries],
            significant=details.significant,
            status=RecordStatus.DRAFT,
            author=store.user_name,
        )
        uow.add(contact)
        uow.session.flush()
        _create_actions(uow, contact, details.actions)
        if finalise:
            _finalise(uow, contact)
        uow.commit()
        return contact


def save_draft(store: Store, contact_id: str, details: ContactDetails) -> Contact:
    """Overwrite a draft contact's fields (autosave). Finalised contacts are refused."""
    _validate(details)
    with store.unit_of_work() as uow:
        contact = uow.get(Contact, contact_id)
        if contact is None:
            raise NotFound("That contact is not in this caseload.")
        if contact.status == RecordStatus.FINAL:
            raise RecordLocked(
                "This contact is finalised and cannot be edited; add an addendum instead."
            )
        contact.occurred_at = details.occurred_at
        contact.contact_type = ContactType(details.contact_type)
        contact.duration_minutes = details.duration_minutes
        contact.location = details.location
        contact.present = list(details.present)
        contact.purpose = details.purpose
        contact.narrative = details.narrative
        contact.own_words = details.own_words
        contact.worries = [Worry(w).value for w in details.worries]
        contact.significant = details.significant
        uow.commit()
        return contact


def _finalise(uow: UnitOfWork, contact: Contact) -> None:
    if not contact.narrative.strip():
        raise ValueError("A contact needs a note before it can be finalised.")
    contact.status = RecordStatus.FINAL
    contact.finalised_at = utc_now()
    contact.finalised_by = uow.actor


def finalise_contact(
    store: Store, contact_id: str, actions: Sequence[AgreedAction] = ()
) -> Contact:
    """Finalise a draft: from now on it takes addenda, never edits. Agreed actions are created."""
    with store.unit_of_work() as uow:
        contact = uow.get(Contact, contact_id)
        if contact is None:
            raise NotFound("That contact is not in this caseload.")
        if contact.status == RecordStatus.FINAL:
            raise RecordLocked("This contact is already finalised.")
        _finalise(uow, contact)
        _create_actions(uow, contact, actions)
        uow.commit()
        return contact


def add_addendum(store: Store, contact_id: str, text: str) -> Addendum:
    """A correction or addition to a finalised contact, with who and when."""
    if not text.strip():
        raise ValueError("An addendum needs some text.")
    _require_storable(text, "addendum")
    with store.unit_of_work() as uow:
        contact = uow.get(Contact, contact_id)
        if contact is None:
            raise NotFound("That contact is not in this caseload.")
        if contact.status != RecordStatus.FINAL:
            raise RecordLocked(
                "This contact is still a draft: edit it directly instead of adding an addendum."
            )
        addendum = Addendum(
            contact_id=contact.id,
            young_person_id=contact.young_person_id,
            written_at=utc_now(),
            author=store.user_name,
            text=text,
        )
        uow.add(addendum)
        uow.commit()
        return addendum


def score_goal(
    store: Store, goal_id: str, score: int, stage: ScoreStage, on: date, note: str | None = None
) -> GoalScore:
    """Append a 0-10 Goal Based Outcomes score."""
    if not 0 <= score <= 10:
        raise ValueError("A goal score is a whole number from 0 to 10.")
    with store.unit_of_work() as uow:
        goal = uow.get(Goal, goal_id)
        if goal is None:
            raise NotFound("That goal is not in this caseload.")
        entry = GoalScore(
            goal_id=goal.id,
            young_person_id=goal.young_person_id,
            scored_on=on,
            score=score,
            stage=stage,
            note=note,
        )
        uow.add(entry)
        uow.commit()
        return entry


def add_chronology_event(
    store: Store,
    young_person_id: str,
    occurred_on: date,
    category: ChronologyCategory,
    title: str,
    detail: str | None = None,
) -> ChronologyEvent:
    if not title.strip():
        raise ValueError("A chronology event needs a title.")
    with store.unit_of_work() as uow:
        if uow.get(YoungPerson, young_person_id) is None:
            raise NotFound("That young person is not in this caseload.")
        event = ChronologyEvent(
            young_person_id=young_person_id,
            occurred_on=occurred_on,
            category=category,
            title=title,
            detail=detail,
        )
        uow.add(event)
        uow.commit()
        return event


def record_opened(store: Store, young_person_id: str, *, purpose: str = "view") -> None:
    """Audit that the user opened a young person's record."""
    with store.unit_of_work() as uow:
        young_person = uow.get(YoungPerson, young_person_id)
        if young_person is None:
            raise NotFound("That young person is not in this caseload.")
        uow.audit("open_record", young_person, detail={"purpose": purpose})
        uow.commit()


def add_action(
    store: Store,
    young_person_id: str,
    description: str,
    *,
    owner_id: str | None = None,
    due_on: date | None = None,
    source: ActionSource = ActionSource.MANUAL,
    source_id: str | None = None,
) -> Action:
    """An action on a young person's record, with an owner and a due date."""
    if not description.strip():
        raise ValueError("An action needs a description.")
    with store.unit_of_work() as uow:
        if uow.get(YoungPerson, young_person_id) is None:
            raise NotFound("That young person is not in this caseload.")
        if owner_id is not None and uow.get(Staff, owner_id) is None:
            raise NotFound("That worker is not in this caseload.")
        action = Action(
            young_person_id=young_person_id,
            source=source,
            source_id=source_id,
            description=description.strip(),
            owner_id=owner_id,
            due_on=due_on,
        )
        uow.add(action)
        uow.commit()
        return action


def draft_contacts(session: Session, author: str) -> list[Contact]:
    """The author's unfinished contacts, newest first (they come back after a crash or lock)."""
    return list(
        session.scalars(
            select(Contact)
            .where(
                Contact.author == author,
                Contact.status == RecordStatus.DRAFT,
                Contact.deleted.is_(False),
            )
            .order_by(Contact.updated_at.desc())
        )
    )


# Fields of a young person scripts may set with `keyworker update`.
EDITABLE_PERSON_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "gender",
    "first_language",
    "uasc",
    "legal_status",
    "school",
    "status",
)


def _parse_field(name: str, text: str) -> object:
    from keyworker_app.domain.dates import parse_day
    from keyworker_app.domain.vocabulary import CaseStatus, Gender, LegalStatus

    value = text.strip()
    if name == "date_of_birth":
        return parse_day(value)
    if name == "uasc":
        if value.lower() in ("yes", "true", "1", "y"):
            return True
        if value.lower() in ("no", "false", "0", "n"):
            return False
        raise ValueError(f"'{text}' is not yes or no")
    vocabulary = {"gender": Gender, "legal_status": LegalStatus, "status": CaseStatus}.get(name)
    if vocabulary is not None:
        return vocabulary.parse(value) if value else None
    if name in ("given_name", "family_name") and not value:
        raise ValueError(f"{name} cannot be empty")
    return value or None


def update_young_person(store: Store, young_person_id: str, changes: dict[str, str]) -> list[str]:
    """Set fields of a young person from text (scripts, the command line); returns the fields
    that changed. Raises ValueError naming a field that cannot be set or a value that is wrong."""
    parsed: dict[str, object] = {}
    for name, text in changes.items():
        if name not in EDITABLE_PERSON_FIELDS:
            raise ValueError(
                f"'{name}' cannot be set this way; use one of: {', '.join(EDITABLE_PERSON_FIELDS)}"
            )
        try:
            parsed[name] = _parse_field(name, text)
        except ValueError as error:
            raise ValueError(f"{name}: {str(error).rstrip('.')}") from None
    with store.unit_of_work() as uow:
        person = uow.get(YoungPerson, young_person_id)
        if person is None:
            raise NotFound("That young person is not in this caseload.")
        changed = []
        for name, value in parsed.items():
            if getattr(person, name) != value:
                setattr(person, name, value)
                changed.append(name)
        uow.commit()
    return changed
