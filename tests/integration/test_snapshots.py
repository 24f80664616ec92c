"""Figures stored in `computed_snapshot` for processes that start cold: a
cycle's numbers and the organisation's programme health read back equal to a
fresh computation, are never taken when their stamp or age says otherwise,
and a row that does not decode is computed again, never a crash."""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, delete, update
from sqlmodel import Session, select

from core import snapshots
from core.goals import queries
from core.goals.numbers import _MeasuredCycle
from core.health import queries as health
from db.models import ComputedSnapshot, Goal, GoalCycle, KeyResult, ProgressUpdate
from tests.factories import actor_for, make_cycle, make_goal, make_person, make_small_org, make_unit

TODAY = date.today()


@pytest.fixture(autouse=True)
def _cold_process() -> Iterator[None]:
    queries.clear_numbers_memo()
    health.clear_health_memo()
    yield
    snapshots.wait_for_writes()
    queries.clear_numbers_memo()
    health.clear_health_memo()


def _fresh(engine: Engine, cycle_id: int) -> _MeasuredCycle:
    """The cycle measured from scratch, bypassing memo and snapshot."""
    with Session(engine) as session:
        cycle = session.get(GoalCycle, cycle_id)
        assert cycle is not None
        return queries._measure(session, cycle, None, with_parents=True)


def _read(engine: Engine, cycle_id: int) -> _MeasuredCycle:
    """A whole-cycle read as a page makes it (memo, snapshot, or measured)."""
    with Session(engine) as session:
        cycle = session.get(GoalCycle, cycle_id)
        assert cycle is not None
        numbers = queries._whole_cycle(session, cycle, with_parents=True)
    snapshots.wait_for_writes()
    return numbers


def _stored(engine: Engine, key: str) -> ComputedSnapshot | None:
    with Session(engine) as session:
        return session.get(ComputedSnapshot, key)


def _cycle_key(cycle_id: int) -> str:
    return f"goals.cycle:{cycle_id}"


def _stored_cycle(engine: Engine) -> tuple[int, _MeasuredCycle, ComputedSnapshot]:
    """A cycle read once (so stored): its id, its numbers and the stored row."""
    cycle_id, _, _ = _org(engine)
    expected = _read(engine, cycle_id)
    row = _stored(engine, _cycle_key(cycle_id))
    assert row is not None
    return cycle_id, expected, row


def _tamper_and_read(engine: Engine, cycle_id: int, **values: Any) -> _MeasuredCycle:
    """Change the stored row (dated long ago, so any rewrite replaces it),
    then read the cycle as a process that starts."""
    with Session(engine) as session:
        session.execute(
            update(ComputedSnapshot)
            .where(ComputedSnapshot.key == _cycle_key(cycle_id))  # type: ignore[arg-type]
            .values(computed_at=datetime(2000, 1, 1, tzinfo=UTC), **values)
        )
        session.commit()
    queries.clear_numbers_memo()
    return _read(engine, cycle_id)


class _Measures:
    """Counts measurements from scratch (the path a stored snapshot saves)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = queries._measure

        def counted(*args: Any, **kwargs: Any) -> _MeasuredCycle:
            if args[2] is None:  # the whole cycle, not a focus
                self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(queries, "_measure", counted)


def _org(engine: Engine) -> tuple[int, int, Any]:
    """A cycle with a company goal, a team goal and individual goals aligned
    under them, with key results; returns the cycle, a goal and its owner."""
    with Session(engine) as session:
        company = make_unit(session, kind="company")
        team = make_unit(session, parent=company)
        owner = make_person(session, unit=team)
        cycle = make_cycle(session)
        top = make_goal(session, cycle=cycle, unit=company, level="company", title="Top")
        middle = make_goal(
            session, cycle=cycle, unit=team, level="team", parent=top, key_results=[(0, 100, 30)]
        )
        goals = [
            make_goal(
                session,
                cycle=cycle,
                owner=owner,
                parent=middle if n % 2 else top,
                key_results=[(0.0, 10.0, float(n)), (100.0, 50.0, 80.0)][: 1 + n % 2],
            )
            for n in range(6)
        ]
        make_goal(session, cycle=cycle, owner=owner, status="cancelled", key_results=[(0, 1, 1)])
        session.commit()
        return cycle.id or 0, goals[0].id or 0, owner.id


def test_a_new_process_reads_the_stored_numbers_equal_to_a_fresh_measure(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = committing_engine
    cycle_id, _, _ = _org(engine)
    measures = _Measures(monkeypatch)
    first = _read(engine, cycle_id)
    assert measures.calls == 1
    row = _stored(engine, _cycle_key(cycle_id))
    assert row is not None
    queries.clear_numbers_memo()  # another process
    again = _read(engine, cycle_id)
    assert measures.calls == 1  # read from the snapshot
    assert again == first == _fresh(engine, cycle_id)
    assert list(again.goals) == list(first.goals)  # the same order too
    assert list(again.key_results) == list(first.key_results)


def test_stored_numbers_brought_up_to_date_equal_a_fresh_measure_after_every_change(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new process finding a snapshot of older data reads again only the
    goals whose version moved: after progress, a key result edited, added
    and deleted, a goal added, moved out of the cycle and deleted, its
    numbers equal a measure from scratch."""
    from core.goals import add_key_result, delete_key_result, record_progress, update_key_result

    engine = committing_engine
    cycle_id, goal_id, owner_id = _org(engine)
    _read(engine, cycle_id)  # stored
    measures = _Measures(monkeypatch)

    def actor(session: Session) -> Any:
        from db.models import Person

        person = session.get(Person, owner_id)
        assert person is not None
        return actor_for(session, person)

    def kr_of(session: Session, goal: int) -> KeyResult:
        return session.exec(
            select(KeyResult).where(KeyResult.goal_id == goal).order_by(KeyResult.id)  # type: ignore[arg-type]
        ).first()  # type: ignore[return-value]

    def progress(session: Session) -> None:
        kr = kr_of(session, goal_id)
        record_progress(
            session,
            actor=actor(session),
            key_result_id=kr.id or 0,
            version=kr.version,
            value=7,
            confidence="at risk",
        )

    def edit_kr(session: Session) -> None:
        kr = kr_of(session, goal_id)
        update_key_result(
            session,
            actor=actor(session),
            key_result_id=kr.id or 0,
            version=kr.version,
            key_result={"title": "Renamed", "target_value": 20, "weight": 2},
        )

    def add_kr(session: Session) -> None:
        goal = session.get(Goal, goal_id)
        assert goal is not None
        add_key_result(
            session,
            actor=actor(session),
            goal_id=goal_id,
            version=goal.version,
            key_result={"title": "New", "start_value": 0, "target_value": 4, "current_value": 1},
        )

    def delete_kr(session: Session) -> None:
        kr = kr_of(session, goal_id)
        delete_key_result(
            session, actor=actor(session), key_result_id=kr.id or 0, version=kr.version
        )

    def add_goal(session: Session) -> None:
        cycle = session.get(GoalCycle, cycle_id)
        top = session.exec(select(Goal).where(Goal.title == "Top")).one()
        from db.models import Person

        owner = session.get(Person, owner_id)
        assert cycle is not None
        make_goal(session, cycle=cycle, owner=owner, parent=top, key_results=[(0, 4, 4)])

    def move_goal(session: Session) -> None:
        other = make_cycle(session)
        moved = session.exec(
            select(Goal)
            .where(Goal.cycle_id == cycle_id, Goal.parent_id.is_not(None))  # type: ignore[union-attr]
            .order_by(Goal.id.desc())  # type: ignore[union-attr]
        ).first()
        assert moved is not None
        moved.cycle_id = other.id or 0
        moved.parent_id = None
        session.add(moved)

    def delete_goal(session: Session) -> None:
        # No command deletes goals; a deletion (count and versions move) must still be seen.
        victim = session.exec(
            select(Goal.id).where(Goal.cycle_id == cycle_id, Goal.status == "cancelled")
        ).one()
        krs = select(KeyResult.id).where(KeyResult.goal_id == victim)
        session.execute(delete(ProgressUpdate).where(ProgressUpdate.key_result_id.in_(krs)))  # type: ignore[attr-defined]
        session.execute(delete(KeyResult).where(KeyResult.goal_id == victim))  # type: ignore[arg-type]
        session.execute(delete(Goal).where(Goal.id == victim))  # type: ignore[arg-type]

    for change in (progress, edit_kr, add_kr, delete_kr, add_goal, move_goal, delete_goal):
        with Session(engine) as session:
            change(session)
            session.commit()
        queries.clear_numbers_memo()  # a process that starts after the change
        measures.calls = 0
        brought_up = _read(engine, cycle_id)
        assert measures.calls == 0, change.__name__  # from the stored snapshot
        assert brought_up == _fresh(engine, cycle_id), change.__name__
        # And this process's memo, brought up to date from itself, agrees.
        assert _read(engine, cycle_id) == brought_up


def test_a_snapshot_that_does_not_decode_is_measured_again_and_replaced(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = committing_engine
    cycle_id, expected, row = _stored_cycle(engine)
    broken = [
        b"not zlib at all",
        zlib.compress(b"{not json"),
        zlib.compress(b'{"format": 1, "value": {"goals": 3}}'),
        zlib.compress(b'{"format": 999, "value": {}}'),
        row.payload[: len(row.payload) // 2],
    ]
    measures = _Measures(monkeypatch)
    for payload in broken:
        measures.calls = 0
        assert _tamper_and_read(engine, cycle_id, payload=payload, stamp=row.stamp) == expected
        assert measures.calls == 1
        replaced = _stored(engine, _cycle_key(cycle_id))
        assert replaced is not None
        assert replaced.payload != payload


def test_a_snapshot_of_other_code_or_dates_is_not_taken(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = committing_engine
    cycle_id, expected, row = _stored_cycle(engine)
    parts = json.loads(row.stamp)
    measures = _Measures(monkeypatch)
    for position, value in ((3, "another release"), (2, "2099-01-01"), (0, cycle_id + 1)):
        changed = list(parts)
        changed[position] = value
        measures.calls = 0
        assert _tamper_and_read(engine, cycle_id, stamp=json.dumps(changed)) == expected
        assert measures.calls == 1, position


def test_a_session_that_has_written_neither_reads_nor_stores_numbers(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = committing_engine
    cycle_id, _, _ = _org(engine)
    measures = _Measures(monkeypatch)
    with Session(engine) as session:
        cycle = session.get(GoalCycle, cycle_id)
        assert cycle is not None
        make_goal(session, cycle=cycle, key_results=[(0, 1, 0)])  # flushed, not committed
        numbers = queries._whole_cycle(session, cycle, with_parents=True)
        session.rollback()
    snapshots.wait_for_writes()
    assert measures.calls == 1
    assert _stored(engine, _cycle_key(cycle_id)) is None
    assert len(numbers.goals) == len(_fresh(engine, cycle_id).goals) + 1


def test_two_processes_storing_at_once_both_succeed_and_the_later_stays(
    committing_engine: Engine, backend: str
) -> None:
    """Two writers of one key in overlapping transactions (each its own
    engine, as two replicas): neither fails; the later computation stays and
    an older one never replaces it."""
    from core.snapshots import _upsert

    url = committing_engine.url.render_as_string(hide_password=False)
    engines = [committing_engine, _second_engine(committing_engine, backend, url)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    base = datetime.now(UTC)

    def write(n: int) -> None:
        try:
            with engines[n].begin() as connection:
                barrier.wait(timeout=10)
                _upsert(
                    connection,
                    key="race",
                    stamp=f"stamp {n}",
                    computed_at=base + timedelta(seconds=n),
                    payload=snapshots.pack(n),
                )
        except BaseException as error:
            errors.append(error)

    if backend == "sqlite":
        # SQLite takes the write lock at BEGIN: the second writer waits for
        # the first, so the barrier would never be passed by both.
        barrier = threading.Barrier(1)
    threads = [threading.Thread(target=write, args=(n,)) for n in (1, 0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    row = _stored(committing_engine, "race")
    assert row is not None
    assert row.stamp == "stamp 1"
    assert snapshots.unpack(row.payload) == 1
    engines[1].dispose()


def _second_engine(engine: Engine, backend: str, url: str) -> Engine:
    from sqlalchemy import text

    from db.engine import make_engine

    if backend == "sqlite":
        return make_engine(url)
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    return make_engine(url, schema=schema)


# --- programme health ----------------------------------------------------------------


def _health_org(engine: Engine) -> Any:
    with Session(engine) as session:
        org = make_small_org(session)
        session.commit()
        return actor_for(session, org.hr)


def _assert_same(a: health.ProgrammeHealth, b: health.ProgrammeHealth) -> None:
    assert (a.scope, a.people) == (b.scope, b.people)
    for name in ("trend", "by_unit", "behind"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


class _Computes:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = health._compute

        def counted(*args: Any, **kwargs: Any) -> health.ProgrammeHealth:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(health, "_compute", counted)


def _hr_reads(engine: Engine, hr: Any, max_age_s: float = 300) -> health.ProgrammeHealth:
    with Session(engine) as session:
        found = health.get_programme_health(session, actor=hr, today=TODAY, max_age_s=max_age_s)
    snapshots.wait_for_writes()
    return found


def _age_stored_health(engine: Engine, seconds: float) -> None:
    with Session(engine) as session:
        session.execute(
            update(ComputedSnapshot)
            .where(ComputedSnapshot.key == health.HEALTH_SNAPSHOT_KEY)  # type: ignore[arg-type]
            .values(computed_at=datetime.now(UTC) - timedelta(seconds=seconds))
        )
        session.commit()


def test_a_new_process_serves_stored_programme_health_younger_than_the_promise(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = committing_engine
    hr = _health_org(engine)
    computes = _Computes(monkeypatch)
    first = _hr_reads(engine, hr)
    assert computes.calls == 1
    assert _stored(engine, health.HEALTH_SNAPSHOT_KEY) is not None
    health.clear_health_memo()  # another process
    served = _hr_reads(engine, hr)
    assert computes.calls == 1
    _assert_same(served, first)
    # Older than the page's promise: computed again, not served.
    health.clear_health_memo()
    _age_stored_health(engine, 301)
    _assert_same(_hr_reads(engine, hr), first)
    assert computes.calls == 2
    # A copy 200 s old served by a new process keeps its true age in the
    # memo: asked for at most 100 s, it is computed again.
    health.clear_health_memo()
    _age_stored_health(engine, 200)
    _hr_reads(engine, hr)
    assert computes.calls == 2
    _hr_reads(engine, hr, max_age_s=100)
    assert computes.calls == 3


def test_stored_programme_health_of_another_day_or_undecodable_is_computed_again(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = committing_engine
    hr = _health_org(engine)
    first = _hr_reads(engine, hr)
    computes = _Computes(monkeypatch)
    for values in (
        {"stamp": snapshots.stamp_text(TODAY - timedelta(days=1), "x")},
        {"payload": b"garbage"},
        {"payload": snapshots.pack({"scope": "x"})},
    ):
        health.clear_health_memo()
        with Session(engine) as session:
            session.execute(
                update(ComputedSnapshot)
                .where(ComputedSnapshot.key == health.HEALTH_SNAPSHOT_KEY)  # type: ignore[arg-type]
                .values(computed_at=datetime.now(UTC) - timedelta(seconds=5), **values)
            )
            session.commit()
        before = computes.calls
        _assert_same(_hr_reads(engine, hr), first)
        assert computes.calls == before + 1


def test_the_refresh_takes_another_replicas_young_copy(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = committing_engine
    _health_org(engine)
    with Session(engine) as session:
        computed = health.refresh_organisation_health(session, today=TODAY)
    snapshots.wait_for_writes()
    health.clear_health_memo()
    computes = _Computes(monkeypatch)
    with Session(engine) as session:
        taken = health.refresh_organisation_health(session, today=TODAY, reuse_younger_than_s=120)
    assert computes.calls == 0
    _assert_same(taken, computed)
    _age_stored_health(engine, 121)
    with Session(engine) as session:
        health.refresh_organisation_health(session, today=TODAY, reuse_younger_than_s=120)
    assert computes.calls == 1


def test_programme_health_computed_by_a_session_that_has_written_is_not_stored(
    session: Session,
) -> None:
    org = make_small_org(session)
    health.refresh_organisation_health(session, today=TODAY)
    assert session.get(ComputedSnapshot, health.HEALTH_SNAPSHOT_KEY) is None
    assert org.hr.id is not None
