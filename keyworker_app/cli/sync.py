"""The central store: `keyworker login`, `sync`, `conflicts` and `resolve`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING, Any

from keyworker_app.cli.common import Commands, Context, UserError, print_json, say, warn
from keyworker_app.cli.refused import describe

if TYPE_CHECKING:
    from keyworker_app.store.models import SyncConflict


def cmd_login(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.sync.client import login

    password = os.environ.get("KEYWORKER_PASSWORD") or (
        getpass.getpass(f"Password for {args.user}: ") if sys.stdin.isatty() else ""
    )
    if not password:
        raise UserError(
            "No password was given: set KEYWORKER_PASSWORD or run keyworker in a terminal."
        )
    server = args.server or ctx.organisation.central_store_url
    if not server:
        raise UserError(
            "No central store was given: add --server URL (your organisation has not set one)."
        )
    store = ctx.open()
    try:
        tokens = login(store, server, args.user, password)
    finally:
        store.close()
    say(
        f"Signed in to {server} as {tokens.user.display_name} ({tokens.user.role}). "
        "Run `keyworker sync`."
    )
    return 0


def cmd_sync(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.sync.client import sync
    from keyworker_app.sync.refused import refused_changes

    store = ctx.open()
    try:
        report = sync(store, allow_large_removal=args.allow_large_removal)
        waiting = refused_changes(store)
    finally:
        store.close()
    if args.json:
        print_json(report.as_dict() | {"refused": [item.as_dict() for item in waiting]})
    else:
        say(
            f"Synced: {report.pushed} changes sent ({report.conflicts} with conflicts, "
            f"{report.rejected} refused), {report.pulled} records received, "
            f"{report.open_conflicts} open conflicts."
        )
    if report.set_aside:
        warn(
            f"{report.set_aside} record(s) from the central store could not be kept on this "
            "laptop and were set aside (the rest arrived); they are tried again at every sync "
            "and the central store's log names them."
        )
    if waiting:
        warn(
            f"Not accepted by the central store ({len(waiting)}), kept on this laptop until you "
            "deal with them (`keyworker refused`):"
        )
        for item in waiting:
            warn(describe(item))
    return 0


def _conflict_json(conflict: SyncConflict, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": conflict.id,
        "kind": conflict.kind,
        "record_type": conflict.record_type,
        "record_id": conflict.record_id,
        "young_person": names.get(conflict.young_person_id or ""),
        "field": conflict.field,
        "kept": {
            "value": conflict.kept_value,
            "by": conflict.kept_by,
            "at": conflict.kept_at.isoformat(),
        },
        "other": {
            "value": conflict.other_value,
            "by": conflict.other_by,
            "at": conflict.other_at.isoformat(),
        },
        "base": conflict.base_value,
        "status": conflict.status,
    }


def cmd_conflicts(ctx: Context, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from keyworker_app.store.models import YoungPerson
    from keyworker_app.sync.client import open_conflicts

    store = ctx.open()
    try:
        conflicts = open_conflicts(store)
        with store.reading() as session:
            names = dict(
                session.execute(select(YoungPerson.id, YoungPerson.reference)).tuples().all()
            )
    finally:
        store.close()
    body = [_conflict_json(c, names) for c in conflicts]
    if args.json:
        print_json({"conflicts": body})
        return 0
    for item in body:
        say(_conflict_line(item))
    say(f"{len(body)} open conflict{'s' if len(body) != 1 else ''}.")
    return 0


def _conflict_line(item: dict[str, Any]) -> str:
    if item["kind"] == "proposal":
        return (
            f"{item['id']}  {item['young_person'] or '-'} {item['field']}: "
            f"{item['other']['by']} changed it after {item['kept']['by']} finalised it "
            f"({item['other']['value']!r}); --keep addendum adds it, --keep kept leaves it"
        )
    return (
        f"{item['id']}  {item['young_person'] or '-'} {item['field']}: "
        f"kept {item['kept']['value']!r} ({item['kept']['by']}), "
        f"other {item['other']['value']!r} ({item['other']['by']})"
    )


def cmd_resolve(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.sync.client import resolve_conflict

    store = ctx.open()
    try:
        report = resolve_conflict(store, args.conflict_id, args.keep)
    finally:
        store.close()
    say(f"Resolved. {report.open_conflicts} open conflicts left.")
    return 0


def add_commands(commands: Commands) -> None:
    login = commands.add_parser(
        "login", help="sign in to the central store (password from $KEYWORKER_PASSWORD)"
    )
    login.add_argument(
        "--server", metavar="URL", help="the central store (default: your organisation's)"
    )
    login.add_argument("--user", required=True, metavar="NAME")
    login.set_defaults(run=cmd_login)

    sync_command = commands.add_parser(
        "sync", help="send changes to the central store and fetch new ones"
    )
    sync_command.add_argument("--json", action="store_true")
    sync_command.add_argument("--allow-large-removal", action="store_true", help=argparse.SUPPRESS)
    sync_command.set_defaults(run=cmd_sync)

    conflicts = commands.add_parser("conflicts", help="same-field clashes waiting to be resolved")
    conflicts.add_argument("--json", action="store_true")
    conflicts.set_defaults(run=cmd_conflicts)

    resolve_command = commands.add_parser("resolve", help="resolve a conflict")
    resolve_command.add_argument("conflict_id", metavar="CONFLICT_ID")
    resolve_command.add_argument(
        "--keep",
        required=True,
        metavar="mine|theirs|kept|other|addendum|TEXT",
        help="addendum: add a change proposed after a contact was finalised as an addendum",
    )
    resolve_command.set_defaults(run=cmd_resolve)
