"""Domain errors that pages show with st.error; their message is for people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BUSY_MESSAGE = "The database is busy — please try again; your input is kept."


class StrideError(Exception):
    """Base for every error a page may show to the user as it is."""


class NotFound(StrideError):
    pass


class PermissionDenied(StrideError):
    """Raised after an AuditEvent for the refusal has been prepared.

    `audit` carries that event's fields so that `unit_of_work` can write it
    after rolling back the rest of the refused action.
    """

    def __init__(self, message: str, *, audit: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.audit = audit or {}


@dataclass
class RowError:
    row: int | str
    column: str
    message: str


class ValidationError(StrideError):
    """Bad input. `rows` lists row-level problems of a grid or file, if any."""

    def __init__(self, message: str, *, rows: list[RowError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rows = rows or []


class StaleEdit(StrideError):
    """Someone else saved the same record after it was read."""


class AuthError(StrideError):
    """A login, session or account problem; the message never says which part."""


class ConfigError(StrideError):
    """The deployment is misconfigured; the app refuses to start."""


class Busy(StrideError):
    """Other people's saves held the database for longer than we wait; the
    action was rolled back as a whole, so trying again is safe."""

    def __init__(self, message: str = BUSY_MESSAGE) -> None:
        super().__init__(message)
