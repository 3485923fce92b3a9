"""The caseload itself: `keyworker init`, `demo`, `caseload`, `add-contact`, `search`, `export`,
`check` and `update`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keyworker_app.cli.common import (
    PASSPHRASE_ENV,
    Commands,
    Context,
    UserError,
    ask_secret,
    device_secrets,
    print_json,
    print_recovery_code,
    say,
    warn,
)
from keyworker_app.domain.vocabulary import ContactType

if TYPE_CHECKING:
    from keyworker_app.store.caseload import CaseloadRow

# The values of store.caseload.Scope, named here so that building the parser does not load the
# store (tests/unit/test_cli_start.py checks they are the same).
SCOPES = ("mine", "team", "all")


def cmd_init(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.store import lifecycle

    if lifecycle.exists(ctx.data_dir):
        raise UserError(
            f"{ctx.data_dir} already holds a caseload; use it, or choose another --data-dir."
        )
    secrets = device_secrets(ctx.data_dir)
    passphrase = (
        ctx.passphrase()
        if ctx.demo
        else ask_secret("Choose a passphrase: ", PASSPHRASE_ENV, confirm=True)
    )
    created = lifecycle.create_caseload(ctx.data_dir, passphrase, secrets, user_name=args.user)
    created.store.close()
    say(f"Created an encrypted caseload in {ctx.data_dir}.")
    print_recovery_code(created.recovery_code)
    return 0


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.demo import generate_demo
    from keyworker_app.store import lifecycle

    if not lifecycle.exists(ctx.data_dir):
        secrets = device_secrets(ctx.data_dir)
        created = lifecycle.create_caseload(
            ctx.data_dir, ctx.passphrase(), secrets, user_name=args.user
        )
        say(f"Created an encrypted caseload in {ctx.data_dir}.")
        print_recovery_code(created.recovery_code)
        store = created.store
    else:
        store = ctx.open()
    try:
        progress = _progress_printer("Generating demo data") if sys.stderr.isatty() else None
        summary = generate_demo(
            store,
            young_people=args.young_people,
            seed=args.seed,
            years=args.years,
            progress=progress,
        )
    finally:
        store.close()
    say(f"Added synthetic demo data: {summary.describe()}.")
    return 0


def _progress_printer(label: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r{label}: {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def _caseload_json(row: CaseloadRow) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "given_name": row.given_name,
        "family_name": row.family_name,
        "preferred_name": row.preferred_name,
        "age": row.age,
        "keyworker": row.keyworker,
        "keyworker_user_name": row.keyworker_user_name,
        "team": row.team,
        "status": row.status.value,
        "placement_type": row.placement_type.value if row.placement_type else None,
        "risk_category": row.risk_category.value if row.risk_category else None,
        "last_contact": row.last_contact.isoformat() if row.last_contact else None,
        "days_since_contact": row.days_since_contact,
        "open_actions": row.open_actions,
        "overdue_actions": row.overdue_actions,
        "goal_trend": row.goal_trend.value,
    }


def cmd_caseload(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.store.caseload import Scope, caseload

    store = ctx.open()
    try:
        with store.reading() as session:
            rows = caseload(
                session,
                scope=Scope(args.scope),
                user_name=store.user_name,
                include_closed=not args.open,
            )
    finally:
        store.close()
    if args.json:
        print_json({"young_people": [_caseload_json(r) for r in rows]})
        return 0
    if not rows:
        say("No young people in this caseload yet.")
        return 0
    say(f"{'Reference':<12} {'Name':<30} {'Age':>3}  {'Keyworker':<22} {'Status':<7} Last contact")
    for r in rows:
        last = r.last_contact.astimezone().strftime("%d %b %Y") if r.last_contact else "never"
        since = f" ({r.days_since_contact} days)" if r.days_since_contact is not None else ""
        say(
            f"{r.reference:<12} {r.display_name[:30]:<30} {r.age:>3}  "
            f"{(r.keyworker or '-')[:22]:<22} {r.status.value:<7} {last}{since}"
        )
    say(f"{len(rows)} young people.")
    return 0


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"'{text}' is not a date and time; write it like 2026-03-14T15:30."
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


def cmd_add_contact(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.store.recording import ContactDetails, add_contact, require_young_person

    try:
        contact_type = ContactType.parse(args.type)
    except ValueError as error:
        raise UserError(f"{error}.") from None
    if not args.note.strip():
        raise UserError("The note is empty; say what happened with --note.")
    details = ContactDetails(contact_type=contact_type, narrative=args.note)  # type: ignore[arg-type]
    if args.when:
        details.occurred_at = _when(args.when)  # type: ignore[assignment]
    details.duration_minutes = args.duration
    details.location = args.location
    details.own_words = args.own_words
    details.significant = args.significant
    store = ctx.open()
    try:
        with store.reading() as session:
            person = require_young_person(session, args.young_person)
            person_id, reference = person.id, person.reference
        contact = add_contact(store, person_id, details, finalise=args.finalise)
    finally:
        store.close()
    state = "finalised" if args.finalise else "saved as a draft"
    say(
        f"Contact {contact.id} with {reference} on "
        f"{contact.occurred_at.astimezone():%d %b %Y %H:%M} {state}."
    )
    return 0


def cmd_search(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.store.search import search

    store = ctx.open()
    try:
        with store.reading() as session:
            hits = search(session, args.text, limit=args.limit)
    finally:
        store.close()
    if args.json:
        body = {
            # Undecodable bytes in the argument arrive as lone surrogates, which stdout cannot
            # encode: echoed as "?" rather than failing the whole answer.
            "query": args.text.encode("utf-8", "replace").decode("utf-8"),
            "results": [
                {
                    "reference": h.reference,
                    "name": h.name,
                    "date": h.occurred.isoformat() if h.occurred else None,
                    "record_type": h.record_type,
                    "record_id": h.record_id,
                    "snippet": h.snippet,
                }
                for h in hits
            ],
        }
        print_json(body)
        return 0
    for h in hits:
        when = h.occurred.astimezone().strftime("%d %b %Y") if h.occurred else ""
        say(f"{h.reference or '-':<12} {(h.name or '')[:28]:<28} {when:<12} {h.snippet}")
    say(f"{len(hits)} result{'s' if len(hits) != 1 else ''}.")
    return 0


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.store.subject_access import subject_access_export, write_export

    out = Path(args.out).expanduser()
    if not out.parent.is_dir():
        raise UserError(
            f"The folder {out.parent} does not exist; create it or choose another --out."
        )
    store = ctx.open()
    try:
        body = subject_access_export(store, args.young_person)
    finally:
        store.close()
    write_export(body, out)
    say(f"Wrote everything held about {args.young_person} to {out} (not encrypted: keep it safe).")
    return 0


def cmd_check(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.store.integrity import check_store
    from keyworker_app.sync.client import audit_anchors

    store = ctx.open()
    try:
        # Against the central store's copy of this laptop's audit trail when it can be reached:
        # someone with this laptop's key can re-hash the trail here, not there.
        findings = check_store(store, audit_anchors(store))
    finally:
        store.close()
    for finding in findings:
        say(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.check}: {finding.detail}")
    if all(f.ok for f in findings):
        say("The caseload is whole.")
        return 0
    warn("The caseload failed a check; keep the data folder as it is and restore from a backup.")
    return 1


def cmd_update(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.store.recording import require_young_person, update_young_person

    changes: dict[str, str] = {}
    for assignment in args.assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not name.strip():
            raise UserError(
                f"'{assignment}' is not FIELD=VALUE; write it like --set school=\"Oak High\"."
            )
        changes[name.strip()] = value
    store = ctx.open()
    try:
        with store.reading() as session:
            person_id = require_young_person(session, args.young_person).id
        changed = update_young_person(store, person_id, changes)
    finally:
        store.close()
    say(f"Updated {args.young_person}: {', '.join(changed) if changed else 'nothing changed'}.")
    return 0


# -- the commands -------------------------------------------------------------------------------
def add_commands(commands: Commands) -> None:
    """init, demo, caseload, add-contact, search, export and check (`update` is added apart,
    by `add_update_command`, where `keyworker --help` has always listed it)."""
    init = commands.add_parser("init", help="create a new encrypted caseload")
    init.add_argument("--user", help="your user name (default: your login name)")
    init.set_defaults(run=cmd_init)

    demo = commands.add_parser("demo", help="fill the caseload with synthetic demo data")
    demo.add_argument("--young-people", type=int, required=True, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument("--years", type=int, default=1, metavar="Y")
    demo.add_argument(
        "--user", help="your user name, when the caseload is created (default: login name)"
    )
    demo.set_defaults(run=cmd_demo)

    show = commands.add_parser("caseload", help="list the young people in the caseload")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument("--scope", choices=SCOPES, default="all")
    show.add_argument("--open", action="store_true", help="leave out closed cases")
    show.set_defaults(run=cmd_caseload)

    _add_contact_command(commands)

    find = commands.add_parser("search", help="search notes, addenda and form answers")
    find.add_argument("text")
    find.add_argument("--json", action="store_true")
    find.add_argument("--limit", type=int, default=50)
    find.set_defaults(run=cmd_search)

    export = commands.add_parser("export", help="everything held about one young person, as JSON")
    export.add_argument("--young-person", required=True, metavar="REF")
    export.add_argument("--out", required=True, metavar="FILE.json")
    export.set_defaults(run=cmd_export)

    check = commands.add_parser("check", help="check encryption, integrity and the audit chain")
    check.set_defaults(run=cmd_check)


def _add_contact_command(commands: Commands) -> None:
    add = commands.add_parser("add-contact", help="record a contact with a young person")
    add.add_argument("--young-person", required=True, metavar="REF")
    add.add_argument("--type", required=True, help=f"one of: {', '.join(ContactType.codes())}")
    add.add_argument("--note", required=True, help="what happened")
    add.add_argument("--when", metavar="ISO", help="when it happened (default: now)")
    add.add_argument("--duration", type=int, metavar="MINUTES")
    add.add_argument("--location")
    add.add_argument("--own-words", help="what the young person said, in their words")
    add.add_argument("--significant", action="store_true", help="add it to the chronology")
    add.add_argument(
        "--finalise", action="store_true", help="finalise now (later changes are addenda)"
    )
    add.set_defaults(run=cmd_add_contact)


def add_update_command(commands: Commands) -> None:
    update = commands.add_parser("update", help="change a young person's fields (for scripts)")
    update.add_argument("--young-person", required=True, metavar="REF")
    update.add_argument(
        "--set", required=True, action="append", metavar="FIELD=VALUE", dest="assignments"
    )
    update.set_defaults(run=cmd_update)
