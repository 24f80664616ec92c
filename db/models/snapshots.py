"""Derived figures kept in the database so a process that starts, or another
replica, reads them instead of computing them again (core/snapshots.py).

A row is a cache, never a source: `stamp` says what data (and which code) it
was computed from, and a reader that finds a different stamp, or a payload
it cannot decode, computes the figures itself. Deleting every row is always
safe.
"""

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from db.models.base import utcnow


class ComputedSnapshot(SQLModel, table=True):
    __tablename__ = "computed_snapshot"

    key: str = Field(primary_key=True, max_length=120)
    stamp: str = Field(sa_column=Column(Text, nullable=False))
    computed_at: datetime = Field(default_factory=utcnow)
    # zlib-compressed JSON (core.snapshots.pack); never pickled.
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
