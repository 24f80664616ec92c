"""Engine and session plumbing shared by the app, the seeders and the tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("STRIDE_DATA_DIR", PROJECT_ROOT / "data"))
DEFAULT_SQLITE_URL = f"sqlite:///{DATA_DIR / 'stride.db'}"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def resolve_database_url(secrets: Mapping[str, Any] | None = None) -> str:
    """DATABASE_URL wins, then `[database] url` in secrets, then a local SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if not url and secrets is not None:
        database = secrets.get("database")
        if isinstance(database, Mapping):
            url = database.get("url")
    return normalise_url(url or DEFAULT_SQLITE_URL)


def normalise_url(url: str) -> str:
    """Hosted PostgreSQL providers hand out postgres:// URLs; we drive psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> Engine:
    """Build an engine with the pragmas and pool settings each backend needs.

    `schema` pins PostgreSQL's search_path, which lets the test-suite run in a
    throw-away schema of a shared database.
    """
    url = normalise_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    return create_engine(
        url,
        echo=echo,
        connect_args=connect_args,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINTs; we issue
        # BEGIN ourselves (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")
