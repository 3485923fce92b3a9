"""What every section of a review pack is built from: the young person's record, their
finalised forms, the period, the styles and the redaction asked for; and the small formats the
sections share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from keyworker_app.domain.vocabulary import Worry
from keyworker_app.forms.schema import TemplateDef
from keyworker_app.reports.pdf_document import Styles
from keyworker_app.reports.redaction import Redactor
from keyworker_app.store.models import FormResponse
from keyworker_app.store.record import YoungPersonRecord


@dataclass
class PackForm:
    """A finalised form response and its template; for a revisable form (the formulation), the
    latest revision with its chain of final revisions, oldest first."""

    response: FormResponse
    template: TemplateDef
    chain: list[FormResponse] = field(default_factory=list)
    chain_templates: list[TemplateDef] = field(default_factory=list)


@dataclass(frozen=True)
class PackContext:
    record: YoungPersonRecord
    forms: Sequence[PackForm]
    period: tuple[date, date]
    styles: Styles
    redact: Redactor

    def within(self, value: date | datetime | None) -> bool:
        """``value`` falls in the pack's period (both ends included)."""
        return in_period(self.period, value)

    def by(self, author: str | None) -> str:
        return f" by {self.record.name_of(author)}" if author else ""

    def latest(self, predicate: Callable[[PackForm], bool]) -> PackForm | None:
        """The last finalised of the forms ``predicate`` chooses."""
        chosen = [f for f in self.forms if predicate(f)]
        chosen.sort(key=lambda f: f.response.finalised_at or datetime.min)
        return chosen[-1] if chosen else None


def day(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime("%d %b %Y")


def in_period(period: tuple[date, date], value: date | datetime | None) -> bool:
    if value is None:
        return False
    when = value.date() if isinstance(value, datetime) else value
    return period[0] <= when <= period[1]


def worry(code: str) -> str:
    try:
        return Worry(code).label
    except ValueError:
        return code


def brief(text: str, limit: int = 280) -> str:
    """A chronology line, not the whole note (the note is under Contacts)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def money(pence: int | None) -> str:
    return "–" if pence is None else f"£{pence / 100:,.2f}"
