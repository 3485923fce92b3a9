"""Screenshots of a new keyworker's first run and first recorded visit, taken from the current
code: the app is driven as a keyworker would drive it, against a real central store on loopback
holding synthetic cases; then a conflict, a change proposed after a note was finalised, and a
change the central store did not accept. The user guide (docs/guide-keyworkers.md) walks
through these pictures.

    python docs/first_run_screens.py docs/screenshots

Run by docs/make_screenshots.sh (``make screenshots``), which sets the throwaway keyring and
folders; every name here is synthetic.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from keyworker_app.organisation import OrganisationSettings
from keyworker_app.server import accounts
from keyworker_app.server.app import create_app
from keyworker_app.server.database import open_database
from keyworker_app.store.caseload_store import Store
from keyworker_app.ui.app import application, save_png
from keyworker_app.ui.main_window import MainWindow, StartOptions

PASSWORD = "synthetic password for screenshots"
PASSPHRASE = "marble otter violin harbour"
SIZE = (1100, 720)


CASES = """reference,given_name,family_name,date_of_birth,team,keyworker,school
NS1041,Kayden,Oyelaran,2010-03-14,North,meera.nowak,Ashgrove Academy
NS1042,Lili,Brzezinska,2009-07-02,North,meera.nowak,Ashgrove Academy
NS1043,Tomasz,Reid,2011-01-23,North,meera.nowak,Harbour School
NS1044,Amani,Tesfay,2008-11-30,North,meera.nowak,Northshire College
NS1045,Ffion,Parry,2010-09-05,North,meera.nowak,Harbour School
NS1046,Reza,Karimi,2009-04-18,North,meera.nowak,Ashgrove Academy
"""
NOTES = {
    "NS1041": "Home visit. Kayden showed me the bike he is fixing; talked about school mornings.",
    "NS1043": "Walk to the park with Tomasz; he wants to try the youth club on Thursday.",
    "NS1044": "Phone call with Amani about college enrolment; agreed to meet next week.",
}


def _central_store(folder: Path) -> tuple[str, Callable[[], None]]:
    """A central store with a synthetic caseload for meera.nowak, served on a free port."""
    from datetime import UTC, datetime, timedelta

    from keyworker_app.domain.caseload_csv import parse_caseload_csv
    from keyworker_app.domain.vocabulary import ContactType
    from keyworker_app.server.importing import import_central
    from keyworker_app.store.recording import ContactDetails, add_contact, require_young_person
    from keyworker_app.sync.client import sync

    database = open_database(data_dir=folder / "central")
    with database.session() as session, session.begin():
        accounts.add_team(session, "North")
        accounts.add_user(
            session,
            "meera.nowak",
            PASSWORD,
            role="keyworker",
            team="North",
            display_name="Meera Nowak",
        )
        accounts.add_user(
            session,
            "sam.okafor",
            PASSWORD,
            role="keyworker",
            team="North",
            display_name="Sam Okafor",
        )
    with database.session() as session, session.begin():
        import_central(session, parse_caseload_csv(CASES.encode()))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(database), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    # The keyworker's old laptop has recorded a few visits already.
    store = signed_in_laptop(folder / "old-laptop", url, "meera.nowak")
    for days, (reference, note) in enumerate(NOTES.items(), start=2):
        with store.reading() as session:
            person_id = require_young_person(session, reference).id
        details = ContactDetails(contact_type=ContactType.parse("home_visit"), narrative=note)
        details.occurred_at = datetime.now(UTC) - timedelta(days=days * 3)
        details.duration_minutes = 60
        add_contact(store, person_id, details, finalise=True)
    sync(store)
    store.close()

    def stop() -> None:
        server.should_exit = True
        database.dispose()

    return url, stop


def signed_in_laptop(folder: Path, url: str, user: str) -> Store:
    """Another laptop's caseload: created, signed in to the central store and synced."""
    from keyworker_app.security.device_secret import DeviceSecrets
    from keyworker_app.store import lifecycle
    from keyworker_app.sync.client import login, sync

    store = lifecycle.create_caseload(
        folder, PASSPHRASE, DeviceSecrets.for_store(folder), user_name=user
    ).store
    login(store, url, user, PASSWORD)
    sync(store)
    return store


def _wait(app: QApplication, done: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("The first run did not reach the next step in time.")
        app.processEvents()
        time.sleep(0.02)


def _shoot(app: QApplication, window: QWidget, path: Path) -> None:
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)
    save_png(window, path)  # type: ignore[arg-type]
    print(f"  {path}")


def main(out: Path) -> int:
    app = application()
    work = Path(tempfile.mkdtemp(prefix="kw-first-run-"))
    url, stop = _central_store(work)
    window = MainWindow(
        StartOptions(
            data_dir=work / "laptop",
            organisation=OrganisationSettings(name="Northshire Council", central_store_url=url),
        )
    )
    window.resize(*SIZE)
    window.show()
    window.start()
    page = window.first_run
    page.sign_in_user.setText("meera.nowak")
    page.password.setText(PASSWORD)
    _shoot(app, window, out / "first-run-sign-in.png")
    page.sign_in_button.click()
    _wait(app, lambda: page.stack.currentIndex() == 1)
    page.first.setText(PASSPHRASE)
    page.second.setText(PASSPHRASE)
    _shoot(app, window, out / "first-run-passphrase.png")
    page.create_button.click()
    _wait(app, lambda: page.stack.currentIndex() == 2)
    page.stored.setChecked(True)
    _shoot(app, window, out / "first-run-recovery-code.png")
    page.continue_button.click()
    _wait(app, lambda: page.tour_button.isEnabled())
    _shoot(app, window, out / "first-run-sync.png")
    page.tour_button.click()
    _wait(app, lambda: window.tour is not None)
    _shoot(app, window, out / "first-run-tour.png")
    window.tour.finish()  # type: ignore[union-attr]
    first_visit(app, window, out)
    a_conflict(app, window, url, work, out)
    a_proposal(app, window, work, out)
    not_accepted(app, window, out)
    window.close()
    stop()
    return 0


def first_visit(app: QApplication, window: MainWindow, out: Path) -> None:
    """Ffion Parry's record, a new home visit written up and finalised, then synced."""
    table = window.caseload_page.table
    model = window.caseload_page.model
    row = next(r for r in range(model.rowCount()) if "Parry" in str(model.index(r, 0).data()))
    table.setCurrentIndex(model.index(row, 0))
    window.recording.new_contact()  # Ctrl+N: the record opens with a new contact
    _wait(app, lambda: window.views.currentWidget() is window.editor)
    editor = window.editor
    yesterday = QDateTime(QDate.currentDate().addDays(-1), QTime(16, 0))
    editor.when.setDateTime(yesterday)
    editor.type.setCurrentIndex(editor.type.findText("Home visit", Qt.MatchFlag.MatchContains))
    editor.duration.setValue(50)
    editor.location.setText("Family home")
    editor.present.setText("Ffion, her mum")
    editor.narrative.setPlainText(
        "First visit as Ffion's keyworker. We sat in the kitchen with her mum and talked about "
        "what has been hard since the move: mornings, and getting to Harbour School on time. "
        "Ffion was quiet at first and warmed up when we talked about her dog. We agreed I will "
        "ring school about a later start for two weeks, and visit again on Thursday after school."
    )
    editor.own_words.setPlainText("I just want mornings to stop being a fight.")
    editor.action_text.setText("Ring Harbour School about a later start for two weeks")
    add = next(b for b in editor.findChildren(QPushButton) if b.text() == "Add action")
    add.click()
    _wait(app, lambda: bool(editor.actions_list.text()))
    _shoot(app, window, out / "first-visit-editor.png")
    editor.finalise_button.click()  # asks first; the script answers Yes below
    _wait(app, lambda: window.views.currentWidget() is window.record_page)
    window.tasks.wait()
    window.sync.sync_now()
    _wait(app, lambda: not window.sync.syncing, 60)
    _shoot(app, window, out / "first-visit-recorded.png")


def a_conflict(app: QApplication, window: MainWindow, url: str, work: Path, out: Path) -> None:
    """A colleague changes Ffion's school on their laptop while Meera changes it on hers."""
    from keyworker_app.store.recording import require_young_person, update_young_person
    from keyworker_app.sync.client import sync

    colleague = signed_in_laptop(work / "colleague", url, "sam.okafor")
    with colleague.reading() as session:
        ffion = require_young_person(session, "NS1045").id
    update_young_person(colleague, ffion, {"school": "Harbour School (part-time timetable)"})
    sync(colleague)
    colleague.close()
    window.tasks.wait()
    update_young_person(window.store, ffion, {"school": "Northshire College"})  # type: ignore[arg-type]
    window.sync.sync_now()
    _wait(app, lambda: "conflict" in window.sync_label.text(), 60)
    window.sync.show_conflicts()
    _wait(app, lambda: window.views.currentWidget() is window.conflicts_page)
    _shoot(app, window, out / "conflicts.png")


def a_proposal(app: QApplication, window: MainWindow, work: Path, out: Path) -> None:
    """Meera finalises her note of a visit while Sam, who was there too, adds a line to it."""
    from datetime import UTC, datetime, timedelta

    from keyworker_app.domain.vocabulary import ContactType
    from keyworker_app.security.device_secret import DeviceSecrets
    from keyworker_app.store import lifecycle
    from keyworker_app.store.recording import (
        ContactDetails,
        add_contact,
        finalise_contact,
        require_young_person,
        save_draft,
    )
    from keyworker_app.sync.client import sync

    store = window.store
    assert store is not None
    window.tasks.wait()
    with store.reading() as session:
        tomasz = require_young_person(session, "NS1043").id
    note = (
        "Joint visit with Sam. Tomasz showed us the youth club's timetable and wants to go on "
        "Thursday.\nHis dad will walk him there the first time.\n"
    )
    when = datetime.now(UTC) - timedelta(days=1)
    details = ContactDetails(ContactType.parse("home_visit"), note, when)
    details.duration_minutes = 45
    contact_id = add_contact(store, tomasz, details).id
    window.sync.sync_now()
    _wait(app, lambda: not window.sync.syncing)
    colleague = lifecycle.unlock_caseload(
        work / "colleague", PASSPHRASE, DeviceSecrets.for_store(work / "colleague")
    )
    sync(colleague)
    details.narrative = note + "Dad asked for the club's number; I said I would send it.\n"
    save_draft(colleague, contact_id, details)
    sync(colleague)
    colleague.close()
    window.tasks.wait()
    finalise_contact(store, contact_id)
    window.sync.sync_now()
    _wait(app, lambda: "2 conflict" in window.sync_label.text(), 60)
    page = window.conflicts_page
    window.sync.show_conflicts()
    _wait(app, lambda: page.list.topLevelItemCount() == 2)  # the page was open already
    proposal = next(
        page.list.topLevelItem(i)
        for i in range(page.list.topLevelItemCount())
        if page.is_proposal(page.list.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole))
    )
    page.list.setCurrentItem(proposal)
    _shoot(app, window, out / "conflicts-proposal.png")


def not_accepted(app: QApplication, window: MainWindow, out: Path) -> None:
    """A visit recorded on a laptop whose clock ran three days fast: the central store refuses
    it, and the laptop keeps it with the reason until it is corrected."""
    from datetime import UTC, datetime, timedelta

    from keyworker_app.domain.vocabulary import ContactType
    from keyworker_app.store.models import Contact
    from keyworker_app.store.recording import ContactDetails, add_contact, require_young_person

    store = window.store
    assert store is not None
    window.tasks.wait()
    with store.reading() as session:
        lili = require_young_person(session, "NS1042").id
    details = ContactDetails(
        ContactType.parse("phone"),
        "Phoned Lili after school; she is nervous about Monday's review and wants me there.",
        datetime.now(UTC),
    )
    details.duration_minutes = 20
    contact_id = add_contact(store, lili, details, finalise=True).id
    with store.unit_of_work() as uow:
        # As if this laptop's clock had run three days fast when the call was recorded.
        found = uow.session.get(Contact, contact_id)
        assert found is not None
        uow.allow_correction(found)
        found.occurred_at = datetime.now(UTC) + timedelta(days=3)
        uow.commit()
    window.sync.sync_now()
    _wait(app, lambda: "not accepted" in window.sync_label.text(), 60)
    window.sync.show_not_accepted()
    _wait(app, lambda: window.views.currentWidget() is window.not_accepted_page)
    _shoot(app, window, out / "not-accepted.png")


def _yes(*_: object, **__: object) -> QMessageBox.StandardButton:
    return QMessageBox.StandardButton.Yes


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    QMessageBox.question = _yes  # type: ignore[method-assign]  # "Finalise this contact?" Yes
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
