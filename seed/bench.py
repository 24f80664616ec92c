"""Skills-gap benchmark: organisations of 1,000 and 10,000 people.

    python -m seed.bench                       # 1,000 and 10,000 people, 5 runs each
    python -m seed.bench --sizes 1000 --runs 3 --workdir /tmp/stride-bench

For each size it generates an organisation with seed.generate (about 40
ratings per person: a self-assessment and most often a manager rating for
each of ~20 role competencies), then, in a fresh process, measures:

- the organisation heatmap aggregate (core.assessments.get_org_heatmap, the
  SQL GROUP BY and the roll-up), median of the runs;
- the server-side render of the Skills gap page with AppTest, for a team
  lead (team heatmap) and an HR admin (organisation heatmap): cold (caches
  cleared before each run) and warm (served from st.cache_data);
- for comparison, an empty script and the Home dashboard in the same run;
- the measuring process's peak memory (max RSS).

Machines are noisy: it prints medians, and ratios to the empty page measured
in the same process, which travel better between machines than seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _median_time(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _accounts(database_url: str) -> dict[str, str]:
    """A team lead (a manager whose reports manage nobody) and an HR admin."""
    from sqlalchemy import func
    from sqlalchemy.orm import aliased
    from sqlmodel import Session, col, select

    from db.engine import make_engine
    from db.models import Person, UserAccount

    engine = make_engine(database_url)
    with Session(engine) as session:
        report = aliased(Person)
        lead = session.exec(
            select(UserAccount.username)
            .join(Person, col(Person.id) == col(UserAccount.person_id))
            .join(report, col(report.manager_id) == col(Person.id))
            .where(col(Person.position_id).is_not(None))
            .group_by(col(UserAccount.username), col(Person.id))
            .having(func.count() >= 5)
            .order_by(col(Person.id).desc())
        ).first()
        hr = session.exec(
            select(UserAccount.username)
            .join(Person, col(Person.id) == col(UserAccount.person_id))
            .where(col(Person.is_hr_admin).is_(True), col(Person.active).is_(True))
        ).first()
    engine.dispose()
    assert lead is not None
    assert hr is not None
    return {"manager": lead, "hr": hr}


def measure(database_url: str, runs: int) -> dict[str, Any]:
    """Runs in its own process (peak memory is this process's)."""
    data_dir = tempfile.mkdtemp(prefix="stride-bench-")
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "STRIDE_SEED_DEMO": "0",
            "STRIDE_DATA_DIR": data_dir,
            "STRIDE_COOKIE_KEY": "bench-" + "k" * 40,
        }
    )
    import streamlit as st
    from sqlmodel import Session, select
    from streamlit.testing.v1 import AppTest

    from core.access import Actor
    from core.assessments import get_org_heatmap
    from db.engine import make_engine
    from db.models import Assessment, Person, UserAccount
    from seed.demo import DEMO_PASSWORD

    accounts = _accounts(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        from sqlalchemy import func

        people = session.exec(select(func.count()).select_from(Person)).one()
        ratings = session.exec(select(func.count()).select_from(Assessment)).one()
        hr_person = session.exec(
            select(Person)
            .join(UserAccount, UserAccount.person_id == Person.id)  # type: ignore[arg-type]
            .where(UserAccount.username == accounts["hr"])
        ).one()
        hr_actor = Actor(hr_person.id or 0, accounts["hr"], hr_person.full_name, True, False)

    def aggregate() -> None:
        with Session(engine) as session:
            get_org_heatmap(session, actor=hr_actor)

    aggregate()  # warm the OS cache once, like a running server
    results: dict[str, Any] = {
        "people": people,
        "assessments": ratings,
        "aggregate_s": _median_time(aggregate, runs),
    }

    empty = AppTest.from_string("import streamlit as st\nst.write('empty')", default_timeout=120)
    empty.run()
    results["empty_page_s"] = _median_time(empty.run, runs)

    home = str(ROOT / "Home.py")
    for role in ("manager", "hr"):
        at = AppTest.from_file(home, default_timeout=300)
        at.run()
        at.text_input[0].input(accounts[role])
        at.text_input[1].input(DEMO_PASSWORD)
        at.button[0].click().run()
        assert at.session_state["authentication_status"] is True, [e.value for e in at.error]
        if role == "manager":
            results["dashboard_s"] = _median_time(at.run, runs)
        at.switch_page("app_pages/skills_gap.py").run()
        assert not at.exception, at.exception
        assert at.get("vega_lite_chart"), f"no heatmap for {role}"

        def cold(app: AppTest = at) -> None:
            st.cache_data.clear()
            app.run()

        results[f"{role}_page_cold_s"] = _median_time(cold, runs)
        at.run()
        results[f"{role}_page_warm_s"] = _median_time(at.run, runs)
        assert not at.exception, at.exception
    from seed.bench_checkins import measure_checkin_pages

    results.update(measure_checkin_pages(accounts, runs))
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine.dispose()
    return results


def _generate(people: int, database_url: str) -> float:
    started = time.perf_counter()
    subprocess.run(  # noqa: S603  (our interpreter, our module)
        [
            sys.executable,
            "-m",
            "seed.generate",
            "--people",
            str(people),
            "--database-url",
            database_url,
        ],
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - started


def _print(size: int, r: dict[str, Any]) -> None:
    empty = r["empty_page_s"] or 1e-9
    print(
        f"\n== {size:,} people, {r['assessments']:,} assessments "
        f"(generated in {r['generate_s']:.0f} s) =="
    )
    rows = [
        ("org heatmap aggregate (core)", r["aggregate_s"]),
        ("empty page (AppTest)", r["empty_page_s"]),
        ("Home dashboard (manager)", r["dashboard_s"]),
        ("Skills gap, manager, cold", r["manager_page_cold_s"]),
        ("Skills gap, manager, cached", r["manager_page_warm_s"]),
        ("Skills gap, HR, cold", r["hr_page_cold_s"]),
        ("Skills gap, HR, cached", r["hr_page_warm_s"]),
    ]
    for label, seconds in rows:
        print(f"  {label:<32} {seconds:7.3f} s   {seconds / empty:6.1f}× empty page")
    from seed.bench_checkins import print_rows

    print_rows(r, empty)
    print(f"  {'peak memory (max RSS)':<32} {r['peak_rss_mb']:7.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--reuse", action="store_true", help="reuse databases already built")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # child process: a database URL
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.runs)))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Stride skills-gap benchmark: {os.cpu_count()} CPUs, load {load:.1f}, "
        f"median of {args.runs} runs"
    )
    for size in args.sizes:
        path = args.workdir / f"bench-{size}.db"
        url = f"sqlite:///{path}"
        generate_s = 0.0
        if not (args.reuse and path.exists()):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            generate_s = _generate(size, url)
        child = subprocess.run(  # noqa: S603  (our interpreter, our module)
            [sys.executable, "-m", "seed.bench", "--measure", url, "--runs", str(args.runs)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        result["generate_s"] = generate_s
        _print(size, result)


if __name__ == "__main__":
    main()
