"""The audit trail's hash chain: each event's hash covers its content and the previous hash, so
changing, removing or reordering any past event breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditLink:
    seq: int
    occurred_at: str
    actor: str
    device_id: str
    action: str
    record_type: str | None
    record_id: str | None
    young_person_id: str | None
    detail: dict[str, Any]
    prev_hash: str


def link_hash(link: AuditLink) -> str:
    body = json.dumps(
        [
            link.seq,
            link.occurred_at,
            link.actor,
            link.device_id,
            link.action,
            link.record_type,
            link.record_id,
            link.young_person_id,
            link.detail,
            link.prev_hash,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(links: Iterable[tuple[AuditLink, str]]) -> ChainBreak | None:
    """The first place the chain does not hold, or None. ``links`` come in sequence order with
    the hash stored beside each."""
    previous = GENESIS
    expected_seq: int | None = None
    for link, stored_hash in links:
        if expected_seq is not None and link.seq != expected_seq:
            return ChainBreak(link.seq, f"event {expected_seq} is missing")
        if link.prev_hash != previous:
            return ChainBreak(link.seq, "it does not follow the event before it")
        if link_hash(link) != stored_hash:
            return ChainBreak(link.seq, "its content no longer matches its hash")
        previous = stored_hash
        expected_seq = link.seq + 1
    return None
