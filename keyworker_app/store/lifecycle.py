"""Creating, unlocking and re-keying a caseload: the key hierarchy meets the store here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from keyworker_app.domain.ids import new_id
from keyworker_app.security import keys
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.security.kdf import Argon2Params
from keyworker_app.security.throttle import UnlockThrottle
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.engine import StoreError, WrongKey


@dataclass
class NewCaseload:
    store: Store
    recovery_code: str


def default_throttle() -> UnlockThrottle:
    return UnlockThrottle(platformdirs.user_state_path("keyworker") / "unlock-attempts.json")


def exists(data_dir: Path) -> bool:
    return Store.db_path(data_dir).exists()


def create_caseload(
    data_dir: Path,
    passphrase: str,
    secrets: DeviceSecrets,
    *,
    user_name: str | None = None,
    kdf: Argon2Params | None = None,
    demo: bool = False,
    device_id: str | None = None,
) -> NewCaseload:
    """A new encrypted store with its keys; the recovery code must be shown to the user once.
    ``device_id``: the one this laptop already signed in to the central store with (first run)."""
    if exists(data_dir):
        raise StoreError(f"{data_dir} already holds a caseload; open it instead of creating one.")
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store_id = _new_store_id()
    data_key, recovery_code = keys.create_keys(
        data_dir, store_id, passphrase, secrets, params=kdf, demo=demo
    )
    store = Store.create(data_dir, data_key, user_name=user_name, device_id=device_id)
    return NewCaseload(store, recovery_code)


def unlock_caseload(
    data_dir: Path,
    passphrase: str,
    secrets: DeviceSecrets,
    throttle: UnlockThrottle | None = None,
) -> Store:
    """Open the store with the passphrase (and this account's device secret).

    A wrong passphrase writes nothing in the data directory; repeated ones are slowed down.
    """
    if not exists(data_dir):
        raise StoreError(f"There is no caseload in {data_dir}; run `keyworker init` to create one.")
    throttle = throttle or default_throttle()
    store_id = keys.KeyFile.read(data_dir).store_id
    throttle.wait_before_attempt(store_id)
    try:
        data_key = keys.unlock_with_passphrase(data_dir, passphrase, secrets)
    except keys.WrongPassphrase:
        throttle.record_failure(store_id)
        raise
    throttle.record_success(store_id)
    return _open(data_dir, data_key)


def recover_caseload(
    data_dir: Path, recovery_code: str, new_passphrase: str, secrets: DeviceSecrets
) -> Store:
    """Open with the recovery code and enrol a new passphrase and device secret."""
    if not exists(data_dir):
        raise StoreError(f"There is no caseload in {data_dir} to recover.")
    data_key = keys.recover(data_dir, recovery_code, new_passphrase, secrets)
    return _open(data_dir, data_key)


def change_passphrase(data_dir: Path, old: str, new: str, secrets: DeviceSecrets) -> None:
    keys.change_passphrase(data_dir, old, new, secrets)


def _open(data_dir: Path, data_key: bytes) -> Store:
    try:
        return Store.open(data_dir, data_key)
    except WrongKey:
        raise StoreError(
            f"The key file in {data_dir} does not belong to this caseload; restore the matching "
            "keys.json from a backup."
        ) from None


def _new_store_id() -> str:
    return new_id()
