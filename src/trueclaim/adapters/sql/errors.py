"""Translate driver errors into ours, keeping the cause (style.md §4)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)

from trueclaim.adapters.errors import StorageError
from trueclaim.domain.errors import Conflict, ValidationFailed

# Every driver error we expect, and what it becomes (tests check the table is complete).
ERROR_MAP: tuple[tuple[type[Exception], type[Exception], str], ...] = (
    (IntegrityError, Conflict, "conflicts with stored data (duplicate or missing reference)"),
    (
        OperationalError,
        StorageError,
        "the database is unreachable or busy; check TRUECLAIM_DATABASE_URL",
    ),
    # A value the database cannot store (too long for its column, a NUL character in text):
    # the caller's input, so a 422, not a 503 that invites retrying the same request.
    (
        DataError,
        ValidationFailed,
        "a value does not fit the database (too long, or a NUL character in text)",
    ),
    (DBAPIError, StorageError, "the database driver failed"),
    (SQLAlchemyError, StorageError, "the database layer failed"),
)


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Raise Conflict / ValidationFailed / StorageError (with the driver error as cause)
    instead of driver errors."""
    try:
        yield
    except SQLAlchemyError as exc:
        for driver_type, ours, why in ERROR_MAP:
            if isinstance(exc, driver_type):
                raise ours(f"{what}: {why} ({type(_driver_error(exc)).__name__}).") from exc
        raise  # pragma: no cover - SQLAlchemyError is in the map


def _driver_error(exc: SQLAlchemyError) -> BaseException:
    """The DBAPI driver's own error when there is one, else ``exc``."""
    return exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
