"""A misbehaving network on loopback, between real laptops and a real central store process.

Why: sync promises that a lost, repeated or late answer loses nothing, because an outbox entry
is dropped only once answered and the central store applies each op id once. The in-process
fault transport of tests/sync/test_convergence.py checks the client's logic; this proxy puts
real TCP, real timing and a real ``keyworker-server serve`` process (which a drill may kill)
in the way, so what is checked is what a laptop on a bad connection would see.

Each request is read whole (HTTP/1.1 with Content-Length, as httpx sends JSON), and a seeded
``random.Random`` picks what happens to it (see ``Fault``). Every connection carries one
request: the proxy asks the server for ``Connection: close`` and closes the laptop's connection
after answering, so no state is kept between requests.
"""

from __future__ import annotations

import contextlib
import random
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import TracebackType

HEAD_END = b"\r\n\r\n"
MAX_HEAD = 64 * 1024


class Fault(StrEnum):
    PASS = "pass"  # forwarded and answered normally
    DELAY = "delay"  # held back before reaching the server and again before the answer
    DROP = "drop"  # forwarded (so applied), then the connection closed without an answer
    RESET = "reset"  # forwarded (so applied), then the connection reset without an answer
    # Forwarded twice, one after the other, and answered with the first answer: the store has
    # moved on from what the laptop was told (a retry's answer is DROP's, retried by httpx).
    DUPLICATE = "duplicate"
    REFUSE = "refuse"  # reset before anything reaches the server


# Half the requests misbehave, each way as often as another.
DEFAULT_WEIGHTS: Mapping[Fault, float] = {
    Fault.PASS: 5,
    Fault.DELAY: 1,
    Fault.DROP: 1,
    Fault.RESET: 1,
    Fault.DUPLICATE: 1,
    Fault.REFUSE: 1,
}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: FaultProxy


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.proxy._handle(self.request)


class FaultProxy:
    """Listens on 127.0.0.1 (``address``) and forwards to ``127.0.0.1:upstream_port``.

    ``faulty`` switches the faults on and off; ``upstream_port`` may be changed at any time
    (a restarted server); ``on_forward(path)`` is called each time a request has been handed
    to the server, before its answer is read (a drill kills the server from there).
    ``queue(path, *faults)`` makes the next requests for ``path`` meet those faults, before any
    chosen at random, so a drill can be sure each kind happened. ``tally`` counts (path, fault)
    for every request seen.
    """

    def __init__(
        self,
        upstream_port: int,
        *,
        seed: int,
        weights: Mapping[Fault, float] = DEFAULT_WEIGHTS,
        delay: tuple[float, float] = (0.05, 0.5),
        faulty: bool = True,
    ) -> None:
        self.upstream_port = upstream_port
        self.faulty = faulty
        self.on_forward: Callable[[str], None] | None = None
        self.tally: Counter[tuple[str, Fault]] = Counter()
        self._queued: dict[str, list[Fault]] = {}
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._faults = list(weights)
        self._weights = [weights[f] for f in self._faults]
        self._delay = delay
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self.port: int = self._server.server_address[1]
        self.address = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fault-proxy", daemon=True
        )

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def queue(self, path: str, *faults: Fault) -> None:
        with self._lock:
            self._queued.setdefault(path, []).extend(faults)

    def _plan(self, path: str) -> tuple[Fault, float]:
        """The fault for this request, and how long a delay lasts."""
        with self._lock:
            queued = self._queued.get(path)
            if not self.faulty:
                fault = Fault.PASS
            elif queued:
                fault = queued.pop(0)
            else:
                fault = self._random.choices(self._faults, self._weights)[0]
            delay = self._random.uniform(*self._delay)
            self.tally[(path, fault)] += 1
        return fault, delay

    def _handle(self, client: socket.socket) -> None:
        request = _read_request(client)
        if request is None:
            return
        raw, path = request
        fault, delay = self._plan(path)
        if fault is Fault.REFUSE:
            _reset(client)
            return
        if fault is Fault.DELAY:
            time.sleep(delay / 2)
        try:
            answer = self._forward(raw, path)
            if fault is Fault.DUPLICATE:
                self._forward(raw, path)
        except OSError:
            _reset(client)  # the server is down or died while answering: so is the network
            return
        if fault is Fault.DROP:
            client.close()
            return
        if fault is Fault.RESET:
            _reset(client)
            return
        if fault is Fault.DELAY:
            time.sleep(delay / 2)
        try:
            client.sendall(answer)
        except OSError:
            pass  # the laptop gave up waiting
        finally:
            client.close()

    def _forward(self, raw: bytes, path: str) -> bytes:
        """Send one request to the server on a fresh connection; its whole answer, or OSError."""
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=120) as upstream:
            upstream.sendall(raw)
            if self.on_forward is not None:
                self.on_forward(path)
            chunks = []
            while chunk := upstream.recv(65536):
                chunks.append(chunk)
        answer = b"".join(chunks)
        if not _complete(answer):
            raise ConnectionResetError("the server went away in the middle of its answer")
        return answer


def _read_request(client: socket.socket) -> tuple[bytes, str] | None:
    """One whole request, rewritten to ask for ``Connection: close``; None if the laptop left."""
    client.settimeout(120)
    data = b""
    try:
        while HEAD_END not in data:
            chunk = client.recv(65536)
            if not chunk or len(data) > MAX_HEAD:
                return None
            data += chunk
        head, _, body = data.partition(HEAD_END)
        lines = head.decode("latin-1").split("\r\n")
        headers = [line for line in lines[1:] if not line.lower().startswith("connection:")]
        length = next(
            (int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")),
            0,
        )
        while len(body) < length:
            chunk = client.recv(65536)
            if not chunk:
                return None
            body += chunk
    except OSError:
        return None
    path = lines[0].split(" ")[1] if lines[0].count(" ") >= 2 else "?"
    rewritten = "\r\n".join([lines[0], *headers, "Connection: close"]).encode("latin-1")
    return rewritten + HEAD_END + body, path


def _complete(answer: bytes) -> bool:
    head, found, body = answer.partition(HEAD_END)
    if not found or not head.startswith(b"HTTP/1."):
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True  # no length given: the server closing the connection ended it


def _reset(client: socket.socket) -> None:
    """Close with a TCP reset rather than an orderly close, as a failing network does."""
    with contextlib.suppress(OSError):
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()
