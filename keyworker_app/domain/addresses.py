"""The central store's address as a laptop may use it: https://, or plain http:// only to this
computer (a store run for a demo or a test), so case records never cross a network in clear.

Standard library only: the organisation's settings check addresses with the same rule
without importing the sync client."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

HTTPS_ONLY = (
    "The central store's address must start with https:// (plain http:// is allowed only to "
    "this computer); ask IT for the https address."
)
NOT_AN_ADDRESS = (
    "The central store's address must be like https://keyworker.example.gov.uk, with no "
    "spaces, user name, ? or #; ask IT for the address."
)


def is_this_computer(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: a connection that never leaves the machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_server_address(url: str) -> str:
    """``url`` without a trailing slash, scheme and host in lower case; raises ValueError with
    one sentence when it is not https:// (or http:// to this computer) or not a plain address.

    User names, backslashes, spaces, queries and fragments are refused, so this check and the
    HTTP client can never read a different host out of the same text."""
    text = url.strip()
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in text):
        raise ValueError(NOT_AN_ADDRESS)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(NOT_AN_ADDRESS) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not text.lower().startswith(f"{scheme}://"):
        raise ValueError(HTTPS_ONLY)
    if not parts.hostname or "@" in parts.netloc or parts.query or parts.fragment:
        raise ValueError(NOT_AN_ADDRESS)
    if scheme == "http" and not is_this_computer(parts.hostname):
        raise ValueError(HTTPS_ONLY)
    return f"{scheme}://{parts.netloc.lower()}{parts.path}".rstrip("/")
