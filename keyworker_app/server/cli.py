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
from pathlib import Path

import platformdirs
from sqlalchemy import select

from keyworker_app import __version__
from keyworker_app.domain.caseload_csv import describe_problem, read_caseload_csv
from keyworker_app.server import accounts
from keyworker_app.server.audit_log import verify_server_audit
from keyworker_app.server.database import Database, ServerDatabaseError, open_database
from keyworker_app.server.importing import ImportProblems, import_central
from keyworker_app.server.models import Account, Device, Record, Restriction
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
        accounts.add_user(
            session,
            args.name,
            password,
            role=args.role,
            team=args.team,
            display_name=args.display_name,
        )
    say(f"Added {args.name} ({args.role}{', team ' + args.team if args.team else ''}).")
    return 0


def _young_person(session: object, reference: str) -> Record:
    for record in session.scalars(select(Record).where(Record.record_type == "young_person")):  # type: ignore[attr-defined]
        if record.data.get("reference") == reference and not record.deleted:
            return record
    raise ServerUserError(f"No young person has the reference {reference}.")


def cmd_restrict(db: Database, args: argparse.Namespace) -> int:
    with db.session() as session, session.begin():
        record = _young_person(session, args.reference)
        for user in args.allow:
            account = session.get(Account, user)
            if account is None or account.role == "admin":
                raise ServerUserError(f"There is no case worker called {user}.")
        for old in session.scalars(
            select(Restriction).where(Restriction.young_person_id == record.record_id)
        ):
            session.delete(old)
        session.flush()
        for user in sorted(set(args.allow)):
            session.add(Restriction(young_person_id=record.record_id, user_name=user))
        if not record.data.get("restricted"):
            write_record(
                session,
                "young_person",
                record.record_id,
                {**record.data, "restricted": True},
                actor="admin",
            )
        accounts.audit(
            session,
            "admin",
            "restrict",
            young_person=record.record_id,
            allow=sorted(set(args.allow)),
        )
    say(f"{args.reference} is now seen only by {', '.join(sorted(set(args.allow)))}.")
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


def cmd_serve(db: Database, args: argparse.Namespace) -> int:
    import uvicorn

    from keyworker_app.server.app import create_app

    tls = bool(args.tls_cert and args.tls_key)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ServerUserError("Give both --tls-cert and --tls-key, or neither.")
    if not _loopback(args.host) and not tls and not args.behind_tls_proxy:
        raise ServerUserError(
            f"Refusing to serve case data unencrypted on {args.host}; "
            "give --tls-cert and --tls-key, "
            "or --behind-tls-proxy if a TLS proxy is in front."
        )
    say(f"Keyworker central store on {'https' if tls else 'http'}://{args.host}:{args.port}")
    uvicorn.run(
        create_app(db),
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
    restrict.set_defaults(run=cmd_restrict)
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
