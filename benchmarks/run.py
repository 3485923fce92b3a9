"""Every benchmark in one run: a table on the screen and the figures as JSON.

    make bench            # the full run (about 20 minutes; stores cached in benchmarks/.stores)
    make bench QUICK=1    # smaller sizes, under 3 minutes
    BENCH_OUT=path.json make bench

Each figure sits beside a baseline measured in the same run (plain SQLite, a bare Qt table, one
JSON body over loopback, a plain ReportLab document) and the ratio is the headline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KEYWORKER_ALLOW_INSECURE_KEYRING", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import Figure, table, write_json  # noqa: E402

PARTS = ("store", "desktop", "packs", "long_notes", "sync")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 3 minutes")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(os.environ.get("BENCH_OUT") or ROOT / "benchmarks" / "latest.json"),
    )
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts")
    args = parser.parse_args()
    # The benchmarks' own scratch stores go under one folder, removed at the end.
    scratch = Path(tempfile.mkdtemp(prefix="kw-bench-"))
    tempfile.tempdir = str(scratch)
    started = time.perf_counter()
    figures: list[Figure] = []
    failed: list[str] = []
    try:
        for part in args.only or PARTS:
            print(f"{part}...", file=sys.stderr, flush=True)
            part_started = time.perf_counter()
            try:
                module = __import__(part)
                figures += module.figures(args.quick)
            except Exception:  # noqa: BLE001 - one part failing must not hide the others
                failed.append(part)
                traceback.print_exc()
            print(
                f"{part} done in {time.perf_counter() - part_started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.perf_counter() - started
    print()
    print(table(figures))
    write_json(args.out, figures, args.quick, seconds)
    missed = [f for f in figures if f.aim is not None and f.ratio is not None and f.ratio > f.aim]
    print(f"\n{len(figures)} figures in {seconds:.0f} s, written to {args.out}")
    if missed:
        print(f"{len(missed)} over their aim: " + "; ".join(f.name for f in missed))
    if failed:
        print(f"These parts failed (see above): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
