"""Screenshots for the user guide of the screens ``keyworker --screenshot`` cannot reach: the
recovery page, a search, the rest of the contact editor, an addendum, a chronology event, signing
in later, a deep dive review in session, a formulation and the comparison of two revisions, team
forms, the review pack's preview and the team's sync status. The real widgets are driven
offscreen, as a worker would drive them, on the synthetic demo caseload that
docs/make_screenshots.sh has just made.

    python docs/guide_screens.py OUT_FOLDER CASELOAD_FOLDER REFERENCE

Run by docs/make_screenshots.sh (``make screenshots``), which sets the throwaway keyring,
folders and passphrase; every name here is synthetic. It changes the throwaway caseload (a visit,
an addendum, a deep dive draft), so it runs after the ``--screenshot`` pictures.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, QObject, Qt, QTime, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QInputDialog,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QWidget,
)

from keyworker_app.organisation import OrganisationSettings
from keyworker_app.store.models import FormResponse
from keyworker_app.ui.app import application, save_png
from keyworker_app.ui.main_window import MainWindow, StartOptions

SIZE = (1100, 720)
LARGE = (1280, 800)
CENTRAL_STORE = "https://keyworker.northshire.example.gov.uk"


def _settle(app: QApplication, rounds: int = 20) -> None:
    for _ in range(rounds):
        app.processEvents()
        time.sleep(0.01)


def _wait(app: QApplication, done: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"Timed out waiting for {what}.")
        app.processEvents()
        time.sleep(0.02)


def _idle(app: QApplication, window: MainWindow) -> None:
    """Let queued store work finish and its results reach the screen."""
    _settle(app, 5)
    _wait(app, lambda: not window.tasks.busy, "the store's work")
    _settle(app)


def _shoot(app: QApplication, widget: QWidget, path: Path) -> None:
    _settle(app)
    save_png(widget, path)  # type: ignore[arg-type]
    print(f"  {path}")


class ModalShot(QObject):
    """Photographs a dialog that runs its own event loop (``exec``), then closes it.

    A timer polls for a visible top-level widget of ``kind``, lets ``prepare`` fill it in,
    waits for it to paint, saves it, and calls ``finish`` (reject unless told otherwise)."""

    def __init__(
        self,
        app: QApplication,
        kind: type[QWidget],
        path: Path,
        prepare: Callable[[QWidget], None] | None = None,
        finish: Callable[[QWidget], None] | None = None,
    ) -> None:
        super().__init__(app)
        self.app, self.kind, self.path = app, kind, path
        self.prepare, self.finish = prepare, finish
        self.seen = 0
        self.done = False
        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def _poll(self) -> None:
        found = next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, self.kind) and w.isVisible()
            ),
            None,
        )
        if found is None:
            return
        self.seen += 1
        if self.seen == 1 and self.prepare is not None:
            self.prepare(found)
        if self.seen < 4:
            return
        self.timer.stop()
        save_png(found, self.path)  # type: ignore[arg-type]
        print(f"  {self.path}")
        self.done = True
        if self.finish is not None:
            self.finish(found)
        elif isinstance(found, QDialog):
            found.reject()
        else:
            found.close()


def _modal(
    app: QApplication,
    kind: type[QWidget],
    path: Path,
    trigger: Callable[[], object],
    prepare: Callable[[QWidget], None] | None = None,
    finish: Callable[[QWidget], None] | None = None,
) -> None:
    shot = ModalShot(app, kind, path, prepare, finish)
    trigger()  # may block in the dialog's own loop until the shot closes it
    _wait(app, lambda: shot.done, f"the dialog for {path.name}")
    shot.deleteLater()


def main(out: Path, data_dir: Path, reference: str) -> int:
    app = application()
    window = MainWindow(
        StartOptions(
            data_dir=data_dir,
            organisation=OrganisationSettings(
                name="Northshire Council", central_store_url=CENTRAL_STORE
            ),
        )
    )
    window.resize(*SIZE)
    window.show()
    window.start()
    _settle(app)

    # The unlock page's second card: a forgotten passphrase.
    window.unlock_page.forgot.click()
    _shoot(app, window, out / "unlock-recovery.png")
    window.unlock_page.stack.setCurrentIndex(0)

    window.unlock(os.environ["KEYWORKER_PASSPHRASE"])
    _wait(app, lambda: window.session.snapshot is not None, "the caseload")
    _idle(app, window)
    row = next(r for r in window.session.snapshot.rows if r.reference == reference)  # type: ignore[union-attr]

    search(app, window, row.given_name, out)
    a_visit(app, window, row.young_person_id, out)
    chronology_event(app, window, out)
    sign_in_later(app, window, out)
    formulation(app, window, out)
    deep_dive(app, window, row.young_person_id, out)
    team_forms(app, window, out)
    review_pack(app, window, out)
    team_sync_status(app, window, out)
    window.close()
    return 0


def search(app: QApplication, window: MainWindow, word: str, out: Path) -> None:
    """The find box: the table narrows to the name, and the notes that mention it are listed."""
    window.caseload_page.scopes.button(1).setChecked(True)  # My team
    window.caseload_page.filter.setText(word)
    _wait(app, lambda: window.caseload_page.results_panel.isVisible(), "the search results")
    _idle(app, window)
    _shoot(app, window, out / "caseload-search.png")
    window.caseload_page.filter.clear()
    window.caseload_page.scopes.button(0).setChecked(True)  # Mine
    _idle(app, window)


def a_visit(app: QApplication, window: MainWindow, young_person_id: str, out: Path) -> None:
    """A visit written up: the lower half of the editor (worries, significant event, actions
    agreed), then finalised, then an addendum added."""
    window.open_record(young_person_id, None, view="contacts", then_edit="new")
    _wait(app, lambda: window.views.currentWidget() is window.editor, "the contact editor")
    editor = window.editor
    yesterday = QDateTime(QDate.currentDate().addDays(-1), QTime(15, 30))
    editor.when.setDateTime(yesterday)
    editor.type.setCurrentIndex(editor.type.findText("School visit"))
    editor.duration.setValue(40)
    editor.location.setText("School, pastoral office")
    editor.present.setText("Head of year")
    editor.purpose.setText("Attendance review")
    editor.narrative.setPlainText(
        "Met at school with the head of year to look at attendance since half term. Mornings "
        "are still the hardest part; two late marks this week, none after lunch. Agreed a "
        "check-in with the pastoral team at 8.45 for the next fortnight."
    )
    editor.own_words.setPlainText("If someone's there when I get in, it's easier.")
    editor.worries[next(w for w in editor.worries if w.value == "school_attendance")].setChecked(
        True
    )
    editor.significant.setChecked(True)
    editor.action_text.setText("Ask the pastoral team for a daily 8.45 check-in")
    editor.action_due.setDate(QDate.currentDate().addDays(7))
    add = next(b for b in editor.findChildren(QPushButton) if b.text() == "Add action")
    add.click()
    _wait(app, lambda: "8.45" in editor.actions_list.text(), "the agreed action")
    _idle(app, window)
    scroll = editor.findChild(QScrollArea)
    assert scroll is not None
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    _shoot(app, window, out / "contact-editor-worries-actions.png")

    editor.finalise_button.click()  # "Finalise this contact?" is answered Yes (see the bottom)
    _wait(app, lambda: window.views.currentWidget() is window.record_page, "the record")
    _idle(app, window)

    def write(dialog: QWidget) -> None:
        text = dialog.findChild(QPlainTextEdit)
        assert text is not None
        text.setPlainText(
            "Correction: the 8.45 check-in is with the pastoral\n"
            "team's learning mentor, not the head of year."
        )

    def accept(dialog: QWidget) -> None:
        dialog.accept()  # type: ignore[attr-defined]

    _modal(
        app,
        QInputDialog,
        out / "addendum.png",
        window.record_page.contacts.addendum_button.click,
        prepare=write,
        finish=accept,
    )
    _idle(app, window)
    _shoot(app, window, out / "contact-with-addendum.png")


def chronology_event(app: QApplication, window: MainWindow, out: Path) -> None:
    """Chronology › Add event…: something significant that was not a contact."""
    from keyworker_app.ui.record_views import ChronologyEventDialog

    window.record_page.show_view("chronology")
    _idle(app, window)

    def fill(dialog: QWidget) -> None:
        assert isinstance(dialog, ChronologyEventDialog)
        dialog.category.setCurrentIndex(dialog.category.findText("Education"))
        dialog.title.setText("Moved to a part-time timetable for two weeks")
        dialog.detail.setPlainText("Agreed at the attendance meeting; reviewed on the 18th.")
        dialog.resize(520, dialog.sizeHint().height())

    add = next(
        b
        for b in window.record_page.chronology.findChildren(QPushButton)
        if b.text() == "Add event…"
    )
    _modal(app, ChronologyEventDialog, out / "chronology-add-event.png", add.click, prepare=fill)
    window.record_page.show_view("contacts")


def sign_in_later(app: QApplication, window: MainWindow, out: Path) -> None:
    """Sync › Sign in to the central store… (after "Start without signing in")."""
    from keyworker_app.ui.sync_pages import SignInDialog

    def fill(dialog: QWidget) -> None:
        assert isinstance(dialog, SignInDialog)
        dialog.user.setText("meera.nowak")
        dialog.resize(480, dialog.sizeHint().height())

    _modal(app, SignInDialog, out / "sync-sign-in.png", window.sync.sign_in, prepare=fill)


def _latest_response(window: MainWindow, template_ids: tuple[str, ...]) -> FormResponse | None:
    record = window.session.record
    assert record is not None
    chosen = [r for r in record.form_responses if r.template_id in template_ids]
    return max(chosen, key=lambda r: r.revision_number) if chosen else None


def formulation(app: QApplication, window: MainWindow, out: Path) -> None:
    """The current 5 Ps formulation, read-only with Revise and Compare, and the comparison."""
    from keyworker_app.ui.form_pages import CompareDialog

    window.record_page.show_view("forms")
    response = _latest_response(window, ("five_ps_formulation", "trauma_informed_formulation"))
    if response is None:
        print("  (no formulation on this record: formulation pictures skipped)")
        return
    window.forms.open_form(response.id)
    _wait(app, lambda: window.views.currentWidget() is window.form_page, "the formulation")
    _idle(app, window)
    _shoot(app, window, out / "formulation.png")
    if window.form_page.compare_button.isVisible():

        def size(dialog: QWidget) -> None:
            dialog.resize(1000, 680)

        _modal(app, CompareDialog, out / "formulation-compare.png", window.forms.compare_form, size)
    window.form_page.close_button.click()
    _wait(app, lambda: window.views.currentWidget() is window.record_page, "the record")
    _idle(app, window)


def deep_dive(app: QApplication, window: MainWindow, young_person_id: str, out: Path) -> None:
    """A deep dive review being run: the form beside the young person's summary, current
    formulation and open actions, with the session clock."""
    window.resize(*LARGE)
    window.forms.new_form("deep_dive_review")
    _wait(app, lambda: window.views.currentWidget() is window.form_page, "the deep dive")
    _idle(app, window)
    page = window.form_page
    staff = window.session.snapshot.staff if window.session.snapshot else []
    me = (
        window.session.snapshot.me.id
        if window.session.snapshot and window.session.snapshot.me
        else None
    )
    clinician = next((sid for sid, name in staff if name.startswith("Dr ")), me)
    today = QDate.currentDate().toString(Qt.DateFormat.ISODate)
    assert page.renderer is not None
    page.renderer.set_values(
        {
            "review_date": today,
            "chair": clinician,
            "attendees": [
                {"name": "Head of year", "agency": "School", "role": "Pastoral lead"},
                {
                    "name": "Social worker",
                    "agency": "Children's services",
                    "role": "Allocated worker",
                },
            ],
            "summary": "Referred after two missing episodes in the spring; living at home with "
            "mum and a younger brother. Attendance has dropped since the move in September.",
            "current_risks": "Going missing after arguments at home; late nights in town.",
            "risk_areas": ["Missing from home", "School exclusion"],
        }
    )
    page.autosave.changed()  # as typing would
    page.save_now()
    _idle(app, window)
    _settle(app, 150)  # let the session clock tick
    _shoot(app, window, out / "deep-dive-session.png")
    page.close_button.click()
    _wait(app, lambda: window.views.currentWidget() is window.record_page, "the record")
    _idle(app, window)
    window.resize(*SIZE)


def team_forms(app: QApplication, window: MainWindow, out: Path) -> None:
    """Team forms: a reflective practice group written up for the team, not for one person,
    then the team's list of forms."""
    window.forms.show_team_forms()
    _wait(app, lambda: window.views.currentWidget() is window.team_forms_page, "team forms")
    _idle(app, window)
    window.forms.new_form("reflective_practice_group")
    _wait(app, lambda: window.views.currentWidget() is window.form_page, "the reflective form")
    _idle(app, window)
    page = window.form_page
    staff = window.session.snapshot.staff if window.session.snapshot else []
    facilitator = next((sid for sid, name in staff if name.startswith("Dr ")), None)
    assert page.renderer is not None
    page.renderer.set_values(
        {
            "session_date": QDate.currentDate().toString(Qt.DateFormat.ISODate),
            "facilitator": facilitator,
            "attendees": [
                {"name": "Keyworkers (4)", "role": "Keyworker", "agency": "Valleys Hub"},
                {"name": "Team manager", "role": "Supervisor", "agency": "Valleys Hub"},
            ],
            "focus_kind": "A theme across cases",
            "case_or_theme": "Young people who go quiet after a missing episode",
            "question": "How do we keep the relationship going when a young person stops "
            "answering after they have been found?",
        }
    )
    page.autosave.changed()  # as typing would
    page.save_now()
    _idle(app, window)
    _shoot(app, window, out / "reflective-practice.png")
    page.close_button.click()
    _wait(app, lambda: window.views.currentWidget() is window.team_forms_page, "team forms")
    _idle(app, window)
    _shoot(app, window, out / "team-forms.png")
    window.show_caseload()
    _idle(app, window)


def review_pack(app: QApplication, window: MainWindow, out: Path) -> None:
    """File › Print review pack… (Ctrl+P): the choices, then the preview of the real pages."""
    from keyworker_app.ui.pack_print import PackOptions

    window.show_caseload()
    _idle(app, window)
    record = window.session.record
    assert record is not None
    window.open_record(record.person.id, None, view="contacts")
    _idle(app, window)

    def choose(dialog: QWidget) -> None:
        assert isinstance(dialog, PackOptions)
        dialog.prepared_for.setText("Placement review panel")
        dialog.redact.setChecked(True)
        dialog.preview.setFocus()

    def preview(dialog: QWidget) -> None:
        dialog.preview.click()  # type: ignore[attr-defined]

    window.printing.preview = None
    _modal(
        app,
        PackOptions,
        out / "print-options.png",
        window.printing.print_review_pack,
        prepare=choose,
        finish=preview,
    )
    _wait(
        app,
        lambda: window.printing.preview is not None and window.printing.preview.isVisible(),  # type: ignore[attr-defined]
        "the pack preview",
        120,
    )
    preview_dialog = window.printing.preview
    preview_dialog.resize(820, 900)
    _shoot(app, preview_dialog, out / "print-pack-preview.png")
    preview_dialog.close()


def team_sync_status(app: QApplication, window: MainWindow, out: Path) -> None:
    """Sync › Team sync status… as a supervisor sees it. The rows are made up here (the demo
    caseload has no central store); the dialog is the app's own."""
    from keyworker_app.sync.protocol import WorkerStatus
    from keyworker_app.ui.sync_pages import TeamStatusDialog

    names = [
        name for _, name in (window.session.snapshot.staff if window.session.snapshot else [])
    ][:5]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ages = [
        timedelta(minutes=12),
        timedelta(hours=3),
        timedelta(days=1, hours=2),
        timedelta(days=6),
        None,
    ]
    pending = [0, 2, 0, 9, 0]
    rows = [
        WorkerStatus(
            user_name=name.lower().replace(" ", "."),
            display_name=name,
            last_sync=now - age if age is not None else None,
            pending=count,
        )
        for name, age, count in zip(names, ages, pending, strict=False)
    ]
    dialog = TeamStatusDialog(rows, window)
    dialog.show()
    _shoot(app, dialog, out / "team-sync-status.png")
    dialog.close()


def _yes(*_: object, **__: object) -> QMessageBox.StandardButton:
    return QMessageBox.StandardButton.Yes


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    QMessageBox.question = _yes  # type: ignore[method-assign]  # "Finalise this contact?" Yes
    if len(sys.argv) != 4:
        raise SystemExit("usage: python docs/guide_screens.py OUT_FOLDER CASELOAD_FOLDER REFERENCE")
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]))
