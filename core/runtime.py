"""The process-wide database handle and the unit of work pages use.

The engine is built once per database URL; each user action opens its own
session through `unit_of_work()`, commits on success and rolls back on error.
A refusal (`PermissionDenied`) rolls the action back but keeps its audit row.
A database too busy to take the action in time becomes `Busy`, which pages
show like any other domain error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from core.errors import Busy, PermissionDenied
from db.engine import DEFAULT_SQLITE_URL, READ_ONLY, is_contention, make_engine, normalise_url
from db.migrate import upgrade_to_head
from db.models import AuditEvent

log = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}
_current: Engine | None = None
_lock = threading.Lock()


def start(database_url: str, *, seed_demo: bool, warm: bool = False) -> Engine:
    """Build the engine, migrate, and seed the demo organisation into an empty
    database. Safe to call again with the same URL (it reuses the engine).
    With `warm` (a real server, not a test or a command), the current goal
    cycle is measured in the background once the first page had time to
    paint (`warm_caches`)."""
    global _current
    with _lock:
        engine = _engines.get(database_url)
        if engine is None:
            engine = make_engine(database_url)
            upgrade_to_head(engine)
            # Survey answers are tagged with the experiment arm of whoever answers.
            import core.experiments.pulse  # noqa: F401

            if seed_demo and _demo_loaded(engine):
                # Only steps added by later features can be missing: run them
                # beside the first page instead of before it. Importing every
                # seed module (and with them pandas, openpyxl, the services)
                # made the first page after a server start take seconds.
                threading.Thread(
                    target=_seed_demo_steps, args=(engine,), name="stride-demo-steps", daemon=True
                ).start()
            elif seed_demo:
                from seed.demo import seed_demo_if_empty

                seed_demo_if_empty(engine)
            _engines[database_url] = engine
            if warm:
                threading.Thread(
                    target=_warm_and_keep_fresh, args=(engine,), name="stride-warm", daemon=True
                ).start()
        _current = engine
        return engine


def _demo_loaded(engine: Engine) -> bool:
    from core.first_run import DEMO_MARKER
    from db.models import Setting

    with Session(engine) as session:
        return session.get(Setting, DEMO_MARKER) is not None


def _seed_demo_steps(engine: Engine) -> None:
    try:
        from seed.demo import seed_demo_if_empty

        seed_demo_if_empty(engine)
    except Exception:  # a background thread: log it, the app keeps running
        log.exception("demo steps could not be seeded")


# The first page (sign-in) paints before the warm-up takes the interpreter:
# the warm-up imports pandas and the services and is a few seconds of Python
# at 10,000 people, which would otherwise delay it (that first page itself
# took 4-12 s on these loaded machines). Nobody signs in and opens a report
# within ten seconds of a start; whoever does computes it, as before.
WARM_AFTER_S = 10.0
# The organisation's programme health is computed again this often while HR
# is looking (read in the last READ_LATELY_S): the page shows figures at most
# five minutes old without anyone waiting for them.
HEALTH_REFRESH_S = 120.0
READ_LATELY_S = 1800.0


def warm_caches(engine: Engine, *, delay_s: float = WARM_AFTER_S) -> None:
    """Compute at server start what a first visit would otherwise wait for:
    the current goal cycle's numbers (Alignment, the goal report, exports)
    and the organisation's programme health. Both are read from the copies
    stored in the database when those are current (core/snapshots.py: the
    cycle's stamp matches, the figures are under HEALTH_REFRESH_S old), so a
    restart or a new replica computes only what changed. A failure is
    logged; the pages then compute it themselves."""
    import gc
    import time
    from datetime import date

    time.sleep(delay_s)
    try:
        from core.goals.queries import warm_numbers
        from core.health.queries import refresh_organisation_health

        with Session(engine.execution_options(**{READ_ONLY: True})) as session:
            warm_numbers(session, today=date.today())
            session.rollback()
        with Session(engine.execution_options(**{READ_ONLY: True})) as session:
            refresh_organisation_health(
                session, today=date.today(), reuse_younger_than_s=HEALTH_REFRESH_S
            )
            session.rollback()
        # The warm-up leaves some hundreds of thousands of young objects (a
        # stored cycle is decoded with the collector paused). Collected here,
        # in this thread, they move to the oldest generation; otherwise the
        # first pages after the warm-up paid for walking them (0.3 s of CPU
        # at 10,000 people on these machines).
        gc.collect()
    except Exception:  # a background thread: log it, the app keeps running
        log.exception("start-up warm-up failed")


def _warm_and_keep_fresh(engine: Engine) -> None:
    """The server's background thread: warm up, then keep the organisation's
    programme health fresh while somebody reads it."""
    import time
    from datetime import date

    warm_caches(engine)
    from core.health.queries import organisation_health_read_since, refresh_organisation_health

    while True:
        time.sleep(HEALTH_REFRESH_S)
        if not organisation_health_read_since(READ_LATELY_S):
            continue
        try:
            with Session(engine.execution_options(**{READ_ONLY: True})) as session:
                # Another replica's copy this young is taken as it is.
                refresh_organisation_health(
                    session, today=date.today(), reuse_younger_than_s=HEALTH_REFRESH_S
                )
                session.rollback()
        except Exception:  # a background thread: log it, the app keeps running
            log.exception("programme health refresh failed")


_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"0", "false", "no", "off"})


def demo_seeding_wanted(*, database_url: str, setting: object | None) -> bool:
    """Whether an empty database gets the demo organisation (whose HR admin
    signs in with a published password).

    An explicit yes or no (`STRIDE_SEED_DEMO`, `[app] seed_demo`) decides.
    Without one, only the embedded default SQLite database is seeded: a
    database somebody configured is presumed to be for real people.
    """
    if setting is not None:
        answer = str(setting).strip().lower()
        if answer in _YES:
            return True
        if answer in _NO:
            return False
    return normalise_url(database_url) == normalise_url(DEFAULT_SQLITE_URL)


def use_engine(engine: Engine) -> None:
    global _current
    _current = engine


def current_engine() -> Engine:
    if _current is None:
        raise RuntimeError("core.runtime.start() has not been called")
    return _current


@contextmanager
def unit_of_work(engine: Engine | None = None, *, read_only: bool = False) -> Iterator[Session]:
    """One user action in one transaction.

    `read_only` is for reads that run on every rerun (the sign-in check): on
    SQLite they then begin a deferred transaction, which never waits for a
    writer, instead of queueing for the write lock. Whatever such a block
    might write is rolled back.
    """
    bound = engine or current_engine()
    if read_only:
        bound = bound.execution_options(**{READ_ONLY: True})
    with Session(bound, expire_on_commit=False) as session:
        try:
            yield session
            if read_only:
                session.rollback()
            else:
                session.commit()
        except PermissionDenied as denied:
            session.rollback()
            if denied.audit:
                _write_refusal(engine or current_engine(), denied.audit)
            raise
        except Exception as error:
            session.rollback()
            if is_contention(error):
                log.warning("database busy, action rolled back: %s", error)
                raise Busy() from error
            raise
        except BaseException:
            session.rollback()
            raise


def _write_refusal(engine: Engine, audit: dict[str, Any]) -> None:
    """The refusal's audit row, in a transaction of its own after the rollback."""
    with Session(engine) as session:
        session.add(AuditEvent(**audit))
        try:
            session.commit()
        except Exception as error:
            session.rollback()
            if is_contention(error):
                raise Busy() from error
            raise
