"""A laptop speaks to its central store over https://, or plain http:// only to this computer:
at sign-in, and at every sync, even when an older version kept an http:// address."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from keyworker_app.domain.addresses import HTTPS_ONLY, check_server_address
from keyworker_app.sync.client import (
    SERVER_URL,
    SyncError,
    _write_setting,
    login,
    request_sign_in,
    sync,
)
from tests.sync.conftest import PASSWORD, Laptop, add_people

# The real client and the real central store (FastAPI's test transport); one backend is enough.
ON_SQLITE = pytest.mark.parametrize("central", ["sqlite"], indirect=True)

REMOTE_HTTP = [
    "http://central.test",
    "http://keyworker.example.gov.uk:8765/",
    "http://10.0.0.5:8765",
    "http://127.0.0.1.central.test",
    "http://localhost.central.test",
    "HTTP://CENTRAL.TEST",
    "central.test",
    "ftp://central.test",
]
THIS_COMPUTER = [
    "http://127.0.0.1:8765",
    "http://127.3.4.5:8765/",
    "http://localhost:8765",
    "http://LOCALHOST",
    "http://[::1]:8765",
]


class Counting(httpx.BaseTransport):
    """The test transport, counting the requests that reach it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.requests = inner, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return self.inner.handle_request(request)


@pytest.fixture
def worker(central: object, laptop: Callable[[str], Laptop]) -> Laptop:
    add_people(central, ("kwa1", "keyworker", "A"))  # type: ignore[arg-type]
    return laptop("kwa1")


@ON_SQLITE
@pytest.mark.parametrize("address", REMOTE_HTTP)
def test_http_to_another_machine_is_refused_at_sign_in_before_anything_is_sent(
    worker: Laptop, address: str
) -> None:
    transport = Counting(worker.transport)
    with pytest.raises(SyncError) as refused:
        request_sign_in(address, "kwa1", PASSWORD, "device-2", transport=transport)
    assert str(refused.value) == HTTPS_ONLY
    assert transport.requests == 0


@ON_SQLITE
@pytest.mark.parametrize(
    "address", ["http://user@127.0.0.1", "http://central.test\\@127.0.0.1", "https://x/?a=1"]
)
def test_an_address_two_readers_could_read_differently_is_refused(
    worker: Laptop, address: str
) -> None:
    transport = Counting(worker.transport)
    with pytest.raises(SyncError, match="no spaces, user name"):
        request_sign_in(address, "kwa1", PASSWORD, "device-2", transport=transport)
    assert transport.requests == 0


@ON_SQLITE
@pytest.mark.parametrize("address", THIS_COMPUTER)
def test_http_to_this_computer_signs_in_and_syncs(worker: Laptop, address: str) -> None:
    tokens = login(worker.store, address, "kwa1", PASSWORD, transport=worker.transport)
    assert tokens.user.user_name == "kwa1"
    assert sync(worker.store, transport=worker.transport).pushed >= 0


@ON_SQLITE
def test_a_kept_http_address_to_another_machine_refuses_to_sync(worker: Laptop) -> None:
    assert sync(worker.store, transport=worker.transport) is not None  # https works
    _write_setting(worker.store, SERVER_URL, "http://central.test")  # as an older version kept
    transport = Counting(worker.transport)
    with pytest.raises(SyncError) as refused:
        sync(worker.store, transport=transport)
    assert str(refused.value) == HTTPS_ONLY
    assert transport.requests == 0


def test_addresses_are_kept_in_one_form() -> None:
    assert check_server_address(" https://Keyworker.Example.gov.uk/ ") == (
        "https://keyworker.example.gov.uk"
    )
    assert check_server_address("https://host:8443/keyworker/") == "https://host:8443/keyworker"
    assert check_server_address("HTTP://[::1]:8765/") == "http://[::1]:8765"
