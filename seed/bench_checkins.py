"""Check-in pages in the benchmark (seed.bench): server-side render medians of
My check-ins, Team check-ins (a team lead) and Check-in adherence (the lead's
line, and HR for everyone), on a generated organisation.

    python -m seed.bench_checkins --database-url sqlite:///data/bench/bench-10000.db

seed.bench measures every page of each role's navigation, these included;
this module is the quick look at the check-in pages alone, on a database
seed.generate built already.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# (result key, label, role, page file)
CHECKIN_PAGES: list[tuple[str, str, str, str]] = [
    ("my_checkins_s", "My check-ins, manager", "manager", "app_pages/my_checkins.py"),
    ("team_checkins_s", "Team check-ins, manager", "manager", "app_pages/team_checkins.py"),
    (
        "adherence_line_s",
        "Adherence, manager",
        "manager",
        "app_pages/checkin_adherence.py",
    ),
    ("adherence_org_s", "Adherence, HR", "hr", "app_pages/checkin_adherence.py"),
]
# Pages with cached figures are also measured cold (caches cleared before each run).
COLD = {"adherence_line_s", "adherence_org_s"}


def _median(action: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure_checkin_pages(accounts: dict[str, str], runs: int) -> dict[str, float]:
    """Median render of each check-in page (after one warm-up run), per role."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from seed.demo import DEMO_PASSWORD

    results: dict[str, float] = {}
    signed_in: dict[str, AppTest] = {}
    for key, _label, role, page in CHECKIN_PAGES:
        at = signed_in.get(role)
        if at is None:
            at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
            at.run()
            at.text_input[0].input(accounts[role])
            at.text_input[1].input(DEMO_PASSWORD)
            at.button[0].click().run()
            assert at.session_state["authentication_status"] is True
            signed_in[role] = at
        at.switch_page(page).run()
        assert not at.exception, at.exception
        results[key] = _median(at.run, runs)
        if key in COLD:

            def cold(app: AppTest = at) -> None:
                st.cache_data.clear()
                app.run()

            results[key.replace("_s", "_cold_s")] = _median(cold, runs)
    return results


def print_rows(results: dict[str, Any], empty_page_s: float | None = None) -> None:
    rows = []
    for key, label, _role, _page in CHECKIN_PAGES:
        if key in COLD:
            rows.append((f"{label}, cold", results[key.replace("_s", "_cold_s")]))
            rows.append((f"{label}, cached", results[key]))
        else:
            rows.append((label, results[key]))
    for label, seconds in rows:
        ratio = f"   {seconds / empty_page_s:6.1f}× empty page" if empty_page_s else ""
        print(f"  {label:<32} {seconds:7.3f} s{ratio}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "STRIDE_SEED_DEMO": "0",
            "STRIDE_DATA_DIR": tempfile.mkdtemp(prefix="stride-bench-"),
            "STRIDE_COOKIE_KEY": "bench-" + "k" * 40,
        }
    )
    from sqlalchemy import func
    from sqlmodel import Session, select

    from db.engine import make_engine
    from db.models import CheckIn, Person
    from seed.bench import _accounts

    engine = make_engine(args.database_url)
    with Session(engine) as session:
        people = session.exec(select(func.count()).select_from(Person)).one()
        check_ins = session.exec(select(func.count()).select_from(CheckIn)).one()
    engine.dispose()
    results = measure_checkin_pages(_accounts(args.database_url), args.runs)
    print(f"== {people:,} people, {check_ins:,} check-ins, median of {args.runs} runs ==")
    print_rows(results)


if __name__ == "__main__":
    main()
