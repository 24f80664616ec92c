"""Shared fixtures: a migrated database per backend, and a session per test
that rolls back, so tests never see each other's rows.

Integration tests that take `session` run on SQLite always and on PostgreSQL
too when TEST_DATABASE_URL is set (each run in a throw-away schema).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

# Cheap hashes for tests; production uses 12 rounds.
os.environ.setdefault("STRIDE_BCRYPT_ROUNDS", "4")

from db.engine import make_engine, normalise_url
from db.migrate import upgrade_to_head

BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalise_url(url) if url else None


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not postgres_url():
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        built = make_engine(f"sqlite:///{path}")
        upgrade_to_head(built)
        yield built
        built.dispose()
        return
    url = postgres_url()
    assert url is not None
    schema = f"stride_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    built = make_engine(url, schema=schema)
    try:
        upgrade_to_head(built)
        yield built
    finally:
        built.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back afterwards;
    services may commit freely (their commits become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield db_session
    finally:
        db_session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def committing_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of this test's own whose commits are real, for
    tests where several threads must see each other's writes."""
    if backend == "sqlite":
        built = make_engine(f"sqlite:///{tmp_path / 'committing.db'}")
        upgrade_to_head(built)
        yield built
        built.dispose()
        return
    url = postgres_url()
    assert url is not None
    schema = f"stride_commit_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    built = make_engine(url, schema=schema)
    try:
        upgrade_to_head(built)
        yield built
    finally:
        built.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
