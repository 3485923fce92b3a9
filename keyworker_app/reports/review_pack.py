"""The review pack: one young person's record over a period, for reviews, panels and audits.

The sections and their order are the table in ``pack_sections``; each is built by its module in
``reports/sections/`` from a ``PackContext``. Form sections (formulation, deep dives, safety
plan) are laid out from their template definitions through ``forms.print_layout``, never by hand
per template. Every pack produced is audited: who, which young person, which sections and period.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from reportlab.platypus import Flowable, PageBreak
from sqlalchemy.orm import Session

from keyworker_app.domain.vocabulary import RecordStatus
from keyworker_app.organisation import OrganisationSettings
from keyworker_app.reports.pack_sections import CODES, SECTIONS
from keyworker_app.reports.pdf_document import cover, render_pdf, section, styles
from keyworker_app.reports.redaction import NoRedaction, Redactor
from keyworker_app.reports.sections.context import PackContext, PackForm, day
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.form_responses import revisions, template_of
from keyworker_app.store.record import YoungPersonRecord, load_record
from keyworker_app.store.recording import require_young_person


class PackError(ValueError):
    """The pack cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class PackRequest:
    reference: str
    start: date | None = None
    end: date | None = None
    sections: Sequence[str] = CODES
    redact: bool = False
    prepared_for: str = ""


def parse_sections(text: str | None) -> list[str]:
    """The section codes named in ``text`` (comma-separated, ``-`` or ``_``), in print order;
    all of them when ``text`` is empty. Raises PackError naming a code that does not exist."""
    if not text:
        return list(CODES)
    chosen = [part.strip().replace("-", "_") for part in text.split(",") if part.strip()]
    unknown = [c for c in chosen if c not in CODES]
    if unknown:
        raise PackError(
            f"There is no section called {', '.join(unknown)}; choose from "
            f"{', '.join(CODES)} (separated by commas)."
        )
    return [c for c in CODES if c in chosen]


def _cover(
    pack: PackContext,
    request: PackRequest,
    titles: Sequence[str],
    prepared_by: str,
    organisation: OrganisationSettings,
) -> list[Flowable]:
    r, p = pack.record, pack.record.person
    name = f"{p.given_name} {p.family_name}"
    if p.preferred_name:
        name += f" (known as {p.preferred_name})"
    return cover(
        "Review pack",
        [
            ("Young person", name),
            ("Reference", p.reference),
            ("Date of birth", f"{day(p.date_of_birth)} (age {r.age})"),
            ("Period", f"{day(pack.period[0])} to {day(pack.period[1])}"),
            ("Prepared by", prepared_by),
            ("Prepared for", request.prepared_for or "–"),
            ("Date", day(r.today)),
            ("Sections", ", ".join(titles)),
            ("Third-party names", "withheld" if request.redact else "shown"),
        ],
        pack.styles,
        subtitle=name,
        organisation=organisation,
    )


def pack_story(
    pack: PackContext,
    request: PackRequest,
    prepared_by: str,
    organisation: OrganisationSettings,
    progress: Callable[[str], None] | None = None,
) -> list[Flowable]:
    """The cover, then each section asked for, in the table's order; ``progress`` hears each
    section's title as it is built."""
    chosen = [part for part in SECTIONS if part.code in request.sections]
    story = _cover(pack, request, [part.title for part in chosen], prepared_by, organisation)
    story.append(PageBreak())
    for part in chosen:
        if progress:
            progress(part.title)
        story += section(part.title, part.build(pack), pack.styles)
    return story


def _forms(session: Session, record: YoungPersonRecord) -> list[PackForm]:
    forms = []
    finals = [f for f in record.form_responses if f.status == RecordStatus.FINAL and not f.deleted]
    superseded = {f.revision_of for f in finals if f.revision_of}
    for response in finals:
        template = template_of(session, response)
        item = PackForm(response, template)
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
        prepared_by = record.user_names.get(store.user_name, store.user_name)
        redact = Redactor(record) if request.redact else NoRedaction()
        pack = PackContext(record, _forms(session, record), (start, end), styles(), redact)
        story = pack_story(pack, request, prepared_by, organisation, progress)
    if progress:
        progress("Laying out pages")
    pdf = render_pdf(
        story,
        title=f"Review pack {person.reference}",
        subject=f"{day(start)} to {day(end)}",
        author=prepared_by,
        footer=f"Review pack · {person.reference} · {day(start)} to {day(end)}",
        marking=organisation.marking,
    )
    with store.unit_of_work() as uow:
        uow.audit(
            "review_pack",
            young_person_id=person.id,
            detail={
                "sections": [c for c in CODES if c in request.sections],
                "from": start.isoformat(),
                "to": end.isoformat(),
                "redacted": request.redact,
            },
        )
        uow.commit()
    return pdf
