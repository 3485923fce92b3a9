"""The desktop's side of sync: sign in, push the outbox, pull changes, resolve conflicts.

Pending changes are pushed before pulling. An outbox entry is dropped only once the central
store has answered for it (accepted, conflict or rejected); a dropped or repeated request is
safe to retry because operations carry op ids the store deduplicates on.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, select, update

from keyworker_app.domain.addresses import check_server_address
from keyworker_app.security import SecurityError
from keyworker_app.security.device_secret import SIGN_IN_SERVICE, DeviceSecrets
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.engine import StoreError
from keyworker_app.store.integrity import Anchor
from keyworker_app.store.models import (
    AuditEvent,
    OutboxEntry,
    RefusedChange,
    SetAsideChange,
    SyncConflict,
    YoungPerson,
)
from keyworker_app.store.settings import SettingKey, read_setting, write_setting
from keyworker_app.sync.protocol import (
    MAX_PUSH_OPS,
    AuditAnchor,
    DeviceAuditEvent,
    OpResult,
    PullRequest,
    PullResponse,
    PushOp,
    PushRequest,
    PushResponse,
    SetAside,
    Tokens,
    WorkerStatus,
)
from keyworker_app.sync.refused import keep_refused, refused_changes
from keyworker_app.sync.replica import (
    apply_page,
    as_remote,
    retry_set_aside,
    young_people_with_local_work,
)

SERVICE = SIGN_IN_SERVICE  # where the refresh token is kept (security/device_secret.py)
# The store's settings this module keeps (one owner: store/settings.py).
SERVER_URL = SettingKey.SERVER_URL
SYNC_USER = SettingKey.SYNC_USER
AUDIT_SENT = SettingKey.AUDIT_SENT
AUDIT_ANCHOR = SettingKey.AUDIT_ANCHOR
LAST_SYNC = SettingKey.LAST_SYNC
CURSOR = SettingKey.CURSOR
setting = read_setting
PAGE = 2000
# A pull that would take away more than this share of the young people on the laptop is
# refused unless confirmed: it is far more likely a mistake on the central store.
REMOVAL_GUARD = 0.5
REMOVAL_GUARD_MIN = 10


# (what is happening, the share done from 0 to 1 or None when unknown); called on the sync's thread.
SyncProgress = Callable[[str, float | None], None]


class SyncError(StoreError):
    """Sync could not finish; the message says what to do. Nothing local was lost."""


class DeviceWiped(SyncError):
    pass


class SignInNeeded(SyncError):
    """The central store no longer accepts this laptop's sign-in (expired or refused).
    Nothing local is lost; signing in again lets the next sync send everything waiting."""


class _RevokedMeanwhile(SyncError):
    """Seen by a background fetch: the owning thread must do the wipe."""


@dataclass
class SyncReport:
    pushed: int = 0
    accepted: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    removed: int = 0
    open_conflicts: int = 0
    rejections: list[str] = field(default_factory=list)
    set_aside: int = 0  # pulled records this laptop could not apply (kept, tried again)
    not_accepted: int = 0  # refused changes waiting on this laptop for someone to deal with

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _write_setting(store: Store, key: SettingKey, value: str) -> None:
    with store.unit_of_work(record_outbox=False) as uow:
        write_setting(uow.session, key, value)
        uow.mark_changed()  # the sync status shows it
        uow.commit()


class Connection:
    """An HTTP session with the central store for one laptop's caseload."""

    def __init__(
        self, store: Store, *, transport: httpx.BaseTransport | None = None, timeout: float = 60.0
    ) -> None:
        self.store = store
        url = setting(store, SERVER_URL)
        if not url:
            raise SyncError(
                "This laptop is not signed in to a central store; run `keyworker login` first."
            )
        try:
            # An http:// address to another machine, kept by an older version: refused here.
            self.base_url = check_server_address(url)
        except ValueError as error:
            raise SyncError(str(error)) from None
        self.http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout)
        self.access: str | None = None
        self._max_body: int | None = None
        self.owner = threading.get_ident()  # the thread that may close and wipe the store

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, *, retry: bool = True, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.access}"} if self.access else {}
        try:
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except httpx.RemoteProtocolError:
                # The server closed a kept-alive connection as we reused it. Every call is
                # safe to repeat (op ids, cursors, a refresh token kept until its successor
                # is used), so try once more on a fresh connection.
                response = self.http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise SyncError(
                f"The central store at {self.base_url} did not answer ({type(error).__name__}); "
                "your changes are kept and will be sent at the next sync."
            ) from None
        if response.status_code == 403 and _json(response).get("code") == "device_revoked":
            if threading.get_ident() != self.owner:
                raise _RevokedMeanwhile  # the thread that owns the store wipes it
            wipe(self.store)
            raise DeviceWiped(
                "This laptop was revoked by an administrator; its caseload has been wiped."
            )
        if response.status_code == 401 and self.access and path != "/v1/auth/refresh" and retry:
            # The access token ran out during a long sync: refresh it once and carry on.
            self.refresh()
            return self._call(method, path, retry=False, **kwargs)
        if response.status_code == 401:
            detail = str(_json(response).get("detail", "Sign-in refused."))
            raise SignInNeeded(
                detail if "login" in detail else f"{detail} Run `keyworker login` again."
            )
        if response.status_code == 503:
            raise SyncError(
                "The central store is busy; your changes are kept and will be sent at the next "
                "sync."
            )
        if response.status_code >= 400:
            detail = str(_json(response).get("detail", response.status_code)).rstrip(".")
            raise SyncError(f"The central store refused the request: {detail}.")
        return response

    def refresh(self) -> None:
        token = _refresh_token(self.store)
        if token is None:
            raise SignInNeeded("This laptop's sign-in has expired; run `keyworker login` again.")
        body = {"refresh_token": token, "device_id": self.store.device_id}
        tokens = Tokens.model_validate(self._call("POST", "/v1/auth/refresh", json=body).json())
        _keep_refresh_token(self.store, tokens.refresh_token)
        self.access = tokens.access_token

    def max_body_bytes(self) -> int:
        """The largest request the central store takes (it says so in its health answer; an
        older one that does not is taken at the usual 16 MB)."""
        if self._max_body is None:
            body = _json(self._call("GET", "/v1/health"))
            value = body.get("max_body_bytes")
            self._max_body = value if isinstance(value, int) and value > 65536 else 16 * 2**20
        return self._max_body

    def push(self, request: PushRequest) -> PushResponse:
        return PushResponse.model_validate(
            self._call("POST", "/v1/sync/push", json=request.model_dump(mode="json")).json()
        )

    def pull(self, request: PullRequest) -> PullResponse:
        return PullResponse.model_validate(
            self._call("POST", "/v1/sync/pull", json=request.model_dump(mode="json")).json()
        )

    def resolve(self, conflict_id: str, keep: str, text: str | None) -> None:
        self._call(
            "POST",
            f"/v1/conflicts/{conflict_id}/resolve",
            json={"keep": keep, "text": text} if keep == "text" else {"keep": keep},
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
        return body if isinstance(body, dict) else {}
    except ValueError:
        return {}


def _refresh_token(store: Store) -> str | None:
    """The sign-in kept in the OS keyring; a keyring that cannot be used says so (a sentence)."""
    return DeviceSecrets.for_store(store.data_dir).sign_in(store.device_id)


def _keep_refresh_token(store: Store, token: str) -> None:
    DeviceSecrets.for_store(store.data_dir).keep_sign_in(store.device_id, token)


def request_sign_in(
    server: str,
    user: str,
    password: str,
    device_id: str,
    *,
    transport: httpx.BaseTransport | None = None,
) -> Tokens:
    """Sign in as this device, keeping nothing yet: a new laptop's first run signs in before
    its caseload exists, so the account is checked before anything is created."""
    try:
        address = check_server_address(server)
    except ValueError as error:
        raise SyncError(str(error)) from None
    with httpx.Client(base_url=address, transport=transport, timeout=30) as http:
        try:
            response = http.post(
                "/v1/auth/login",
                json={
                    "user": user,
                    "password": password,
                    "device_id": device_id,
                    "device_name": _device_name(),
                },
            )
        except httpx.HTTPError as error:
            raise SyncError(
                f"The central store at {server} did not answer ({type(error).__name__}); "
                "check the address."
            ) from None
    if response.status_code != 200:
        raise SyncError(_json(response).get("detail", f"Sign-in failed ({response.status_code})."))
    return Tokens.model_validate(response.json())


def keep_sign_in(store: Store, server: str, tokens: Tokens) -> None:
    """The refresh token goes to the OS keyring, never to a file; the address and the user to
    the store."""
    _keep_refresh_token(store, tokens.refresh_token)
    with store.unit_of_work(record_outbox=False) as uow:
        write_setting(uow.session, SERVER_URL, server.rstrip("/"))
        write_setting(uow.session, SYNC_USER, tokens.user.user_name)
        write_setting(uow.session, SettingKey.USER_NAME, tokens.user.user_name)
        uow.audit("sync_login", detail={"server": server.rstrip("/")})
        uow.mark_changed()
        uow.commit()
    store.user_name = tokens.user.user_name


def login(
    store: Store,
    server: str,
    user: str,
    password: str,
    *,
    transport: httpx.BaseTransport | None = None,
) -> Tokens:
    """Sign in and keep the sign-in."""
    tokens = request_sign_in(server, user, password, store.device_id, transport=transport)
    keep_sign_in(store, server, tokens)
    return tokens


def _device_name() -> str:
    import platform

    return platform.node()[:200]


def _squash(entries: list[OutboxEntry]) -> list[tuple[PushOp, list[int]]]:
    """One operation per record: later patches win field by field; the base is the version the
    first change started from. The op id is derived from the entries it covers, so a retry of
    the same entries is recognised and a larger set is a new operation."""
    groups: dict[tuple[str, str], list[OutboxEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.record_type, entry.record_id), []).append(entry)
    squashed = []
    for (record_type, record_id), group in groups.items():
        patch: dict[str, Any] = {}
        for entry in group:
            patch.update(entry.patch)
        operations = {e.operation for e in group}
        operation = (
            "insert" if "insert" in operations else ("delete" if patch.get("deleted") else "update")
        )
        op_id = (
            group[0].op_id
            if len(group) == 1
            else "s-" + hashlib.sha256("".join(e.op_id for e in group).encode()).hexdigest()[:40]
        )
        op = PushOp(
            op_id=op_id,
            record_type=record_type,
            record_id=record_id,
            operation=operation,  # type: ignore[arg-type]
            base_version=group[0].base_version,
            patch=patch,
            created_at=group[0].created_at,
        )
        squashed.append((op, [e.seq for e in group]))
    return squashed


def _audit_events(store: Store) -> list[DeviceAuditEvent]:
    sent = int(setting(store, AUDIT_SENT) or 0)
    with store.reading() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq > sent)
            .order_by(AuditEvent.seq)
            .limit(MAX_PUSH_OPS)
        )
        return [
            DeviceAuditEvent(
                seq=e.seq,
                # The exact text the chain hashed (microseconds always written), so the central
                # store's copy can be verified link by link; isoformat() drops a zero fraction.
                occurred_at=e.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
                actor=e.actor,
                action=e.action,
                record_type=e.record_type,
                record_id=e.record_id,
                young_person_id=e.young_person_id,
                detail=e.detail,
                hash=e.hash,
            )
            for e in rows
        ]


def _unreported_set_aside(store: Store) -> list[SetAside]:
    with store.reading() as session:
        return [
            SetAside(
                record_type=item.record_type[:40],
                record_id=item.record_id,
                version=item.version,
                reason=item.reason[:300],
            )
            for item in session.scalars(
                select(SetAsideChange).where(SetAsideChange.reported.is_(False)).limit(MAX_PUSH_OPS)
            )
        ]


def _mark_reported(session: Any, items: list[SetAside]) -> None:
    for item in items:
        session.execute(
            update(SetAsideChange)
            .where(
                SetAsideChange.record_type == item.record_type,
                SetAsideChange.record_id == item.record_id,
            )
            .values(reported=True)
        )


def _fitting(items: list[Any], budget: int) -> tuple[list[Any], int]:
    """The first items whose JSON fits in ``budget`` bytes, and the bytes left."""
    taken: list[Any] = []
    for item in items:
        model = item[0] if isinstance(item, tuple) else item
        size = len(model.model_dump_json()) + 1
        if size > budget:
            break
        taken.append(item)
        budget -= size
    return taken, budget


def push_outbox(store: Store, connection: Connection, report: SyncReport) -> None:
    """Send everything waiting, in requests the central store takes (its body limit, with room
    to spare); drop each entry only once it has an answer. A change too large to send on its
    own is refused here and kept, like a change the central store refused."""
    budget = connection.max_body_bytes() * 9 // 10 - 4096
    while True:
        with store.reading() as session:
            entries = list(
                session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq).limit(MAX_PUSH_OPS))
            )
            remaining = session.scalar(select(func.count()).select_from(OutboxEntry)) or 0
        everything = _squash(entries)
        ops, left = _fitting(everything, budget)
        too_large = everything[0] if everything and not ops else None
        audit, left = _fitting(_audit_events(store), left)
        set_aside, _ = _fitting(_unreported_set_aside(store), left)
        if too_large is not None:
            _keep_too_large(store, too_large, budget, report)
            continue
        if not ops and not audit and not set_aside:
            return
        response = connection.push(
            PushRequest(
                ops=[op for op, _ in ops], audit=audit, set_aside=set_aside, pending=remaining
            )
        )
        answered = {r.op_id: r for r in response.results}
        done: list[int] = []
        refused: list[tuple[PushOp, OpResult]] = []
        for op, seqs in ops:
            result = answered.get(op.op_id)
            if result is None:
                continue  # no answer: keep it for the next push
            done += seqs
            report.pushed += 1
            if result.status == "accepted":
                report.accepted += 1
            elif result.status == "conflict":
                report.conflicts += 1
            else:
                report.rejected += 1
                report.rejections.append(f"{op.record_type} {op.record_id}: {result.reason}")
                refused.append((op, result))
        with store.unit_of_work(record_outbox=False) as uow:
            _drop_from_outbox(uow.session, done)
            # Refused changes leave the outbox but not the laptop: they wait, with the reason,
            # for someone to correct and resend them. A record the user may see is put back as
            # the central store holds it, so the laptop shows what was accepted.
            for op, result in refused:
                keep_refused(uow.session, op, result)
            current = [result.current for _, result in refused if result.current is not None]
            if current:
                uow.apply_remote([as_remote(change) for change in current])
            uow.mark_changed()  # what is waiting to be sent, and what was refused
            if audit:
                write_setting(uow.session, AUDIT_SENT, str(audit[-1].seq))
            if response.anchor is not None:
                write_setting(uow.session, AUDIT_ANCHOR, response.anchor.model_dump_json())
            if set_aside:
                _mark_reported(uow.session, set_aside)
            if refused:
                uow.audit("sync_rejected", detail={"count": len(refused)})
            uow.commit()
        sent_all = len(ops) == len(everything) and len(entries) < MAX_PUSH_OPS
        if sent_all and len(audit) < MAX_PUSH_OPS and len(set_aside) < MAX_PUSH_OPS:
            return
        if not done and not audit and not set_aside:
            return  # nothing was answered: try again at the next sync


def _drop_from_outbox(session: Any, seqs: list[int]) -> None:
    for chunk in range(0, len(seqs), 500):
        session.execute(delete(OutboxEntry).where(OutboxEntry.seq.in_(seqs[chunk : chunk + 500])))


def _keep_too_large(
    store: Store, item: tuple[PushOp, list[int]], budget: int, report: SyncReport
) -> None:
    op, seqs = item
    size = len(op.model_dump_json())
    result = OpResult(
        op_id=op.op_id,
        status="rejected",
        reason=f"this change is too large to send ({size / 2**20:.1f} MB; the central store "
        f"takes up to {budget / 2**20:.1f} MB at a time): shorten it, or export it",
        code="too_large",
    )
    with store.unit_of_work(record_outbox=False) as uow:
        _drop_from_outbox(uow.session, seqs)
        keep_refused(uow.session, op, result)
        uow.audit("sync_rejected", detail={"count": 1, "too_large": True})
        uow.mark_changed()
        uow.commit()
    report.rejected += 1
    report.rejections.append(f"{op.record_type} {op.record_id}: {result.reason}")


def pull_changes(
    store: Store,
    connection: Connection,
    report: SyncReport,
    *,
    allow_large_removal: bool = False,
    progress: SyncProgress | None = None,
) -> None:
    cursor = int(setting(store, CURSOR) or 0)
    with store.reading() as session:
        held = list(session.scalars(select(YoungPerson.id)))
    # While one page is written to the store, the next is already being fetched: the central
    # store and the laptop work at the same time (each page still applies in order, whole).
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-pull")
    try:
        _pull_pages(store, connection, report, cursor, held, ahead, allow_large_removal, progress)
    finally:
        ahead.shutdown(wait=True, cancel_futures=True)


def _pull_pages(
    store: Store,
    connection: Connection,
    report: SyncReport,
    cursor: int,
    held: list[str],
    ahead: ThreadPoolExecutor,
    allow_large_removal: bool,
    progress: SyncProgress | None,
) -> None:
    first = True
    start = cursor
    with store.reading() as session:
        keeping = young_people_with_local_work(session)  # never taken off, whatever a pull says
    page = connection.pull(PullRequest(cursor=cursor, limit=PAGE, held=held))
    while True:
        following = (
            ahead.submit(connection.pull, PullRequest(cursor=page.cursor, limit=PAGE))
            if page.more
            else None
        )
        removing = (
            set(page.removed)
            | {
                c.record_id
                for c in page.changes
                if c.record_type == "young_person" and c.deleted and c.record_id in set(held)
            }
        ) - keeping
        if (
            first
            and not allow_large_removal
            and len(held) >= REMOVAL_GUARD_MIN
            and len(removing) > REMOVAL_GUARD * len(held)
        ):
            raise SyncError(
                f"This sync would take {len(removing)} of the {len(held)} young people off this "
                "laptop, which looks like a mistake on the central store; nothing was changed. "
                "Check with your "
                "administrator, then run `keyworker sync --allow-large-removal` if it is right."
            )
        applied = apply_page(store, page.changes, page.conflicts, page.removed, page.cursor)
        report.pulled += applied.written
        report.set_aside += len(applied.set_aside)
        report.removed += len(page.removed)
        first = False
        if progress:
            span = max(page.latest - start, 1)
            progress(
                f"Receiving changes… {report.pulled:,} records",
                min((page.cursor - start) / span, 1.0) if page.more else 1.0,
            )
        if following is None:
            return
        try:
            page = following.result()
        except _RevokedMeanwhile:
            wipe(store)
            raise DeviceWiped(
                "This laptop was revoked by an administrator; its caseload has been wiped."
            ) from None


def sync(
    store: Store,
    *,
    transport: httpx.BaseTransport | None = None,
    allow_large_removal: bool = False,
    progress: SyncProgress | None = None,
) -> SyncReport:
    """Push pending changes, then pull everything new. Raises SyncError (nothing lost)."""
    report = SyncReport()
    connection = Connection(store, transport=transport)
    try:
        connection.refresh()
        if not setting(store, CURSOR) and _has_outbox(store):
            # A laptop used before signing in: bring the central store's teams and workers first,
            # so its own (from a spreadsheet, say) give way to them before anything is sent.
            pull_changes(store, connection, SyncReport(), allow_large_removal=allow_large_removal)
        if progress:
            progress("Sending changes…", None)
        push_outbox(store, connection, report)
        if progress:
            progress("Receiving changes…", 0.0)
        pull_changes(
            store, connection, report, allow_large_removal=allow_large_removal, progress=progress
        )
        retry_set_aside(store)
        if _unreported_set_aside(store):
            push_outbox(store, connection, SyncReport())  # tell the central store's log
    finally:
        connection.close()
    _write_setting(store, LAST_SYNC, datetime.now(UTC).isoformat())
    report.open_conflicts = len(open_conflicts(store))
    report.not_accepted = len(refused_changes(store))
    return report


def _has_outbox(store: Store) -> bool:
    with store.reading() as session:
        return session.scalars(select(OutboxEntry.seq).limit(1)).first() is not None


def open_conflicts(store: Store) -> list[SyncConflict]:
    with store.reading() as session:
        return list(
            session.scalars(
                select(SyncConflict)
                .where(SyncConflict.status == "open")
                .order_by(SyncConflict.kept_at)
            )
        )


def resolve_conflict(
    store: Store, conflict_id: str, keep: str, *, transport: httpx.BaseTransport | None = None
) -> SyncReport:
    """Settle a conflict on the central store (mine, theirs, or new text), then sync."""
    with store.reading() as session:
        conflict = session.get(SyncConflict, conflict_id)
    if conflict is None:
        raise SyncError(
            f"There is no conflict {conflict_id} on this laptop; see `keyworker conflicts`."
        )
    me = setting(store, SYNC_USER) or store.user_name
    if keep in ("mine", "theirs"):
        if me not in (conflict.kept_by, conflict.other_by) or conflict.kept_by == conflict.other_by:
            raise SyncError(
                f"This conflict is between {conflict.kept_by} and {conflict.other_by}; choose with "
                "--keep kept, --keep other, or give the text to keep."
            )
        mine = "kept" if conflict.kept_by == me else "other"
        choice, text = (mine if keep == "mine" else ("other" if mine == "kept" else "kept")), None
    elif keep in ("kept", "other", "addendum"):
        choice, text = keep, None
    else:
        choice, text = "text", keep
    connection = Connection(store, transport=transport)
    try:
        connection.refresh()
        connection.resolve(conflict_id, choice, text)
    finally:
        connection.close()
    return sync(store, transport=transport)


def wipe(store: Store) -> None:
    """Remove this laptop's caseload entirely (a revoked device): files and keyring secrets."""
    data_dir: Path = store.data_dir
    store.close()
    secrets = DeviceSecrets.for_store(data_dir)
    try:
        from keyworker_app.security.keys import KeyFile

        secrets.delete(KeyFile.read(data_dir).store_id)
    except Exception:  # noqa: BLE001 - wipe what can be wiped
        pass
    with contextlib.suppress(SecurityError):
        secrets.forget_sign_in(store.device_id)
    for path in sorted(data_dir.rglob("*"), reverse=True):
        if path.is_file():
            path.unlink(missing_ok=True)
        elif path.is_dir():
            path.rmdir()


def team_status(
    store: Store, *, transport: httpx.BaseTransport | None = None
) -> list[WorkerStatus]:
    """Each worker in the team: last sync and changes not yet sent (supervisors only)."""
    connection = Connection(store, transport=transport)
    try:
        connection.refresh()
        rows = connection._call("GET", "/v1/team/status").json()
    finally:
        connection.close()
    return [WorkerStatus.model_validate(r) for r in rows]


def audit_anchors(
    store: Store, *, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
) -> list[Anchor]:
    """The heads of this laptop's audit chain the central store received: the one it answered
    the last push with (kept here), and, when it can be reached, the one it holds now. Only the
    central store's own copy holds against someone with this laptop's key."""
    anchors: list[Anchor] = []
    kept = setting(store, AUDIT_ANCHOR)
    if kept:
        last = AuditAnchor.model_validate_json(kept)
        anchors.append(Anchor("last sync", last.seq, last.hash, last.anchored_at))
    if not setting(store, SERVER_URL):
        return anchors
    try:
        connection = Connection(store, transport=transport, timeout=timeout)
        try:
            connection.refresh()
            body = connection._call("GET", "/v1/audit/anchor").json()
        finally:
            connection.close()
    except DeviceWiped:
        raise
    except SyncError as error:
        anchors.append(Anchor("central store", 0, "", problem=_first_clause(str(error))))
        return anchors
    if body:
        now_held = AuditAnchor.model_validate(body)
        anchors.append(Anchor("central store", now_held.seq, now_held.hash, now_held.anchored_at))
    return anchors


def _first_clause(text: str) -> str:
    return text.split(";")[0].rstrip(".")


@dataclass
class SyncState:
    signed_in: bool
    server: str | None
    last_sync: datetime | None
    pending: int
    open_conflicts: int
    not_accepted: int = 0  # refused changes waiting here (keyworker refused)


def sync_state(store: Store) -> SyncState:
    """What the status indicator shows."""
    with store.reading() as session:
        pending = session.scalar(select(func.count()).select_from(OutboxEntry)) or 0
        conflicts = (
            session.scalar(
                select(func.count()).select_from(SyncConflict).where(SyncConflict.status == "open")
            )
            or 0
        )
        refused = session.scalar(select(func.count()).select_from(RefusedChange)) or 0
    server = setting(store, SERVER_URL)
    last = setting(store, LAST_SYNC)
    return SyncState(
        bool(server),
        server,
        datetime.fromisoformat(last) if last else None,
        pending,
        conflicts,
        refused,
    )
