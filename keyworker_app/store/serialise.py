"""Column values to and from JSON, for outbox patches, exports and sync."""

from __future__ import annotations

import functools
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import inspect as sa_inspect

from keyworker_app.store.models import BOOKKEEPING_FIELDS, Syncable
from keyworker_app.store.types import Code, Day, UTCDateTime


def to_json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def from_json_value(model: type[Syncable], field: str, value: Any) -> Any:
    """The Python value for ``field`` of ``model`` from its JSON form."""
    if value is None:
        return None
    column_type = model.__table__.c[field].type
    if isinstance(column_type, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Day):
        return date.fromisoformat(value)
    if isinstance(column_type, Code):
        return column_type.enum(value)
    return value


@functools.cache
def content_fields(model: type[Syncable]) -> list[str]:
    """The columns a patch carries: everything but the bookkeeping."""
    return [c.key for c in model.__table__.columns if c.key not in BOOKKEEPING_FIELDS]


def record_as_dict(record: Syncable, *, with_bookkeeping: bool = True) -> dict[str, Any]:
    mapper = sa_inspect(type(record))
    return {
        attr.key: to_json_value(getattr(record, attr.key))
        for attr in mapper.column_attrs
        if with_bookkeeping or attr.key not in BOOKKEEPING_FIELDS
    }
