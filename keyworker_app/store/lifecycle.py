"""Creating, unlocking and re-keying a caseload: the key hierarchy meets the store here.

Beside the store sits ``key-check.json``, the data key's key check value (an HMAC under the key,
nothing secret). A file that will not open with a key matching it is damaged; one that will not
open with a key that does not match it was given another caseload's key file.
"""

from __future__ import annotations

import contextlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from keyworker_app.atomic import write_atomically
from keyworker_app.domain.ids import new_id
from keyworker_app.security import keys
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.security.kdf import Argon2Params
from keyworker_app.security.throttle import UnlockThrottle
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.engine import StoreError, WrongKey

KEY_CHECK_FILE = "key-check.json"


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
    _record_key_check(data_dir, data_key)
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
    key_file = keys.KeyFile.read(data_dir)
    store_id = key_file.store_id
    # A damaged wrap is no wrong guess: said before any wait, and never counted.
    keys.check_passphrase_wrap(data_dir, key_file)
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
        store = Store.open(data_dir, data_key)
    except WrongKey:
        if _key_check_matches(data_dir, data_key):
            raise StoreError(
                f"The caseload file in {data_dir} is damaged (it does not open with its own key); "
                "restore it from a backup (see `keyworker check` and the guide's backup "
                "section) — your key file is fine."
            ) from None
        raise StoreError(
            f"The key file in {data_dir} does not belong to this caseload; restore the matching "
            "keys.json from a backup."
        ) from None
    if not _key_check_matches(data_dir, data_key):
        # A caseload from before the key check (or whose check was lost): the store just opened
        # with this key, which proves the value. Not being able to write it must not stop work.
        with contextlib.suppress(OSError):
            _record_key_check(data_dir, data_key)
    return store


def _record_key_check(data_dir: Path, data_key: bytes) -> None:
    body = {"format": 1, "key_check": keys.key_check_value(data_key)}
    write_atomically(data_dir / KEY_CHECK_FILE, json.dumps(body).encode(), mode=0o600)


def _key_check_matches(data_dir: Path, data_key: bytes) -> bool:
    """Whether the recorded key check value is this key's; False when none can be read."""
    try:
        recorded = json.loads((data_dir / KEY_CHECK_FILE).read_bytes())["key_check"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not isinstance(recorded, str):
        return False
    return hmac.compare_digest(recorded, keys.key_check_value(data_key))


def _new_store_id() -> str:
    return new_id()
