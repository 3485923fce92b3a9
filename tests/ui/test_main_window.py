"""The desktop app as a worker uses it: first run, unlock, caseload, recording, locking."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from keyworker_app.domain.vocabulary import RecordStatus
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload import CaseloadRow
from keyworker_app.store.models import Action, Addendum, Contact
from keyworker_app.ui.caseload_model import ROW_ROLE
from keyworker_app.ui.first_run import RECOVERY_CODE
from keyworker_app.ui.main_window import MainWindow
from tests.ui.conftest import PASSPHRASE, unlocked

Make = Callable[..., MainWindow]


def read_store(folder: Path):  # type: ignore[no-untyped-def]
    return lifecycle.unlock_caseload(folder, PASSPHRASE, DeviceSecrets.for_store(folder))


def open_first_record(qtbot: QtBot, window: MainWindow) -> None:
    page = window.caseload_page
    page.scopes.button(2).setChecked(True)
    with qtbot.waitSignal(window.ready, timeout=10000):
        page.table.setFocus()
        page.table.setCurrentIndex(page.model.index(0, 0))
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert window.views.currentWidget() is window.record_page


def test_first_run_sets_a_passphrase_and_shows_the_recovery_code_once(
    qtbot: QtBot, make_window: Make, tmp_path: Path
) -> None:
    folder = tmp_path / "new"
    window = make_window(folder)
    window.start()
    page = window.first_run
    assert window.pages.currentWidget() is page
    qtbot.mouseClick(page.offline_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(page.first, "short")
    assert not page.create_button.isEnabled()
    assert "Too short" in page.strength.text()
    page.first.clear()
    qtbot.keyClicks(page.first, "marble otter violin harbour")
    qtbot.keyClicks(page.second, "marble otter violin harbour!")
    assert "differ" in page.message.text() and not page.create_button.isEnabled()
    page.second.clear()
    qtbot.keyClicks(page.second, "marble otter violin harbour")
    assert page.create_button.isEnabled()
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.stack.currentIndex() == RECOVERY_CODE, timeout=20000)
    code = page.code.text()
    assert code.count("-") == 6
    assert not page.continue_button.isEnabled()
    page.stored.setChecked(True)
    with qtbot.waitSignal(window.ready, timeout=10000):
        qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    assert window.pages.currentWidget() is window.workspace
    assert page.code.text() == ""  # shown once
    # The code really opens the caseload.
    window.close()
    store = lifecycle.recover_caseload(
        folder, code, "new passphrase words", DeviceSecrets.for_store(folder)
    )
    store.close()


def test_unlock_refuses_a_wrong_passphrase_then_opens_the_caseload(
    qtbot: QtBot, make_window: Make, caseload_dir: Path
) -> None:
    window = make_window(caseload_dir)
    window.start()
    page = window.unlock_page
    assert window.pages.currentWidget() is page
    qtbot.keyClicks(page.passphrase, "not the passphrase at all")
    with qtbot.waitSignal(window.failed, timeout=10000):
        qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    assert "passphrase is wrong" in page.message.text()
    assert window.store is None
    page.passphrase.clear()
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    with qtbot.waitSignal(window.ready, timeout=10000):
        qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    assert window.pages.currentWidget() is window.workspace
    assert window.caseload_page.model.total == 12


def test_the_caseload_filters_as_you_type_and_finds_words_in_notes(
    qtbot: QtBot, make_window: Make, caseload_dir: Path
) -> None:
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    page = window.caseload_page
    assert page.scopes.checkedId() == 0  # "Mine" first: the demo gave "me" young people
    mine = page.model.rowCount()
    assert 0 < mine < 12
    page.scopes.button(2).setChecked(True)
    assert page.model.rowCount() >= mine
    row = page.model.row_at(3)
    qtbot.keyClicks(page.filter, row.family_name)
    assert row.reference in [
        page.model.data(page.model.index(r, 2)) for r in range(page.model.rowCount())
    ]
    page.filter.clear()
    qtbot.keyClicks(page.filter, "school")
    qtbot.waitUntil(lambda: page.results.count() > 0, timeout=10000)
    assert page.results_panel.isVisible()
    assert "school" in page.results.item(0).text().lower()


def test_a_draft_saves_itself_and_survives_a_crash(
    qtbot: QtBot, make_window: Make, caseload_dir: Path
) -> None:
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    open_first_record(qtbot, window)
    person = window.session.record.person  # type: ignore[union-attr]
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.views.currentWidget() is window.editor
    qtbot.keyClicks(
        window.editor.narrative, "Walked to the skate park; talked about the pangolin poster."
    )
    qtbot.waitUntil(lambda: window.editor.state.text().startswith("Draft saved"), timeout=10000)
    # Simulate a crash: the process vanishes without closing anything.
    window.tasks.wait()
    window.store.engine.dispose()  # type: ignore[union-attr]
    window.events.watch(None)
    window.session.store = None
    window.hide()

    again = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    assert again.workspace.drafts_button.isVisible()
    with qtbot.waitSignal(again.ready, timeout=10000):
        again.workspace.drafts_button.click()
    assert again.views.currentWidget() is again.editor
    assert (
        again.editor.narrative.toPlainText()
        == "Walked to the skate park; talked about the pangolin poster."
    )
    assert again.editor.young_person_id == person.id


def test_finalise_then_add_an_addendum(
    qtbot: QtBot, make_window: Make, caseload_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    open_first_record(qtbot, window)
    window.recording.new_contact()
    editor = window.editor
    qtbot.keyClicks(editor.narrative, "Family meeting at home about the weekend curfew.")
    editor.worries[next(iter(editor.worries))].setChecked(True)
    qtbot.keyClicks(editor.action_text, "Book a meeting with school")
    qtbot.keyClick(editor.action_text, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: "Book a meeting with school" in editor.actions_list.text(), timeout=10000
    )
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.ready, timeout=10000):
        editor.finalise_button.click()
    assert window.views.currentWidget() is window.record_page
    contacts = window.record_page.contacts
    current = contacts.current()
    assert current is not None and current.status == RecordStatus.FINAL
    assert "weekend curfew" in contacts.reader.toPlainText()
    assert not contacts.edit_button.isEnabled() and contacts.addendum_button.isEnabled()
    with qtbot.waitSignal(window.ready, timeout=10000):
        contacts.add_addendum.emit(current.id, "It was Saturday, not Sunday.")
    assert "It was Saturday, not Sunday." in window.record_page.contacts.reader.toPlainText()
    window.tasks.wait()
    store = window.store
    assert store is not None
    with store.reading() as session:
        saved = session.get(Contact, current.id)
        assert (
            saved is not None
            and saved.narrative == "Family meeting at home about the weekend curfew."
        )
        assert (
            session.scalars(select(Addendum).where(Addendum.contact_id == current.id)).one().author
            == "me"
        )
        action = session.scalars(select(Action).where(Action.source_id == current.id)).one()
        assert action.description == "Book a meeting with school"


def test_auto_lock_clears_every_view_and_unlocking_returns_with_the_text(
    qtbot: QtBot, make_window: Make, caseload_dir: Path
) -> None:
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    open_first_record(qtbot, window)
    window.recording.new_contact()
    qtbot.keyClicks(window.editor.narrative, "Half-written note about the allotment")
    window.idle.set_minutes(0.002)  # about a tenth of a second
    window.idle.start()
    with qtbot.waitSignal(window.locked, timeout=10000):
        pass
    assert window.pages.currentWidget() is window.unlock_page
    assert window.store is None
    assert window.caseload_page.model.total == 0
    assert (
        window.record_page.record is None
        and window.record_page.contacts.list.topLevelItemCount() == 0
    )
    assert window.editor.narrative.toPlainText() == ""
    assert "without use" in window.unlock_page.message.text()

    window.idle.set_minutes(10)
    qtbot.keyClicks(window.unlock_page.passphrase, PASSPHRASE)
    with qtbot.waitSignal(window.ready, timeout=10000):
        qtbot.keyClick(window.unlock_page.passphrase, Qt.Key.Key_Return)
    assert window.views.currentWidget() is window.editor
    assert window.editor.narrative.toPlainText() == "Half-written note about the allotment"


def test_ctrl_l_locks(qtbot: QtBot, make_window: Make, caseload_dir: Path) -> None:
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    with qtbot.waitSignal(window.locked, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.store is None and window.caseload_page.model.total == 0


def test_open_reference_and_view_from_the_command_line_options(
    qtbot: QtBot, make_window: Make, caseload_dir: Path
) -> None:
    store = read_store(caseload_dir)
    with store.reading() as session:
        from keyworker_app.store.caseload import caseload

        reference = caseload(session)[5].reference
    store.close()
    window = unlocked(
        qtbot,
        make_window(caseload_dir, passphrase=PASSPHRASE, open_reference=reference, view="goals"),
    )
    assert window.session.record is not None and window.session.record.person.reference == reference
    assert window.record_page.current_view() == "goals"


def row_of(window: MainWindow, young_person_id: str) -> CaseloadRow:
    model = window.caseload_page.model
    return next(
        model.row_at(n)
        for n in range(model.rowCount())
        if model.row_at(n).young_person_id == young_person_id
    )


def test_writing_a_contact_updates_the_caseload_without_reloading_it(
    qtbot: QtBot, make_window: Make, caseload_dir: Path
) -> None:
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    page = window.caseload_page
    page.scopes.button(2).setChecked(True)
    n = next(n for n in range(page.model.rowCount()) if page.model.row_at(n).days_since_contact)
    before = page.model.row_at(n)
    drafts = len(window.session.snapshot.drafts)  # type: ignore[union-attr]
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(n, 0))
    with qtbot.waitSignal(window.ready, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    editor = window.editor
    assert window.views.currentWidget() is editor
    qtbot.keyClicks(editor.narrative, "Met at the library to plan the week.")
    # The draft's save reaches the top bar by the store's change event, while still writing.
    drafts_button = window.workspace.drafts_button
    qtbot.waitUntil(lambda: drafts_button.text() == f"Continue draft ({drafts + 1})", timeout=10000)
    qtbot.keyClicks(editor.action_text, "Get a library card")
    qtbot.keyClick(editor.action_text, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Get a library card" in editor.actions_list.text(), timeout=10000)
    assert window.views.currentWidget() is editor  # nothing moved the worker off the editor
    # Back to the caseload (Alt+Left): the row shows the visit and the action, and it is still
    # the row selected (re-read in place, not a new list).
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.views.currentWidget() is page
    qtbot.waitUntil(
        lambda: row_of(window, before.young_person_id).open_actions == before.open_actions + 1,
        timeout=10000,
    )
    assert row_of(window, before.young_person_id).days_since_contact == 0
    selected = page.model.data(page.table.currentIndex(), ROW_ROLE)
    assert selected.young_person_id == before.young_person_id
