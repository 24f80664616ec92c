"""Writers at the same time, through the services, on both databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from core.errors import BUSY_MESSAGE, Busy
from core.goals import get_goal, record_progress
from core.runtime import unit_of_work
from db import engine as db_engine
from db.engine import make_engine
from db.migrate import upgrade_to_head
from db.models import KeyResult, ProgressUpdate
from seed.bench_concurrency import Lane, run_benchmark, seed_bench_org


def test_concurrent_progress_updates_all_land(committing_engine: Engine) -> None:
    """4 threads × 50 updates, each in its own unit of work: none fails, none is lost."""
    result = run_benchmark(committing_engine, threads=4, updates=50)
    assert result.error_count == 0, result.report()
    assert result.lost == 0, result.report()
    assert result.saved == result.rows_stored == 200
    assert result.wrong_values == 0


def test_readers_do_not_fail_while_writers_queue(committing_engine: Engine) -> None:
    result = run_benchmark(committing_engine, threads=3, updates=20, readers=2)
    assert result.error_count == 0, result.report()
    assert not result.read_errors, result.report()
    assert result.lost == 0, result.report()


def _sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Path]:
    # A short busy timeout, so that a lock nobody releases fails fast.
    monkeypatch.setattr(db_engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "busy.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    return engine, path


def test_a_write_that_cannot_get_the_lock_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, path = _sqlite_file(tmp_path, monkeypatch)
    org = seed_bench_org(engine, threads=1)
    lane = org.lanes[0]
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, and not finishing
    try:
        with pytest.raises(Busy) as busy, unit_of_work(engine) as session:
            record_progress(
                session,
                actor=lane.actor,
                key_result_id=lane.key_result_id,
                version=1,
                value=5.0,
                confidence="on track",
            )
        assert str(busy.value) == BUSY_MESSAGE
        # Reads still answer while the write lock is held elsewhere.
        with unit_of_work(engine) as session:
            detail = get_goal(session, actor=lane.actor, goal_id=lane.goal_id)
        assert detail.goal.key_results[0].current_value == 0.0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Session(engine) as session:
        assert session.exec(select(ProgressUpdate).where(ProgressUpdate.value == 5.0)).all() == []
    engine.dispose()


def test_read_only_units_do_not_wait_for_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, path = _sqlite_file(tmp_path, monkeypatch)
    org = seed_bench_org(engine, threads=1)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with unit_of_work(engine, read_only=True) as session:
            assert session.exec(select(KeyResult)).all()
            # Whatever a read-only unit writes is not kept.
            kr = session.get(KeyResult, org.lanes[0].key_result_id)
            assert kr is not None
            kr.title = "changed in a read-only unit"
            session.add(kr)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Session(engine) as session:
        kr = session.get(KeyResult, org.lanes[0].key_result_id)
        assert kr is not None
        assert kr.title != "changed in a read-only unit"
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_lock_wait_on_postgresql_is_busy(committing_engine: Engine) -> None:
    org = seed_bench_org(committing_engine, threads=1)
    lane = org.lanes[0]
    with committing_engine.connect() as holder:
        holder.execute(
            text("SELECT id FROM keyresult WHERE id = :id FOR UPDATE"), {"id": lane.key_result_id}
        )
        with pytest.raises(Busy), unit_of_work(committing_engine) as session:
            _record_after_a_short_lock_wait(session, lane)
        holder.rollback()


def _record_after_a_short_lock_wait(session: Session, lane: Lane) -> None:
    session.execute(text("SET LOCAL lock_timeout = '200ms'"))
    record_progress(
        session,
        actor=lane.actor,
        key_result_id=lane.key_result_id,
        version=1,
        value=5.0,
        confidence="on track",
    )
