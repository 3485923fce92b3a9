"""The store's own facts, each under one key: who and what this laptop is, and where its sync
stands. One owner for all of them, so a key is never spelled two ways. (Organisation settings,
which IT deploys, are another thing: keyworker_app/organisation.py.)"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from keyworker_app.store.models import StoreSetting, table_of

if TYPE_CHECKING:
    from keyworker_app.store.caseload_store import Store


class SettingKey(StrEnum):
    DEVICE_ID = "device_id"  # the id this laptop signs in to the central store with
    USER_NAME = "user_name"  # who writes here: authors, audit events
    CREATED_AT = "created_at"
    SERVER_URL = "sync_server"  # the central store this laptop syncs with
    SYNC_USER = "sync_user"  # the account it signed in as
    CURSOR = "sync_cursor"  # the last change number pulled
    LAST_SYNC = "sync_last"
    AUDIT_SENT = "sync_audit_sent"  # the last audit event pushed
    AUDIT_ANCHOR = "sync_audit_anchor"  # the chain's head as the central store holds it


def read_setting(store: Store, key: SettingKey) -> str | None:
    with store.reading() as session:
        row = session.get(StoreSetting, key.value)
        return row.value if row else None


def write_setting(session: Session, key: SettingKey, value: str) -> None:
    """Set ``key`` inside a unit of work's session (committed with it)."""
    if session.get(StoreSetting, key.value) is None:
        session.execute(table_of(StoreSetting).insert(), {"key": key.value, "value": value})
    else:
        session.execute(
            update(StoreSetting).where(StoreSetting.key == key.value).values(value=value)
        )


def all_settings(session: Session) -> dict[str, str]:
    return {row.key: row.value for row in session.scalars(select(StoreSetting))}
