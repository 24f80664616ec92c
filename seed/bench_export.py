"""Goals export benchmark: every goal of a cycle at 10,000 people.

    python -m seed.bench_export                      # 10,000 people, 3 runs
    python -m seed.bench_export --people 1000 --runs 5 --workdir /tmp/stride-bench
    python -m seed.bench_export --reuse --once      # one cold export, for /usr/bin/time

Generates an organisation with seed.generate (unless --reuse finds one),
then, as an HR admin, measures for the cycle with the most goals:

- core.goals.export_goals end to end (queries, shaping and the workbook),
  cold (the per-process memo of the cycle's numbers cleared first, as on
  the first export after a server start) and warm (memo filled);
- its parts, warm: the sheets (queries and shaping) and the workbook writer
  alone (core.export.workbook_bytes on the same sheets).

Prints medians of CPU and wall-clock seconds and the load before and
after; machines are noisy, so compare CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _median(
    action: Callable[[], object], runs: int, before: Callable[[], None] | None = None
) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time travels better between
    busy machines: other processes do not add to it). `before` runs ahead
    of each run, outside the timing."""
    walls, cpus = [], []
    for _ in range(runs):
        if before is not None:
            before()
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--reuse", action="store_true", help="reuse a database already built")
    parser.add_argument(
        "--once",
        action="store_true",
        help="one export in a fresh process and exit (to time the whole process from outside)",
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"bench-{args.people}.db"
    url = f"sqlite:///{path}"
    if not (args.reuse and path.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        subprocess.run(  # noqa: S603  (our interpreter, our module)
            [
                sys.executable,
                "-m",
                "seed.generate",
                "--people",
                str(args.people),
                "--database-url",
                url,
            ],
            cwd=ROOT,
            check=True,
        )

    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from core.access import Actor
    from core.export import workbook_bytes
    from core.goals import export_goals
    from core.goals.excel import goal_export_sheets
    from core.goals.queries import clear_numbers_memo
    from db.engine import make_engine
    from db.models import Goal, Person

    engine = make_engine(url)
    with Session(engine) as session:
        hr = session.exec(
            select(Person).where(col(Person.is_hr_admin).is_(True), col(Person.active).is_(True))
        ).first()
        assert hr is not None
        assert hr.id is not None
        cycle_id, goals = session.exec(
            select(Goal.cycle_id, func.count())
            .group_by(col(Goal.cycle_id))
            .order_by(func.count().desc())
        ).first() or (None, 0)
    assert cycle_id is not None
    actor = Actor(hr.id, "bench", hr.full_name, True, False)

    def export() -> bytes:
        with Session(engine) as session:
            data = export_goals(session, actor=actor, cycle_id=cycle_id)
            session.rollback()  # leave no audit events behind
        return data

    def sheets_only() -> dict[str, object]:
        with Session(engine) as session:
            made = goal_export_sheets(session, actor=actor, cycle_id=cycle_id)
            session.rollback()
        return dict(made)

    data = export()
    if args.once:
        print(f"one export: {len(data) / 1e6:.1f} MB")
        engine.dispose()
        return
    with Session(engine) as session:
        sheets = goal_export_sheets(session, actor=actor, cycle_id=cycle_id)
        session.rollback()
    rows = {name: len(frame) for name, frame in sheets.items()}
    print(
        f"Goals export at {args.people:,} people: cycle {cycle_id} with {goals:,} goals; "
        f"sheets {rows}; {len(data) / 1e6:.1f} MB; {os.cpu_count()} CPUs, load {_load()}, "
        f"median of {args.runs} runs"
    )
    for label, action, before in (
        ("export_goals, cold memo", export, clear_numbers_memo),
        ("export_goals, warm memo", export, None),
        ("  sheets (queries, shaping)", sheets_only, None),
        ("  workbook writer alone", lambda: workbook_bytes(sheets), None),
    ):
        wall, cpu = _median(action, args.runs, before)
        print(f"  {label:<30}{cpu:7.2f} s CPU {wall:7.2f} s wall")
    print(f"  load afterwards {_load()}")
    engine.dispose()


if __name__ == "__main__":
    main()
