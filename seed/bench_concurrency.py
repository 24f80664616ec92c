"""Concurrent writers against one database, through the public services.

    python -m seed.bench_concurrency                      # SQLite, 20 threads × 100 updates
    python -m seed.bench_concurrency --threads 4 --updates 50 --url postgresql://…

On a fresh SQLite file (and on PostgreSQL, in a throw-away schema, when
`--url` or TEST_DATABASE_URL is given) it seeds a small organisation, then
runs N threads that each record M progress updates on their own key result
with `core.goals.record_progress`, every update in its own unit of work, as a
page would. Nothing is retried: an update that fails is counted as an error.

Afterwards it checks what was stored against what the threads were told:
- lost: updates reported as saved that have no progress row, plus key-result
  or goal version bumps that did not land;
- errors: updates that raised, by exception type.

`--readers R` adds R threads that open goals (`core.goals.get_goal`) for as
long as the writers run, to see what the writers cost a page; with
`--read-only-readers` they read in `unit_of_work(read_only=True)`.
`--krs-per-goal K` puts K threads' key results on one goal, so they also
contend for that goal's row.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from core.access import Actor
from core.auth import resolve_actor
from core.errors import StaleEdit
from core.goals import CONFIDENCES, create_cycle, create_goal, get_goal, record_progress
from core.runtime import unit_of_work
from db.engine import make_engine, normalise_url
from db.migrate import upgrade_to_head
from db.models import Goal, GoalCreate, GoalCycleCreate, KeyResult, ProgressUpdate, utcnow
from seed.org import OrgPlan, PersonPlan, UnitPlan, load_org_plan

PASSWORD = "bench-concurrency"  # noqa: S105  (throw-away accounts in a throw-away database)


@dataclass(frozen=True)
class Lane:
    """One writer thread's key result, the goal it sits on and who updates it."""

    actor: Actor
    goal_id: int
    key_result_id: int


@dataclass
class BenchOrg:
    lanes: list[Lane]
    readers: list[tuple[Actor, int]]
    goal_versions: dict[int, int]
    key_result_versions: dict[int, int]
    rows_before: dict[int, int]


@dataclass
class BenchResult:
    backend: str
    threads: int
    updates: int
    attempts: int = 0
    saved: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    rows_stored: int = 0
    rows_lost: int = 0
    key_result_bumps_lost: int = 0
    goal_bumps_lost: int = 0
    wrong_values: int = 0
    seconds: float = 0.0
    reads: int = 0
    read_errors: Counter[str] = field(default_factory=Counter)
    read_latencies: list[float] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def lost(self) -> int:
        return self.rows_lost + self.key_result_bumps_lost + self.goal_bumps_lost

    @property
    def writes_per_second(self) -> float:
        return self.saved / self.seconds if self.seconds else 0.0

    def report(self) -> str:
        lines = [
            f"{self.backend}: {self.threads} threads × {self.updates} updates",
            f"  attempts      {self.attempts}",
            f"  saved         {self.saved}",
            f"  errors        {self.error_count}"
            + (f"  ({dict(self.errors)})" if self.errors else ""),
            f"  lost          {self.lost}  (rows {self.rows_lost}, key-result versions "
            f"{self.key_result_bumps_lost}, goal versions {self.goal_bumps_lost}; "
            f"progress rows stored {self.rows_stored}, wrong final values {self.wrong_values})",
            f"  wall time     {self.seconds:.2f} s",
            f"  writes/s      {self.writes_per_second:.0f}",
        ]
        if self.reads or self.read_errors:
            latencies = sorted(self.read_latencies) or [0.0]
            p95 = latencies[min(len(latencies) - 1, math.ceil(0.95 * len(latencies)) - 1)]
            lines.append(
                f"  reads         {self.reads}, errors {sum(self.read_errors.values())}"
                + (f" ({dict(self.read_errors)})" if self.read_errors else "")
                + f", median {statistics.median(latencies) * 1000:.0f} ms,"
                f" p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
            )
        lines.extend(f"  e.g. {sample}" for sample in self.error_samples[:3])
        return "\n".join(lines)


def _plan(owners: int, readers: int) -> OrgPlan:
    plan = OrgPlan(
        units=[
            UnitPlan("BC", "Bench Company", "company", None),
            UnitPlan("BT", "Bench Team", "team", "BC"),
        ]
    )

    def person(code: str, name: str, unit: str, position: str, manager: str | None) -> None:
        plan.people.append(
            PersonPlan(
                employee_code=code,
                full_name=name,
                email=f"{code.lower()}@bench.example",
                username=code.lower(),
                unit_code=unit,
                position_code=position,
                manager_code=manager,
                hire_date=date(2024, 1, 1),
                years_experience=3.0,
                is_hr_admin=code == "B0000",
            )
        )

    person("B0000", "Bench HR", "BC", "HRBP", None)
    person("B0001", "Bench Lead", "BT", "TL", None)
    for n in range(owners + readers):
        person(f"B{n + 2:04d}", f"Bench Person {n + 1}", "BT", "SE", "B0001")
    return plan


def seed_bench_org(
    engine: Engine, *, threads: int, krs_per_goal: int = 1, readers: int = 0
) -> BenchOrg:
    """People, one goal cycle, and a goal with `krs_per_goal` key results for
    every `krs_per_goal` writer threads, all through the services."""
    goals = math.ceil(threads / krs_per_goal)
    with unit_of_work(engine) as session:
        load_org_plan(session, _plan(goals, readers), password=PASSWORD)
    now = utcnow()

    def actor(session: Session, n: int) -> Actor:
        return resolve_actor(session, username=f"b{n:04d}", authenticated_at=now)

    today = date.today()
    with unit_of_work(engine) as session:
        cycle = create_cycle(
            session,
            actor=actor(session, 0),
            cycle_in=GoalCycleCreate(
                name="Bench cycle",
                starts_on=today - timedelta(days=30),
                ends_on=today + timedelta(days=60),
            ),
        )
    lanes: list[Lane] = []
    reader_goals: list[tuple[Actor, int]] = []
    for g in range(goals):
        with unit_of_work(engine) as session:
            owner = actor(session, g + 2)
            goal = create_goal(
                session,
                actor=owner,
                goal_in=GoalCreate(title=f"Bench goal {g + 1}", cycle_id=cycle.id),
                key_results=[
                    {"title": f"Bench KR {g + 1}.{k + 1}", "start_value": 0, "target_value": 1e6}
                    for k in range(krs_per_goal)
                ],
            )
            kr_ids = session.exec(
                select(KeyResult.id).where(KeyResult.goal_id == goal.id).order_by(col(KeyResult.id))
            ).all()
        lanes.extend(Lane(owner, goal.id, int(kr or 0)) for kr in kr_ids)
    lanes = lanes[:threads]
    with unit_of_work(engine) as session:
        for r in range(readers):
            # Readers are team members; their lead's view opens anyone's goal.
            reader_goals.append((actor(session, 1), lanes[r % len(lanes)].goal_id))
        goal_versions = {g.id or 0: g.version for g in session.exec(select(Goal)).all()}
        kr_versions = {k.id or 0: k.version for k in session.exec(select(KeyResult)).all()}
        rows = _rows_per_key_result(session)
    return BenchOrg(lanes, reader_goals, goal_versions, kr_versions, rows)


def _rows_per_key_result(session: Session) -> dict[int, int]:
    counted = session.exec(
        select(ProgressUpdate.key_result_id, func.count(col(ProgressUpdate.id))).group_by(
            col(ProgressUpdate.key_result_id)
        )
    ).all()
    return {int(kr): int(n) for kr, n in counted}


def _writer(
    engine: Engine,
    lane: Lane,
    updates: int,
    start: threading.Barrier,
    result: BenchResult,
    outcome: dict[int, tuple[int, float | None]],
    lock: threading.Lock,
) -> None:
    version = None
    with unit_of_work(engine) as session:
        detail = get_goal(session, actor=lane.actor, goal_id=lane.goal_id)
        version = next(k.version for k in detail.goal.key_results if k.id == lane.key_result_id)
    saved, last = 0, None
    start.wait()
    for i in range(1, updates + 1):
        try:
            with unit_of_work(engine) as session:
                record_progress(
                    session,
                    actor=lane.actor,
                    key_result_id=lane.key_result_id,
                    version=version,
                    value=float(i),
                    confidence=CONFIDENCES[0],
                    note=f"update {i}",
                )
        except Exception as problem:
            with lock:
                result.errors[type(problem).__name__] += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(
                        f"{type(problem).__name__}: {problem}".replace("\n", " ")[:160]
                    )
            if isinstance(problem, StaleEdit):
                with unit_of_work(engine) as session:
                    detail = get_goal(session, actor=lane.actor, goal_id=lane.goal_id)
                version = next(
                    k.version for k in detail.goal.key_results if k.id == lane.key_result_id
                )
            continue
        version += 1
        saved += 1
        last = float(i)
    outcome[lane.key_result_id] = (saved, last)


def _reader(
    engine: Engine,
    actor: Actor,
    goal_id: int,
    start: threading.Barrier,
    done: threading.Event,
    result: BenchResult,
    lock: threading.Lock,
    read_only: bool,
) -> None:
    start.wait()
    while not done.is_set():
        began = time.perf_counter()
        try:
            # Spelled out so the script also measures code from before read_only.
            unit = unit_of_work(engine, read_only=True) if read_only else unit_of_work(engine)
            with unit as session:
                get_goal(session, actor=actor, goal_id=goal_id)
        except Exception as problem:
            with lock:
                result.read_errors[type(problem).__name__] += 1
            continue
        elapsed = time.perf_counter() - began
        with lock:
            result.reads += 1
            result.read_latencies.append(elapsed)


def run_benchmark(
    engine: Engine,
    *,
    threads: int,
    updates: int,
    krs_per_goal: int = 1,
    readers: int = 0,
    read_only_readers: bool = False,
) -> BenchResult:
    """Seed `engine`'s (empty, migrated) database, run the writers, check the rows."""
    org = seed_bench_org(engine, threads=threads, krs_per_goal=krs_per_goal, readers=readers)
    result = BenchResult(backend=engine.dialect.name, threads=threads, updates=updates)
    outcome: dict[int, tuple[int, float | None]] = {}
    lock = threading.Lock()
    start = threading.Barrier(threads + readers + 1)
    done = threading.Event()
    writers = [
        threading.Thread(target=_writer, args=(engine, lane, updates, start, result, outcome, lock))
        for lane in org.lanes
    ]
    reading = [
        threading.Thread(
            target=_reader,
            args=(engine, actor, goal, start, done, result, lock, read_only_readers),
        )
        for actor, goal in org.readers
    ]
    for thread in writers + reading:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in writers:
        thread.join()
    result.seconds = time.perf_counter() - began
    done.set()
    for thread in reading:
        thread.join()

    result.attempts = threads * updates
    result.saved = sum(saved for saved, _ in outcome.values())
    with Session(engine) as session:
        stored = {
            kr: n - org.rows_before.get(kr, 0) for kr, n in _rows_per_key_result(session).items()
        }
        key_results = {k.id: k for k in session.exec(select(KeyResult)).all()}
        goals = {g.id: g for g in session.exec(select(Goal)).all()}
    saved_by_goal: Counter[int] = Counter()
    for lane in org.lanes:
        saved, last = outcome.get(lane.key_result_id, (0, None))
        saved_by_goal[lane.goal_id] += saved
        result.rows_stored += stored.get(lane.key_result_id, 0)
        result.rows_lost += max(0, saved - stored.get(lane.key_result_id, 0))
        kr = key_results[lane.key_result_id]
        bumps = kr.version - org.key_result_versions[lane.key_result_id]
        result.key_result_bumps_lost += max(0, saved - bumps)
        if last is not None and kr.current_value != last:
            result.wrong_values += 1
    for goal_id, saved in saved_by_goal.items():
        bumps = goals[goal_id].version - org.goal_versions[goal_id]
        result.goal_bumps_lost += max(0, saved - bumps)
    return result


@contextmanager
def fresh_sqlite() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="stride-bench-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            upgrade_to_head(engine)
            yield engine
        finally:
            engine.dispose()


@contextmanager
def fresh_postgres(url: str) -> Iterator[Engine]:
    """A migrated throw-away schema in the database at `url`, dropped afterwards."""
    schema = f"stride_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, schema=schema)
    try:
        upgrade_to_head(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--krs-per-goal", type=int, default=1)
    parser.add_argument("--readers", type=int, default=0)
    parser.add_argument(
        "--read-only-readers",
        action="store_true",
        help="readers use unit_of_work(read_only=True) (a deferred transaction on SQLite)",
    )
    parser.add_argument(
        "--url", default=os.environ.get("TEST_DATABASE_URL"), help="PostgreSQL URL (optional)"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)
    # Cheap hashes: the accounts exist only for the run.
    os.environ.setdefault("STRIDE_BCRYPT_ROUNDS", "4")
    targets = [] if args.skip_sqlite else [("SQLite", fresh_sqlite())]
    if args.url:
        targets.append(("PostgreSQL", fresh_postgres(normalise_url(args.url))))
    failed = False
    for _name, database in targets:
        with database as engine:
            result = run_benchmark(
                engine,
                threads=args.threads,
                updates=args.updates,
                krs_per_goal=args.krs_per_goal,
                readers=args.readers,
                read_only_readers=args.read_only_readers,
            )
        print(result.report(), flush=True)
        failed = failed or bool(result.error_count or result.lost)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
