"""What every table shares: the constraint naming convention, optimistic locking and UTC time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import declared_attr
from sqlmodel import SQLModel

# A naming convention makes constraint names stable across SQLite and
# PostgreSQL, which Alembic's batch mode needs to alter SQLite tables.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Versioned:
    """Optimistic locking for a table with a `version` column: every ORM
    UPDATE and DELETE of a row says `WHERE version = <the version loaded>`,
    moves it to the next version and raises StaleDataError when no row
    matched, so two saves of the same version cannot both win. Never set
    `version` by hand; compare it with the version the user opened (see
    core.versioning) and let the flush do the rest."""

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - declared_attr passes the class
        # The column exists only once SQLModel has built the table, which
        # declarative does before it reads the mapper arguments.
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime stores it alike on SQLite and PostgreSQL."""
    return datetime.now(UTC)
