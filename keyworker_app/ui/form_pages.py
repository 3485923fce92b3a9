"""Practice templates in the app: the list of a record's (or the team's) forms, the page that
fills one in (a live deep dive session included), and the comparison of two revisions."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from keyworker_app.domain.vocabulary import RecordStatus
from keyworker_app.forms.schema import TemplateDef
from keyworker_app.store.models import FormResponse
from keyworker_app.ui.autosave import Autosave
from keyworker_app.ui.form_renderer import FormRenderer, response_html
from keyworker_app.ui.widgets import add_row, table

LIVE_SESSION_TEMPLATES = {"deep_dive_review"}


class FormsList(QWidget):
    """The forms on a record or the team's: open one, start one, compare revisions."""

    new_requested = Signal(str)  # template id
    open_requested = Signal(str)  # response id

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.new_button = QPushButton("New form…")
        self.new_button.setAccessibleName("Start a new form")
        self.menu = QMenu(self)
        self.new_button.setMenu(self.menu)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self._open)
        bar.addWidget(self.new_button)
        bar.addWidget(self.open_button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.list = table(["Form", "Version", "Status", "Date", "Author"], name)
        self.list.itemActivated.connect(lambda *_: self._open())
        layout.addWidget(self.list)

    def set_templates(
        self, mine: Sequence[TemplateDef], others: Sequence[TemplateDef] = ()
    ) -> None:
        """Templates for the user's role first; the rest under "Other roles" (still usable,
        e.g. a keyworker writing up a review the psychologist chaired)."""
        self.menu.clear()

        def add(menu: QMenu, template: TemplateDef) -> None:
            action = menu.addAction(template.title)
            action.setToolTip(template.purpose)
            action.triggered.connect(lambda _=False, t=template.id: self.new_requested.emit(t))

        for template in mine:
            add(self.menu, template)
        if others:
            submenu = self.menu.addMenu("Other roles' templates")
            for template in others:
                add(submenu, template)
        self.new_button.setEnabled(bool(mine) or bool(others))

    def set_responses(
        self, responses: list[FormResponse], titles: dict[str, str], names: dict[str, str]
    ) -> None:
        self.list.clear()
        for response in responses:
            when = response.finalised_at or response.updated_at
            add_row(
                self.list,
                [
                    titles.get(
                        response.template_id, response.template_id.replace("_", " ").capitalize()
                    ),
                    f"v{response.template_version}, revision {response.revision_number}",
                    response.status.label,
                    when.astimezone().strftime("%d %b %Y %H:%M") if when else "–",
                    names.get(response.author or "", response.author or ""),
                ],
                data=response.id,
                sort_keys={3: when.isoformat() if when else ""},
            )
        self.open_button.setEnabled(bool(responses))

    def _open(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.open_requested.emit(item.data(0, Qt.ItemDataRole.UserRole))


class TeamFormsPage(QWidget):
    """The team's own records: reflective practice, supervision and the like."""

    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        back = QPushButton("← Caseload")
        back.clicked.connect(self.back)
        layout.addWidget(back, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(
            QLabel("Team forms: reflective practice, supervision and other team records")
        )
        self.forms = FormsList("Team forms")
        layout.addWidget(self.forms)


class FormPage(QWidget):
    """Fill in (draft) or read (finalised) one response. Drafts save themselves."""

    save_requested = Signal(object)  # answers
    finalise_requested = Signal()
    revise_requested = Signal()
    compare_requested = Signal()
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.response: FormResponse | None = None
        self.template: TemplateDef | None = None
        self.renderer: FormRenderer | None = None
        self.clock = QElapsedTimer()
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(1000)
        self.clock_timer.timeout.connect(self._tick)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        top.addWidget(self.title)
        top.addStretch(1)
        self.session = QLabel()
        self.session.setAccessibleName("Session time")
        top.addWidget(self.session)
        self.state = QLabel()
        self.state.setAccessibleName("Form state")
        top.addWidget(self.state)
        self.autosave = Autosave(
            self,
            lambda: self.save_requested.emit(self.renderer.values()),  # type: ignore[union-attr]
            self.state,
            can_save=lambda: self.renderer is not None,
        )
        layout.addLayout(top)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.subtitle)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.body = QStackedWidget()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.reader = QTextBrowser()
        self.reader.setAccessibleName("Finalised form")
        self.body.addWidget(self.scroll)
        self.body.addWidget(self.reader)
        self.splitter.addWidget(self.body)
        self.side = QTextBrowser()
        self.side.setAccessibleName("About the young person")
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        layout.addWidget(self.splitter, 1)  # the form takes the height; headings stay compact

        buttons = QHBoxLayout()
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self._close)
        self.save_button = QPushButton("Save draft")
        self.save_button.clicked.connect(self.save_now)
        self.finalise_button = QPushButton("Finalise…")
        self.finalise_button.clicked.connect(self._finalise)
        self.revise_button = QPushButton("Revise")
        self.revise_button.setToolTip("Start a new revision; this one is kept as it is")
        self.revise_button.clicked.connect(self.revise_requested)
        self.compare_button = QPushButton("Compare with previous")
        self.compare_button.clicked.connect(self.compare_requested)
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        for button in (
            self.compare_button,
            self.revise_button,
            self.save_button,
            self.finalise_button,
        ):
            buttons.addWidget(button)
        layout.addLayout(buttons)

    def show_response(
        self,
        response: FormResponse,
        template: TemplateDef,
        *,
        owner: str,
        staff: list[tuple[str, str]],
        side_html: str | None = None,
        has_previous: bool = False,
        is_latest: bool = True,
    ) -> None:
        self.response, self.template = response, template
        draft = response.status == RecordStatus.DRAFT
        self.title.setText(template.title)
        revision = f" · revision {response.revision_number}" if template.revisable else ""
        self.subtitle.setText(
            f"{owner} · template version {template.version}{revision} · {template.purpose}"
        )
        if draft:
            self.renderer = FormRenderer(template, staff)
            self.renderer.set_values(response.answers)
            self.renderer.changed.connect(self._changed)
            self.scroll.setWidget(self.renderer)
            self.body.setCurrentWidget(self.scroll)
        else:
            self.renderer = None
            self.reader.setHtml(response_html(template, response.answers, dict(staff)))
            self.body.setCurrentWidget(self.reader)
        self.side.setVisible(side_html is not None)
        self.side.setHtml(side_html or "")
        live = draft and template.id in LIVE_SESSION_TEMPLATES
        self.session.setVisible(live)
        if live:
            self.clock.start()
            self.clock_timer.start()
            self._tick()
        else:
            self.clock_timer.stop()
        self.save_button.setVisible(draft)
        self.finalise_button.setVisible(draft)
        self.revise_button.setVisible(not draft and template.revisable and is_latest)
        self.compare_button.setVisible(template.revisable and has_previous)
        self.autosave.reset("Draft" if draft else "Finalised")

    def _tick(self) -> None:
        minutes, seconds = divmod(self.clock.elapsed() // 1000, 60)
        hours, minutes = divmod(minutes, 60)
        self.session.setText(f"Live session · {hours:d}:{minutes:02d}:{seconds:02d}")

    @property
    def dirty(self) -> bool:
        return self.autosave.dirty

    @dirty.setter
    def dirty(self, value: bool) -> None:
        self.autosave.dirty = value

    def _changed(self) -> None:
        self.autosave.changed()

    def save_now(self) -> None:
        self.autosave.save_now()

    def saved(self) -> None:
        self.autosave.saved()

    def save_failed(self, message: str) -> None:
        self.autosave.failed(message)

    def _finalise(self) -> None:
        assert self.template is not None
        actions = self.template.action_groups()
        extra = " Recommendations become actions on the young person's record." if actions else ""
        answer = QMessageBox.question(
            self,
            f"Finalise this {self.template.title.lower()}?",
            "Once finalised it cannot be edited"
            + ("; later changes are made as a new revision." if self.template.revisable else ".")
            + extra,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.dirty = True
            self.save_now()
            self.finalise_requested.emit()

    def _close(self) -> None:
        self.save_now()
        self.clock_timer.stop()
        self.closed.emit()

    def clear(self) -> None:
        self.autosave.reset()
        self.clock_timer.stop()
        self.response = self.template = self.renderer = None
        self.scroll.takeWidget()
        self.reader.clear()
        self.side.clear()


class CompareDialog(QDialog):
    def __init__(self, title: str, body_html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(1100, 700)
        layout = QVBoxLayout(self)
        legend = QLabel("Words added are highlighted; words removed are struck through.")
        layout.addWidget(legend)
        self.view = QTextBrowser()
        self.view.setAccessibleName("Changes between revisions")
        self.view.setHtml(body_html)
        layout.addWidget(self.view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
