"""What the central store answers and logs when it fails: every 5xx, and every "busy", is logged
on ``keyworker.server`` with its cause, and never with a name or a note.

A log line holds the request's method and route (the template, ``/v1/conflicts/{conflict_id}/
resolve``, not the ids), the exception's class, and a cause that cannot quote a record: for
database errors the driver's error code and the first line of its message with anything in
quotes hidden (the engine's ``hide_parameters`` keeps values out of it already); for anything
else the code locations it passed through, never its message, which may hold case data.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("keyworker.server")

BUSY = "The central store is busy; try again in a moment."
DISK_FULL = (
    "The central store's disk is full, so nothing was saved; your changes are kept, and the "
    "central store's IT team must free space on it."
)
DISK_TROUBLE = (
    "The central store could not read or write its disk, so nothing was saved; your changes "
    "are kept, and it has been logged for IT."
)
UNEXPECTED = "The central store hit an unexpected problem; it has been logged."

_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_SQLITE_FULL, _SQLITE_IOERR = 13, 10  # primary result codes (the low byte of extended ones)


@dataclass(frozen=True)
class DatabaseCause:
    """A database error as it may be logged: a code and one line that quote no data."""

    kind: str  # "disk_full", "disk" (read or write failed) or "busy"
    code: str  # the driver's: SQLITE_FULL, a PostgreSQL SQLSTATE such as 53100, or ""
    text: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.text}" if self.code else self.text


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    # Names of files or objects in quotes are not needed to act, and a value could be one.
    return _QUOTED.sub('"…"', line.split(" (Background on this error")[0])[:200]


def database_cause(error: BaseException) -> DatabaseCause:
    """Why the database refused, from the driver's code first and its message second."""
    driver = error.orig if isinstance(error, DBAPIError) else None
    text = _first_line(str(driver if driver is not None else error))
    sqlite_code = getattr(driver, "sqlite_errorcode", None)
    sqlstate = getattr(driver, "sqlstate", None)
    code = getattr(driver, "sqlite_errorname", None) or sqlstate or ""
    lowered = text.lower()
    if (
        (isinstance(sqlite_code, int) and sqlite_code & 0xFF == _SQLITE_FULL)
        or sqlstate == "53100"  # PostgreSQL's disk_full
        or "database or disk is full" in lowered
        or "no space left on device" in lowered
    ):
        return DatabaseCause("disk_full", code, text)
    if (
        (isinstance(sqlite_code, int) and sqlite_code & 0xFF == _SQLITE_IOERR)
        or (isinstance(sqlstate, str) and sqlstate.startswith("58"))  # system or I/O errors
        or "disk i/o error" in lowered
    ):
        return DatabaseCause("disk", code, text)
    return DatabaseCause("busy", code, text)


def route_of(scope: Scope) -> str:
    """The route's template when routing found one, else the raw path (shortened)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else repr(str(scope.get("path", "?"))[:100])


def code_locations(error: BaseException, frames: int = 4) -> str:
    """Where ``error`` was raised, innermost first: file, line and function, no values."""
    found = traceback.extract_tb(error.__traceback__)[-frames:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(found))


def _chain(error: BaseException) -> str:
    """The classes (and database codes) of the exceptions that led to ``error``."""
    names: list[str] = []
    seen: BaseException | None = error.__cause__ or error.__context__
    while seen is not None and len(names) < 3:
        code = database_cause(seen).code if isinstance(seen, DBAPIError) else ""
        names.append(type(seen).__name__ + (f" [{code}]" if code else ""))
        seen = seen.__cause__ or seen.__context__
    return f", after {' < '.join(names)}" if names else ""


def database_problem(request: Request, error: Exception) -> JSONResponse:
    """The answer to a database error, logged with its cause. Nothing was committed, so the
    laptop keeps its changes: a full disk says so (507); a failed read or write is a 500; a
    lock wait, a lost connection or no free connection is "busy" (503, try again)."""
    cause = database_cause(error)
    where = f"{request.method} {route_of(request.scope)}"
    name = type(error).__name__
    if cause.kind == "disk_full":
        log.error("%s answered 507: the database's disk is full (%s %s)", where, name, cause)
        return JSONResponse({"detail": DISK_FULL}, status_code=507)
    if cause.kind == "disk":
        log.error("%s answered 500: the database's disk failed (%s %s)", where, name, cause)
        return JSONResponse({"detail": DISK_TROUBLE}, status_code=500)
    log.warning("%s answered 503 busy: %s %s", where, name, cause)
    return JSONResponse({"detail": BUSY}, status_code=503, headers={"Retry-After": "5"})


class UnexpectedErrors:
    """Pure ASGI middleware: an exception no handler took is logged (class, code locations,
    never its message) and answered 500 with one sentence. It is not raised on, so the server's
    own error log, which prints messages, never sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:  # noqa: BLE001 - the point: every exception, logged safely
            log.error(
                "%s %s answered 500: unexpected %s at %s%s",
                scope.get("method", "?"),
                route_of(scope),
                type(error).__name__,
                code_locations(error),
                _chain(error),
            )
            if started:
                return  # the answer is under way; the server ends the connection
            body = json.dumps({"detail": UNEXPECTED}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


def log_to_stderr() -> None:
    """Send ``keyworker.server``'s lines to standard error with their time and level, for a
    service manager's journal (uvicorn configures only its own loggers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
