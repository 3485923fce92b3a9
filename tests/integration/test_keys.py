"""The key hierarchy: passphrase + this account's keyring, recovery code, passphrase change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from keyworker_app.security.device_secret import (
    ALLOW_INSECURE_ENV,
    SERVICE,
    DeviceSecrets,
    KeyringUnavailable,
)
from keyworker_app.security.kdf import MEMORY_KIB, MIN_TIME_COST, calibrate
from keyworker_app.security.keys import (
    DeviceSecretMissing,
    KeyFile,
    KeyFileDamaged,
    WeakPassphrase,
    WrongPassphrase,
    WrongRecoveryCode,
)
from keyworker_app.security.throttle import UnlockThrottle, delay_after
from keyworker_app.store import lifecycle
from keyworker_app.store.models import Team
from tests.conftest import FAST_KDF, MemoryKeyring

PASSPHRASE = "plum kettle orbit lantern"


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "caseload"
    created = lifecycle.create_caseload(
        folder, PASSPHRASE, DeviceSecrets.for_store(folder), user_name="asha", kdf=FAST_KDF
    )
    with created.store.unit_of_work() as uow:
        uow.add(Team(name="Riverside Hub"))
        uow.commit()
    created.store.close()
    (folder / "recovery.txt").write_text(created.recovery_code)  # test-only convenience
    return folder


def open_with(folder: Path, passphrase: str) -> list[str]:
    store = lifecycle.unlock_caseload(folder, passphrase, DeviceSecrets.for_store(folder))
    try:
        with store.reading() as session:
            return [t.name for t in session.query(Team)]
    finally:
        store.close()


def test_the_right_passphrase_opens_the_store(data_dir: Path) -> None:
    assert open_with(data_dir, PASSPHRASE) == ["Riverside Hub"]


def test_a_wrong_passphrase_fails_and_changes_no_byte(data_dir: Path) -> None:
    before = snapshot(data_dir)
    with pytest.raises(WrongPassphrase, match="passphrase is wrong"):
        open_with(data_dir, "plum kettle orbit lanterns")
    assert snapshot(data_dir) == before


def test_the_passphrase_alone_is_not_enough_without_this_accounts_keyring(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.secrets.clear()
    with pytest.raises(DeviceSecretMissing, match="keyworker recover"):
        open_with(data_dir, PASSPHRASE)


def test_a_different_device_secret_does_not_open_the_store(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    store_id = KeyFile.read(data_dir).store_id
    memory_keyring.set_password(SERVICE, store_id, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk=")
    with pytest.raises(WrongPassphrase):
        open_with(data_dir, PASSPHRASE)


def test_lost_keyring_then_recovery_code_reenrols_a_new_passphrase(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    code = (data_dir / "recovery.txt").read_text()
    memory_keyring.secrets.clear()
    secrets = DeviceSecrets.for_store(data_dir)
    with pytest.raises(WrongRecoveryCode):
        lifecycle.recover_caseload(
            data_dir, "0000-0000-0000-0000-0000-0000-00", "new passphrase here", secrets
        )
    with pytest.raises(WrongRecoveryCode, match="not a recovery code"):
        lifecycle.recover_caseload(data_dir, "not a code", "new passphrase here", secrets)
    # Typed in lower case with spaces and an O for a zero: still the code.
    typed = code.lower().replace("-", " ").replace("0", "o")
    store = lifecycle.recover_caseload(data_dir, typed, "new passphrase here", secrets)
    store.close()
    assert open_with(data_dir, "new passphrase here") == ["Riverside Hub"]
    with pytest.raises(WrongPassphrase):
        open_with(data_dir, PASSPHRASE)
    # The recovery code keeps working after it has been used.
    lifecycle.recover_caseload(data_dir, code, "third passphrase here", secrets).close()


def test_changing_the_passphrase_rewraps_without_reencrypting(data_dir: Path) -> None:
    store_file = snapshot(data_dir)["caseload.db"]
    lifecycle.change_passphrase(
        data_dir, PASSPHRASE, "brand new passphrase", DeviceSecrets.for_store(data_dir)
    )
    assert snapshot(data_dir)["caseload.db"] == store_file
    assert open_with(data_dir, "brand new passphrase") == ["Riverside Hub"]
    with pytest.raises(WrongPassphrase):
        open_with(data_dir, PASSPHRASE)


def test_changing_the_passphrase_needs_the_old_one_and_a_strong_new_one(data_dir: Path) -> None:
    secrets = DeviceSecrets.for_store(data_dir)
    with pytest.raises(WrongPassphrase):
        lifecycle.change_passphrase(data_dir, "not the passphrase", "brand new passphrase", secrets)
    with pytest.raises(WeakPassphrase, match="at least 10 characters"):
        lifecycle.change_passphrase(data_dir, PASSPHRASE, "short", secrets)
    assert open_with(data_dir, PASSPHRASE) == ["Riverside Hub"]


def test_a_damaged_key_file_is_named_in_one_sentence(data_dir: Path) -> None:
    (data_dir / "keys.json").write_text('{"format": 1, "store_id": ')
    with pytest.raises(KeyFileDamaged, match=r"keys\.json is damaged"):
        open_with(data_dir, PASSPHRASE)


def test_no_secure_keyring_is_refused_unless_explicitly_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for insecure in (fail.Keyring(), PlaintextKeyring()):
        keyring.set_keyring(insecure)
        with pytest.raises(KeyringUnavailable, match="KEYWORKER_ALLOW_INSECURE_KEYRING=1"):
            DeviceSecrets.for_store(tmp_path)
    monkeypatch.setenv("KEYWORKER_ALLOW_INSECURE_KEYRING", "1")
    keyring.set_keyring(fail.Keyring())
    secrets = DeviceSecrets.for_store(tmp_path / "d")
    assert secrets.insecure_warning and "plain file" in secrets.insecure_warning
    created = lifecycle.create_caseload(tmp_path / "d", PASSPHRASE, secrets, kdf=FAST_KDF)
    created.store.close()
    assert open_with(tmp_path / "d", PASSPHRASE) == []


def test_the_kdf_is_memory_hard_and_calibrated_to_at_least_its_floor() -> None:
    params = calibrate()
    assert params.memory_kib == MEMORY_KIB == 64 * 1024
    assert params.time_cost >= MIN_TIME_COST


def test_a_new_store_records_calibrated_kdf_parameters(tmp_path: Path) -> None:
    folder = tmp_path / "real-kdf"
    lifecycle.create_caseload(folder, PASSPHRASE, DeviceSecrets.for_store(folder)).store.close()
    kdf = KeyFile.read(folder).kdf
    assert kdf.memory_kib == 64 * 1024 and kdf.time_cost >= MIN_TIME_COST


def test_repeated_wrong_passphrases_are_slowed_down(data_dir: Path, tmp_path: Path) -> None:
    now = [1000.0]
    slept: list[float] = []
    throttle = UnlockThrottle(
        tmp_path / "state" / "attempts.json", clock=lambda: now[0], sleep=slept.append
    )
    secrets = DeviceSecrets.for_store(data_dir)
    for _ in range(5):
        with pytest.raises(WrongPassphrase):
            lifecycle.unlock_caseload(data_dir, "guess guess guess", secrets, throttle)
    # Three free attempts, then 1 s and 2 s waits before the fourth and fifth.
    assert slept == [1.0, 2.0]
    store = lifecycle.unlock_caseload(data_dir, PASSPHRASE, secrets, throttle)
    store.close()
    assert slept == [1.0, 2.0, 4.0]
    # A success clears the count: the next wrong guess is free again.
    with pytest.raises(WrongPassphrase):
        lifecycle.unlock_caseload(data_dir, "guess guess guess", secrets, throttle)
    assert slept == [1.0, 2.0, 4.0]
    assert delay_after(100) == 60.0


def test_the_sign_in_is_kept_like_the_device_secret_and_refused_in_an_insecure_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One way to keep secrets: the central store's refresh token goes through the same
    interface as the device secret, with the same refusal of an insecure keyring."""
    secrets = DeviceSecrets.for_store(tmp_path)
    secrets.keep_sign_in("device-1", "refresh-token")
    assert secrets.sign_in("device-1") == "refresh-token"
    secrets.forget_sign_in("device-1")
    assert secrets.sign_in("device-1") is None
    plaintext = PlaintextKeyring()
    plaintext.file_path = str(tmp_path / "plain.cfg")  # type: ignore[misc]
    keyring.set_keyring(plaintext)
    monkeypatch.delenv(ALLOW_INSECURE_ENV, raising=False)
    with pytest.raises(KeyringUnavailable, match="No secure OS keyring"):
        DeviceSecrets.for_store(tmp_path).keep_sign_in("device-1", "refresh-token")
    assert not (tmp_path / "plain.cfg").exists()
