"""The supervision pack: one worker's open caseload at a glance, for supervision. For each young
person: the last contact, days since it (shaded past the team's visiting standard), open and
overdue actions, and how the goals are going; then the overdue actions themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.platypus import Flowable, PageBreak
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app.domain.vocabulary import ActionStatus, CaseStatus
from keyworker_app.organisation import OrganisationSettings
from keyworker_app.reports.pdf_document import (
    Styles,
    cover,
    data_table,
    empty_note,
    render_pdf,
    section,
    styles,
)
from keyworker_app.reports.pdf_text import text_flowable
from keyworker_app.reports.sections.plans import TREND_WORDS
from keyworker_app.store.caseload import CaseloadRow, Scope, caseload
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Action, Staff, YoungPerson
from keyworker_app.store.recording import NotFound


@dataclass(frozen=True)
class _WorkerCaseload:
    """What the pack shows, read in one snapshot."""

    display_name: str
    user_name: str
    rows: list[CaseloadRow]  # open young people only
    overdue: list[tuple[Action, str]]  # with the young person's reference, by due date
    owners: dict[str, str]  # staff id -> name


def _find_worker(session: Session, name: str) -> Staff:
    wanted = name.strip().lower()
    workers = list(session.scalars(select(Staff).where(Staff.deleted.is_(False))))
    exact = [w for w in workers if wanted in (w.user_name.lower(), w.display_name.lower())]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise NotFound(f"More than one worker is called {name}; give their user name.")
    raise NotFound(
        f"There is no worker called {name} in this caseload; give a user name or full name as "
        "`keyworker caseload --json` shows it."
    )


def _read(
    store: Store, worker: str, today: date, organisation: OrganisationSettings
) -> _WorkerCaseload:
    with store.reading() as session:
        staff = _find_worker(session, worker)
        rows = [
            r
            for r in caseload(
                session,
                scope=Scope.MINE,
                user_name=staff.user_name,
                include_closed=False,
                today=today,
                visiting_standard_days=organisation.visiting_standard_days,
            )
            if r.status == CaseStatus.OPEN
        ]
        ids = [r.young_person_id for r in rows]
        overdue = [
            (action, reference)
            for action, reference in session.execute(
                select(Action, YoungPerson.reference)
                .join(YoungPerson, YoungPerson.id == Action.young_person_id)
                .where(
                    Action.young_person_id.in_(ids),
                    Action.status == ActionStatus.OPEN,
                    Action.deleted.is_(False),
                    Action.due_on < today,
                )
                .order_by(Action.due_on)
            )
        ]
        owners = {m.id: m.display_name for m in session.scalars(select(Staff))}
        return _WorkerCaseload(staff.display_name, staff.user_name, rows, overdue, owners)


def _caseload_part(rows: list[CaseloadRow], s: Styles) -> tuple[list[Flowable], int]:
    """The caseload table, longest since contact first, and how many are due a visit."""
    table_rows, shaded = [], []
    for index, r in enumerate(sorted(rows, key=lambda r: -(r.days_since_contact or 10_000))):
        if r.overdue_for_visit:
            shaded.append(index)
        table_rows.append(
            [
                f"{r.display_name}\n{r.reference}",
                r.last_contact.strftime("%d %b %Y") if r.last_contact else "none",
                "–" if r.days_since_contact is None else str(r.days_since_contact),
                str(r.open_actions),
                str(r.overdue_actions),
                TREND_WORDS.get(r.goal_trend.value, r.goal_trend.value),
            ]
        )
    if not table_rows:
        return [empty_note("No open young people are allocated to this worker.", s)], 0
    return [
        text_flowable(
            "Longest since contact first; shaded rows are past the visiting standard.",
            s.muted,
        ),
        data_table(
            ["Young person", "Last contact", "Days since", "Open actions", "Overdue", "Goals"],
            table_rows,
            s,
            shares=[44, 24, 16, 16, 14, 24],
            highlight=shaded,
        ),
    ], len(shaded)


def _overdue_part(read: _WorkerCaseload, today: date, s: Styles) -> list[Flowable]:
    if not read.overdue:
        return [empty_note("No overdue actions.", s)]
    return [
        data_table(
            ["Young person", "Action", "Owner", "Due", "Days over"],
            [
                [
                    reference,
                    action.description,
                    read.owners.get(action.owner_id or "", "–"),
                    action.due_on.strftime("%d %b %Y") if action.due_on else "–",
                    str((today - action.due_on).days) if action.due_on else "–",
                ]
                for action, reference in read.overdue
            ],
            s,
            shares=[22, 70, 28, 22, 16],
        )
    ]


def build_supervision_pack(
    store: Store,
    worker: str,
    *,
    today: date | None = None,
    organisation: OrganisationSettings | None = None,
) -> bytes:
    """One worker's open caseload and overdue actions, under ``organisation``'s name, logo,
    marking and visiting standard; audited. Raises NotFound naming a worker not found."""
    today = today or date.today()
    organisation = organisation or OrganisationSettings()
    s = styles()
    read = _read(store, worker, today, organisation)
    caseload_part, due_a_visit = _caseload_part(read.rows, s)
    story: list[Flowable] = cover(
        "Supervision pack",
        [
            ("Worker", f"{read.display_name} ({read.user_name})"),
            ("Open young people", str(len(read.rows))),
            ("Due a visit", str(due_a_visit)),
            ("Overdue actions", str(len(read.overdue))),
            ("Date", today.strftime("%d %b %Y")),
        ],
        s,
        subtitle=read.display_name,
        organisation=organisation,
    )
    story.append(PageBreak())
    story += section("Caseload", caseload_part, s)
    story += section("Overdue actions", _overdue_part(read, today, s), s)
    pdf = render_pdf(
        story,
        title=f"Supervision pack {read.user_name}",
        subject=today.isoformat(),
        author=store.user_name,
        footer=f"Supervision pack · {read.display_name} · {today.strftime('%d %b %Y')}",
        marking=organisation.marking,
    )
    with store.unit_of_work() as uow:
        uow.audit(
            "supervision_pack", detail={"worker": read.user_name, "young_people": len(read.rows)}
        )
        uow.commit()
    return pdf
