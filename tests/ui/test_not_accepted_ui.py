"""Changes the central store did not accept, and changes proposed after a note was finalised, in
the desktop app: real widgets, real SQLCipher laptops, a real central store on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Addendum, Contact, YoungPerson
from keyworker_app.store.recording import (
    ContactDetails,
    add_contact,
    finalise_contact,
    save_draft,
)
from keyworker_app.sync.client import login, sync
from keyworker_app.sync.refused import RefusedItem, refused_changes
from keyworker_app.ui import not_accepted_page
from keyworker_app.ui.main_window import MainWindow
from keyworker_app.ui.not_accepted_page import EVERYTHING_ACCEPTED, NotAccepted, NotAcceptedPage
from tests.sync.conftest import PASSWORD
from tests.ui.conftest import PASSPHRASE, unlocked
from tests.ui.test_sync_ui import new_laptop

Make = Callable[..., MainWindow]
NOTE = "Written on a laptop three days fast."


def signed_in(tmp_path: Path, central_url: str, name: str) -> Store:
    folder = new_laptop(tmp_path, name)
    store = lifecycle.unlock_caseload(folder, PASSPHRASE, DeviceSecrets.for_store(folder))
    login(store, central_url, name, PASSWORD)
    sync(store)
    return store


def synced_window(qtbot: QtBot, make_window: Make, store: Store) -> MainWindow:
    """The laptop's window, once its first sync (on unlock) has finished."""
    folder = store.data_dir
    store.close()
    window = unlocked(qtbot, make_window(folder, passphrase=PASSPHRASE))
    qtbot.waitUntil(lambda: "Last sync" in window.sync_label.text(), timeout=20000)
    qtbot.waitUntil(lambda: not window.sync.syncing and not window.tasks.busy, timeout=20000)
    return window


def ava(store: Store) -> str:
    with store.reading() as session:
        return session.scalars(select(YoungPerson.id)).one()


def three_days_fast(window: MainWindow) -> str:
    """A draft whose time is three days ahead of the central store's clock."""
    store = window.store
    assert store is not None
    contact_id = add_contact(
        store,
        ava(store),
        ContactDetails(ContactType.HOME_VISIT, NOTE, occurred_at=datetime.now(UTC)),
    ).id
    with store.unit_of_work() as uow:
        found = uow.session.get(Contact, contact_id)
        assert found is not None
        found.occurred_at = datetime.now(UTC) + timedelta(days=3)
        uow.commit()
    return contact_id


def recorded_messages(window: MainWindow) -> list[str]:
    """Everything the status bar says from now on."""
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    return said


def refused_in_the_app(
    qtbot: QtBot,
    make_window: Make,
    tmp_path: Path,
    central_url: str,
) -> tuple[MainWindow, str, list[str]]:
    window = synced_window(qtbot, make_window, signed_in(tmp_path, central_url, "kwa1"))
    said = recorded_messages(window)
    contact_id = three_days_fast(window)
    window.sync.sync_now()
    qtbot.waitUntil(lambda: "1 not accepted" in window.sync_label.text(), timeout=20000)
    return window, contact_id, said


def test_a_refused_change_is_shown_corrected_and_accepted_at_the_next_sync(
    qtbot: QtBot,
    make_window: Make,
    tmp_path: Path,
    central_url: str,
) -> None:
    window, contact_id, said = refused_in_the_app(qtbot, make_window, tmp_path, central_url)
    assert "0 unsent" in window.sync_label.text()  # not waiting to be sent: waiting for you
    assert any(
        "1 change not accepted by the central store (Sync › Not accepted)" in message
        for message in said
    )
    # The status's count is a link to the page.
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.sync_label.linkActivated.emit("not-accepted")
    page = window.not_accepted_page
    assert window.views.currentWidget() is page
    assert page.list.topLevelItemCount() == 1
    row = page.list.topLevelItem(0)
    assert row.text(1) == "New contact for A001"
    assert "clock" in row.text(3)
    detail = page.detail.toPlainText()
    assert "The central store's reason:" in detail and "laptop's clock" in detail
    assert "What to do:" in detail and "keyworker refused" not in detail
    # The one correction that fixes it: the time of the contact.
    assert page.correction.isVisible() and page.when.isVisible()
    assert not page.reference.isVisible()
    fixed = QDateTime.currentDateTime().addSecs(-3600)
    page.when.setDateTime(fixed)
    page.resend_button.click()
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty, timeout=20000)
    qtbot.waitUntil(
        lambda: (
            not window.sync.syncing
            and "0 unsent" in window.sync_label.text()
            and "not accepted" not in window.sync_label.text()
        ),
        timeout=20000,
    )
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=10000)
    assert page.empty.text() == EVERYTHING_ACCEPTED and page.empty.isVisible()
    store = window.store
    assert store is not None and refused_changes(store) == []
    with store.reading() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        assert int(contact.occurred_at.timestamp()) == fixed.toSecsSinceEpoch()
    # Accepted: a colleague's laptop receives it.
    colleague = signed_in(tmp_path, central_url, "kwa2")
    with colleague.reading() as session:
        assert session.scalars(select(Contact.narrative)).all() == [NOTE]
    colleague.close()


def test_refused_changes_are_exported_and_discarded_only_when_confirmed(
    qtbot: QtBot,
    make_window: Make,
    tmp_path: Path,
    central_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, _, _ = refused_in_the_app(qtbot, make_window, tmp_path, central_url)
    [menu_item] = [a for a in window.actions() if a.text() == "Not &accepted…"]
    with qtbot.waitSignal(window.ready, timeout=10000):
        menu_item.trigger()
    page = window.not_accepted_page
    assert page.list.topLevelItemCount() == 1

    out = tmp_path / "for the team"  # the dialog's name without .json gets it
    monkeypatch.setattr(
        not_accepted_page.QFileDialog,
        "getSaveFileName",
        lambda *args, **kwargs: (str(out), "JSON (*.json)"),
    )
    page.export_button.click()
    qtbot.waitUntil(lambda: "not encrypted" in page.message.text(), timeout=10000)
    written = out.with_name("for the team.json")
    [exported] = json.loads(written.read_text("utf-8"))["refused_changes"]
    assert exported["code"] == "clock" and exported["sent"]["narrative"] == NOTE
    assert str(written) in page.message.text()

    asked: list[str] = []
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]

    def question(_parent: object, title: str, text: str, *_: object) -> QMessageBox.StandardButton:
        asked.append(f"{title}\n{text}")
        return answers.pop(0)

    monkeypatch.setattr(not_accepted_page.QMessageBox, "question", question)
    page.discard_button.click()  # Cancel: nothing happens
    qtbot.wait(200)
    assert page.list.topLevelItemCount() == 1
    assert "New contact for A001" in asked[0] and "Export…" in asked[0]
    page.discard_button.click()
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty, timeout=10000)
    qtbot.waitUntil(lambda: "not accepted" not in window.sync_label.text(), timeout=10000)
    assert "Discarded 1 change." in page.message.text()
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=10000)
    assert refused_changes(window.store) == []  # type: ignore[arg-type]


def test_a_change_to_a_note_finalised_meanwhile_is_added_as_an_addendum(
    qtbot: QtBot,
    make_window: Make,
    tmp_path: Path,
    central_url: str,
) -> None:
    finaliser = signed_in(tmp_path, central_url, "kwa1")
    when = datetime.now(UTC) - timedelta(days=1)
    first = "Visited at home.\nAva was calm.\n"
    contact_id = add_contact(
        finaliser, ava(finaliser), ContactDetails(ContactType.HOME_VISIT, first, when)
    ).id
    sync(finaliser)
    window = synced_window(qtbot, make_window, signed_in(tmp_path, central_url, "kwa2"))
    store = window.store
    assert store is not None
    # kwa2 adds a line to the draft while kwa1, offline, finalises it and syncs first.
    added = first + "Mum mentioned rent arrears.\n"
    save_draft(store, contact_id, ContactDetails(ContactType.HOME_VISIT, added, when))
    finalise_contact(finaliser, contact_id)
    sync(finaliser)
    window.sync.sync_now()
    qtbot.waitUntil(lambda: "1 conflict" in window.sync_label.text(), timeout=20000)
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.sync_label.linkActivated.emit("conflicts")
    page = window.conflicts_page
    assert page.list.topLevelItemCount() == 1
    detail = page.detail.toPlainText()
    assert (
        "kwa2 changed this note after kwa1 finalised it. The final note stands; you can add "
        "kwa2's change as an addendum." in detail
    )
    assert "rent arrears" in detail
    offered = [b.text() for b in (page.add_addendum, page.keep_final) if b.isVisible()]
    assert offered == ["Add as an addendum", "Leave the final note as it is"]
    assert not page.keep_other.isVisible() and not page.keep_text.isVisible()
    assert not page.keep_kept.isVisible()
    page.add_addendum.click()
    qtbot.waitUntil(
        lambda: not window.sync.syncing and "conflict" not in window.sync_label.text(),
        timeout=20000,
    )
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=10000)
    assert "addendum" in window.statusBar().currentMessage()
    with store.reading() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None and contact.narrative == first  # the final note stands
        [addendum] = session.scalars(select(Addendum)).all()
    assert addendum.contact_id == contact_id and addendum.author == "kwa2"
    assert "Mum mentioned rent arrears." in addendum.text
    finaliser.close()


def _item(number: int, code: str | None, reason: str) -> RefusedItem:
    return RefusedItem(
        number=number,
        record_type="young_person",
        record_id=f"id-{number}",
        young_person_id=f"id-{number}",
        reference="N100",
        operation="insert",
        fields=["reference"],
        reason=reason,
        code=code,
        refused_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    )


# The page is shown as a window of its own here; the offscreen platform says it cannot pass the
# window's size hints on as the correction box comes and goes.
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_a_reference_another_young_person_has_is_corrected_on_the_page(qtbot: QtBot) -> None:
    page = NotAcceptedPage()
    qtbot.addWidget(page)
    page.show()
    page.set_changes(
        [
            NotAccepted(
                _item(4, "duplicate_reference", "another young person has N100"), "Nadia Ali", None
            ),
            NotAccepted(_item(5, None, "the team is not on the central store"), None, None),
        ]
    )
    assert page.list.topLevelItemCount() == 2
    assert page.reference.isVisible() and not page.when.isVisible()
    assert page.reference.accessibleName() == "New reference"
    assert page.reference.text() == "N100"
    page.reference.setText("N101")
    with qtbot.waitSignal(page.resend_requested) as sent:
        page.resend_button.click()
    assert sent.args == [[4], {"reference": "N101"}]
    # A refusal no single field fixes offers no correction; several at once are sent as they are.
    page.list.clearSelection()
    page.list.topLevelItem(1).setSelected(True)
    assert not page.correction.isVisible()
    assert "Correct what the reason names" in page.detail.toPlainText()
    page.list.selectAll()
    assert not page.correction.isVisible() and "2 changes selected" in page.detail.toPlainText()
    with qtbot.waitSignal(page.resend_requested) as sent:
        page.resend_button.click()
    assert sent.args == [[4, 5], None]
    page.set_changes([])
    assert page.empty.isVisible() and page.empty.text() == EVERYTHING_ACCEPTED
    assert not page.export_button.isEnabled()
