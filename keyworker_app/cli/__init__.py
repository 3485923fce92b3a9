"""The ``keyworker`` command line: parses, asks for secrets, calls the layers, prints.

Every failure a user can cause ends in one sentence on stderr and a non-zero exit, never a
traceback (set KEYWORKER_DEBUG=1 to see one). The organisation's settings are read here, once,
and handed down: a settings file that cannot be used stops every command with exit code 2.

Each group of commands lives in its own module and adds its own subcommands (``add_commands``);
`common` holds what they share.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from keyworker_app import __version__
from keyworker_app.cli import caseload, forms, importing, keys, refused, reports, settings, sync
from keyworker_app.cli.common import (
    DEMO_PASSPHRASE,
    DEMO_SIZE,
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    RECOVERY_CODE_ENV,
    Context,
    UserError,
    create_demo_caseload,
    warn,
)
from keyworker_app.cli.settings import check_templates
from keyworker_app.organisation import OrganisationSettings, SettingsError, load_settings
from keyworker_app.security import SecurityError

GUI_VIEWS = ("contacts", "chronology", "goals", "missing", "placements", "actions", "forms")
SETTINGS_EXIT = 2  # the organisation's settings file is wrong: IT's to put right

__all__ = [
    "DEMO_PASSPHRASE",
    "DEMO_SIZE",
    "GUI_VIEWS",
    "NEW_PASSPHRASE_ENV",
    "PASSPHRASE_ENV",
    "RECOVERY_CODE_ENV",
    "SETTINGS_EXIT",
    "Context",
    "GuiRequest",
    "UserError",
    "build_parser",
    "create_demo_caseload",
    "main",
    "warn",
]


# -- parser ---------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keyworker",
        description="Keyworker: an encrypted, offline-first caseload for edge-of-care teams.",
    )
    parser.add_argument("--version", action="version", version=f"keyworker {__version__}")
    parser.add_argument(
        "--data-dir",
        help="the caseload's folder (default: $KEYWORKER_DATA_DIR or your data folder)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="use the synthetic demo caseload (created on first use)"
    )
    desktop = parser.add_argument_group("desktop app (no COMMAND, or `gui`)")
    desktop.add_argument("--screenshot", metavar="PATH", help="render to a PNG, then exit")
    desktop.add_argument("--open", metavar="REF", help="open this young person's record first")
    desktop.add_argument("--view", choices=GUI_VIEWS, help="which view of the record to show")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    # In the order `keyworker --help` has always listed them.
    caseload.add_commands(commands)  # init, demo, caseload, add-contact, search, export, check
    reports.add_commands(commands)  # pack, supervision-pack, service-report
    keys.add_commands(commands)  # passwd, recover
    importing.add_commands(commands)  # import-csv, export-csv
    forms.add_commands(commands)  # forms list|validate
    sync.add_commands(commands)  # login, sync, conflicts, resolve
    caseload.add_update_command(commands)  # update
    refused.add_commands(commands)  # refused [resend|export|discard]
    settings.add_commands(commands)  # settings
    commands.add_parser("gui", help="open the desktop app (the default)")
    return parser


# -- the desktop app ------------------------------------------------------------------------------
@dataclass
class GuiRequest:
    """What the desktop app is asked to do; the launcher hands it to the ui layer."""

    data_dir: Path
    demo: bool
    passphrase: str | None
    screenshot: Path | None
    open_reference: str | None
    view: str | None
    organisation: OrganisationSettings = field(default_factory=OrganisationSettings)
    # The settings file could not be used: the app says so (in a window) instead of opening.
    settings_problem: str | None = None


def _gui_request(
    ctx: Context,
    args: argparse.Namespace,
    organisation: OrganisationSettings,
    settings_problem: str | None,
) -> GuiRequest:
    if ctx.demo:
        passphrase: str | None = DEMO_PASSPHRASE
    else:
        passphrase = os.environ.get(PASSPHRASE_ENV) or None
    request = GuiRequest(
        data_dir=ctx.data_dir,
        demo=ctx.demo,
        passphrase=passphrase,
        screenshot=Path(args.screenshot).expanduser() if args.screenshot else None,
        open_reference=args.open,
        view=args.view,
        organisation=organisation,
        settings_problem=settings_problem,
    )
    if request.screenshot and not request.screenshot.parent.is_dir():
        raise UserError(f"The folder {request.screenshot.parent} does not exist.")
    return request


# -- running a command ----------------------------------------------------------------------------
def _organisation() -> OrganisationSettings:
    organisation = load_settings()
    check_templates(organisation)
    return organisation


def main(argv: Sequence[str] | None = None, gui: Callable[[GuiRequest], int] | None = None) -> int:
    """Run one command; with no command (or `gui`) call ``gui``, which opens the desktop app."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        organisation, settings_problem = _organisation(), None
    except SettingsError as error:
        organisation, settings_problem = OrganisationSettings(), _sentence(error)
    try:
        ctx = Context(args, organisation)
        checking_a_file = args.command == "settings" and args.check
        if settings_problem and not checking_a_file and args.command not in (None, "gui"):
            warn(settings_problem)
            return SETTINGS_EXIT
        if args.command in (None, "gui"):
            if gui is None:
                parser.print_help()
                return 0
            return gui(_gui_request(ctx, args, organisation, settings_problem))
        return int(args.run(ctx, args))
    except SettingsError as error:
        warn(_sentence(error))
        return SETTINGS_EXIT
    except KeyboardInterrupt:
        warn("Stopped; nothing was half-written.")
        return 130
    except _expected_errors() as error:
        warn(_sentence(error))
        return 1
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        warn(f"A file could not be read or written{where}: {error.strerror or error}.")
        return 1
    except Exception as error:
        if os.environ.get("KEYWORKER_DEBUG") == "1":
            raise
        warn(
            f"Keyworker hit an unexpected problem ({type(error).__name__}); "
            "nothing was half-written. Run again with KEYWORKER_DEBUG=1 and report what it shows."
        )
        return 70


def _expected_errors() -> tuple[type[Exception], ...]:
    """The failures a user can cause and put right. A function, so that the store (and
    SQLAlchemy) is imported when something has failed, not at every start."""
    from keyworker_app.store.engine import StoreError

    return (UserError, StoreError, SecurityError, ValueError)


def _sentence(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text if text.endswith((".", "?", "!")) else text + "."


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
