"""A contact typed in the app survives the process being killed (SIGKILL), with no warning."""

from __future__ import annotations

import os
import select as io_select
import signal
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import select

from keyworker_app.demo import generate_demo
from keyworker_app.domain.vocabulary import RecordStatus
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.store.models import Contact
from tests.conftest import FAST_KDF

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "kill test passphrase words"
TEXT = "Met at the bus station; talked about the axolotl tank at college."


def test_a_typed_contact_survives_kill_9(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A keyring both processes share: a file in this test's folder.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("KEYWORKER_ALLOW_INSECURE_KEYRING", "1")
    keyring.set_keyring(PlaintextKeyring())
    folder = tmp_path / "caseload"
    created = lifecycle.create_caseload(
        folder, PASSPHRASE, DeviceSecrets.for_store(folder), user_name="me", kdf=FAST_KDF
    )
    generate_demo(created.store, young_people=4, seed=2, years=1)
    created.store.close()

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "QT_QPA_PLATFORM": "offscreen",
    }
    child = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("typing_then_killed.py")),
            str(folder),
            PASSPHRASE,
            TEXT,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        # Wait at most a minute for the child to say its draft saved; never hang the suite.
        ready, _, _ = io_select.select([child.stdout], [], [], 60)
        line = child.stdout.readline() if ready else ""
        assert line.strip() == "SAVED", "the app never reported its draft saved"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)

    store = lifecycle.unlock_caseload(folder, PASSPHRASE, DeviceSecrets.for_store(folder))
    try:
        with store.reading() as session:
            drafts = session.scalars(
                select(Contact).where(Contact.status == RecordStatus.DRAFT, Contact.author == "me")
            ).all()
        assert [
            d.narrative[: len(TEXT)] for d in drafts if d.narrative.startswith("Met at the bus")
        ] == [TEXT]
    finally:
        store.close()
