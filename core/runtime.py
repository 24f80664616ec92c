"""The process-wide database handle and the unit of work pages use.

The engine is built once per database URL; each user action opens its own
session through `unit_of_work()`, commits on success and rolls back on error.
A refusal (`PermissionDenied`) rolls the action back but keeps its audit row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlmodel import Session

from core.errors import PermissionDenied
from db.engine import make_engine
from db.migrate import upgrade_to_head
from db.models import AuditEvent

log = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}
_current: Engine | None = None
_lock = threading.Lock()


def start(database_url: str, *, seed_demo: bool) -> Engine:
    """Build the engine, migrate, and seed the demo organisation into an empty
    database. Safe to call again with the same URL (it reuses the engine)."""
    global _current
    with _lock:
        engine = _engines.get(database_url)
        if engine is None:
            engine = make_engine(database_url)
            upgrade_to_head(engine)
            if seed_demo:
                from seed.demo import seed_demo_if_empty

                seed_demo_if_empty(engine)
            _engines[database_url] = engine
        _current = engine
        return engine


def use_engine(engine: Engine) -> None:
    global _current
    _current = engine


def current_engine() -> Engine:
    if _current is None:
        raise RuntimeError("core.runtime.start() has not been called")
    return _current


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    with Session(engine or current_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except PermissionDenied as denied:
            session.rollback()
            if denied.audit:
                session.add(AuditEvent(**denied.audit))
                session.commit()
            raise
        except BaseException:
            session.rollback()
            raise
