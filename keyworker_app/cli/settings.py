"""`keyworker settings`: the organisation settings in force and where each came from, and
`keyworker settings --check FILE` for IT to try a file before deploying it. They need no
caseload and no passphrase."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from keyworker_app.cli.common import Commands, Context, print_json, say
from keyworker_app.organisation import (
    KEYS,
    USER_KEYS,
    OrganisationSettings,
    SettingsError,
    default_paths,
    read_file,
)


def check_templates(
    organisation: OrganisationSettings, source: Path | None = None, ids: Any = None
) -> None:
    """A template id in practice.templates that no template file has is a typo that would
    quietly hide a form: refuse it, naming the file and the key."""
    chosen = organisation.templates if ids is None else ids
    if not chosen:
        return
    from keyworker_app.forms.library import load_library

    known = {t.id for t in load_library().latest_all()}
    unknown = [name for name in chosen if name not in known]
    if unknown:
        where = source or organisation.sources.get("practice.templates", "settings")
        raise SettingsError(
            f"{where}: practice.templates names {', '.join(repr(u) for u in unknown)}, which "
            f"no template has (the templates are: {', '.join(sorted(known))})."
        )


def shown(key: str, value: Any) -> Any:
    """A value as `keyworker settings` prints it; None means the built-in behaviour."""
    if value is None or value == "":
        return {
            "organisation.logo": "none",
            "central_store.url": "asked for at sign-in",
            "practice.visiting_standard_days": "each team's own",
            "practice.caseload_cap": "each team's own",
            "practice.templates": "all",
        }.get(key, "none")
    if isinstance(value, tuple | frozenset):
        return ", ".join(sorted(value)) or "none"
    return str(value)


def _where(path: Path | None) -> str:
    if path is None:
        return "default"
    return str(path)


def cmd_settings(ctx: Context, args: argparse.Namespace) -> int:
    if args.check:
        return _check(Path(args.check).expanduser(), args.json)
    organisation: OrganisationSettings = ctx.organisation
    machine, user = default_paths()
    rows = [(key, organisation.value_of(key), organisation.sources.get(key)) for key in KEYS]
    allowed = sorted(organisation.users_may_change)
    if args.json:
        body = {
            "files": {
                "organisation": {"path": str(machine), "exists": machine.is_file()},
                "user": {"path": str(user), "exists": user.is_file()},
            },
            "settings": {
                key: {
                    "value": str(value) if isinstance(value, Path) else _plain(value),
                    "from": str(source) if source else "default",
                }
                for key, value, source in rows
            },
            USER_KEYS: allowed,
        }
        print_json(body)
        return 0
    say(f"Organisation's file: {machine}{'' if machine.is_file() else ' (none there)'}")
    say(f"Your file:           {user}{'' if user.is_file() else ' (none there)'}")
    say("")
    width = max(len(key) for key in KEYS)
    for key, value, source in rows:
        say(f"{key:<{width}}  {shown(key, value)}  [{_where(source)}]")
    say(f"{USER_KEYS:<{width}}  {', '.join(allowed) or 'none'}")
    return 0


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | frozenset):
        return sorted(value)
    return value


def _check(path: Path, as_json: bool) -> int:
    values = read_file(path)
    templates = values.get("practice.templates")
    if templates:
        check_templates(OrganisationSettings(), path, templates)
    if as_json:
        json.dump(
            {"file": str(path), "valid": True, "settings": sorted(values)},
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    count = len(values)
    names = f": {', '.join(sorted(values))}" if values else ""
    say(f"{path} is a valid settings file with {count} setting{'s' * (count != 1)}{names}.")
    return 0


def add_commands(commands: Commands) -> None:
    settings = commands.add_parser(
        "settings",
        help="the organisation settings in force and where each came from",
        description="Show the organisation settings in force, or check a settings file.",
    )
    settings.add_argument(
        "--check", metavar="FILE", help="check a settings file (for IT, before deploying it)"
    )
    settings.add_argument("--json", action="store_true", help="print JSON")
    settings.set_defaults(run=cmd_settings)


__all__ = ["SettingsError", "add_commands", "check_templates", "cmd_settings"]
