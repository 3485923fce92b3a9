"""A new keyworker's first run, against a real central store on loopback: sign in, passphrase,
recovery code, first sync with progress, the caseload tour; and the organisation's settings as
the window applies them (the central store's address, the idle lock)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keyring
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from keyworker_app.organisation import OrganisationSettings
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.store.models import YoungPerson
from keyworker_app.sync.client import SERVICE, sync_state
from keyworker_app.ui.first_run import FIRST_SYNC, PASSPHRASE, RECOVERY_CODE, SIGN_IN
from keyworker_app.ui.main_window import MainWindow
from tests.sync.conftest import PASSWORD

Make = Callable[..., MainWindow]
NEW_PASSPHRASE = "marble otter violin harbour"


def choose_passphrase(qtbot: QtBot, window: MainWindow) -> str:
    page = window.first_run
    assert page.stack.currentIndex() == PASSPHRASE
    qtbot.keyClicks(page.first, NEW_PASSPHRASE)
    qtbot.keyClicks(page.second, NEW_PASSPHRASE)
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.stack.currentIndex() == RECOVERY_CODE, timeout=20000)
    code = page.code.text()
    assert code.count("-") == 6
    assert not page.continue_button.isEnabled()  # not before the worker says it is stored
    page.stored.setChecked(True)
    return code


def test_a_new_keyworker_signs_in_creates_the_caseload_syncs_and_takes_the_tour(
    qtbot: QtBot, make_window: Make, tmp_path: Path, central_url: str
) -> None:
    folder = tmp_path / "laptop"
    window = make_window(folder, organisation=OrganisationSettings(central_store_url=central_url))
    window.start()
    page = window.first_run
    assert window.pages.currentWidget() is page and page.stack.currentIndex() == SIGN_IN
    # The address comes from the organisation's settings, so the keyworker is not asked for it.
    assert page.server.text() == central_url and page.server.isReadOnly()

    page.sign_in_user.setText("kwa1")
    qtbot.keyClicks(page.password, "not my password")
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.sign_in_button.isEnabled(), timeout=20000)
    assert page.stack.currentIndex() == SIGN_IN
    assert page.sign_in_message.text() and "Traceback" not in page.sign_in_message.text()
    assert not lifecycle.exists(folder)  # a refused sign-in makes nothing

    page.password.clear()
    qtbot.keyClicks(page.password, PASSWORD)
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.stack.currentIndex() == PASSPHRASE, timeout=20000)
    assert page.user.text() == "kwa1" and page.user.isReadOnly()
    assert "Signed in as" in page.who.text()
    assert not lifecycle.exists(folder)  # nothing on disk until the passphrase is chosen

    code = choose_passphrase(qtbot, window)
    shares: list[int] = []
    page.sync_bar.valueChanged.connect(shares.append)
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    assert page.stack.currentIndex() == FIRST_SYNC
    assert page.code.text() == ""  # shown once
    qtbot.waitUntil(lambda: page.tour_button.isEnabled(), timeout=30000)
    assert "Done: 1 young person" in page.sync_text.text(), page.sync_text.text()
    assert page.sync_bar.value() == page.sync_bar.maximum() == 1000 and 1000 in shares
    assert page.sync_message.text() == ""

    with qtbot.waitSignal(window.ready, timeout=20000):
        qtbot.mouseClick(page.tour_button, Qt.MouseButton.LeftButton)
    assert window.pages.currentWidget() is window.workspace
    assert [r.reference for r in window.session.snapshot.rows] == ["A001"]  # type: ignore[union-attr]
    tour = window.tour
    assert tour is not None and tour.isVisible()
    assert tour.step.text() == "Tour · 1 of 5" and tour.title.text() == "Your caseload"
    titles = [tour.title.text()]
    for _ in range(4):
        qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
        titles.append(tour.title.text())
        # Each callout sits inside the window.
        assert window.rect().contains(tour.geometry()), (tour.title.text(), tour.geometry())
    assert titles[-1] == "Lock when you step away" and tour.next_button.text() == "Done"
    qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
    assert window.tour is None and not tour.isVisible()

    # The sign-in was kept for this caseload's device, the refresh token in the keyring only.
    store = window.store
    assert store is not None and store.user_name == "kwa1"
    state = sync_state(store)
    assert state.signed_in and state.last_sync is not None
    assert keyring.get_password(SERVICE, store.device_id)
    window.close()
    # The recovery code shown really opens the caseload, and the record is there.
    reopened = lifecycle.recover_caseload(
        folder, code, "another long passphrase", DeviceSecrets.for_store(folder)
    )
    with reopened.reading() as session:
        assert session.scalars(select(YoungPerson.given_name)).all() == ["Ava"]
    reopened.close()


def test_starting_without_signing_in_skips_the_first_sync(
    qtbot: QtBot, make_window: Make, tmp_path: Path
) -> None:
    window = make_window(tmp_path / "offline")
    window.start()
    page = window.first_run
    page.sign_in_user.setText("pat.new")
    qtbot.mouseClick(page.offline_button, Qt.MouseButton.LeftButton)
    assert page.stack.currentIndex() == PASSPHRASE
    assert page.user.text() == "pat.new" and not page.user.isReadOnly()
    assert "sign in later" in page.who.text()
    choose_passphrase(qtbot, window)
    with qtbot.waitSignal(window.ready, timeout=20000):
        qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    assert window.pages.currentWidget() is window.workspace
    assert window.store is not None and window.store.user_name == "pat.new"
    assert window.tour is not None  # the tour still follows
    qtbot.keyClick(window.tour, Qt.Key.Key_Escape)
    assert window.tour is None


def test_the_first_sync_failing_keeps_the_new_caseload(
    qtbot: QtBot, make_window: Make, tmp_path: Path, central_url: str
) -> None:
    folder = tmp_path / "laptop"
    window = make_window(folder, organisation=OrganisationSettings(central_store_url=central_url))
    window.start()
    page = window.first_run
    page.sign_in_user.setText("kwa2")
    qtbot.keyClicks(page.password, PASSWORD)
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.stack.currentIndex() == PASSPHRASE, timeout=20000)
    choose_passphrase(qtbot, window)
    # The network goes between the sign-in and the first sync.
    assert window.store is not None
    from keyworker_app.sync.client import SERVER_URL, _write_setting

    _write_setting(window.store, SERVER_URL, "http://127.0.0.1:9")
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.tour_button.isEnabled(), timeout=30000)
    assert page.sync_text.text() == "The first sync did not finish."
    assert "will sync when the central store answers" in page.sync_message.text()
    with qtbot.waitSignal(window.ready, timeout=20000):
        qtbot.mouseClick(page.tour_button, Qt.MouseButton.LeftButton)
    assert window.pages.currentWidget() is window.workspace
    assert lifecycle.exists(folder)


def test_the_idle_lock_follows_the_organisation_unless_users_may_change_it(
    make_window: Make, tmp_path: Path
) -> None:
    deployed = {"practice.idle_lock_minutes": tmp_path / "keyworker.toml"}
    organisation = OrganisationSettings(idle_lock_minutes=3, sources=deployed, managed=True)
    fixed = make_window(tmp_path / "a", organisation=organisation)
    fixed.settings.setValue("practice.idle_lock_minutes", 45)  # an old choice of the user's
    try:
        again = make_window(tmp_path / "b", organisation=organisation)
        assert again.idle.minutes == 3
        menu = {a.text(): a for a in again.actions()}
        locked = [t for t in menu if "set by your organisation" in t]
        assert locked and not menu[locked[0]].isEnabled()
        free = make_window(
            tmp_path / "c",
            organisation=OrganisationSettings(
                idle_lock_minutes=3,
                users_may_change=frozenset({"practice.idle_lock_minutes"}),
                sources=deployed,
                managed=True,
            ),
        )
        assert free.idle.minutes == 45
        # No organisation file at all: the choice is the user's.
        unmanaged = make_window(tmp_path / "d", organisation=OrganisationSettings())
        assert unmanaged.idle.minutes == 45
        assert any(a.text() == "Lock after &idle…" and a.isEnabled() for a in unmanaged.actions())
    finally:
        fixed.settings.remove("practice.idle_lock_minutes")
