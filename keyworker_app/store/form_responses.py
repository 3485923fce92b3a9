"""Filling in practice templates: responses that keep their template version, formulations that
keep every revision, and reviews whose recommendations become actions."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.domain.dates import utc_now
from keyworker_app.domain.vocabulary import ActionSource, GoalStatus, RecordStatus, ScoreStage
from keyworker_app.forms.answers import missing_required, planned_actions
from keyworker_app.forms.schema import Scope, TemplateDef
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import (
    Action,
    FormResponse,
    FormTemplate,
    Goal,
    GoalScore,
    Staff,
    YoungPerson,
)
from keyworker_app.store.recording import NotFound
from keyworker_app.store.unit_of_work import RecordLocked, UnitOfWork

GBO_TEMPLATE = "gbo_goals"
GBO_GOALS = 3
ACHIEVED_SCORE = 8  # an end score this high counts the goal as achieved
SOURCE_BY_TEMPLATE = {
    "deep_dive_review": ActionSource.DEEP_DIVE,
    "supervision_record": ActionSource.SUPERVISION,
}


class AnswersMissing(ValueError):
    def __init__(self, labels: list[str]) -> None:
        shown = ", ".join(labels[:5]) + (f" and {len(labels) - 5} more" if len(labels) > 5 else "")
        super().__init__(f"Some required answers are empty: {shown}.")
        self.labels = labels


def remember_template(uow: UnitOfWork, definition: TemplateDef) -> None:
    """Keep this template version in the store (once), so responses always render with it."""
    exists = uow.session.scalars(
        select(FormTemplate.id).where(
            FormTemplate.template_id == definition.id,
            FormTemplate.template_version == definition.version,
        )
    ).first()
    if exists is None:
        uow.add(
            FormTemplate(
                template_id=definition.id,
                template_version=definition.version,
                title=definition.title,
                definition=definition.as_json(),
            )
        )


def template_of(session: Session, response: FormResponse) -> TemplateDef:
    """The template version ``response`` was written in, as stored with it."""
    stored = session.scalars(
        select(FormTemplate).where(
            FormTemplate.template_id == response.template_id,
            FormTemplate.template_version == response.template_version,
        )
    ).first()
    if stored is None:
        raise NotFound(
            f"The template {response.template_id} version {response.template_version} is not in "
            "this caseload; sync, or add its file to the templates folder."
        )
    return TemplateDef.model_validate(stored.definition)


def start_response(
    store: Store,
    definition: TemplateDef,
    *,
    young_person_id: str | None = None,
    team_id: str | None = None,
    answers: dict[str, Any] | None = None,
) -> FormResponse:
    """A new draft response to ``definition`` for a young person or the team."""
    if definition.scope == Scope.YOUNG_PERSON and young_person_id is None:
        raise ValueError(
            f"“{definition.title}” belongs to a young person; open their record first."
        )
    with store.unit_of_work() as uow:
        if young_person_id is not None and uow.get(YoungPerson, young_person_id) is None:
            raise NotFound("That young person is not in this caseload.")
        remember_template(uow, definition)
        response = FormResponse(
            young_person_id=young_person_id if definition.scope == Scope.YOUNG_PERSON else None,
            team_id=team_id,
            template_id=definition.id,
            template_version=definition.version,
            answers=dict(answers or {}),
            status=RecordStatus.DRAFT,
            author=store.user_name,
        )
        uow.add(response)
        uow.commit()
        return response


def _editable(uow: UnitOfWork, response_id: str) -> FormResponse:
    response = uow.get(FormResponse, response_id)
    if response is None:
        raise NotFound("That form is not in this caseload.")
    if response.status == RecordStatus.FINAL:
        raise RecordLocked("This form is finalised and cannot be edited; start a revision instead.")
    return response


def save_answers(store: Store, response_id: str, answers: dict[str, Any]) -> FormResponse:
    """Autosave a draft's answers."""
    with store.unit_of_work() as uow:
        response = _editable(uow, response_id)
        if response.answers != answers:
            response.answers = dict(answers)
        uow.commit()
        return response


def finalise_response(store: Store, response_id: str) -> tuple[FormResponse, list[Action]]:
    """Finalise a draft after checking required answers; recommendations become actions on
    the young person's record. Raises AnswersMissing naming what is still empty."""
    with store.unit_of_work() as uow:
        response = _editable(uow, response_id)
        definition = template_of(uow.session, response)
        missing = missing_required(definition, response.answers)
        if missing:
            raise AnswersMissing(missing)
        actions: list[Action] = []
        if response.young_person_id is not None:
            source = SOURCE_BY_TEMPLATE.get(definition.id, ActionSource.REVIEW)
            for planned in planned_actions(definition, response.answers):
                owner = (
                    planned.owner_id
                    if planned.owner_id and uow.get(Staff, planned.owner_id)
                    else None
                )
                action = Action(
                    young_person_id=response.young_person_id,
                    source=source,
                    source_id=response.id,
                    description=planned.description,
                    owner_id=owner,
                    due_on=planned.due_on,
                )
                uow.add(action)
                actions.append(action)
        if definition.id == GBO_TEMPLATE and response.young_person_id is not None:
            _record_goals(uow, response.young_person_id, response.answers)
        response.status = RecordStatus.FINAL
        response.finalised_at = utc_now()
        response.finalised_by = uow.actor
        uow.commit()
        return response, actions


def _day(value: Any, fallback: date) -> date:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else fallback
    except ValueError:
        return fallback


def _record_goals(uow: UnitOfWork, young_person_id: str, answers: dict[str, Any]) -> None:
    """A finalised Goal Based Outcomes form feeds the record's goals and their score history
    (the goals view and the caseload's goal trend); a score already recorded is not repeated."""
    today = date.today()
    set_on = _day(answers.get("set_on"), today)
    days = {
        ScoreStage.START: set_on,
        ScoreStage.REVIEW: _day(answers.get("reviewed_on"), today),
        ScoreStage.END: _day(answers.get("ended_on"), today),
    }
    for n in range(1, GBO_GOALS + 1):
        text = str(answers.get(f"goal_{n}") or "").strip()
        if not text:
            continue
        goal = uow.session.scalars(
            select(Goal).where(
                Goal.young_person_id == young_person_id,
                Goal.description == text,
                Goal.deleted.is_(False),
            )
        ).first()
        if goal is None:
            goal = Goal(young_person_id=young_person_id, description=text, set_on=set_on)
            uow.add(goal)
            uow.session.flush()
        for stage, day in days.items():
            score = answers.get(f"goal_{n}_{stage.value}")
            if not isinstance(score, int):
                continue
            known = uow.session.scalars(
                select(GoalScore.id).where(
                    GoalScore.goal_id == goal.id,
                    GoalScore.stage == stage,
                    GoalScore.score == score,
                )
            ).first()
            if known is None:
                uow.add(
                    GoalScore(
                        goal_id=goal.id,
                        young_person_id=young_person_id,
                        scored_on=day,
                        score=score,
                        stage=stage,
                    )
                )
            if stage == ScoreStage.END and goal.status == GoalStatus.ACTIVE:
                goal.status = GoalStatus.ACHIEVED if score >= ACHIEVED_SCORE else GoalStatus.ENDED


def revise(store: Store, response_id: str, latest: TemplateDef | None = None) -> FormResponse:
    """A new draft revision of a finalised response, starting from its answers; the earlier
    revision is kept unchanged. ``latest`` moves the revision to a newer template version."""
    with store.unit_of_work() as uow:
        previous = uow.get(FormResponse, response_id)
        if previous is None:
            raise NotFound("That form is not in this caseload.")
        if previous.status != RecordStatus.FINAL:
            raise RecordLocked("Finalise this version before starting a revision of it.")
        newer = uow.session.scalars(
            select(FormResponse.id).where(
                FormResponse.revision_of == previous.id, FormResponse.deleted.is_(False)
            )
        ).first()
        if newer is not None:
            raise RecordLocked("This is not the latest revision; revise the latest one instead.")
        definition = latest or template_of(uow.session, previous)
        remember_template(uow, definition)
        revision = FormResponse(
            young_person_id=previous.young_person_id,
            team_id=previous.team_id,
            template_id=previous.template_id,
            template_version=definition.version,
            answers=dict(previous.answers),
            status=RecordStatus.DRAFT,
            revision_of=previous.id,
            revision_number=previous.revision_number + 1,
            author=store.user_name,
        )
        uow.add(revision)
        uow.commit()
        return revision


def revisions(session: Session, response_id: str) -> list[FormResponse]:
    """Every revision in the chain ``response_id`` belongs to, oldest first."""
    response = session.get(FormResponse, response_id)
    if response is None:
        raise NotFound("That form is not in this caseload.")
    while response.revision_of:
        earlier = session.get(FormResponse, response.revision_of)
        if earlier is None:
            break
        response = earlier
    chain = [response]
    while True:
        nxt = session.scalars(
            select(FormResponse).where(
                FormResponse.revision_of == chain[-1].id, FormResponse.deleted.is_(False)
            )
        ).first()
        if nxt is None:
            return chain
        chain.append(nxt)


def team_responses(session: Session, team_id: str | None) -> list[FormResponse]:
    """Team-level forms (reflective practice, supervision), newest first."""
    query = select(FormResponse).where(
        FormResponse.young_person_id.is_(None), FormResponse.deleted.is_(False)
    )
    if team_id is not None:
        query = query.where(FormResponse.team_id == team_id)
    return list(session.scalars(query.order_by(FormResponse.updated_at.desc())))
