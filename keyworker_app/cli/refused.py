"""`keyworker refused`: the changes the central store did not accept, kept on this laptop until
someone deals with them.

    keyworker refused [--json]                       list them, with the reason and what to do
    keyworker refused resend N... | --all [--set FIELD=VALUE ...]
    keyworker refused export FILE                    everything refused, as JSON (not encrypted)
    keyworker refused discard N...                   let them go (export first if they matter)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from keyworker_app.cli.common import Commands, Context, print_json, say

if TYPE_CHECKING:
    from keyworker_app.sync.refused import RefusedItem


def describe(item: RefusedItem) -> str:
    when = item.refused_at.astimezone().strftime("%d %b %Y %H:%M")
    return f"{item.number:>4}  {when}  {item.what}: {item.reason}"


def cmd_refused(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.sync.refused import refused_changes

    store = ctx.open()
    try:
        items = refused_changes(store)
    finally:
        store.close()
    if args.json:
        print_json({"refused": [item.as_dict() | {"way_out": item.way_out} for item in items]})
        return 0
    for item in items:
        say(describe(item))
        say(f"      What to do: {item.way_out}.")
    say(
        f"{len(items)} change{'s' if len(items) != 1 else ''} not accepted by the central store"
        + (
            "; resend, export or discard them with `keyworker refused resend|export|discard`."
            if items
            else "."
        )
    )
    return 0


def _assignments(texts: list[str] | None) -> dict[str, str]:
    from keyworker_app.sync.refused import RefusedError

    values: dict[str, str] = {}
    for text in texts or []:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise RefusedError(f"'{text}' is not FIELD=VALUE; write it like --set reference=A101.")
        values[name.strip()] = value
    return values


def cmd_refused_resend(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.sync.refused import RefusedError, resend

    if bool(args.numbers) == bool(args.all):
        raise RefusedError("Give the numbers of the changes to send again, or --all.")
    store = ctx.open()
    try:
        count = resend(store, None if args.all else args.numbers, _assignments(args.assignments))
    finally:
        store.close()
    say(f"{count} change{'s' if count != 1 else ''} will be sent at the next `keyworker sync`.")
    return 0


def cmd_refused_export(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.sync.refused import RefusedError, export_refused

    out = Path(args.file).expanduser()
    if not out.parent.is_dir():
        raise RefusedError(f"The folder {out.parent} does not exist; create it or choose another.")
    store = ctx.open()
    try:
        count = export_refused(store, out)
    finally:
        store.close()
    plural = "s" if count != 1 else ""
    say(f"Wrote {count} refused change{plural} to {out} (not encrypted: keep it safe).")
    return 0


def cmd_refused_discard(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.sync.refused import discard

    store = ctx.open()
    try:
        count = discard(store, args.numbers)
    finally:
        store.close()
    say(f"Discarded {count} refused change{'s' if count != 1 else ''}.")
    return 0


def add_commands(commands: Commands) -> None:
    refused = commands.add_parser(
        "refused",
        help="changes the central store did not accept: list, resend, export, discard",
        description="Changes the central store did not accept stay on this laptop until you "
        "deal with them: correct and resend them, export them, or discard them.",
    )
    refused.add_argument("--json", action="store_true", help="print JSON")
    refused.set_defaults(run=cmd_refused)
    actions = refused.add_subparsers(dest="refused_command", metavar="ACTION")
    again = actions.add_parser("resend", help="send refused changes again (after correcting)")
    again.add_argument("numbers", nargs="*", type=int, metavar="N")
    again.add_argument("--all", action="store_true", help="every refused change")
    again.add_argument(
        "--set",
        action="append",
        metavar="FIELD=VALUE",
        dest="assignments",
        help="correct a field first (one change at a time)",
    )
    again.set_defaults(run=cmd_refused_resend)
    export = actions.add_parser("export", help="write every refused change to a JSON file")
    export.add_argument("file", metavar="FILE")
    export.set_defaults(run=cmd_refused_export)
    drop = actions.add_parser("discard", help="let refused changes go")
    drop.add_argument("numbers", nargs="+", type=int, metavar="N")
    drop.set_defaults(run=cmd_refused_discard)


__all__ = ["add_commands", "describe"]
