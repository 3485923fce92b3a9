"""The key hierarchy that protects the caseload's data key.

    data key (random, 256 bits) -- encrypts the SQLCipher store
      wrapped by  passphrase KEK = HMAC(device secret, Argon2id(passphrase, salt))
      wrapped by  recovery KEK   = HMAC(salt, recovery code)       (shown once at creation)

Opening needs the passphrase *and* the device secret in this account's OS keyring. The recovery
code alone unwraps the data key when the keyring secret is lost or the passphrase forgotten; then
a new device secret and passphrase are enrolled. Changing the passphrase re-wraps the data key and
leaves the store untouched. The wrapped keys live in a small JSON sidecar written atomically.

Each wrap carries a SHA-256 of its own bytes (and of what unwrapping it depends on), written with
it: a wrong passphrase and a damaged wrap both fail AES-GCM's authentication, and the checksum
tells them apart, so damage is not counted as a wrong guess. Key files from before the checksum
have none and behave as they always did.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keyworker_app.atomic import write_atomically
from keyworker_app.security import SecurityError
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.security.kdf import Argon2Params, calibrate, derive
from keyworker_app.security.recovery_code import new_recovery_code, normalise

KEY_FILE = "keys.json"
FORMAT = 1
MIN_PASSPHRASE_LENGTH = 10


class WrongPassphrase(SecurityError):
    pass


class WrongRecoveryCode(SecurityError):
    pass


class DeviceSecretMissing(SecurityError):
    pass


class WeakPassphrase(SecurityError):
    pass


class KeyFileDamaged(SecurityError):
    pass


class KeyWrapDamaged(KeyFileDamaged):
    """A wrap no longer matches its checksum: no passphrase or code can open it."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


def _passphrase_bytes(passphrase: str) -> bytes:
    # NFC so the same passphrase typed on macOS and Windows keyboards derives the same key.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def check_passphrase_strength(passphrase: str) -> None:
    """Refuse passphrases too short to resist guessing. Raises WeakPassphrase."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise WeakPassphrase(
            f"The passphrase is too short: use at least {MIN_PASSPHRASE_LENGTH} characters, "
            "for example three or four unrelated words."
        )


@dataclass
class Wrapped:
    salt: bytes
    nonce: bytes
    ciphertext: bytes
    # Hex SHA-256 from _wrap_checksum, set when the wrap is made; None in older key files.
    sha256: str | None = None

    def as_dict(self) -> dict[str, str]:
        body = {
            "salt": _b64(self.salt),
            "nonce": _b64(self.nonce),
            "ciphertext": _b64(self.ciphertext),
        }
        if self.sha256 is not None:
            body["sha256"] = self.sha256
        return body

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Wrapped:
        checksum = data.get("sha256")
        if checksum is not None and not isinstance(checksum, str):
            raise TypeError("sha256")
        return cls(
            _unb64(data["salt"]), _unb64(data["nonce"]), _unb64(data["ciphertext"]), checksum
        )


@dataclass
class KeyFile:
    """The sidecar: everything needed to unwrap the data key except the secrets themselves."""

    store_id: str
    kdf: Argon2Params
    passphrase: Wrapped
    recovery: Wrapped
    created_at: str
    demo: bool = False

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT,
            "store_id": self.store_id,
            "created_at": self.created_at,
            "demo": self.demo,
            "kdf": self.kdf.as_dict(),
            "passphrase_wrap": self.passphrase.as_dict(),
            "recovery_wrap": self.recovery.as_dict(),
        }
        return json.dumps(body, indent=2).encode()

    @classmethod
    def read(cls, data_dir: Path) -> KeyFile:
        path = data_dir / KEY_FILE
        try:
            body = json.loads(path.read_bytes())
            if body.get("format") != FORMAT:
                raise KeyFileDamaged(
                    f"{path} was written by a different version of Keyworker; "
                    "install the version that created it."
                )
            return cls(
                store_id=str(body["store_id"]),
                kdf=Argon2Params.from_dict(body["kdf"]),
                passphrase=Wrapped.from_dict(body["passphrase_wrap"]),
                recovery=Wrapped.from_dict(body["recovery_wrap"]),
                created_at=str(body["created_at"]),
                demo=bool(body.get("demo", False)),
            )
        except FileNotFoundError:
            raise
        except KeyFileDamaged:
            raise
        except (ValueError, KeyError, TypeError) as error:
            raise KeyFileDamaged(
                f"The key file {path} is damaged ({type(error).__name__}); restore it from a "
                "backup, or use the recovery code with a backup copy."
            ) from None

    def write(self, data_dir: Path) -> None:
        write_atomically(data_dir / KEY_FILE, self.to_json())


def _passphrase_kek(
    passphrase: str, device_secret: bytes, salt: bytes, params: Argon2Params
) -> bytes:
    stretched = derive(_passphrase_bytes(passphrase), salt, params)
    return hmac.new(
        device_secret, b"keyworker/passphrase-kek/v1" + stretched, hashlib.sha256
    ).digest()


def _recovery_kek(code: str, salt: bytes) -> bytes:
    # The code carries 128 random bits, so no stretching is needed to make guessing hopeless.
    return hmac.new(
        salt, b"keyworker/recovery-kek/v1" + normalise(code).encode(), hashlib.sha256
    ).digest()


def _wrap_checksum(wrapped: Wrapped, aad: bytes, kdf: Argon2Params | None) -> str:
    """SHA-256 over the wrap and everything else unwrapping it reads from the key file (the
    store id and slot in ``aad``, the KDF parameters for the passphrase).

    Not a secret, and no defence against someone who can rewrite the file (they could rewrite
    this too); it only tells accidental damage apart from a wrong passphrase.
    """
    digest = hashlib.sha256(b"keyworker/wrap-checksum/v1")
    kdf_bytes = json.dumps(kdf.as_dict(), sort_keys=True).encode() if kdf else b""
    for part in (aad, kdf_bytes, wrapped.salt, wrapped.nonce, wrapped.ciphertext):
        digest.update(len(part).to_bytes(4, "big") + part)
    return digest.hexdigest()


def _intact(wrapped: Wrapped, aad: bytes, kdf: Argon2Params | None) -> bool:
    # No checksum (a key file from before it existed): cannot tell, so try the secret as before.
    if wrapped.sha256 is None:
        return True
    return hmac.compare_digest(wrapped.sha256, _wrap_checksum(wrapped, aad, kdf))


def _wrap(
    kek: bytes, data_key: bytes, salt: bytes, aad: bytes, kdf: Argon2Params | None = None
) -> Wrapped:
    nonce = os.urandom(12)
    wrapped = Wrapped(salt, nonce, AESGCM(kek).encrypt(nonce, data_key, aad))
    wrapped.sha256 = _wrap_checksum(wrapped, aad, kdf)
    return wrapped


def _unwrap(kek: bytes, wrapped: Wrapped, aad: bytes) -> bytes:
    return AESGCM(kek).decrypt(wrapped.nonce, wrapped.ciphertext, aad)


def _aad(store_id: str, slot: str) -> bytes:
    return f"keyworker:{store_id}:{slot}".encode()


def create_keys(
    data_dir: Path,
    store_id: str,
    passphrase: str,
    secrets: DeviceSecrets,
    *,
    params: Argon2Params | None = None,
    demo: bool = False,
) -> tuple[bytes, str]:
    """A new data key, wrapped both ways: returns it and the recovery code to show once."""
    check_passphrase_strength(passphrase)
    params = params or calibrate()
    data_key = os.urandom(32)
    device_secret = os.urandom(32)
    recovery_code = new_recovery_code()
    p_salt, r_salt = os.urandom(16), os.urandom(16)
    key_file = KeyFile(
        store_id=store_id,
        kdf=params,
        passphrase=_wrap(
            _passphrase_kek(passphrase, device_secret, p_salt, params),
            data_key,
            p_salt,
            _aad(store_id, "passphrase"),
            params,
        ),
        recovery=_wrap(
            _recovery_kek(recovery_code, r_salt), data_key, r_salt, _aad(store_id, "recovery")
        ),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        demo=demo,
    )
    # The keyring first: a key file whose device secret was never stored could not be opened.
    secrets.put(store_id, device_secret)
    key_file.write(data_dir)
    return data_key, recovery_code


def check_passphrase_wrap(data_dir: Path, key_file: KeyFile) -> None:
    """Raise KeyWrapDamaged when the passphrase wrap no longer matches its checksum.

    Checked before any passphrase is tried, and then none is: a changed checksum must not let
    guesses against the real wrap go uncounted.
    """
    if not _intact(key_file.passphrase, _aad(key_file.store_id, "passphrase"), key_file.kdf):
        raise KeyWrapDamaged(
            f"The key file in {data_dir} is damaged (its passphrase wrap no longer matches its "
            "checksum); unlock with your recovery code (Use recovery code… on the unlock "
            "screen, or `keyworker recover`) or restore keys.json from a backup."
        )


def unlock_with_passphrase(data_dir: Path, passphrase: str, secrets: DeviceSecrets) -> bytes:
    """The data key, or WrongPassphrase / KeyWrapDamaged / DeviceSecretMissing. Writes nothing."""
    key_file = KeyFile.read(data_dir)
    check_passphrase_wrap(data_dir, key_file)
    device_secret = secrets.get(key_file.store_id)
    if device_secret is None:
        raise DeviceSecretMissing(
            "This account's keyring no longer holds the key for this caseload; open it with "
            "your recovery code (Use recovery code… on the unlock screen, or `keyworker recover`)."
        )
    wrapped = key_file.passphrase
    kek = _passphrase_kek(passphrase, device_secret, wrapped.salt, key_file.kdf)
    try:
        return _unwrap(kek, wrapped, _aad(key_file.store_id, "passphrase"))
    except InvalidTag:
        raise WrongPassphrase("The passphrase is wrong; check it and try again.") from None


def unlock_with_recovery_code(data_dir: Path, code: str) -> bytes:
    """The data key from the recovery code alone, or WrongRecoveryCode / KeyWrapDamaged.
    Writes nothing."""
    key_file = KeyFile.read(data_dir)
    if not _intact(key_file.recovery, _aad(key_file.store_id, "recovery"), None):
        raise KeyWrapDamaged(
            f"The key file in {data_dir} is damaged (its recovery wrap no longer matches its "
            "checksum); unlock with your passphrase, or restore keys.json from a backup."
        )
    try:
        kek = _recovery_kek(code, key_file.recovery.salt)
        return _unwrap(kek, key_file.recovery, _aad(key_file.store_id, "recovery"))
    except ValueError as error:
        raise WrongRecoveryCode(str(error)) from None
    except InvalidTag:
        raise WrongRecoveryCode(
            "That recovery code does not open this caseload; "
            "check it against the one you wrote down."
        ) from None


def _enrol_passphrase(
    data_dir: Path, key_file: KeyFile, data_key: bytes, passphrase: str, device_secret: bytes
) -> None:
    salt = os.urandom(16)
    kek = _passphrase_kek(passphrase, device_secret, salt, key_file.kdf)
    key_file.passphrase = _wrap(
        kek, data_key, salt, _aad(key_file.store_id, "passphrase"), key_file.kdf
    )
    key_file.write(data_dir)


def change_passphrase(data_dir: Path, old: str, new: str, secrets: DeviceSecrets) -> None:
    """Re-wrap the data key under a new passphrase; the store itself is not re-encrypted."""
    check_passphrase_strength(new)
    data_key = unlock_with_passphrase(data_dir, old, secrets)
    key_file = KeyFile.read(data_dir)
    device_secret = secrets.get(key_file.store_id)
    assert device_secret is not None  # unlock succeeded, so the keyring holds it
    _enrol_passphrase(data_dir, key_file, data_key, new, device_secret)


def recover(data_dir: Path, code: str, new_passphrase: str, secrets: DeviceSecrets) -> bytes:
    """Unwrap with the recovery code, then enrol a fresh device secret and passphrase.

    Returns the data key. The recovery code stays valid.
    """
    check_passphrase_strength(new_passphrase)
    data_key = unlock_with_recovery_code(data_dir, code)
    key_file = KeyFile.read(data_dir)
    device_secret = os.urandom(32)
    # Wrap under the new secret before storing it, so a crash between the two steps leaves the
    # recovery code still working and the old wrap untouched on disk.
    salt = os.urandom(16)
    kek = _passphrase_kek(new_passphrase, device_secret, salt, key_file.kdf)
    new_wrap = _wrap(kek, data_key, salt, _aad(key_file.store_id, "passphrase"), key_file.kdf)
    secrets.put(key_file.store_id, device_secret)
    key_file.passphrase = new_wrap
    key_file.write(data_dir)
    return data_key


def key_check_value(data_key: bytes) -> str:
    """HMAC(data key, a fixed label): whether a data key is the one a caseload was made with,
    checked without the database file. Safe to keep in clear: it reveals nothing of the key."""
    return hmac.new(data_key, b"keyworker key check", hashlib.sha256).hexdigest()
