"""What every command of the ``keyworker`` command line shares: printing, asking for secrets,
the data directory and opening the store (`Context`), and the synthetic demo caseload.

The store and the keyring are imported inside the functions that use them, here and in every
command, so `keyworker --version`, `--help`, `forms` and `settings` start without loading
SQLAlchemy, SQLCipher or the keyring (tests/unit/test_cli_start.py checks it).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from keyworker_app.organisation import OrganisationSettings
from keyworker_app.paths import default_data_dir, demo_data_dir

if TYPE_CHECKING:
    from keyworker_app.security.device_secret import DeviceSecrets
    from keyworker_app.store.caseload_store import Store

PASSPHRASE_ENV = "KEYWORKER_PASSPHRASE"
NEW_PASSPHRASE_ENV = "KEYWORKER_NEW_PASSPHRASE"
RECOVERY_CODE_ENV = "KEYWORKER_RECOVERY_CODE"
# The synthetic demo caseload is opened with this published passphrase: it holds no real data.
DEMO_PASSPHRASE = "synthetic demo caseload only"
DEMO_SIZE = {"young_people": 120, "seed": 2024, "years": 2}

# What ``add_subparsers`` returns, to which each group of commands adds its own.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UserError(Exception):
    """Something the user can put right; the message says how."""


def say(message: str = "") -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def print_json(body: Any) -> None:
    """``body`` on stdout as indented JSON, non-ASCII text as it is."""
    json.dump(body, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


# -- secrets ------------------------------------------------------------------------------------
def ask_secret(prompt: str, env: str, *, confirm: bool = False) -> str:
    """The secret in the environment variable ``env``, else asked for at the terminal; raises
    UserError when there is neither, or when the two typed copies differ."""
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise UserError(f"No passphrase was given: set {env} or run keyworker in a terminal.")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Type it again: ") != first:
        raise UserError("The two passphrases differ; run the command again.")
    return first


def device_secrets(data_dir: Path) -> DeviceSecrets:
    from keyworker_app.security.device_secret import DeviceSecrets

    secrets = DeviceSecrets.for_store(data_dir)
    if secrets.insecure_warning:
        warn(secrets.insecure_warning)
    return secrets


def print_recovery_code(code: str) -> None:
    say("")
    say("Your recovery code (shown once; write it down and keep it somewhere safe):")
    say("")
    say(f"    {code}")
    say("")
    say("With it you can open this caseload if you forget the passphrase or the laptop's")
    say("keyring is reset: `keyworker recover`.")


# -- opening the store --------------------------------------------------------------------------
class Context:
    """What every command needs: the data directory, a way to open the store, and the
    organisation's settings."""

    def __init__(
        self, args: argparse.Namespace, organisation: OrganisationSettings | None = None
    ) -> None:
        self.organisation = organisation or OrganisationSettings()
        self.demo: bool = args.demo
        if self.demo:
            from keyworker_app.security.device_secret import ALLOW_INSECURE_ENV

            # The demo caseload is synthetic; an insecure keyring is acceptable for it.
            os.environ.setdefault(ALLOW_INSECURE_ENV, "1")
            self.data_dir = demo_data_dir()
        else:
            self.data_dir = (
                Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
            )

    def passphrase(self) -> str:
        if self.demo:
            return DEMO_PASSPHRASE
        return ask_secret("Passphrase: ", PASSPHRASE_ENV)

    def open(self) -> Store:
        """The unlocked store; raises UserError when there is no caseload, and the store's or
        the key hierarchy's own errors when it cannot be opened."""
        from keyworker_app.store import lifecycle

        if self.demo and not lifecycle.exists(self.data_dir):
            self._create_demo()
        secrets = device_secrets(self.data_dir)
        if not lifecycle.exists(self.data_dir):
            raise UserError(
                f"There is no caseload in {self.data_dir}; run `keyworker init` to create one."
            )
        store = lifecycle.unlock_caseload(self.data_dir, self.passphrase(), secrets)
        if store.migrated_from_backup:
            warn(
                "Updated the caseload to this version; the old file is kept at "
                f"{store.migrated_from_backup}."
            )
        return store

    def _create_demo(self) -> None:
        warn(f"Creating the synthetic demo caseload in {self.data_dir} (first run only)...")
        create_demo_caseload(self.data_dir)


def create_demo_caseload(data_dir: Path) -> None:
    """A new caseload filled with synthetic demo data, opened with the published passphrase."""
    from keyworker_app.demo import generate_demo
    from keyworker_app.store import lifecycle

    created = lifecycle.create_caseload(
        data_dir, DEMO_PASSPHRASE, device_secrets(data_dir), demo=True
    )
    try:
        generate_demo(created.store, **DEMO_SIZE)
    finally:
        created.store.close()
