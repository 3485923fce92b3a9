"""The central store's HTTP API (FastAPI). Every request runs in its own transaction; writes
take the change-feed lock first, so concurrent pushes never deadlock or number out of order.

No ``from __future__ import annotations`` here: FastAPI reads the dependency annotations of
the endpoints defined inside ``create_app`` at run time.
"""

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from sqlalchemy.orm import Session

from keyworker_app import __version__
from keyworker_app.server import accounts
from keyworker_app.server.accounts import DeviceRevoked, SignInRefused
from keyworker_app.server.body_limit import DEFAULT_MAX_BODY_BYTES, BodyLimit
from keyworker_app.server.database import Database, next_seq
from keyworker_app.server.failures import UnexpectedErrors, database_problem
from keyworker_app.server.models import Account, Device, Record
from keyworker_app.server.push_checks import push_policy_for
from keyworker_app.server.strict_json import StrictJsonRoute
from keyworker_app.server.sync_service import (
    SyncRefused,
    device_anchor,
    pull,
    push,
    resolve,
)
from keyworker_app.sync.protocol import (
    AuditAnchor,
    ConflictInfo,
    ErrorBody,
    KeepText,
    LoginRequest,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    RefreshRequest,
    ResolveRequest,
    Tokens,
    UserInfo,
    WorkerStatus,
)

REVOKED = "device_revoked"


def create_app(
    database: Database,
    *,
    template_publishers: frozenset[str] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    app = FastAPI(
        title="Keyworker central store",
        version=__version__,
        description="Sync for the Keyworker desktop app: sign-in, push, pull and conflicts.",
    )
    # Bodies holding NaN or lone surrogates get a 422: stored, they broke every later pull.
    app.router.route_class = StrictJsonRoute
    # A body over the limit is refused before anything reads it; outside that, an exception no
    # handler took is logged without its message and answered in one sentence.
    app.add_middleware(BodyLimit, max_body_bytes=max_body_bytes)
    app.add_middleware(UnexpectedErrors)
    push_policy = push_policy_for(template_publishers)

    # scope="function": the commit happens before the answer is sent. Otherwise a laptop could
    # be told "accepted" (and drop its copy) for a change whose commit then failed, or be given
    # a token that is not yet in the database when its next request arrives.
    def session() -> Iterator[Session]:
        db_session = database.session()
        try:
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise
        finally:
            db_session.close()

    def signed_in(
        db: Annotated[Session, Depends(session, scope="function")],
        authorization: Annotated[str | None, Header()] = None,
    ) -> tuple[Session, Account, Device]:
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(401, "Sign in first.")
        account, device = accounts.authenticate(db, authorization.removeprefix("Bearer ").strip())
        return db, account, device

    @app.exception_handler(SignInRefused)
    async def _refused(_: Request, error: SignInRefused) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=401)

    @app.exception_handler(DeviceRevoked)
    async def _revoked(_: Request, error: DeviceRevoked) -> JSONResponse:
        return JSONResponse({"detail": str(error), "code": REVOKED}, status_code=403)

    @app.exception_handler(SQLAlchemyTimeout)
    @app.exception_handler(OperationalError)
    async def _busy(request: Request, error: Exception) -> JSONResponse:
        # No free connection, a lock wait broken, or a full disk: nothing was committed, so the
        # laptop keeps its changes. Logged with its cause, never a record's content.
        return database_problem(request, error)

    @app.exception_handler(SyncRefused)
    async def _sync_refused(_: Request, error: SyncRefused) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    errors: dict[int | str, dict[str, Any]] = {
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
    }

    @app.get("/v1/health")
    def health() -> dict[str, str | int]:
        # The body limit, so a laptop can split what it sends to fit.
        return {"status": "ok", "version": __version__, "max_body_bytes": max_body_bytes}

    def _tokens(db: Session, account: Account, access: str, refresh: str) -> Tokens:
        team_record = db.get(Record, ("team", account.team_id)) if account.team_id else None
        team = team_record.data.get("name") if team_record else None
        return Tokens(
            access_token=access,
            refresh_token=refresh,
            expires_in=int(accounts.ACCESS_LIFETIME.total_seconds()),
            user=UserInfo(
                user_name=account.user_name,
                display_name=account.display_name,
                role=account.role,
                team=team,
                staff_id=account.staff_id,
            ),
        )

    @app.post("/v1/auth/login", responses=errors)
    def login(
        body: LoginRequest, db: Annotated[Session, Depends(session, scope="function")]
    ) -> Tokens:
        try:
            account, access, refresh = accounts.sign_in(
                db, body.user, body.password, body.device_id, body.device_name
            )
        except (SignInRefused, DeviceRevoked):
            db.commit()  # keep the failure count and the audit of the attempt
            raise
        return _tokens(db, account, access, refresh)

    @app.post("/v1/auth/refresh", responses=errors)
    def refresh(
        body: RefreshRequest, db: Annotated[Session, Depends(session, scope="function")]
    ) -> Tokens:
        account, access, new_refresh = accounts.refresh(db, body.refresh_token, body.device_id)
        return _tokens(db, account, access, new_refresh)

    @app.post("/v1/sync/push", responses=errors)
    def push_changes(
        body: PushRequest, auth: Annotated[tuple[Session, Account, Device], Depends(signed_in)]
    ) -> PushResponse:
        db, account, device = auth
        return push(db, account, device, body, push_policy)  # locks the records it merges into

    @app.post("/v1/sync/pull", responses=errors)
    def pull_changes(
        body: PullRequest, auth: Annotated[tuple[Session, Account, Device], Depends(signed_in)]
    ) -> PullResponse:
        db, account, device = auth
        return pull(db, account, device, body)

    @app.post(
        "/v1/conflicts/{conflict_id}/resolve", responses={**errors, 409: {"model": ErrorBody}}
    )
    def resolve_conflict(
        conflict_id: str,
        body: ResolveRequest,
        auth: Annotated[tuple[Session, Account, Device], Depends(signed_in)],
    ) -> ConflictInfo:
        db, account, device = auth
        next_seq(db, 0)  # one resolution at a time: read the conflict only under the lock
        text = body.text if isinstance(body, KeepText) else None
        return resolve(db, account, device, conflict_id, text, body.keep)

    @app.get("/v1/audit/anchor", responses=errors)
    def audit_anchor(
        auth: Annotated[tuple[Session, Account, Device], Depends(signed_in)],
    ) -> AuditAnchor | None:
        """The head of this laptop's audit chain as the central store holds it, for
        `keyworker check` to compare with the laptop's own chain."""
        db, _, device = auth
        return device_anchor(db, device)

    @app.get("/v1/team/status", responses=errors)
    def team_status(
        auth: Annotated[tuple[Session, Account, Device], Depends(signed_in)],
    ) -> list[WorkerStatus]:
        db, account, _ = auth
        if account.role not in ("supervisor", "clinician"):
            raise HTTPException(403, "Only supervisors see the team's sync status.")
        rows = db.execute(
            select(
                Account.user_name,
                Account.display_name,
                func.max(Device.last_sync_at),
                func.coalesce(func.sum(Device.pending), 0),
            )
            .join(Device, Device.user_name == Account.user_name, isouter=True)
            .where(Account.team_id == account.team_id)
            .group_by(Account.user_name, Account.display_name)
            .order_by(Account.display_name)
        )
        return [
            WorkerStatus(user_name=r[0], display_name=r[1], last_sync=r[2], pending=int(r[3] or 0))
            for r in rows
        ]

    return app
