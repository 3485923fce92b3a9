"""The review pack's sections: one table of code, title and builder, in the order they print.

The code is what `keyworker pack --sections` accepts and the audit records; the title heads the
section and names it in the desktop's print dialog and on the cover. Adding a section is one
row here and its builder in ``reports/sections/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reportlab.platypus import Flowable

from keyworker_app.reports.sections.contacts import contacts
from keyworker_app.reports.sections.context import PackContext
from keyworker_app.reports.sections.forms import deep_dives, formulation, safety_plan
from keyworker_app.reports.sections.history import chronology, missing, placements
from keyworker_app.reports.sections.plans import actions, goals
from keyworker_app.reports.sections.summary import summary


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    build: Callable[[PackContext], list[Flowable]]


SECTIONS: tuple[Section, ...] = (
    Section("summary", "Summary", summary),
    Section("chronology", "Chronology of significant events", chronology),
    Section("contacts", "Contacts", contacts),
    Section("formulation", "Formulation", formulation),
    Section("deep_dives", "Deep dive reviews", deep_dives),
    Section("goals", "Goals", goals),
    Section("missing", "Missing episodes", missing),
    Section("placements", "Placements", placements),
    Section("safety_plan", "Safety plan", safety_plan),
    Section("actions", "Open and overdue actions", actions),
)
CODES: tuple[str, ...] = tuple(section.code for section in SECTIONS)
TITLES: dict[str, str] = {section.code: section.title for section in SECTIONS}
