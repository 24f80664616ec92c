"""Goals export benchmark: every goal of a cycle at 10,000 people.

    python -m seed.bench_export                      # 10,000 people, 3 runs
    python -m seed.bench_export --people 1000 --runs 5 --workdir /tmp/stride-bench

Generates an organisation with seed.generate (unless --reuse finds one),
then, as an HR admin, measures for the cycle with the most goals:

- core.goals.export_goals end to end (queries, shaping and the workbook);
- the workbook writer alone (core.export.workbook_bytes on the same sheets).

Prints medians; machines are noisy.
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


def _median(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time travels better between
    busy machines: other processes do not add to it)."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--reuse", action="store_true", help="reuse a database already built")
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

    data = export()
    with Session(engine) as session:
        sheets = goal_export_sheets(session, actor=actor, cycle_id=cycle_id)
        session.rollback()
    rows = {name: len(frame) for name, frame in sheets.items()}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Goals export at {args.people:,} people: cycle {cycle_id} with {goals:,} goals; "
        f"sheets {rows}; {len(data) / 1e6:.1f} MB; {os.cpu_count()} CPUs, load {load:.1f}, "
        f"median of {args.runs} runs"
    )
    for label, action in (
        ("export_goals (end to end)", export),
        ("workbook writer alone", lambda: workbook_bytes(sheets)),
    ):
        wall, cpu = _median(action, args.runs)
        print(f"  {label:<28}{wall:7.2f} s wall {cpu:7.2f} s CPU")
    engine.dispose()


if __name__ == "__main__":
    main()
