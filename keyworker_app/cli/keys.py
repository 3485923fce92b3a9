"""The caseload's keys: `keyworker passwd` changes the passphrase and `keyworker recover` opens
the caseload with the recovery code and sets a new one."""

from __future__ import annotations

import argparse
import os
import sys

from keyworker_app.cli.common import (
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    RECOVERY_CODE_ENV,
    Commands,
    Context,
    UserError,
    ask_secret,
    device_secrets,
    say,
)


def cmd_passwd(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.store import lifecycle

    if ctx.demo:
        raise UserError("The demo caseload's passphrase is fixed.")
    secrets = device_secrets(ctx.data_dir)
    if not lifecycle.exists(ctx.data_dir):
        raise UserError(f"There is no caseload in {ctx.data_dir}.")
    old = ask_secret("Current passphrase: ", PASSPHRASE_ENV)
    new = ask_secret("New passphrase: ", NEW_PASSPHRASE_ENV, confirm=True)
    lifecycle.change_passphrase(ctx.data_dir, old, new, secrets)
    say("Passphrase changed. The recovery code you wrote down still works.")
    return 0


def cmd_recover(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.store import lifecycle

    secrets = device_secrets(ctx.data_dir)
    code = os.environ.get(RECOVERY_CODE_ENV) or (
        input("Recovery code: ") if sys.stdin.isatty() else ""
    )
    if not code:
        raise UserError(
            f"No recovery code was given: set {RECOVERY_CODE_ENV} or run keyworker in a terminal."
        )
    new = os.environ.get(NEW_PASSPHRASE_ENV) or ask_secret(
        "New passphrase: ", PASSPHRASE_ENV, confirm=True
    )
    store = lifecycle.recover_caseload(ctx.data_dir, code, new, secrets)
    store.close()
    say(
        "Caseload recovered: this account's keyring holds a new key "
        "and the new passphrase opens it."
    )
    return 0


def add_commands(commands: Commands) -> None:
    passwd = commands.add_parser("passwd", help="change the passphrase")
    passwd.set_defaults(run=cmd_passwd)

    recover = commands.add_parser(
        "recover", help="open with the recovery code and set a new passphrase"
    )
    recover.set_defaults(run=cmd_recover)
