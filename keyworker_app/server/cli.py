"""`keyworker-server`: run the central store and manage its accounts and cases.

keyworker-server [--database URL | --data-dir DIR] COMMAND
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyworker_app import __version__
from keyworker_app.domain.caseload_csv import describe_problem, read_caseload_csv
from keyworker_app.server import accounts
from keyworker_app.server.audit_log import audit, verify_server_audit
from keyworker_app.server.body_limit import DEFAULT_MAX_BODY_BYTES, MEGABYTE
from keyworker_app.server.database import Database, ServerDatabaseError, open_database
from keyworker_app.server.importing import ImportProblems, import_central
from keyworker_app.server.models import Device, Record, Restriction
from keyworker_app.server.push_checks import DEFAULT_TEMPLATE_PUBLISHERS
from keyworker_app.server.records import write_record

PASSWORD_ENV = "KEYWORKER_PASSWORD"


class ServerUserError(Exception):
    pass


def say(message: str) -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _password() -> str:
    value = os.environ.get(PASSWORD_ENV)
    if value:
        return value
    if not sys.stdin.isatty():
        raise ServerUserError(
            f"No password was given: set {PASSWORD_ENV} or run this in a terminal."
        )
    first = getpass.getpass("Password for the new user: ")
    if getpass.getpass("Again: ") != first:
        raise ServerUserError("The two passwords differ; run the command again.")
    return first


def cmd_add_team(db: Database, args: argparse.Namespace) -> int:
    with db.session() as session, session.begin():
        accounts.add_team(session, args.name)
    say(f"Added the team {args.name}.")
    return 0


def cmd_add_user(db: Database, args: argparse.Namespace) -> int:
    password = _password()
    with db.session() as session, session.begin():
        account = accounts.add_user(
            session,
            args.name,
            password,
            role=args.role,
            team=args.team,
            display_name=args.display_name,
        )
    say(f"Added {account.user_name} ({args.role}{', team ' + args.team if args.team else ''}).")
    return 0


def _young_person(session: Session, reference: str) -> Record:
    for record in session.scalars(select(Record).where(Record.record_type == "young_person")):
        if record.data.get("reference") == reference and not record.deleted:
            return record
    raise ServerUserError(f"No young person has the reference {reference}.")


@dataclass(frozen=True)
class _Viewer:
    """Someone named in ``restrict --allow``, with the team they work in."""

    user_name: str
    team_id: str | None
    team: str

    def __str__(self) -> str:
        return f"{self.user_name} ({self.team})"


def _team_name(session: Session, team_id: str | None) -> str:
    team = session.get(Record, ("team", team_id)) if team_id else None
    return f"team {team.data.get('name')}" if team is not None else "no team"


def _case_and_viewers(
    session: Session, reference: str, names: Sequence[str]
) -> tuple[Record, list[_Viewer]]:
    """The young person and the case workers named, looked up as sign-in does ("ALICE" is
    alice); raises ServerUserError for an unknown reference or a name that is no case worker."""
    record = _young_person(session, reference)
    viewers: dict[str, _Viewer] = {}
    for name in names:
        account = accounts.find_account(session, name)
        if account is None or account.role == "admin":
            raise ServerUserError(f"There is no case worker called {name}.")
        team = _team_name(session, account.team_id)
        viewers[account.user_name] = _Viewer(account.user_name, account.team_id, team)
    return record, sorted(viewers.values(), key=lambda v: v.user_name)


def _others_agreed(reference: str, case_team: str, others: list[_Viewer]) -> bool:
    """Asks, in a terminal, whether each worker of another team may see the case."""
    for viewer in others:
        try:
            answer = input(f"Let {viewer} see {reference} ({case_team})? [y/N] ")
        except EOFError:
            return False
        if answer.strip().casefold() not in ("y", "yes"):
            return False
    return True


def _other_team_refusal(
    reference: str, record: Record, case_team: str, others: list[_Viewer]
) -> str:
    who = " and ".join(str(v) for v in others)
    if record.team_id is None:
        return f"{reference} belongs to no team; add --allow-other-team to let {who} see it anyway."
    if len(others) == 1:
        where = f"{others[0].user_name} is in {others[0].team}, not {reference}'s {case_team}"
    else:
        where = f"{who} are not in {reference}'s {case_team}"
    return f"{where}; add --allow-other-team to let them see this case anyway."


def cmd_restrict(db: Database, args: argparse.Namespace) -> int:
    # Checked (and asked) before the writing transaction: on SQLite that holds the store's
    # write lock, which must not wait on someone at a prompt.
    with db.session() as session:
        record, viewers = _case_and_viewers(session, args.reference, args.allow)
        case_team = _team_name(session, record.team_id)
    others = [v for v in viewers if record.team_id is None or v.team_id != record.team_id]
    if others and not args.allow_other_team:
        if not sys.stdin.isatty():
            raise ServerUserError(_other_team_refusal(args.reference, record, case_team, others))
        if not _others_agreed(args.reference, case_team, others):
            raise ServerUserError(
                f"Nothing was changed: {args.reference} is seen by the same people as before."
            )
    with db.session() as session, session.begin():
        record, now_viewers = _case_and_viewers(session, args.reference, args.allow)
        if now_viewers != viewers:
            raise ServerUserError(
                f"{args.reference} or a worker named changed team meanwhile; run the command again."
            )
        for old in session.scalars(
            select(Restriction).where(Restriction.young_person_id == record.record_id)
        ):
            session.delete(old)
        session.flush()
        for viewer in viewers:
            session.add(Restriction(young_person_id=record.record_id, user_name=viewer.user_name))
        if not record.data.get("restricted"):
            write_record(
                session,
                "young_person",
                record.record_id,
                {**record.data, "restricted": True},
                actor="admin",
            )
        detail: dict[str, Any] = {"allow": [v.user_name for v in viewers]}
        if others:
            detail["other_team"] = [v.user_name for v in others]
        audit(session, "admin", "restrict", young_person=record.record_id, **detail)
    say(f"{args.reference} ({case_team}) is now seen only by {', '.join(str(v) for v in viewers)}.")
    return 0


def cmd_revoke_device(db: Database, args: argparse.Namespace) -> int:
    with db.session() as session, session.begin():
        device = accounts.revoke_device(session, args.device_id)
    say(f"Revoked {args.device_id} ({device.user_name}); its next sync wipes its caseload.")
    return 0


def cmd_devices(db: Database, args: argparse.Namespace) -> int:
    with db.session() as session:
        for device in session.scalars(select(Device).order_by(Device.user_name)):
            seen = (
                device.last_sync_at.strftime("%d %b %Y %H:%M") if device.last_sync_at else "never"
            )
            state = "REVOKED" if device.revoked else f"last sync {seen}, {device.pending} unsent"
            say(f"{device.id}  {device.user_name:<16} {device.name[:24]:<24} {state}")
    return 0


def cmd_import_csv(db: Database, args: argparse.Namespace) -> int:
    try:
        with Path(args.file).expanduser().open("rb") as stream:  # a chunk at a time, never whole
            parsed = read_caseload_csv(stream)
    except OSError as error:
        raise ServerUserError(f"Could not read {args.file}: {error.strerror}.") from None
    with db.session() as session:
        try:
            with session.begin():
                result = import_central(session, parsed, skip_invalid=args.skip_invalid)
                if args.dry_run:
                    session.rollback()
        except ImportProblems as refused:
            for problem in refused.result.problems:
                warn(describe_problem(problem))
            warn(
                f"Nothing was imported: {len(refused.result.problems)} problem(s); "
                "correct them or use --skip-invalid."
            )
            return 1
    for problem in result.problems:
        warn(f"Skipped: {describe_problem(problem)}")
    prefix = "Dry run, nothing written: " if args.dry_run else "Imported: "
    say(
        f"{prefix}{result.created} young people added, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.placements_added} placements added."
    )
    return 0


def cmd_check_audit(db: Database, args: argparse.Namespace) -> int:
    with db.session() as session:
        check = verify_server_audit(session)
    if check.problem is not None:
        warn(
            f"The central store's audit log does not hold: {check.problem}; keep the database "
            "as it is and report it as a security incident."
        )
        return 1
    say(f"The central store's audit log holds: {check.events} events, every link holds.")
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _megabytes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of megabytes from 1")
    return value


def _roles(text: str) -> frozenset[str]:
    roles = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(roles - set(accounts.ROLES) - {"admin"})
    if unknown or "admin" in roles:
        raise argparse.ArgumentTypeError(
            f"'{(unknown or ['admin'])[0]}' cannot publish templates; use case roles: "
            "keyworker, clinician, supervisor"
        )
    return roles


def cmd_merge(db: Database, args: argparse.Namespace) -> int:
    from keyworker_app.server.merging import MergeRefused, merge_young_people

    try:
        with db.session() as session, session.begin():
            merged = merge_young_people(session, args.keep, args.duplicate)
    except MergeRefused as refused:
        raise ServerUserError(str(refused)) from None
    say(
        f"Merged {merged.duplicate} into {merged.kept}: {merged.moved} record"
        f"{'s' if merged.moved != 1 else ''} moved; {merged.duplicate} is closed and its "
        "reference is free. Laptops follow at their next sync."
    )
    return 0


def cmd_serve(db: Database, args: argparse.Namespace) -> int:
    import uvicorn

    from keyworker_app.server.app import create_app
    from keyworker_app.server.failures import log_to_stderr

    tls = bool(args.tls_cert and args.tls_key)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ServerUserError("Give both --tls-cert and --tls-key, or neither.")
    if not _loopback(args.host) and not tls and not args.behind_tls_proxy:
        raise ServerUserError(
            f"Refusing to serve case data unencrypted on {args.host}; "
            "give --tls-cert and --tls-key, "
            "or --behind-tls-proxy if a TLS proxy is in front."
        )
    say(
        f"Keyworker central store on {'https' if tls else 'http'}://{args.host}:{args.port}, "
        f"taking requests of up to {args.max_body_mb} MB"
    )
    log_to_stderr()  # every 5xx and "busy", with its cause
    uvicorn.run(
        create_app(
            db,
            max_body_bytes=args.max_body_mb * MEGABYTE,
            template_publishers=args.template_publishers,  # argparse applies _roles
        ),
        host=args.host,
        port=args.port,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        log_level="warning",
        proxy_headers=args.behind_tls_proxy,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keyworker-server", description="The Keyworker central store."
    )
    parser.add_argument("--version", action="version", version=f"keyworker-server {__version__}")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database", metavar="URL", help="PostgreSQL URL (postgresql+psycopg://user@host/db)"
    )
    where.add_argument(
        "--data-dir", metavar="DIR", help="folder for the embedded SQLite store (the default)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = commands.add_parser("serve", help="serve the sync API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--tls-cert")
    serve.add_argument("--tls-key")
    serve.add_argument("--behind-tls-proxy", action="store_true")
    serve.add_argument(
        "--max-body-mb",
        type=_megabytes,
        default=DEFAULT_MAX_BODY_BYTES // MEGABYTE,
        metavar="N",
        help="refuse request bodies over N megabytes, unread (default %(default)s)",
    )
    serve.add_argument(
        "--template-publishers",
        type=_roles,
        default=",".join(sorted(DEFAULT_TEMPLATE_PUBLISHERS)),
        metavar="ROLES",
        help="roles that may publish a new or changed practice template, comma-separated "
        "(default %(default)s; the templates Keyworker ships are accepted from anyone)",
    )
    serve.set_defaults(run=cmd_serve)
    team = commands.add_parser("add-team", help="add a team")
    team.add_argument("name")
    team.set_defaults(run=cmd_add_team)
    user = commands.add_parser(
        "add-user", help=f"add a user (password from {PASSWORD_ENV} or a prompt)"
    )
    user.add_argument("name")
    user.add_argument("--role", required=True, choices=accounts.ROLES)
    user.add_argument("--team")
    user.add_argument("--display-name")
    user.set_defaults(run=cmd_add_user)
    restrict = commands.add_parser("restrict", help="let only the named users see a young person")
    restrict.add_argument("reference")
    restrict.add_argument("--allow", nargs="+", required=True, metavar="USER")
    restrict.add_argument(
        "--allow-other-team",
        action="store_true",
        help="let users of another team see the case (asked in a terminal otherwise)",
    )
    restrict.set_defaults(run=cmd_restrict)
    merge = commands.add_parser(
        "merge",
        help="merge two records of one young person (the duplicate's records move, it closes)",
    )
    merge.add_argument("keep", metavar="KEEP", help="the reference to keep")
    merge.add_argument("duplicate", metavar="DUPLICATE", help="the reference merged into it")
    merge.set_defaults(run=cmd_merge)
    revoke = commands.add_parser(
        "revoke-device", help="revoke a lost laptop; its next sync wipes it"
    )
    revoke.add_argument("device_id")
    revoke.set_defaults(run=cmd_revoke_device)
    devices = commands.add_parser("devices", help="list devices and their last sync")
    devices.set_defaults(run=cmd_devices)
    imp = commands.add_parser("import-csv", help="import cases from a caseload spreadsheet")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true")
    imp.add_argument("--skip-invalid", action="store_true")
    imp.set_defaults(run=cmd_import_csv)
    check_audit = commands.add_parser(
        "check-audit", help="check that no event of the audit log was removed or changed"
    )
    check_audit.set_defaults(run=cmd_check_audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        data_dir = Path(args.data_dir).expanduser() if args.data_dir else None
        if args.database is None and data_dir is None:
            data_dir = platformdirs.user_data_path("Keyworker Server", appauthor=False)
        db = open_database(args.database, data_dir)
        try:
            return int(args.run(db, args))
        finally:
            db.dispose()
    except (ServerUserError, ServerDatabaseError, accounts.AccountError) as error:
        warn(str(error) if str(error).endswith(".") else f"{error}.")
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if os.environ.get("KEYWORKER_DEBUG") == "1":
            raise
        warn(
            f"The central store hit an unexpected problem ({type(error).__name__}); "
            "run again with KEYWORKER_DEBUG=1 and report it."
        )
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
