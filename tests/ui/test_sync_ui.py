"""Sync in the desktop app against a real central store served over HTTP on loopback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.store.models import YoungPerson
from keyworker_app.store.recording import ContactDetails, add_contact, update_young_person
from keyworker_app.sync.client import login, sync
from keyworker_app.ui import sync_flow
from keyworker_app.ui.main_window import MainWindow
from tests.conftest import FAST_KDF
from tests.sync.conftest import PASSWORD
from tests.ui.conftest import PASSPHRASE, unlocked

Make = Callable[..., MainWindow]


def new_laptop(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    lifecycle.create_caseload(
        folder, PASSPHRASE, DeviceSecrets.for_store(folder), user_name=name, kdf=FAST_KDF
    ).store.close()
    return folder


def test_sign_in_sync_and_resolve_a_conflict_in_the_app(
    qtbot: QtBot,
    make_window: Make,
    tmp_path: Path,
    central_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another laptop (kwa2) changes the school first.
    other = lifecycle.unlock_caseload(
        new_laptop(tmp_path, "kwa2"), PASSPHRASE, DeviceSecrets.for_store(tmp_path / "kwa2")
    )
    login(other, central_url, "kwa2", PASSWORD)
    sync(other)

    folder = new_laptop(tmp_path, "kwa1")
    window = unlocked(qtbot, make_window(folder, passphrase=PASSPHRASE))
    qtbot.waitUntil(lambda: "Not signed in" in window.sync_label.text(), timeout=10000)

    def fill(dialog: QDialog) -> QDialog.DialogCode:
        dialog.server.setText(central_url)  # type: ignore[attr-defined]
        dialog.user.setText("kwa1")  # type: ignore[attr-defined]
        dialog.password.setText(PASSWORD)  # type: ignore[attr-defined]
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(sync_flow.SignInDialog, "exec", fill)
    window.sync.sign_in()
    qtbot.waitUntil(lambda: window.caseload_page.model.total == 1, timeout=20000)
    qtbot.waitUntil(lambda: "Last sync" in window.sync_label.text(), timeout=10000)
    assert "0 unsent" in window.sync_label.text()

    with other.reading() as session:
        ava = session.scalars(select(YoungPerson)).one()
    update_young_person(other, ava.id, {"school": "Beta College"})
    update_young_person(window.store, ava.id, {"school": "Alpha College"})  # type: ignore[arg-type]
    sync(other)
    window.sync.sync_now()
    qtbot.waitUntil(lambda: "1 conflict" in window.sync_label.text(), timeout=20000)
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.sync.show_conflicts()
    page = window.conflicts_page
    assert page.list.topLevelItemCount() == 1
    assert (
        "Beta College" in page.detail.toPlainText() and "Alpha College" in page.detail.toPlainText()
    )
    page.keep_other.click()
    qtbot.waitUntil(
        lambda: (
            "0 unsent" in window.sync_label.text() and "conflict" not in window.sync_label.text()
        ),
        timeout=20000,
    )
    with window.store.reading() as session:  # type: ignore[union-attr]
        assert session.scalars(select(YoungPerson.school)).one() == "Alpha College"
    other.close()


def test_an_expired_sign_in_is_said_even_after_a_background_sync(
    qtbot: QtBot, make_window: Make, tmp_path: Path, central_url: str
) -> None:
    from keyworker_app.sync.client import _keep_refresh_token

    folder = new_laptop(tmp_path, "kwa1")
    store = lifecycle.unlock_caseload(folder, PASSPHRASE, DeviceSecrets.for_store(folder))
    login(store, central_url, "kwa1", PASSWORD)
    sync(store)
    _keep_refresh_token(store, "a token the central store no longer accepts")
    store.close()

    window = unlocked(qtbot, make_window(folder, passphrase=PASSPHRASE))  # syncs in the background
    qtbot.waitUntil(lambda: "Sign-in expired" in window.sync_label.text(), timeout=20000)
    message = window.statusBar().currentMessage()
    assert "sign in again (Sync › Sign in)" in message and "keyworker login" not in message
    assert window.caseload_page.model.total == 1  # the caseload stays open and usable


def test_an_open_record_shows_a_contact_pulled_from_another_laptop(
    qtbot: QtBot, make_window: Make, tmp_path: Path, central_url: str
) -> None:
    # kwa1's laptop, signed in and synced, with Ava's record open on her contacts.
    folder = new_laptop(tmp_path, "kwa1")
    store = lifecycle.unlock_caseload(folder, PASSPHRASE, DeviceSecrets.for_store(folder))
    login(store, central_url, "kwa1", PASSWORD)
    sync(store)
    store.close()
    window = unlocked(qtbot, make_window(folder, passphrase=PASSPHRASE))
    qtbot.waitUntil(
        lambda: "Last sync" in window.sync_label.text() and not window.tasks.busy, timeout=20000
    )
    assert window.caseload_page.model.total == 1
    ava = window.caseload_page.model.row_at(0)
    with qtbot.waitSignal(window.ready, timeout=10000):
        window.caseload_page.open_requested.emit(ava.young_person_id, None)
    contacts = window.record_page.contacts
    assert window.views.currentWidget() is window.record_page
    assert contacts.list.topLevelItemCount() == 0 and ava.last_contact is None

    # A colleague records a visit to Ava on their own laptop and syncs it.
    colleague = lifecycle.unlock_caseload(
        new_laptop(tmp_path, "kwa2"), PASSPHRASE, DeviceSecrets.for_store(tmp_path / "kwa2")
    )
    login(colleague, central_url, "kwa2", PASSWORD)
    sync(colleague)
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    details = ContactDetails(ContactType.HOME_VISIT, "Seen at home by a colleague.", when)
    add_contact(colleague, ava.young_person_id, details, finalise=True)
    sync(colleague)
    colleague.close()

    # kwa1's laptop syncs in the background (F5, or its timer); the pull reaches the open record
    # and the caseload through the store's change event, with nothing reloaded by hand.
    window.sync.sync_now(quiet=True)
    qtbot.waitUntil(lambda: contacts.list.topLevelItemCount() == 1, timeout=20000)
    assert window.views.currentWidget() is window.record_page
    assert "Seen at home by a colleague." in contacts.reader.toPlainText()
    assert window.record_page.tabs.tabText(0) == "Contacts (1)"
    # The caseload, shown again, has the visit as Ava's last contact.
    window.record_page.back_button.click()
    model = window.caseload_page.model
    qtbot.waitUntil(lambda: model.row_at(0).last_contact is not None, timeout=10000)
    assert model.row_at(0).last_contact.timestamp() == when.timestamp()  # type: ignore[union-attr]
