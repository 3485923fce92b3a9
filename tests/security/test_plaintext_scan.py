"""Nothing readable is left on disk or in the logs by a whole day's work.

One worker's day, done the way a user does it: ``keyworker init`` in the default data folder,
sign in to a real central store (uvicorn on 127.0.0.1), import a caseload spreadsheet, record
contacts (one finalised with an addendum, one left as a draft), fill in part of a practice
template, search, sync, type a contact in the desktop app until its draft saves itself, and
export a review pack, the caseload CSV and a subject access export *without a password* to a
folder the user chose. Every name and note is synthetic and distinctive.

Then every file the app may write (the data folder, the XDG data/state/config/cache folders,
the temporary folder, Qt's settings file) is scanned for each name and note in UTF-8 and UTF-16,
ignoring case, while the store is open (its write-ahead log present) and after it is closed. The
export folder is the control: it must hold the names, so the scan cannot pass by finding nothing.
The log records of the whole workflow, at DEBUG, must hold no name, note or secret either.
"""

from __future__ import annotations

import json
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import keyring
import pytest
from pypdf import PdfReader
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from keyworker_app.cli import main
from keyworker_app.domain.caseload_csv import parse_caseload_csv
from keyworker_app.forms.library import load_file
from keyworker_app.paths import default_data_dir, forms_dir
from keyworker_app.security import keys
from keyworker_app.security.device_secret import SERVICE as DEVICE_SERVICE
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.server import accounts
from keyworker_app.server.database import open_database
from keyworker_app.server.importing import import_central
from keyworker_app.server.models import Record
from keyworker_app.store import lifecycle
from keyworker_app.store.form_responses import save_answers, start_response
from keyworker_app.store.models import Contact, YoungPerson
from keyworker_app.store.recording import add_addendum
from keyworker_app.store.search import search
from keyworker_app.sync.client import SERVICE as SYNC_SERVICE
from tests.conftest import FAST_KDF

PASSPHRASE = "gooseberry funicular nocturne 7"
PASSWORD = "central password for harbour"
USER = "kw.harbour"
TEAM = "Harbour Team"

# Synthetic and distinctive: found only if the app wrote them somewhere readable.
NAMES = [
    "Zebedee",
    "Quillfeather",
    "Ottoline",
    "Brackenbury",
    "Peregrina",  # arrives from the central store, not the spreadsheet
    "Thistlewaite",
    "Wolfsbane Academy",
    "Fennimore",  # a third party named in a form
]
FINAL_NOTE = "Walked by the marmalade-lighthouse and talked about college."
OWN_WORDS = "I want the periwinkle-gazebo back."
DRAFT_NOTE = "Unfinished note about the saffron-anchorage visit."
ADDENDUM = "Later: the tangerine-quarrystone plan was agreed."
FORM_TEXT = "Sources: the cobalt-windmill conversation with school."
UI_NOTE = "Typed in the app: juniper-observatory outing."
NOTES = [FINAL_NOTE, OWN_WORDS, DRAFT_NOTE, ADDENDUM, FORM_TEXT, UI_NOTE]
# The full-text index keeps words, not sentences: each distinctive word is looked for too.
WORDS = [
    "marmalade",
    "lighthouse",
    "periwinkle",
    "gazebo",
    "saffron",
    "anchorage",
    "tangerine",
    "quarrystone",
    "cobalt",
    "windmill",
    "juniper",
    "observatory",
]
NEEDLES = NAMES + NOTES + WORDS
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")

SPREADSHEET = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,school,referral_date,"
    "risk_category\n"
    f"HB-0001,Zebedee,Quillfeather,2009-03-04,{TEAM},{USER},Wolfsbane Academy,2026-01-05,other\n"
    f"HB-0002,Ottoline,Brackenbury,2010-07-08,{TEAM},{USER},Wolfsbane Academy,2026-02-06,other\n"
)
CENTRAL_CASE = (
    "reference,given_name,family_name,date_of_birth,team,keyworker,school,referral_date,"
    "risk_category\n"
    f"HB-0100,Peregrina,Thistlewaite,2008-09-10,{TEAM},{USER},Oak High,2025-12-01,other\n"
)


# -- the scan ----------------------------------------------------------------------------------
def scan(folders: Iterable[Path], needles: Iterable[str]) -> list[str]:
    """Every place a needle appears, in a file's bytes or its name: UTF-8, UTF-16 (either
    byte order), in any letter case."""
    wanted = [(n, enc, n.lower().encode(enc)) for n in needles for enc in ENCODINGS]
    found = []
    for folder in folders:
        paths = [folder] if folder.is_file() else sorted(folder.rglob("*"))
        for path in paths:
            for needle, _, _ in wanted[:: len(ENCODINGS)]:
                if needle.lower() in path.name.lower():
                    found.append(f"{path}: its name holds {needle!r}")
            if not path.is_file():
                continue
            data = path.read_bytes().lower()  # ASCII letters only, in UTF-8 and UTF-16 alike
            for needle, encoding, pattern in wanted:
                if pattern in data:
                    found.append(f"{path} holds {needle!r} ({encoding})")
    return found


def test_the_scan_finds_text_in_any_encoding_and_case(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"\x00\x01" + "ZEBEDEE".encode("utf-16-le") + b"\xff")
    (tmp_path / "b.bin").write_bytes("quillFEATHER".encode("utf-16-be"))
    (tmp_path / "c.txt").write_text("a note: Marmalade-Lighthouse", encoding="utf-8")
    (tmp_path / "Ottoline.txt").write_text("nothing inside")
    found = scan([tmp_path], NEEDLES)
    assert any("a.bin" in f and "Zebedee" in f and "utf-16-le" in f for f in found)
    assert any("b.bin" in f and "Quillfeather" in f for f in found)
    assert any("c.txt" in f and "'marmalade'" in f for f in found)
    assert any("its name holds 'Ottoline'" in f for f in found)


# -- a real central store ----------------------------------------------------------------------
@pytest.fixture
def central_server(tmp_path: Path) -> Iterator[str]:
    """The central store served over HTTP on a free loopback port, as `keyworker-server` runs."""
    import uvicorn

    from keyworker_app.server.app import create_app

    database = open_database(data_dir=tmp_path / "central")
    with database.session() as session, session.begin():
        accounts.add_team(session, TEAM)
        accounts.add_user(session, USER, PASSWORD, role="keyworker", team=TEAM)
        import_central(session, parse_caseload_csv(CENTRAL_CASE.encode(), today=date(2026, 3, 1)))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(database), log_config=None, lifespan="off", access_log=True)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the central store did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        listener.close()
        database.dispose()
        # The central store holds case data in the clear by design (it is the organisation's
        # server, not a laptop): it is not part of the scan. It did receive the notes.
        central_db = tmp_path / "central" / "central.db"
        assert central_db.exists()


def central_notes(tmp_path: Path) -> set[str]:
    database = open_database(data_dir=tmp_path / "central")
    try:
        with database.session() as session:
            return {
                str(r.data.get("narrative"))
                for r in session.scalars(select(Record).where(Record.record_type == "contact"))
            }
    finally:
        database.dispose()


def keyworker(*args: str) -> None:
    """Run one `keyworker` command in this process, as typed."""
    assert main(list(args)) == 0, f"keyworker {' '.join(args)} failed"


# -- the workflow ------------------------------------------------------------------------------
def test_a_full_day_leaves_no_name_or_note_readable_on_disk_or_in_logs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    qtbot: QtBot,
    central_server: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    # The KDF's cost is not the subject here: keep the real Argon2id, at the cheap test setting.
    monkeypatch.setattr(keys, "calibrate", lambda: FAST_KDF)
    monkeypatch.setenv("KEYWORKER_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KEYWORKER_PASSWORD", PASSWORD)
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    xdg = tmp_path / "xdg"  # every XDG folder of this test (tests/conftest.py)
    inbox = tmp_path / "inbox"  # where the council's spreadsheet arrived
    exports = tmp_path / "exports"  # the folder the user chose for exports
    inbox.mkdir()
    exports.mkdir()

    # 1. A new caseload in the default place, signed in, with the team's cases.
    keyworker("init", "--user", USER)
    recovery_code = capsys.readouterr().out.split("safe):")[1].split()[0]
    assert len(recovery_code) >= 20
    typed = [PASSPHRASE, PASSWORD, recovery_code]  # secrets the user typed or was shown
    data_dir = default_data_dir()
    assert data_dir.is_relative_to(xdg) and lifecycle.exists(data_dir)
    # A mistyped passphrase first: the unlock throttle writes its count in the state folder.
    monkeypatch.setenv("KEYWORKER_PASSPHRASE", "gooseberry funicular nocturne 8")
    assert main(["caseload"]) == 1
    assert any((xdg / "xdg_state_home").rglob("*.json")), "the throttle wrote nothing"
    monkeypatch.setenv("KEYWORKER_PASSPHRASE", PASSPHRASE)
    keyworker("login", "--server", central_server, "--user", USER)
    keyworker("sync")
    (inbox / "caseload.csv").write_text(SPREADSHEET, encoding="utf-8")
    keyworker("import-csv", str(inbox / "caseload.csv"))

    # 2. Contacts: one finalised (with the young person's own words), one left as a draft.
    keyworker(
        "add-contact",
        "--young-person",
        "HB-0001",
        "--type",
        "face_to_face",
        "--note",
        FINAL_NOTE,
        "--own-words",
        OWN_WORDS,
        "--finalise",
    )
    keyworker("add-contact", "--young-person", "HB-0002", "--type", "phone", "--note", DRAFT_NOTE)

    # 3. An addendum, a practice template part-filled and saved as a draft, searches; all
    #    while the store is open, then scanned with its write-ahead log on disk.
    store = lifecycle.unlock_caseload(data_dir, PASSPHRASE, DeviceSecrets.for_store(data_dir))
    device_id = store.device_id
    try:
        with store.reading() as session:
            zebedee = session.scalars(
                select(YoungPerson).where(YoungPerson.reference == "HB-0001")
            ).one()
            final = session.scalars(
                select(Contact).where(Contact.young_person_id == zebedee.id)
            ).one()
        add_addendum(store, final.id, ADDENDUM)
        definition = load_file(forms_dir() / "five_ps_formulation.toml")
        response = start_response(store, definition, young_person_id=zebedee.id)
        save_answers(
            store,
            response.id,
            {
                "formulation_date": "2026-03-02",
                "contributors": [{"name": "Aunt Fennimore", "role": "aunt"}],
                "sources": FORM_TEXT,
            },
        )
        with store.reading() as session:
            for words in ("lighthouse", "quarrystone", "cobalt", "saffron"):
                assert search(session, words), f"the search for {words} found nothing"
        assert (data_dir / "caseload.db-wal").exists()
        open_leaks = scan([xdg, system_tmp], NEEDLES + typed)
        assert open_leaks == [], "\n".join(open_leaks)
    finally:
        store.close()
    keyworker("search", "tangerine")
    keyworker("search", "periwinkle", "--json")
    assert "HB-0001" in capsys.readouterr().out
    keyworker("sync")
    assert {FINAL_NOTE, DRAFT_NOTE} <= central_notes(tmp_path)  # the sync really carried them

    # 4. The desktop app: search as you type, then a contact typed until its draft saves itself.
    from PySide6.QtCore import Qt

    from keyworker_app.ui.main_window import MainWindow, StartOptions

    window = MainWindow(StartOptions(data_dir=data_dir, passphrase=PASSPHRASE))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.ready, timeout=20000):
        window.start()
    page = window.caseload_page
    page.scopes.button(2).setChecked(True)
    qtbot.keyClicks(page.filter, "lighthouse")
    qtbot.waitUntil(lambda: page.results.count() > 0, timeout=10000)
    page.filter.clear()
    with qtbot.waitSignal(window.ready, timeout=20000):
        window.open_record(zebedee.id, None, view="contacts", then_edit="new")
    qtbot.keyClicks(window.editor.narrative, UI_NOTE)
    qtbot.waitUntil(lambda: window.editor.state.text().startswith("Draft saved"), timeout=15000)
    window.tasks.wait()
    settings_file = Path(window.settings.fileName())
    assert window.store is not None and (data_dir / "caseload.db-wal").exists()
    open_leaks = scan([xdg, system_tmp], NEEDLES + typed)
    assert open_leaks == [], "\n".join(open_leaks)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # lock
    window.close()
    window.settings.sync()
    assert window.store is None and settings_file.exists()  # Qt's settings file is scanned too

    # 5. Exports without a password, to the folder the user chose.
    keyworker("export-csv", "--out", str(exports / "caseload.csv"))
    keyworker("pack", "--young-person", "HB-0001", "--out", str(exports / "pack.pdf"))
    keyworker("export", "--young-person", "HB-0001", "--out", str(exports / "HB-0001.json"))
    capsys.readouterr()

    # The control: the exports are plain text by design, so the same scan finds them there.
    exported = scan([exports], NAMES + NOTES)
    assert any("caseload.csv" in f and "Quillfeather" in f for f in exported), exported
    assert any("HB-0001.json" in f and "marmalade-lighthouse" in f for f in exported), exported
    pack_text = " ".join(p.extract_text() for p in PdfReader(exports / "pack.pdf").pages)
    assert "Quillfeather" in pack_text and "marmalade-lighthouse" in pack_text
    body = json.loads((exports / "HB-0001.json").read_text(encoding="utf-8"))
    assert UI_NOTE in json.dumps(body, ensure_ascii=False)  # the app's draft really was saved

    # 6. Closed: nothing readable anywhere the app writes, secrets included.
    data_key = keys.unlock_with_passphrase(data_dir, PASSPHRASE, DeviceSecrets.for_store(data_dir))
    store_id = keys.KeyFile.read(data_dir).store_id
    backend = keyring.get_keyring()
    device_secret = backend.get_password(DEVICE_SERVICE, store_id)
    refresh_token = backend.get_password(SYNC_SERVICE, device_id)
    assert device_secret and refresh_token
    secrets = [*typed, data_key.hex(), device_secret, refresh_token]
    leaks = scan([xdg, system_tmp, settings_file], NEEDLES + secrets)
    assert leaks == [], "\n".join(leaks)
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert data_key not in path.read_bytes(), f"{path} holds the raw data key"

    # 7. The logs of the whole day, every logger at DEBUG.
    logged = "\n".join(f"{r.name}: {r.getMessage()}" for r in caplog.records).lower()
    assert logged, "nothing was logged: the log check would be empty"
    spoken = [s for s in NEEDLES + secrets if s.lower() in logged]
    assert spoken == [], f"the logs hold {spoken}"
