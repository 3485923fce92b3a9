"""The contacts section: every finalised contact in the period with its details, its note, the
young person's own words and the addenda written since."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from keyworker_app.domain.vocabulary import RecordStatus
from keyworker_app.reports.pdf_document import empty_note, heading, key_values
from keyworker_app.reports.pdf_text import text_flowables
from keyworker_app.reports.sections.context import PackContext, day, worry
from keyworker_app.store.models import Contact

NOTE_GAP = 2  # points, between a contact's details and its note
DETAIL_LABEL_WIDTH = 24 * mm


def _contact(pack: PackContext, contact: Contact) -> list[Flowable]:
    r, s = pack.record, pack.styles
    title = (
        f"{contact.occurred_at.strftime('%a %d %b %Y %H:%M')} · "
        f"{contact.contact_type.label} · {r.name_of(contact.author)}"
    )
    out: list[Flowable] = [heading(title, s.h3)]
    rows = [
        ("Purpose", contact.purpose),
        ("Where", contact.location),
        ("Present", ", ".join(pack.redact.present(x) for x in contact.present or [])),
    ]
    if contact.worries:
        rows.append(("Worries", ", ".join(worry(w) for w in contact.worries)))
    filled = [(k, v) for k, v in rows if v]
    # A contact with no purpose, place, people or worries (as `keyworker add-contact`
    # records by default) has no details table: ReportLab refuses a table of no rows,
    # which failed the whole pack.
    if filled:
        out.append(key_values(filled, s, label_width=DETAIL_LABEL_WIDTH))
    out.append(Spacer(1, NOTE_GAP))
    # A note, its own words and addenda can run to thousands of lines: one flowable
    # per line, so each page break splits one line rather than the whole note.
    out += text_flowables(pack.redact.text(contact.narrative), s.body)
    if contact.own_words:
        out += text_flowables("In their own words: " + pack.redact.text(contact.own_words), s.body)
    for addendum in r.addenda.get(contact.id, []):
        out += text_flowables(
            f"Addendum {day(addendum.written_at)}, {r.name_of(addendum.author)}: "
            + pack.redact.text(addendum.text),
            s.muted,
        )
    return out


def contacts(pack: PackContext) -> list[Flowable]:
    r, s = pack.record, pack.styles
    chosen = [
        c
        for c in r.contacts
        if pack.within(c.occurred_at) and c.status == RecordStatus.FINAL and not c.deleted
    ]
    drafts = sum(
        1 for c in r.contacts if pack.within(c.occurred_at) and c.status != RecordStatus.FINAL
    )
    out: list[Flowable] = []
    if not chosen:
        out.append(empty_note("No contacts recorded in this period.", s))
    for contact in sorted(chosen, key=lambda c: c.occurred_at):
        out += _contact(pack, contact)
    if drafts:
        out.append(
            empty_note(
                f"{drafts} draft contact(s) in the period are not included until finalised.", s
            )
        )
    return out
