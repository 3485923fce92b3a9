"""`keyworker export-csv`: the whole caseload as a spreadsheet that `keyworker import-csv` reads
back unchanged (for a council's own reporting, or moving a caseload between stores)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def say(message: str = "") -> None:
    print(message, flush=True)


def _out(text: str) -> Path:
    # Checked before the passphrase is asked for, so a typo costs nothing.
    out = Path(text).expanduser()
    if out.is_dir():
        raise ValueError(f"{out} is a folder; give a file name such as caseload.csv for --out")
    if not out.parent.is_dir():
        raise ValueError(
            f"The folder {out.parent} does not exist; create it or choose another --out"
        )
    return out


def cmd_export_csv(ctx: Any, args: argparse.Namespace) -> int:
    from keyworker_app.store.export_csv import save_caseload_csv

    out = _out(args.out)
    store = ctx.open()
    try:
        counts = save_caseload_csv(store, out)
    finally:
        store.close()
    people = f"{counts.young_people} young {'person' if counts.young_people == 1 else 'people'}"
    placements = f"{counts.placements} placement{'' if counts.placements == 1 else 's'}"
    say(f"Wrote {people} and {placements} to {out} (not encrypted: keep it safe).")
    return 0


def add_export_csv_command(commands: Any) -> None:
    export = commands.add_parser(
        "export-csv", help="the caseload as a spreadsheet (CSV) in the import-csv format"
    )
    export.add_argument(
        "--out", required=True, metavar="FILE.csv", help="where to write it (not encrypted)"
    )
    # Also accepted after the command; SUPPRESS keeps a --data-dir given before it.
    export.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="the caseload's folder (as before COMMAND)",
    )
    export.set_defaults(run=cmd_export_csv)
