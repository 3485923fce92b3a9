"""Request bodies the central store can keep and hand back exactly, or a 422 saying why not.

Python's JSON reader accepts things no store round-trips, so they are refused before any
endpoint sees them:

- ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON at all), and numbers such as ``1e400`` that
  only fit a float as infinity: SQLite kept them, but every pull then sent ``null`` instead, and
  PostgreSQL refuses them with a server error.
- Lone UTF-16 surrogates (``"\\ud800"``, or the same as raw bytes): they were stored, but no answer
  holding them can be encoded as UTF-8, so every pull of the team's change feed failed with a 500
  from then on, and a laptop could not store them either.

Whole numbers too big for a laptop's integer columns are refused by the protocol's own schema
(``PatchValue``), which says so in the OpenAPI document.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute


def _refuse(kind: str, message: str) -> HTTPException:
    # The shape of FastAPI's own 422 (HTTPValidationError), so clients read it the same way.
    return HTTPException(422, [{"type": kind, "loc": ["body"], "msg": message, "input": None}])


def _refuse_constant(name: str) -> Any:
    raise _refuse("finite_number", f"{name} is not a JSON number; send a number or null")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _refuse("finite_number", f"{text[:40]} is too large a number to store")
    return value


def _refuse_surrogates(value: Any) -> None:
    """Raise a 422 if any key or string in ``value`` holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise _refuse(
                    "unicode_text",
                    "text holds a lone surrogate, which is not valid Unicode; send UTF-8 text",
                ) from None


def strict_loads(body: bytes) -> Any:
    """``json.loads`` that refuses non-finite numbers and lone surrogates with a 422."""
    value = json.loads(body, parse_constant=_refuse_constant, parse_float=_float)
    _refuse_surrogates(value)
    return value


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is read with ``strict_loads``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
