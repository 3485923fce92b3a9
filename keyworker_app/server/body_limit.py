"""Request bodies are limited before they are read: anyone who can reach the central store,
signed in or not, could otherwise make it hold a body of any size in memory (100 MB cost
about 550 MB).

A pure ASGI middleware, so it sees the body as it arrives: a declared Content-Length over the
limit is answered 413 without reading a byte, and a chunked body is cut off as soon as what
has arrived passes the limit. The rest is never buffered; the server (uvicorn) discards it as
it comes, so an honest client still reads the 413 once it has sent its request.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
MEGABYTE = 1024 * 1024

log = logging.getLogger("keyworker.server")


def describe_size(size: int) -> str:
    return f"{size // MEGABYTE} MB" if size % MEGABYTE == 0 else f"{size:,} bytes"


def too_large(limit: int) -> str:
    return (
        f"The request is larger than the central store accepts ({describe_size(limit)}); "
        "send less at a time."
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


class BodyLimit:
    """Answers 413 ``{"detail": sentence}`` to a request whose body passes ``max_body_bytes``."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be at least 1")
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._refuse(scope, send, declared)
            return
        received = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, send, None)
                    # The app is told the client left, so it stops reading and answers no one.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # Only the app's complaint that the client left, after the 413 went out.

    async def _refuse(self, scope: Scope, send: Send, declared: int | None) -> None:
        size = f"{declared:,} bytes" if declared is not None else "a chunked body"
        log.warning(
            "%s %.100r answered 413: %s over the limit of %s bytes",
            scope.get("method", "?"),
            scope.get("path", "?"),
            size,
            f"{self.max_body_bytes:,}",
        )
        body = json.dumps({"detail": too_large(self.max_body_bytes)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
