"""`keyworker pack`, `supervision-pack` and `service-report`: printed packs and reports."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from keyworker_app.cli.common import Commands, Context, say


def _out(text: str) -> Path:
    out = Path(text).expanduser()
    if not out.parent.is_dir():
        raise ValueError(
            f"The folder {out.parent} does not exist; create it or choose another --out"
        )
    return out


def _password(args: argparse.Namespace) -> str | None:
    name = getattr(args, "password_env", None)
    if not name:
        return None
    value = os.environ.get(name)
    if not value:
        raise ValueError(
            f"--password-env names {name}, but that environment variable is empty; "
            "set it to the password the PDF should need"
        )
    return value


def _day(text: str | None, option: str):  # type: ignore[no-untyped-def]
    from keyworker_app.domain.dates import parse_day

    if not text:
        return None
    try:
        return parse_day(text)
    except ValueError:
        raise ValueError(f"{option} {text!r} is not a date; write it as YYYY-MM-DD") from None


def cmd_pack(ctx: Context, args: argparse.Namespace) -> int:
    import io

    from pypdf import PdfReader

    from keyworker_app.reports.pdf_document import save_pdf
    from keyworker_app.reports.review_pack import PackRequest, build_review_pack, parse_sections

    out = _out(args.out)
    password = _password(args)
    request = PackRequest(
        reference=args.young_person,
        start=_day(args.start, "--from"),
        end=_day(args.end, "--to"),
        sections=parse_sections(args.sections),
        redact=args.redact,
        prepared_for=args.prepared_for or "",
    )
    store = ctx.open()
    try:
        pdf = build_review_pack(store, request, organisation=ctx.organisation)
    finally:
        store.close()
    save_pdf(pdf, out, password=password)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    lock = ", encrypted (AES-256)" if password else ""
    say(f"Wrote the review pack for {args.young_person} to {out}: {pages} pages{lock}.")
    return 0


def cmd_supervision_pack(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.reports.pdf_document import save_pdf
    from keyworker_app.reports.supervision_pack import build_supervision_pack

    out = _out(args.out)
    store = ctx.open()
    try:
        pdf = build_supervision_pack(store, args.worker, organisation=ctx.organisation)
    finally:
        store.close()
    save_pdf(pdf, out, password=_password(args))
    say(f"Wrote the supervision pack for {args.worker} to {out}.")
    return 0


def cmd_service_report(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.reports.pdf_document import save_pdf
    from keyworker_app.reports.service_report import build_service_report, save_figures

    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    out = _out(args.out)
    json_out = _out(args.json) if args.json else None
    store = ctx.open()
    try:
        pdf, figures = build_service_report(store, start, end, organisation=ctx.organisation)
    finally:
        store.close()
    save_pdf(pdf, out, password=_password(args))
    if json_out is not None:
        save_figures(figures, json_out)
    referrals = figures.referrals
    also = f" and the figures to {json_out}" if json_out else ""
    say(
        f"Wrote the service report for {start:%d %b %Y} to {end:%d %b %Y} to {out}{also}: "
        f"{referrals.received} referrals received, {referrals.closed} closed, "
        f"{referrals.open} open."
    )
    return 0


def add_commands(commands: Commands) -> None:
    pack = commands.add_parser("pack", help="print a young person's review pack (PDF)")
    pack.add_argument("--young-person", required=True, metavar="REF")
    pack.add_argument("--from", dest="start", metavar="DATE", help="start of the period")
    pack.add_argument("--to", dest="end", metavar="DATE", help="end of the period (default today)")
    pack.add_argument("--out", required=True, metavar="FILE.pdf")
    pack.add_argument(
        "--sections",
        metavar="LIST",
        help="comma-separated: summary, chronology, contacts, formulation, deep_dives, goals, "
        "missing, placements, safety_plan, actions (default all)",
    )
    pack.add_argument("--redact", action="store_true", help="withhold third parties' names")
    pack.add_argument("--prepared-for", metavar="TEXT", help="who the pack is for")
    pack.add_argument(
        "--password-env", metavar="VAR", help="encrypt with the password in this variable"
    )
    pack.set_defaults(run=cmd_pack)

    supervision = commands.add_parser(
        "supervision-pack", help="print one worker's caseload for supervision (PDF)"
    )
    supervision.add_argument("--worker", required=True, metavar="NAME", help="user or full name")
    supervision.add_argument("--out", required=True, metavar="FILE.pdf")
    supervision.add_argument(
        "--password-env", metavar="VAR", help="encrypt with the password in this variable"
    )
    supervision.set_defaults(run=cmd_supervision_pack)

    report = commands.add_parser(
        "service-report", help="the service's figures for a date range (PDF and JSON)"
    )
    report.add_argument("--from", dest="start", required=True, metavar="DATE")
    report.add_argument("--to", dest="end", required=True, metavar="DATE")
    report.add_argument("--out", required=True, metavar="FILE.pdf")
    report.add_argument("--json", metavar="FILE.json", help="also write the figures as JSON")
    report.add_argument(
        "--password-env", metavar="VAR", help="encrypt with the password in this variable"
    )
    report.set_defaults(run=cmd_service_report)
