"""Errors as the user reads them: our own errors already say what to do; anything else gets a
plain sentence without internals."""

from __future__ import annotations

from keyworker_app.security import SecurityError
from keyworker_app.store.engine import StoreError


def friendly(error: BaseException) -> str:
    if isinstance(error, StoreError | SecurityError | ValueError):
        return str(error)
    return f"Something went wrong ({type(error).__name__}); nothing was half-written. Try again."
