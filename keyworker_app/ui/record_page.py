"""One young person's record: a header with who they are and what to watch, and a view per kind
of record (contacts, chronology, goals, missing episodes, placements, actions, forms)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from keyworker_app.domain.vocabulary import ActionStatus, CaseStatus
from keyworker_app.store.record import YoungPersonRecord
from keyworker_app.ui.form_pages import FormsList
from keyworker_app.ui.record_views import (
    ChronologyView,
    ContactsView,
    GoalsView,
    SimpleListView,
    day_text,
    fill_actions,
    fill_missing,
    fill_placements,
)
from keyworker_app.ui.widgets import chip, empty_note

VIEWS = ("contacts", "chronology", "goals", "missing", "placements", "actions", "forms")


class RecordHeader(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordHeader")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        top = QHBoxLayout()
        self.name = QLabel()
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.name.setFont(font)
        self.name.setAccessibleName("Young person's name")
        top.addWidget(self.name)
        self.flags = QHBoxLayout()
        top.addLayout(self.flags)
        top.addStretch(1)
        layout.addLayout(top)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAccessibleName("Young person's details")
        layout.addWidget(self.details)

    def show_record(self, record: YoungPersonRecord) -> None:
        person = record.person
        preferred = f" (known as {person.preferred_name})" if person.preferred_name else ""
        self.name.setText(f"{person.given_name} {person.family_name}{preferred}")
        while self.flags.count():
            item = self.flags.takeAt(0)
            if item and item.widget():
                item.widget().deleteLater()
        for text, kind, on in (
            ("Restricted", "alert", person.restricted),
            ("Missing-from-home risk", "alert", record.missing_risk),
            ("UASC", "info", person.uasc),
            ("Closed", "muted", person.status == CaseStatus.CLOSED),
        ):
            if on:
                self.flags.addWidget(chip(text, kind))
        placement = record.current_placement
        where = "–"
        if placement is not None:
            area = (
                ""
                if placement.in_area is None
                else (" · in area" if placement.in_area else " · out of area")
            )
            where = f"{placement.placement_type.label}{area}"
            if placement.provider:
                where += f" ({html.escape(placement.provider)})"
        facts = [
            ("Age", f"{record.age} (born {day_text(person.date_of_birth)})"),
            ("Reference", html.escape(person.reference)),
            ("Legal status", person.legal_status.label if person.legal_status else "–"),
            ("Placement", where),
            (
                "Keyworker",
                html.escape(record.keyworker.display_name) if record.keyworker else "Unallocated",
            ),
            ("Team", html.escape(record.team.name) if record.team else "–"),
        ]
        if record.referral and record.referral.risk_category:
            facts.append(("Risk at referral", record.referral.risk_category.label))
        if person.first_language:
            facts.append(("First language", html.escape(person.first_language)))
        self.details.setText(" &nbsp;·&nbsp; ".join(f"<b>{k}</b> {v}" for k, v in facts))


class RecordPage(QWidget):
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: YoungPersonRecord | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.back_button = QPushButton("← Caseload")
        self.back_button.setToolTip("Back to the caseload (Alt+Left)")
        self.back_button.clicked.connect(self.back)
        bar.addWidget(self.back_button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.header = RecordHeader()
        layout.addWidget(self.header)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Record views")
        self.contacts = ContactsView()
        self.chronology = ChronologyView()
        self.goals = GoalsView()
        self.missing = SimpleListView(
            [
                "Went missing",
                "Away for",
                "Police told",
                "Return interview",
                "Exploitation concern",
                "Found",
            ],
            "Missing episodes",
        )
        self.placements = SimpleListView(
            ["Type", "Provider", "Area", "Start", "End", "Weekly cost", "End reason"], "Placements"
        )
        self.actions = SimpleListView(["Action", "Owner", "Due", "Status", "From"], "Actions")
        self.forms = FormsList("Forms")
        self.forms.layout().addWidget(
            empty_note(
                "Practice templates (formulations, deep dives, safety plans) are completed here."
            )
        )
        for name, widget in zip(
            VIEWS,
            (
                self.contacts,
                self.chronology,
                self.goals,
                self.missing,
                self.placements,
                self.actions,
                self.forms,
            ),
            strict=True,
        ):
            self.tabs.addTab(widget, name.capitalize() if name != "missing" else "Missing episodes")
        layout.addWidget(self.tabs)

    def show_record(self, record: YoungPersonRecord, select_contact: str | None = None) -> None:
        self.record = record
        self.header.show_record(record)
        self.contacts.show_record(record, select_contact)
        self.chronology.show_record(record)
        self.goals.show_record(record)
        fill_missing(self.missing, record)
        fill_placements(self.placements, record)
        fill_actions(self.actions, record)
        counts = {
            "contacts": len(record.contacts),
            "chronology": len(record.chronology),
            "goals": len(record.goals),
            "missing": len(record.missing_episodes),
            "placements": len(record.placements),
            "actions": sum(1 for a in record.actions if a.status == ActionStatus.OPEN),
            "forms": len(record.form_responses),
        }
        for n, name in enumerate(VIEWS):
            label = "Missing episodes" if name == "missing" else name.capitalize()
            self.tabs.setTabText(n, f"{label} ({counts[name]})")

    def show_view(self, name: str) -> None:
        self.tabs.setCurrentIndex(VIEWS.index(name))

    def current_view(self) -> str:
        return VIEWS[self.tabs.currentIndex()]

    def clear(self) -> None:
        self.record = None
        self.header.name.clear()
        self.header.details.clear()
        for view in (
            self.contacts.list,
            self.chronology.list,
            self.goals.list,
            self.missing.list,
            self.placements.list,
            self.actions.list,
            self.forms.list,
        ):
            view.clear()
        self.contacts.reader.clear()
        self.goals.chart.set_series([])
