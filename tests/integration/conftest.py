"""A database of its own for tests whose threads must see each other's commits
(the shared `session` fixture rolls everything back and is one connection)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine

from core.snapshots import wait_for_writes
from seed.bench_concurrency import fresh_postgres, fresh_sqlite
from tests.conftest import postgres_url


@contextmanager
def own_database(backend: str) -> Iterator[Engine]:
    """A fresh, migrated SQLite file or PostgreSQL schema, dropped afterwards
    (once the snapshots being written in the background are written)."""
    if backend == "sqlite":
        with fresh_sqlite() as engine:
            yield engine
            wait_for_writes()
        return
    url = postgres_url()
    assert url is not None
    with fresh_postgres(url) as engine:
        yield engine
        wait_for_writes()


@pytest.fixture
def committing_engine(backend: str) -> Iterator[Engine]:
    with own_database(backend) as engine:
        yield engine
