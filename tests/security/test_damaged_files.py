"""A damaged file is named as damaged: not as a wrong passphrase, not as another caseload's keys.

A wrong passphrase and a damaged passphrase wrap both fail AES-GCM's authentication; the wrap's
checksum in keys.json tells them apart, and only the wrong passphrase is counted by the unlock
throttle. A caseload file with a damaged first page and a key file from another caseload both
fail SQLCipher's first read; the key check value beside the store (key-check.json) tells them
apart. Key files and caseloads from before these existed behave as they did.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from keyworker_app.cli import main
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.security.keys import (
    KeyFile,
    KeyWrapDamaged,
    WrongPassphrase,
    key_check_value,
)
from keyworker_app.security.throttle import UnlockThrottle
from keyworker_app.store import lifecycle
from keyworker_app.store.engine import StoreError
from keyworker_app.store.models import Team
from keyworker_app.ui.main_window import MainWindow, StartOptions
from tests.conftest import FAST_KDF

PASSPHRASE = "copper violin meadow 7"
OTHER_PASSPHRASE = "walnut harbour ember 3"


def wrap_damaged(folder: Path) -> str:
    return (
        f"The key file in {folder} is damaged (its passphrase wrap no longer matches its "
        "checksum); unlock with your recovery code (Use recovery code… on the unlock screen, "
        "or `keyworker recover`) or restore keys.json from a backup."
    )


def store_damaged(folder: Path) -> str:
    return (
        f"The caseload file in {folder} is damaged (it does not open with its own key); restore "
        "it from a backup (see `keyworker check` and the guide's backup section) — your key "
        "file is fine."
    )


def not_this_caseload(folder: Path) -> str:
    return (
        f"The key file in {folder} does not belong to this caseload; restore the matching "
        "keys.json from a backup."
    )


def make_caseload(folder: Path, passphrase: str = PASSPHRASE) -> str:
    """A caseload with one team; returns its recovery code."""
    created = lifecycle.create_caseload(
        folder, passphrase, DeviceSecrets.for_store(folder), user_name="asha", kdf=FAST_KDF
    )
    with created.store.unit_of_work() as uow:
        uow.add(Team(name="Riverside Hub"))
        uow.commit()
    created.store.close()
    return created.recovery_code


def teams(folder: Path, passphrase: str, throttle: UnlockThrottle | None = None) -> list[str]:
    store = lifecycle.unlock_caseload(folder, passphrase, DeviceSecrets.for_store(folder), throttle)
    try:
        with store.reading() as session:
            return [team.name for team in session.query(Team)]
    finally:
        store.close()


def damage_passphrase_wrap(folder: Path, *, keep_checksum: bool = True) -> None:
    """One byte of the wrapped data key changed, the rest of keys.json as it was."""
    path = folder / "keys.json"
    body = json.loads(path.read_text())
    wrap = body["passphrase_wrap"]
    ciphertext = bytearray(base64.b64decode(wrap["ciphertext"]))
    ciphertext[5] ^= 0x40
    wrap["ciphertext"] = base64.b64encode(bytes(ciphertext)).decode()
    if not keep_checksum:
        wrap.pop("sha256", None)
        body["recovery_wrap"].pop("sha256", None)
    path.write_text(json.dumps(body, indent=2))


def damage_page_one(folder: Path) -> None:
    """Garbage over part of the first 4 KiB page (its salt included); the size is kept."""
    path = folder / "caseload.db"
    data = bytearray(path.read_bytes())
    size = len(data)
    data[8:2056] = bytes((i * 37 + 11) % 256 for i in range(2048))
    path.write_bytes(bytes(data))
    assert path.stat().st_size == size


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "caseload"
    (tmp_path / "recovery.txt").write_text(make_caseload(folder))
    return folder


@pytest.fixture
def throttle(tmp_path: Path) -> tuple[UnlockThrottle, list[float]]:
    slept: list[float] = []
    clock = [1000.0]
    return UnlockThrottle(tmp_path / "state" / "attempts.json", lambda: clock[0], slept.append), (
        slept
    )


def failures(throttle: UnlockThrottle, folder: Path) -> int:
    if not throttle.state_file.exists():
        return 0
    entry = json.loads(throttle.state_file.read_text()).get(KeyFile.read(folder).store_id, {})
    return int(entry.get("failures", 0))


# -- the key file ---------------------------------------------------------------------------------
def test_a_damaged_passphrase_wrap_is_named_and_not_counted_as_a_wrong_guess(
    folder: Path, throttle: tuple[UnlockThrottle, list[float]]
) -> None:
    counter, slept = throttle
    damage_passphrase_wrap(folder)
    for _ in range(5):
        with pytest.raises(KeyWrapDamaged) as raised:
            teams(folder, PASSPHRASE, counter)
        assert str(raised.value) == wrap_damaged(folder)
    assert failures(counter, folder) == 0 and slept == []
    # The recovery code still opens it, and its new passphrase wrap is whole again.
    code = (folder.parent / "recovery.txt").read_text()
    lifecycle.recover_caseload(
        folder, code, "fresh passphrase words", DeviceSecrets.for_store(folder)
    ).close()
    assert teams(folder, "fresh passphrase words", counter) == ["Riverside Hub"]


def test_a_wrong_passphrase_is_still_wrong_and_still_counted(
    folder: Path, throttle: tuple[UnlockThrottle, list[float]]
) -> None:
    counter, _ = throttle
    with pytest.raises(WrongPassphrase, match="passphrase is wrong"):
        teams(folder, "copper violin meadow 8", counter)
    assert failures(counter, folder) == 1


def test_an_edited_checksum_does_not_let_guesses_go_uncounted(
    folder: Path, throttle: tuple[UnlockThrottle, list[float]]
) -> None:
    # The wrap itself is whole: a changed checksum still refuses every passphrase, the right one
    # included, so nobody can guess against the real wrap without the throttle counting.
    counter, _ = throttle
    path = folder / "keys.json"
    body = json.loads(path.read_text())
    body["passphrase_wrap"]["sha256"] = "0" * 64
    path.write_text(json.dumps(body))
    with pytest.raises(KeyWrapDamaged):
        teams(folder, PASSPHRASE, counter)


def test_a_key_file_from_before_the_checksum_unlocks_and_behaves_as_before(
    folder: Path, throttle: tuple[UnlockThrottle, list[float]]
) -> None:
    counter, _ = throttle
    path = folder / "keys.json"
    body = json.loads(path.read_text())
    for wrap in ("passphrase_wrap", "recovery_wrap"):
        body[wrap].pop("sha256")
    path.write_text(json.dumps(body))
    assert teams(folder, PASSPHRASE, counter) == ["Riverside Hub"]
    # Damage it cannot tell from a wrong passphrase: reported as today.
    damage_passphrase_wrap(folder, keep_checksum=False)
    with pytest.raises(WrongPassphrase):
        teams(folder, PASSPHRASE, counter)
    assert failures(counter, folder) == 1


def test_a_damaged_recovery_wrap_is_named(folder: Path) -> None:
    path = folder / "keys.json"
    body = json.loads(path.read_text())
    salt = bytearray(base64.b64decode(body["recovery_wrap"]["salt"]))
    salt[0] ^= 1
    body["recovery_wrap"]["salt"] = base64.b64encode(bytes(salt)).decode()
    path.write_text(json.dumps(body))
    code = (folder.parent / "recovery.txt").read_text()
    with pytest.raises(KeyWrapDamaged, match="its recovery wrap no longer matches"):
        lifecycle.recover_caseload(
            folder, code, "fresh passphrase words", DeviceSecrets.for_store(folder)
        )
    assert teams(folder, PASSPHRASE) == ["Riverside Hub"]


# -- the caseload file ----------------------------------------------------------------------------
def test_a_damaged_first_page_is_named_as_a_damaged_caseload_file(
    folder: Path, throttle: tuple[UnlockThrottle, list[float]]
) -> None:
    counter, _ = throttle
    damage_page_one(folder)
    with pytest.raises(StoreError) as raised:
        teams(folder, PASSPHRASE, counter)
    assert str(raised.value) == store_damaged(folder)
    assert failures(counter, folder) == 0


def test_a_key_file_from_another_caseload_still_does_not_belong(
    folder: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    make_caseload(other, OTHER_PASSPHRASE)
    shutil.copy2(other / "keys.json", folder / "keys.json")
    with pytest.raises(StoreError) as raised:
        teams(folder, OTHER_PASSPHRASE)
    assert str(raised.value) == not_this_caseload(folder)


def test_the_key_check_is_kept_private_and_written_for_an_older_caseload(folder: Path) -> None:
    check = folder / lifecycle.KEY_CHECK_FILE
    assert check.stat().st_mode & 0o777 == 0o600
    recorded = json.loads(check.read_text())["key_check"]
    keys_text = (folder / "keys.json").read_text()
    assert recorded not in keys_text and len(recorded) == 64
    # An older caseload has none: a damaged first page is reported as today...
    check.unlink()
    saved = (folder / "caseload.db").read_bytes()
    damage_page_one(folder)
    with pytest.raises(StoreError) as raised:
        teams(folder, PASSPHRASE)
    assert str(raised.value) == not_this_caseload(folder)
    assert not check.exists()
    # ...and its first successful unlock writes the check, the same value as before.
    (folder / "caseload.db").write_bytes(saved)
    assert teams(folder, PASSPHRASE) == ["Riverside Hub"]
    assert json.loads(check.read_text())["key_check"] == recorded
    assert check.stat().st_mode & 0o777 == 0o600
    assert key_check_value(b"\0" * 32) != recorded


# -- the command line and the desktop app ---------------------------------------------------------
@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("wrap", wrap_damaged),
        ("page one", store_damaged),
        ("other keys", not_this_caseload),
        ("wrong passphrase", None),
    ],
)
def test_the_command_line_says_each_in_one_sentence(
    folder: Path,
    tmp_path: Path,
    damage: str,
    expected: object,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    passphrase = PASSPHRASE
    if damage == "wrap":
        damage_passphrase_wrap(folder)
    elif damage == "page one":
        damage_page_one(folder)
    elif damage == "other keys":
        make_caseload(tmp_path / "other", OTHER_PASSPHRASE)
        shutil.copy2(tmp_path / "other" / "keys.json", folder / "keys.json")
        passphrase = OTHER_PASSPHRASE
    else:
        passphrase = "copper violin meadow 8"
    capfd.readouterr()
    monkeypatch.setenv("KEYWORKER_PASSPHRASE", passphrase)
    assert main(["--data-dir", str(folder), "caseload"]) == 1
    out, err = capfd.readouterr()  # the process's own stderr: SQLCipher's lines would show here
    sentence = (
        expected(folder)  # type: ignore[operator]
        if expected
        else "The passphrase is wrong; check it and try again."
    )
    assert out == "" and err == sentence + "\n"
    state = lifecycle.default_throttle().state_file
    counted = json.loads(state.read_text()) if state.exists() else {}
    assert bool(counted) is (damage == "wrong passphrase")


@pytest.mark.parametrize("damaged", ["wrap", "page one"])
def test_the_unlock_page_shows_the_same_sentence(qtbot: QtBot, folder: Path, damaged: str) -> None:
    if damaged == "wrap":
        damage_passphrase_wrap(folder)
    else:
        damage_page_one(folder)
    window = MainWindow(StartOptions(data_dir=folder))
    qtbot.addWidget(window)
    window.show()
    window.start()
    page = window.unlock_page
    qtbot.keyClicks(page.passphrase, PASSPHRASE)
    with qtbot.waitSignal(window.failed, timeout=10000):
        qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    expected = wrap_damaged if damaged == "wrap" else store_damaged
    assert page.message.text() == expected(folder)
    assert window.store is None
    window.tasks.wait()


def test_changing_the_passphrase_gives_an_older_key_file_its_checksum(folder: Path) -> None:
    path = folder / "keys.json"
    body = json.loads(path.read_text())
    for wrap in ("passphrase_wrap", "recovery_wrap"):
        body[wrap].pop("sha256")
    path.write_text(json.dumps(body))
    lifecycle.change_passphrase(
        folder, PASSPHRASE, "fresh passphrase words", DeviceSecrets.for_store(folder)
    )
    body = json.loads(path.read_text())
    assert len(body["passphrase_wrap"]["sha256"]) == 64
    assert "sha256" not in body["recovery_wrap"]  # written only when its wrap is written
    assert teams(folder, "fresh passphrase words") == ["Riverside Hub"]
    damage_passphrase_wrap(folder)
    with pytest.raises(KeyWrapDamaged):
        teams(folder, "fresh passphrase words")
