"""The ``keyworker`` command line: parses, asks for secrets, calls the layers, prints.

Every failure a user can cause ends in one sentence on stderr and a non-zero exit, never a
traceback (set KEYWORKER_DEBUG=1 to see one). The organisation's settings are read here, once,
and handed down: a settings file that cannot be used stops every command with exit code 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from keyworker_app import __version__
from keyworker_app.cli_export import add_export_csv_command
from keyworker_app.cli_forms import cmd_forms_list, cmd_forms_validate
from keyworker_app.cli_refused import add_refused_command
from keyworker_app.cli_reports import add_report_commands
from keyworker_app.cli_settings import add_settings_command, check_templates
from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.organisation import OrganisationSettings, SettingsError, load_settings
from keyworker_app.paths import default_data_dir, demo_data_dir
from keyworker_app.security import SecurityError
from keyworker_app.security.device_secret import ALLOW_INSECURE_ENV, DeviceSecrets
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload import Scope, caseload
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.engine import StoreError

PASSPHRASE_ENV = "KEYWORKER_PASSPHRASE"
NEW_PASSPHRASE_ENV = "KEYWORKER_NEW_PASSPHRASE"
RECOVERY_CODE_ENV = "KEYWORKER_RECOVERY_CODE"
# The synthetic demo caseload is opened with this published passphrase: it holds no real data.
DEMO_PASSPHRASE = "synthetic demo caseload only"
GUI_VIEWS = ("contacts", "chronology", "goals", "missing", "placements", "actions", "forms")
DEMO_SIZE = {"young_people": 120, "seed": 2024, "years": 2}


class UserError(Exception):
    """Something the user can put right; the message says how."""


EXPECTED_ERRORS = (UserError, StoreError, SecurityError, ValueError)
SETTINGS_EXIT = 2  # the organisation's settings file is wrong: IT's to put right


def say(message: str = "") -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- secrets ------------------------------------------------------------------------------------
def _ask(prompt: str, env: str, *, confirm: bool = False) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise UserError(f"No passphrase was given: set {env} or run keyworker in a terminal.")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Type it again: ") != first:
        raise UserError("The two passphrases differ; run the command again.")
    return first


def _secrets(data_dir: Path) -> DeviceSecrets:
    secrets = DeviceSecrets.for_store(data_dir)
    if secrets.insecure_warning:
        warn(secrets.insecure_warning)
    return secrets


def _print_recovery_code(code: str) -> None:
    say("")
    say("Your recovery code (shown once; write it down and keep it somewhere safe):")
    say("")
    say(f"    {code}")
    say("")
    say("With it you can open this caseload if you forget the passphrase or the laptop's")
    say("keyring is reset: `keyworker recover`.")


# -- opening the store --------------------------------------------------------------------------
class Context:
    """What every command needs: the data directory, a way to open the store, and the
    organisation's settings."""

    def __init__(
        self, args: argparse.Namespace, organisation: OrganisationSettings | None = None
    ) -> None:
        self.organisation = organisation or OrganisationSettings()
        self.demo: bool = args.demo
        if self.demo:
            # The demo caseload is synthetic; an insecure keyring is acceptable for it.
            os.environ.setdefault(ALLOW_INSECURE_ENV, "1")
            self.data_dir = demo_data_dir()
        else:
            self.data_dir = (
                Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
            )

    def passphrase(self) -> str:
        if self.demo:
            return DEMO_PASSPHRASE
        return _ask("Passphrase: ", PASSPHRASE_ENV)

    def open(self) -> Store:
        if self.demo and not lifecycle.exists(self.data_dir):
            self._create_demo()
        secrets = _secrets(self.data_dir)
        if not lifecycle.exists(self.data_dir):
            raise UserError(
                f"There is no caseload in {self.data_dir}; run `keyworker init` to create one."
            )
        store = lifecycle.unlock_caseload(self.data_dir, self.passphrase(), secrets)
        if store.migrated_from_backup:
            warn(
                "Updated the caseload to this version; the old file is kept at "
                f"{store.migrated_from_backup}."
            )
        return store

    def _create_demo(self) -> None:
        warn(f"Creating the synthetic demo caseload in {self.data_dir} (first run only)...")
        create_demo_caseload(self.data_dir)


def create_demo_caseload(data_dir: Path) -> None:
    """A new caseload filled with synthetic demo data, opened with the published passphrase."""
    from keyworker_app.demo import generate_demo

    created = lifecycle.create_caseload(data_dir, DEMO_PASSPHRASE, _secrets(data_dir), demo=True)
    try:
        generate_demo(created.store, **DEMO_SIZE)
    finally:
        created.store.close()


# -- commands -----------------------------------------------------------------------------------
def cmd_init(ctx: Context, args: argparse.Namespace) -> int:
    if lifecycle.exists(ctx.data_dir):
        raise UserError(
            f"{ctx.data_dir} already holds a caseload; use it, or choose another --data-dir."
        )
    secrets = _secrets(ctx.data_dir)
    passphrase = (
        ctx.passphrase()
        if ctx.demo
        else _ask("Choose a passphrase: ", PASSPHRASE_ENV, confirm=True)
    )
    created = lifecycle.create_caseload(ctx.data_dir, passphrase, secrets, user_name=args.user)
    created.store.close()
    say(f"Created an encrypted caseload in {ctx.data_dir}.")
    _print_recovery_code(created.recovery_code)
    return 0


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.demo import generate_demo

    if not lifecycle.exists(ctx.data_dir):
        secrets = _secrets(ctx.data_dir)
        created = lifecycle.create_caseload(
            ctx.data_dir, ctx.passphrase(), secrets, user_name=args.user
        )
        say(f"Created an encrypted caseload in {ctx.data_dir}.")
        _print_recovery_code(created.recovery_code)
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


def _caseload_json(row: Any) -> dict[str, Any]:
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
        json.dump(
            {"young_people": [_caseload_json(r) for r in rows]},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
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
        json.dump(body, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
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


def cmd_passwd(ctx: Context, args: argparse.Namespace) -> int:
    if ctx.demo:
        raise UserError("The demo caseload's passphrase is fixed.")
    secrets = _secrets(ctx.data_dir)
    if not lifecycle.exists(ctx.data_dir):
        raise UserError(f"There is no caseload in {ctx.data_dir}.")
    old = _ask("Current passphrase: ", PASSPHRASE_ENV)
    new = _ask("New passphrase: ", NEW_PASSPHRASE_ENV, confirm=True)
    lifecycle.change_passphrase(ctx.data_dir, old, new, secrets)
    say("Passphrase changed. The recovery code you wrote down still works.")
    return 0


def cmd_recover(ctx: Context, args: argparse.Namespace) -> int:
    secrets = _secrets(ctx.data_dir)
    code = os.environ.get(RECOVERY_CODE_ENV) or (
        input("Recovery code: ") if sys.stdin.isatty() else ""
    )
    if not code:
        raise UserError(
            f"No recovery code was given: set {RECOVERY_CODE_ENV} or run keyworker in a terminal."
        )
    new = os.environ.get(NEW_PASSPHRASE_ENV) or _ask(
        "New passphrase: ", PASSPHRASE_ENV, confirm=True
    )
    store = lifecycle.recover_caseload(ctx.data_dir, code, new, secrets)
    store.close()
    say(
        "Caseload recovered: this account's keyring holds a new key "
        "and the new passphrase opens it."
    )
    return 0


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
    from keyworker_app.cli_refused import describe
    from keyworker_app.sync.client import sync
    from keyworker_app.sync.refused import refused_changes

    store = ctx.open()
    try:
        report = sync(store, allow_large_removal=args.allow_large_removal)
        waiting = refused_changes(store)
    finally:
        store.close()
    if args.json:
        body = report.as_dict() | {"refused": [item.as_dict() for item in waiting]}
        json.dump(body, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
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


def _conflict_json(conflict: Any, names: dict[str, str]) -> dict[str, Any]:
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
        json.dump({"conflicts": body}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    for item in body:
        if item["kind"] == "proposal":
            say(
                f"{item['id']}  {item['young_person'] or '-'} {item['field']}: "
                f"{item['other']['by']} changed it after {item['kept']['by']} finalised it "
                f"({item['other']['value']!r}); --keep addendum adds it, --keep kept leaves it"
            )
            continue
        say(
            f"{item['id']}  {item['young_person'] or '-'} {item['field']}: "
            f"kept {item['kept']['value']!r} ({item['kept']['by']}), "
            f"other {item['other']['value']!r} ({item['other']['by']})"
        )
    say(f"{len(body)} open conflict{'s' if len(body) != 1 else ''}.")
    return 0


def cmd_resolve(ctx: Context, args: argparse.Namespace) -> int:
    from keyworker_app.sync.client import resolve_conflict

    store = ctx.open()
    try:
        report = resolve_conflict(store, args.conflict_id, args.keep)
    finally:
        store.close()
    say(f"Resolved. {report.open_conflicts} open conflicts left.")
    return 0


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
    show.add_argument("--scope", choices=[s.value for s in Scope], default=Scope.ALL.value)
    show.add_argument("--open", action="store_true", help="leave out closed cases")
    show.set_defaults(run=cmd_caseload)

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

    add_report_commands(commands)

    passwd = commands.add_parser("passwd", help="change the passphrase")
    passwd.set_defaults(run=cmd_passwd)

    recover = commands.add_parser(
        "recover", help="open with the recovery code and set a new passphrase"
    )
    recover.set_defaults(run=cmd_recover)

    imp = commands.add_parser("import-csv", help="import young people from a spreadsheet (CSV)")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    imp.add_argument(
        "--skip-invalid", action="store_true", help="import the good rows, skip bad ones"
    )
    imp.set_defaults(run=cmd_import_csv)
    add_export_csv_command(commands)

    forms = commands.add_parser("forms", help="practice templates: list them, check new ones")
    forms_commands = forms.add_subparsers(dest="forms_command", metavar="ACTION", required=True)
    listing = forms_commands.add_parser("list", help="the templates available (newest versions)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_forms_list)
    validate = forms_commands.add_parser(
        "validate", help="check template files; lists every problem"
    )
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.set_defaults(run=cmd_forms_validate)

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

    update = commands.add_parser("update", help="change a young person's fields (for scripts)")
    update.add_argument("--young-person", required=True, metavar="REF")
    update.add_argument(
        "--set", required=True, action="append", metavar="FIELD=VALUE", dest="assignments"
    )
    update.set_defaults(run=cmd_update)

    add_refused_command(commands)
    add_settings_command(commands)

    commands.add_parser("gui", help="open the desktop app (the default)")
    return parser


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
            return gui(request)
        return int(args.run(ctx, args))
    except SettingsError as error:
        warn(_sentence(error))
        return SETTINGS_EXIT
    except EXPECTED_ERRORS as error:
        warn(_sentence(error))
        return 1
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        warn(f"A file could not be read or written{where}: {error.strerror or error}.")
        return 1
    except KeyboardInterrupt:
        warn("Stopped; nothing was half-written.")
        return 130
    except Exception as error:
        if os.environ.get("KEYWORKER_DEBUG") == "1":
            raise
        warn(
            f"Keyworker hit an unexpected problem ({type(error).__name__}); "
            "nothing was half-written. Run again with KEYWORKER_DEBUG=1 and report what it shows."
        )
        return 70


def _sentence(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text if text.endswith((".", "?", "!")) else text + "."


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
