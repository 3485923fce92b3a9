"""Spreadsheets in and out: `keyworker import-csv` reads young people from a CSV file, and
`keyworker export-csv` writes the whole caseload in the same format, which import-csv reads back
unchanged (for a council's own reporting, or moving a caseload between stores)."""

from __future__ import annotations

import argparse
from pathlib import Path

from keyworker_app.cli.common import Commands, Context, UserError, say, warn


def cmd_import_csv(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.domain.caseload_csv import describe_problem, read_caseload_csv
    from keyworker_app.store.importing import ImportRefused, describe_result, import_caseload

    path = Path(args.file).expanduser()
    try:
        with path.open("rb") as stream:  # read a chunk at a time: never the whole file
            parsed = read_caseload_csv(stream)
    except OSError as error:
        raise UserError(f"Could not read {path}: {error.strerror or error}.") from None
    for notice in parsed.notices:
        warn(f"Note: {notice}")
    try:
        if parsed.refused_whole:
            # Nothing in the file can be used: say so before asking for the passphrase.
            raise ImportRefused(parsed.problems)
        store = ctx.open()
        try:
            result = import_caseload(
                store, parsed, skip_invalid=args.skip_invalid, dry_run=args.dry_run
            )
        finally:
            store.close()
    except ImportRefused as refused:
        for problem in refused.problems:
            warn(describe_problem(problem))
        advice = (
            "correct the file and try again"
            if any(p.line == 0 for p in refused.problems)
            else "correct them, or use --skip-invalid to import the good rows"
        )
        warn(f"Nothing was imported: {len(refused.problems)} problem(s) in {path.name}; {advice}.")
        return 1
    for problem in result.skipped_problems:
        warn(f"Skipped: {describe_problem(problem)}")
    say(("Dry run, nothing written: " if args.dry_run else "Imported: ") + describe_result(result))
    return 0


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


def cmd_export_csv(ctx: Context, args: argparse.Namespace) -> int:
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


def add_commands(commands: Commands) -> None:
    imp = commands.add_parser("import-csv", help="import young people from a spreadsheet (CSV)")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    imp.add_argument(
        "--skip-invalid", action="store_true", help="import the good rows, skip bad ones"
    )
    imp.set_defaults(run=cmd_import_csv)

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
