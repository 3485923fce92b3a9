"""The review pack: one young person's record over a period, for reviews, panels and audits.

Form sections (formulation, deep dives, safety plan) are laid out from their template
definitions through ``forms.print_layout``, never by hand per template. Every pack produced is
audited: who, which young person, which sections and period.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from reportlab.platypus import Flowable, PageBreak, Spacer, TableStyle

from keyworker_app.domain.goals import goal_trend
from keyworker_app.domain.vocabulary import ActionStatus, RecordStatus, Worry
from keyworker_app.forms.compare import compare
from keyworker_app.forms.print_layout import print_blocks
from keyworker_app.forms.schema import TemplateDef
from keyworker_app.organisation import OrganisationSettings
from keyworker_app.reports.pdf_document import (
    CONTENT_WIDTH,
    RULE,
    SplittingTable,
    Styles,
    cover,
    data_table,
    empty_note,
    heading,
    key_values,
    line_chart,
    render_pdf,
    section,
    styles,
)
from keyworker_app.reports.pdf_text import text_flowable, text_flowables
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.form_responses import revisions, template_of
from keyworker_app.store.models import FormResponse
from keyworker_app.store.record import YoungPersonRecord, load_record
from keyworker_app.store.recording import require_young_person

# Section codes, in the order they print, with their titles.
SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "chronology": "Chronology of significant events",
    "contacts": "Contacts",
    "formulation": "Formulation",
    "deep_dives": "Deep dive reviews",
    "goals": "Goals",
    "missing": "Missing episodes",
    "placements": "Placements",
    "safety_plan": "Safety plan",
    "actions": "Open and overdue actions",
}
DEEP_DIVE = "deep_dive_review"
SAFETY_PLAN = "safety_plan"
WITHHELD = "[name withheld]"
TREND_WORDS = {
    "improving": "Improving",
    "steady": "Steady",
    "worsening": "Getting worse",
    "not_scored": "No scores yet",
}


class PackError(ValueError):
    """The pack cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class PackRequest:
    reference: str
    start: date | None = None
    end: date | None = None
    sections: Sequence[str] = tuple(SECTIONS)
    redact: bool = False
    prepared_for: str = ""


@dataclass
class _Form:
    response: FormResponse
    template: TemplateDef
    chain: list[FormResponse] = field(default_factory=list)
    chain_templates: list[TemplateDef] = field(default_factory=list)


def parse_sections(text: str | None) -> list[str]:
    if not text:
        return list(SECTIONS)
    chosen = [part.strip().replace("-", "_") for part in text.split(",") if part.strip()]
    unknown = [c for c in chosen if c not in SECTIONS]
    if unknown:
        raise PackError(
            f"There is no section called {', '.join(unknown)}; choose from "
            f"{', '.join(SECTIONS)} (separated by commas)."
        )
    return [c for c in SECTIONS if c in chosen]


class Redactor:
    """Hides the names of third parties recorded as present at contacts."""

    def __init__(self, record: YoungPersonRecord) -> None:
        person = record.person
        own = {person.given_name, person.family_name, person.preferred_name or ""}
        own |= set(record.staff_names.values()) | set(record.user_names.values())
        own_words = {w.lower() for name in own for w in name.split()}
        names: set[str] = set()
        for contact in record.contacts:
            for entry in contact.present or []:
                inner = re.search(r"\(([^)]*)\)", entry)
                candidate = (inner.group(1) if inner else entry).split(",")[0].strip()
                if candidate and candidate.lower() not in own_words and candidate not in own:
                    names.add(candidate)
        tokens = {
            word
            for name in names
            for word in name.split()
            if len(word) > 2 and word[0].isupper() and word.lower() not in own_words
        }
        parts = sorted(names | tokens, key=len, reverse=True)
        self.pattern = (
            re.compile(r"\b(" + "|".join(re.escape(p) for p in parts) + r")\b") if parts else None
        )

    def text(self, value: str | None) -> str:
        if not value or self.pattern is None:
            return value or ""
        return self.pattern.sub(WITHHELD, value)

    def present(self, entry: str) -> str:
        return self.text(entry)


class _NoRedaction(Redactor):
    def __init__(self) -> None:
        self.pattern = None


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime("%d %b %Y")


def _in(period: tuple[date, date], value: date | datetime | None) -> bool:
    if value is None:
        return False
    day = value.date() if isinstance(value, datetime) else value
    return period[0] <= day <= period[1]


def _worry(code: str) -> str:
    try:
        return Worry(code).label
    except ValueError:
        return code


def _brief(text: str, limit: int = 280) -> str:
    """A chronology line, not the whole note (the note is under Contacts)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _money(pence: int | None) -> str:
    return "–" if pence is None else f"£{pence / 100:,.2f}"


def form_flowables(
    template: TemplateDef,
    answers: dict[str, Any],
    staff_names: dict[str, str],
    s: Styles,
    redact: Redactor,
) -> list[Flowable]:
    """A filled form laid out from its template: each section, its rows full or half width."""
    out: list[Flowable] = []
    for block in print_blocks(template, answers, staff_names):
        out.append(heading(block.title, s.h3))
        rows: list[list[Flowable]] = []
        spans: list[tuple[Any, ...]] = []
        pending_half: list[Flowable] | None = None
        for row in block.rows:
            cell = [
                text_flowable(row.label, s.cell_bold),
                text_flowable(redact.text(row.text) or "–", s.cell),
            ]
            if row.width == "half":
                if pending_half is None:
                    pending_half = cell
                    continue
                rows.append([pending_half, cell])
                pending_half = None
                continue
            if pending_half is not None:
                rows.append([pending_half, []])
                pending_half = None
            spans.append(("SPAN", (0, len(rows)), (1, len(rows))))
            rows.append([cell, ""])
        if pending_half is not None:
            rows.append([pending_half, []])
        if rows:
            table = SplittingTable(rows, colWidths=[CONTENT_WIDTH / 2] * 2)
            table.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                        ("TOPPADDING", (0, 0), (-1, -1), 3),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                        *spans,
                    ]
                )
            )
            out.append(table)
    return out


class ReviewPack:
    def __init__(
        self,
        record: YoungPersonRecord,
        forms: list[_Form],
        request: PackRequest,
        period: tuple[date, date],
        prepared_by: str,
        organisation: OrganisationSettings | None = None,
    ) -> None:
        self.organisation = organisation or OrganisationSettings()
        self.record = record
        self.forms = forms
        self.request = request
        self.period = period
        self.prepared_by = prepared_by
        self.s = styles()
        self.redact: Redactor = Redactor(record) if request.redact else _NoRedaction()

    # Sections -------------------------------------------------------------------------------

    def summary(self) -> list[Flowable]:
        r, p, s = self.record, self.record.person, self.s
        placement = r.current_placement
        referral = r.referral
        flags = [
            text
            for text, on in (
                ("Missing from home in the last 90 days", r.missing_risk),
                (
                    "Exploitation concern at a missing episode",
                    any(m.exploitation_concern for m in r.missing_episodes),
                ),
                ("Unaccompanied asylum-seeking child", p.uasc),
                ("Restricted record", p.restricted),
            )
            if on
        ]
        rows = [
            ("Legal status", p.legal_status.label if p.legal_status else "–"),
            (
                "Placement",
                f"{placement.placement_type.label}"
                + (f" — {placement.provider}" if placement.provider else "")
                + f", since {_day(placement.start_date)}"
                if placement
                else "–",
            ),
            ("Keyworker", r.keyworker.display_name if r.keyworker else "–"),
            ("Team", r.team.name if r.team else "–"),
            ("School", p.school),
            ("First language", p.first_language),
            ("Risks", "; ".join(flags) if flags else "None recorded"),
            ("Referred", _day(referral.referral_date) if referral else "–"),
            (
                "Risk category",
                referral.risk_category.label if referral and referral.risk_category else "–",
            ),
            ("Referral reason", self.redact.text(referral.reason) if referral else "–"),
        ]
        return [key_values(rows, s)]

    def chronology(self) -> list[Flowable]:
        entries = [e for e in self.record.chronology if _in(self.period, e.occurred_on)]
        if not entries:
            return [empty_note("No significant events in this period.", self.s)]
        rows = [
            [
                _day(e.occurred_on),
                e.category.label,
                self.redact.text(e.title),
                _brief(self.redact.text(e.detail)),
            ]
            for e in sorted(entries, key=lambda e: e.occurred_on)
        ]
        return [
            data_table(
                ["Date", "Category", "Event", "Detail"], rows, self.s, widths=[22, 26, 50, 70]
            )
        ]

    def contacts(self) -> list[Flowable]:
        r, s = self.record, self.s
        chosen = [
            c
            for c in r.contacts
            if _in(self.period, c.occurred_at) and c.status == RecordStatus.FINAL and not c.deleted
        ]
        drafts = sum(
            1
            for c in r.contacts
            if _in(self.period, c.occurred_at) and c.status != RecordStatus.FINAL
        )
        out: list[Flowable] = []
        if not chosen:
            out.append(empty_note("No contacts recorded in this period.", s))
        for contact in sorted(chosen, key=lambda c: c.occurred_at):
            title = (
                f"{contact.occurred_at.strftime('%a %d %b %Y %H:%M')} · "
                f"{contact.contact_type.label} · {r.name_of(contact.author)}"
            )
            out.append(heading(title, s.h3))
            rows = [
                ("Purpose", contact.purpose),
                ("Where", contact.location),
                ("Present", ", ".join(self.redact.present(x) for x in contact.present or [])),
            ]
            if contact.worries:
                rows.append(("Worries", ", ".join(_worry(w) for w in contact.worries)))
            filled = [(k, v) for k, v in rows if v]
            # A contact with no purpose, place, people or worries (as `keyworker add-contact`
            # records by default) has no details table: ReportLab refuses a table of no rows,
            # which failed the whole pack.
            if filled:
                out.append(key_values(filled, s, label_width=24 * 2.83))
            out.append(Spacer(1, 2))
            # A note, its own words and addenda can run to thousands of lines: one flowable
            # per line, so each page break splits one line rather than the whole note.
            out += text_flowables(self.redact.text(contact.narrative), s.body)
            if contact.own_words:
                out += text_flowables(
                    "In their own words: " + self.redact.text(contact.own_words), s.body
                )
            for addendum in r.addenda.get(contact.id, []):
                out += text_flowables(
                    f"Addendum {_day(addendum.written_at)}, {r.name_of(addendum.author)}: "
                    + self.redact.text(addendum.text),
                    s.muted,
                )
        if drafts:
            out.append(
                empty_note(
                    f"{drafts} draft contact(s) in the period are not included until finalised.", s
                )
            )
        return out

    def _by(self, author: str | None) -> str:
        return f" by {self.record.name_of(author)}" if author else ""

    def _latest(self, predicate: Callable[[_Form], bool]) -> _Form | None:
        chosen = [f for f in self.forms if predicate(f)]
        chosen.sort(key=lambda f: f.response.finalised_at or datetime.min)
        return chosen[-1] if chosen else None

    def formulation(self) -> list[Flowable]:
        s = self.s
        current = self._latest(lambda f: f.template.revisable)
        if current is None:
            return [empty_note("No formulation has been finalised.", s)]
        out: list[Flowable] = [
            text_flowable(
                f"{current.template.title}, revision {current.response.revision_number}, "
                f"finalised {_day(current.response.finalised_at)}"
                f"{self._by(current.response.author)}.",
                s.muted,
            )
        ]
        out += form_flowables(
            current.template, current.response.answers, self.record.staff_names, s, self.redact
        )
        out.append(heading("What changed in the period", s.h2))
        start = self.period[0]
        before = [
            (response, template)
            for response, template in zip(current.chain, current.chain_templates, strict=True)
            if response.finalised_at is not None and response.finalised_at.date() < start
        ]
        if current.response.finalised_at and current.response.finalised_at.date() < start:
            out.append(empty_note("Not revised in this period.", s))
        elif not before:
            out.append(empty_note("First written in this period.", s))
        else:
            old, old_template = before[-1]
            changes = [
                c
                for c in compare(
                    old_template,
                    old.answers,
                    current.template,
                    current.response.answers,
                    self.record.staff_names,
                )
                if c.change != "same"
            ]
            if not changes:
                out.append(empty_note("Revised in the period without changes to the text.", s))
            else:
                out.append(
                    data_table(
                        ["Field", f"At {_day(old.finalised_at)}", "Now"],
                        [
                            [
                                f"{c.section}: {c.label}",
                                self.redact.text(c.before),
                                self.redact.text(c.after),
                            ]
                            for c in changes
                        ],
                        s,
                        widths=[30, 50, 50],
                    )
                )
        return out

    def deep_dives(self) -> list[Flowable]:
        s = self.s
        reviews = [
            f
            for f in self.forms
            if f.response.template_id == DEEP_DIVE and _in(self.period, f.response.finalised_at)
        ]
        if not reviews:
            return [empty_note("No deep dive review in this period.", s)]
        out: list[Flowable] = []
        for review in sorted(reviews, key=lambda f: f.response.finalised_at or datetime.min):
            out.append(
                heading(f"{review.template.title}, {_day(review.response.finalised_at)}", s.h2)
            )
            out += form_flowables(
                review.template, review.response.answers, self.record.staff_names, s, self.redact
            )
            actions = [a for a in self.record.actions if a.source_id == review.response.id]
            if actions:
                out.append(heading("Actions from this review", s.h3))
                out.append(self._actions_table(actions))
        return out

    def _actions_table(self, actions: Sequence[Any]) -> Flowable:
        r = self.record
        rows, highlight = [], []
        for index, action in enumerate(sorted(actions, key=lambda a: a.due_on or date.max)):
            overdue = r.overdue(action)
            if overdue:
                highlight.append(index)
            status = "Overdue" if overdue else action.status.label
            if action.status == ActionStatus.DONE and action.completed_on:
                status += f" {_day(action.completed_on)}"
            rows.append(
                [
                    self.redact.text(action.description),
                    r.staff_names.get(action.owner_id or "", "–"),
                    _day(action.due_on),
                    status,
                ]
            )
        return data_table(
            ["Action", "Owner", "Due", "Status"],
            rows,
            self.s,
            widths=[80, 30, 22, 24],
            highlight=highlight,
        )

    def goals(self) -> list[Flowable]:
        s, r = self.s, self.record
        if not r.goals:
            return [empty_note("No goals have been set.", s)]
        rows = []
        series = []
        for progress in r.goals:
            scores = sorted(progress.scores, key=lambda x: x.scored_on)
            first = scores[0].score if scores else None
            latest = scores[-1].score if scores else None
            rows.append(
                [
                    self.redact.text(progress.goal.description),
                    _day(progress.goal.set_on),
                    "–" if first is None else str(first),
                    "–" if latest is None else f"{latest} ({_day(scores[-1].scored_on)})",
                    TREND_WORDS[goal_trend([x.score for x in scores]).value] if scores else "–",
                ]
            )
            if scores:
                series.append(
                    (
                        progress.goal.description,
                        [(float(x.scored_on.toordinal()), float(x.score)) for x in scores],
                    )
                )
        out: list[Flowable] = [
            data_table(
                ["Goal", "Set", "First", "Latest", "Trend"], rows, s, widths=[70, 22, 14, 30, 18]
            )
        ]
        if series:
            out += [
                Spacer(1, 4),
                line_chart(
                    series,
                    y_max=10,
                    x_labels=lambda x: date.fromordinal(int(x)).strftime("%b %Y"),
                    y_title="GBO score (0–10, higher is closer to the goal)",
                ),
            ]
        return out

    def missing(self) -> list[Flowable]:
        episodes = [m for m in self.record.missing_episodes if _in(self.period, m.went_missing_at)]
        if not episodes:
            return [empty_note("No missing episodes in this period.", self.s)]
        rows = []
        for m in sorted(episodes, key=lambda m: m.went_missing_at):
            hours = (
                f"{(m.returned_at - m.went_missing_at).total_seconds() / 3600:.0f} h"
                if m.returned_at
                else "not yet returned"
            )
            rows.append(
                [
                    m.went_missing_at.strftime("%d %b %Y %H:%M"),
                    hours,
                    "Yes" if m.reported_to_police else "No",
                    _day(m.return_interview_on),
                    "Yes" if m.exploitation_concern else "No",
                    self.redact.text(m.where_found),
                ]
            )
        return [
            data_table(
                [
                    "Went missing",
                    "Away",
                    "Police told",
                    "Return interview",
                    "Exploitation concern",
                    "Where found",
                ],
                rows,
                self.s,
                widths=[28, 18, 14, 22, 20, 40],
            )
        ]

    def placements(self) -> list[Flowable]:
        start, end = self.period
        chosen = [
            p
            for p in self.record.placements
            if p.start_date <= end and (p.end_date is None or p.end_date >= start)
        ]
        if not chosen:
            return [empty_note("No placement in this period.", self.s)]
        rows = [
            [
                p.placement_type.label,
                self.redact.text(p.provider),
                "–" if p.in_area is None else ("In area" if p.in_area else "Out of area"),
                _day(p.start_date),
                _day(p.end_date) if p.end_date else "current",
                _money(p.weekly_cost_pence),
                self.redact.text(p.end_reason),
            ]
            for p in sorted(chosen, key=lambda p: p.start_date)
        ]
        return [
            data_table(
                ["Type", "Provider", "Area", "Start", "End", "Weekly cost", "End reason"],
                rows,
                self.s,
                widths=[30, 34, 16, 20, 20, 18, 30],
            )
        ]

    def safety_plan(self) -> list[Flowable]:
        plan = self._latest(lambda f: f.response.template_id == SAFETY_PLAN)
        if plan is None:
            return [empty_note("No safety plan has been finalised.", self.s)]
        return [
            text_flowable(
                f"Finalised {_day(plan.response.finalised_at)}{self._by(plan.response.author)}.",
                self.s.muted,
            ),
            *form_flowables(
                plan.template, plan.response.answers, self.record.staff_names, self.s, self.redact
            ),
        ]

    def actions(self) -> list[Flowable]:
        open_actions = [a for a in self.record.actions if a.status == ActionStatus.OPEN]
        if not open_actions:
            return [empty_note("No open actions.", self.s)]
        overdue = sum(1 for a in open_actions if self.record.overdue(a))
        return [
            text_flowable(f"{len(open_actions)} open, {overdue} overdue (shaded).", self.s.muted),
            self._actions_table(open_actions),
        ]

    # The whole pack -------------------------------------------------------------------------

    def story(self, progress: Callable[[str], None] | None = None) -> list[Flowable]:
        r, p, s = self.record, self.record.person, self.s
        name = f"{p.given_name} {p.family_name}"
        if p.preferred_name:
            name += f" (known as {p.preferred_name})"
        chosen = [c for c in SECTIONS if c in self.request.sections]
        story: list[Flowable] = cover(
            "Review pack",
            [
                ("Young person", name),
                ("Reference", p.reference),
                ("Date of birth", f"{_day(p.date_of_birth)} (age {r.age})"),
                ("Period", f"{_day(self.period[0])} to {_day(self.period[1])}"),
                ("Prepared by", self.prepared_by),
                ("Prepared for", self.request.prepared_for or "–"),
                ("Date", _day(r.today)),
                ("Sections", ", ".join(SECTIONS[c] for c in chosen)),
                ("Third-party names", "withheld" if self.request.redact else "shown"),
            ],
            s,
            subtitle=name,
            organisation=self.organisation,
        )
        story.append(PageBreak())
        for code in chosen:
            if progress:
                progress(SECTIONS[code])
            story += section(SECTIONS[code], getattr(self, code)(), s)
        return story


def _forms(session: Any, record: YoungPersonRecord) -> list[_Form]:
    forms = []
    finals = [f for f in record.form_responses if f.status == RecordStatus.FINAL and not f.deleted]
    superseded = {f.revision_of for f in finals if f.revision_of}
    for response in finals:
        template = template_of(session, response)
        item = _Form(response, template)
        if template.revisable and response.id not in superseded:
            item.chain = [
                c for c in revisions(session, response.id) if c.status == RecordStatus.FINAL
            ]
            item.chain_templates = [template_of(session, c) for c in item.chain]
        elif template.revisable:
            continue  # an older revision: the latest one speaks for the chain
        forms.append(item)
    return forms


def build_review_pack(
    store: Store,
    request: PackRequest,
    *,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
    organisation: OrganisationSettings | None = None,
) -> bytes:
    """The pack as PDF bytes, under ``organisation``'s name, logo and marking; audited. Raises
    PackError or NotFound with one sentence."""
    organisation = organisation or OrganisationSettings()
    today = today or date.today()
    end = request.end or today
    start = request.start or (end - timedelta(days=365))
    if start > end:
        raise PackError("The period starts after it ends; give a --from date before --to.")
    with store.reading() as session:
        person = require_young_person(session, request.reference)
        record = load_record(session, person.id, today=today)
        forms = _forms(session, record)
        prepared_by = record.user_names.get(store.user_name, store.user_name)
        pack = ReviewPack(record, forms, request, (start, end), prepared_by, organisation)
        story = pack.story(progress)
    if progress:
        progress("Laying out pages")
    pdf = render_pdf(
        story,
        title=f"Review pack {person.reference}",
        subject=f"{_day(start)} to {_day(end)}",
        author=prepared_by,
        footer=f"Review pack · {person.reference} · {_day(start)} to {_day(end)}",
        marking=organisation.marking,
    )
    with store.unit_of_work() as uow:
        uow.audit(
            "review_pack",
            young_person_id=person.id,
            detail={
                "sections": [c for c in SECTIONS if c in request.sections],
                "from": start.isoformat(),
                "to": end.isoformat(),
                "redacted": request.redact,
            },
        )
        uow.commit()
    return pdf
