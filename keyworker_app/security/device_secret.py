"""The laptop's secrets in the OS keyring, through one interface: the device secret (a random
value, so a copied store and its passphrase are still not enough to open it on another machine
or account) and the central store's refresh token (so the sign-in is never in a file).

A secure keyring backend (macOS Keychain, Windows Credential Locker, Secret Service, KWallet) is
required. When only an insecure one exists (a plaintext file, or none at all), Keyworker refuses,
unless KEYWORKER_ALLOW_INSECURE_KEYRING=1 says this is a test or automation machine; then it
carries on and says so.
"""

from __future__ import annotations

import base64
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from keyworker_app.atomic import write_atomically
from keyworker_app.security import SecurityError

SERVICE = "Keyworker caseload"  # the device secret, by store id
SIGN_IN_SERVICE = "Keyworker central store"  # the refresh token, by device id
ALLOW_INSECURE_ENV = "KEYWORKER_ALLOW_INSECURE_KEYRING"
# Used only when insecure keyrings are allowed and the keyring cannot store anything at all.
FALLBACK_FILE = "device-secret.insecure"
SIGN_IN_FALLBACK_FILE = "sign-in.insecure"


class KeyringUnavailable(SecurityError):
    pass


def _backends(backend: KeyringBackend) -> list[KeyringBackend]:
    chained = getattr(backend, "backends", None)
    return list(chained) if chained else [backend]


def _is_secure(backend: KeyringBackend) -> bool:
    """A backend keyring itself ranks as recommended (priority >= 1) and not a plaintext file."""
    for candidate in _backends(backend):
        try:
            priority = float(candidate.priority)
        except Exception:  # noqa: BLE001 - a backend that cannot rank itself is not usable
            continue
        name = type(candidate).__name__.lower()
        if priority >= 1 and "plaintext" not in name and not isinstance(candidate, fail.Keyring):
            return True
    return False


@dataclass
class DeviceSecrets:
    """Reads and writes this store's device secret in the OS keyring."""

    data_dir: Path
    backend: KeyringBackend
    insecure_warning: str | None = None

    @classmethod
    def for_store(cls, data_dir: Path) -> DeviceSecrets:
        """The keyring to use, refusing an insecure one unless the override is set."""
        backend = keyring.get_keyring()
        if _is_secure(backend):
            return cls(data_dir, backend)
        if os.environ.get(ALLOW_INSECURE_ENV) != "1":
            raise KeyringUnavailable(
                "No secure OS keyring is available to hold this laptop's key; unlock or install "
                "one (Keychain, Windows Credential Manager, GNOME Keyring or KWallet), or set "
                f"{ALLOW_INSECURE_ENV}=1 on test machines only."
            )
        where = (
            f"a plain file in {data_dir}"
            if _cannot_store(backend)
            else f"an insecure keyring ({type(backend).__name__})"
        )
        warning = (
            f"Warning: {ALLOW_INSECURE_ENV}=1 is set, so this laptop's key is kept in {where}; "
            "do not use real case data this way."
        )
        return cls(data_dir, backend, warning)

    def _uses_file(self) -> bool:
        return self.insecure_warning is not None and _cannot_store(self.backend)

    def get(self, store_id: str) -> bytes | None:
        text = self._read(SERVICE, store_id, FALLBACK_FILE, "this laptop's key")
        return base64.b64decode(text) if text else None

    def put(self, store_id: str, secret: bytes) -> None:
        text = base64.b64encode(secret).decode()
        self._write(SERVICE, store_id, text, FALLBACK_FILE, "this laptop's key")

    def delete(self, store_id: str) -> None:
        self._forget(SERVICE, store_id, FALLBACK_FILE)

    # The central store's refresh token, kept the same way (never in the store or a file).
    def sign_in(self, device_id: str) -> str | None:
        return self._read(SIGN_IN_SERVICE, device_id, SIGN_IN_FALLBACK_FILE, "the sign-in")

    def keep_sign_in(self, device_id: str, token: str) -> None:
        self._write(SIGN_IN_SERVICE, device_id, token, SIGN_IN_FALLBACK_FILE, "the sign-in")

    def forget_sign_in(self, device_id: str) -> None:
        self._forget(SIGN_IN_SERVICE, device_id, SIGN_IN_FALLBACK_FILE)

    def _read(self, service: str, name: str, fallback: str, what: str) -> str | None:
        if self._uses_file():
            path = self.data_dir / fallback
            return path.read_text().strip() or None if path.exists() else None
        try:
            return self.backend.get_password(service, name)
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(
                f"The OS keyring could not be read for {what} ({type(error).__name__}); "
                "unlock it and try again."
            ) from None

    def _write(self, service: str, name: str, text: str, fallback: str, what: str) -> None:
        if self._uses_file():
            write_atomically(self.data_dir / fallback, text.encode())
            return
        try:
            self.backend.set_password(service, name, text)
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(
                f"The OS keyring refused to keep {what} ({type(error).__name__}); "
                "unlock it and try again."
            ) from None

    def _forget(self, service: str, name: str, fallback: str) -> None:
        if self._uses_file():
            (self.data_dir / fallback).unlink(missing_ok=True)
            return
        with contextlib.suppress(keyring.errors.KeyringError):
            self.backend.delete_password(service, name)


def _cannot_store(backend: KeyringBackend) -> bool:
    return all(isinstance(b, (fail.Keyring, null.Keyring)) for b in _backends(backend))
