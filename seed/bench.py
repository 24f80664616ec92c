"""Page benchmark: every page of each role at 1,000 and 10,000 people.

    python -m seed.bench                       # 1,000 and 10,000 people, 5 runs each
    python -m seed.bench --sizes 10000 --runs 3 --roles hr --pages alignment insights
    python -m seed.bench --sizes 10000 --database-url sqlite:///data/bench-10000.db

For each size it generates an organisation with seed.generate (about 40
ratings per person, ~3 goals per person with progress histories), then, in a
fresh process, measures:

- the organisation heatmap aggregate (core.assessments.get_org_heatmap);
- an empty AppTest page, for scale;
- for an employee, a team lead and an HR admin, the server render (AppTest)
  of every page their navigation lists (core.access): the first visit with
  every cache cleared (st.cache_data, the goals' per-process cycle numbers
  and the organisation's programme health, and the copies of both stored in
  the database, core.snapshots), the first visit of a process that starts
  where those copies are stored (every in-process cache cleared, the
  snapshots kept: a restart or another replica), the first visit once the
  server's start-up warm-up has run (core.runtime.warm_caches), cold
  (st.cache_data cleared before each run) and cached (HR's list includes
  cadence experiments, showing the generator's finished experiment between
  two departments);
- the 360 report page (app_pages/reviews.py) for the manager of a person
  whose closed review every suggested rater answered;
- the measuring process's peak memory (max RSS).

Each figure is a median, in wall-clock and in CPU seconds of the measuring
process (the app, AppTest and SQLite all run in it). Machines are shared and
noisy: the CPU time is the steadier figure. Target: 0.5 s per page.
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
    return _median_times(action, runs)[0]


def _median_times(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall-clock seconds and median CPU seconds of this process (the
    app, AppTest and SQLite all run in it). On a machine shared with other
    work the CPU time is the steadier figure: wall time includes waiting for
    a core."""
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _accounts(database_url: str) -> dict[str, str]:
    """An employee (manages nobody, not HR), a team lead (a manager whose
    reports manage nobody) and an HR admin."""
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
        managers = select(col(report.manager_id)).where(col(report.manager_id).is_not(None))
        employee = session.exec(
            select(UserAccount.username)
            .join(Person, col(Person.id) == col(UserAccount.person_id))
            .where(
                col(Person.is_hr_admin).is_(False),
                col(Person.active).is_(True),
                col(Person.position_id).is_not(None),
                col(Person.manager_id).is_not(None),
                col(Person.id).not_in(managers),
            )
            .order_by(col(Person.id).desc())
        ).first()
        hr = session.exec(
            select(UserAccount.username)
            .join(Person, col(Person.id) == col(UserAccount.person_id))
            .where(col(Person.is_hr_admin).is_(True), col(Person.active).is_(True))
        ).first()
    engine.dispose()
    assert lead is not None
    assert employee is not None
    assert hr is not None
    return {"employee": employee, "manager": lead, "hr": hr}


def _closed_review(database_url: str, manager_username: str) -> int:
    """A finished 360 of one of the manager's reports: every suggested rater
    answers every question, then it closes (through the real services)."""
    import random
    from datetime import date, timedelta

    from sqlmodel import Session, col, select

    from core.auth import resolve_actor
    from core.reviews import commands as rc
    from core.reviews.queries import get_answer_form
    from db.engine import make_engine
    from db.models import Person, ReviewRater, UserAccount, utcnow

    rng = random.Random(360)
    engine = make_engine(database_url)
    with Session(engine) as session:
        manager = resolve_actor(session, username=manager_username, authenticated_at=utcnow())
        subject_id = session.exec(
            select(Person.id)
            .where(Person.manager_id == manager.person_id, col(Person.position_id).is_not(None))
            .order_by(col(Person.id))
        ).first()
        assert subject_id is not None
        due = date.today() + timedelta(days=7)
        review_id = rc.launch_review(session, actor=manager, subject_id=subject_id, due_on=due)
        rc.approve_raters(session, actor=manager, review_id=review_id)
        raters = session.exec(
            select(ReviewRater.person_id).where(ReviewRater.review_id == review_id)
        ).all()
        for person_id in raters:
            username = session.exec(
                select(UserAccount.username).where(UserAccount.person_id == person_id)
            ).one()
            actor = resolve_actor(session, username=username, authenticated_at=utcnow())
            form = get_answer_form(session, actor=actor, review_id=review_id)
            answers = {
                q.key: rc.AnswerIn(
                    rng.choice([rank for rank, _ in q.levels]) if q.rated else None,
                    "A comment." if rng.random() < 0.7 else "",
                )
                for q in form.questions
            }
            rc.submit_answers(session, actor=actor, review_id=review_id, answers=answers)
        rc.close_review(session, actor=manager, review_id=review_id)
        session.commit()
    engine.dispose()
    return review_id


ROLES = ("employee", "manager", "hr")


def _signed_in(home: str, username: str, password: str) -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(home, default_timeout=300)
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert at.session_state["authentication_status"] is True, [e.value for e in at.error]
    return at


def _pages_of(database_url: str, username: str) -> list[str]:
    """The pages this account's navigation lists, in order (core.access)."""
    from sqlmodel import Session

    from core.access import navigation
    from core.auth import resolve_actor
    from db.engine import make_engine

    engine = make_engine(database_url)
    with Session(engine) as session:
        actor = resolve_actor(session, username=username, authenticated_at=_now())
    engine.dispose()
    return [page for pages in navigation(actor).values() for page in pages]


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def measure(
    database_url: str, runs: int, roles: tuple[str, ...] = ROLES, only: tuple[str, ...] = ()
) -> dict[str, Any]:
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
    from core.goals.queries import clear_numbers_memo
    from core.health.queries import clear_health_memo
    from core.runtime import warm_caches
    from core.snapshots import delete_snapshots, wait_for_writes
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

    def forget_stored() -> None:
        wait_for_writes()
        with Session(engine) as session:
            delete_snapshots(session)
            session.commit()

    def aggregate() -> None:
        with Session(engine) as session:
            get_org_heatmap(session, actor=hr_actor)

    aggregate()  # warm the OS cache once, like a running server
    results: dict[str, Any] = {
        "people": people,
        "assessments": ratings,
        "aggregate_s": _median_time(aggregate, runs),
        "accounts": accounts,
        "pages": {},
    }

    empty = AppTest.from_string("import streamlit as st\nst.write('empty')", default_timeout=120)
    empty.run()
    results["empty_page_s"] = _median_time(empty.run, runs)

    home = str(ROOT / "Home.py")
    for role in roles:
        at = _signed_in(home, accounts[role], DEMO_PASSWORD)
        pages = [p for p in _pages_of(database_url, accounts[role]) if not only or p in only]
        timings: dict[str, dict[str, float]] = {}
        for page in pages:
            # A first visit finds nothing computed: neither st.cache_data nor
            # the goals' per-process cycle numbers (core.goals.queries) nor
            # the organisation's programme health (core.health.queries).
            # Nor the figures stored in the database (core.snapshots): a
            # database nobody has computed on yet.
            st.cache_data.clear()
            clear_numbers_memo()
            clear_health_memo()
            forget_stored()
            started, cpu = time.perf_counter(), time.process_time()
            at.switch_page(f"app_pages/{page}.py").run()
            first = time.perf_counter() - started
            first_cpu = time.process_time() - cpu
            assert not at.exception, (role, page, at.exception)
            # What the first visit left to store, written in the background.
            cpu = time.process_time()
            wait_for_writes()
            store_cpu = time.process_time() - cpu

            # A process that starts (or another replica) where the figures
            # are stored: every in-process cache cleared, the snapshots kept.
            st.cache_data.clear()
            clear_numbers_memo()
            clear_health_memo()
            started, cpu = time.perf_counter(), time.process_time()
            at.run()
            stored = time.perf_counter() - started
            stored_cpu = time.process_time() - cpu
            assert not at.exception, (role, page, at.exception)
            wait_for_writes()

            def cold(app: AppTest = at) -> None:
                st.cache_data.clear()
                app.run()

            # A first visit after a server start, once the start-up warm-up
            # (core.runtime.warm_caches, a background thread) has run.
            st.cache_data.clear()
            clear_numbers_memo()
            clear_health_memo()
            warm_caches(engine, delay_s=0)
            wait_for_writes()
            started, cpu = time.perf_counter(), time.process_time()
            at.run()
            warmed = time.perf_counter() - started
            warmed_cpu = time.process_time() - cpu
            cold_wall, cold_cpu = _median_times(cold, runs)
            warm_wall, warm_cpu = _median_times(at.run, runs)
            timings[page] = {
                "first": first,
                "stored": stored,
                "warmed": warmed,
                "cold": cold_wall,
                "warm": warm_wall,
                "first_cpu": first_cpu,
                "store_cpu": store_cpu,
                "stored_cpu": stored_cpu,
                "warmed_cpu": warmed_cpu,
                "cold_cpu": cold_cpu,
                "warm_cpu": warm_cpu,
            }
            assert not at.exception, (role, page, at.exception)
        results["pages"][role] = timings
    if not only or "reviews" in only:
        # The 360 report itself, for the manager of the person reviewed.
        review_id = _closed_review(database_url, accounts["manager"])
        at = _signed_in(home, accounts["manager"], DEMO_PASSWORD)
        at.query_params["review"] = str(review_id)
        at.switch_page("app_pages/reviews.py").run()
        assert not at.exception, at.exception
        assert "Report" in [s.value for s in at.subheader], "no 360 report"
        results["review_report_s"] = _median_times(at.run, runs)
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


TARGET_S = 0.5


def _print(size: int, r: dict[str, Any]) -> None:
    empty = r["empty_page_s"] or 1e-9
    print(
        f"\n== {size:,} people, {r['assessments']:,} assessments "
        f"(generated in {r['generate_s']:.0f} s) =="
    )
    print(f"  {'org heatmap aggregate (core)':<34} {r['aggregate_s']:7.3f} s")
    print(f"  {'empty page (AppTest)':<34} {r['empty_page_s']:7.3f} s")
    roles = list(r["pages"])
    pages: list[str] = []
    for role in roles:
        pages += [p for p in r["pages"][role] if p not in pages]
    slow = []
    for title, suffix in (("wall-clock", ""), ("CPU", "_cpu")):
        print(
            f"\n  Server render (AppTest), median {title} s: first visit (every cache "
            "cleared), cold (st.cache_data cleared), cached"
        )
        header = "".join(f" | {role:^23}" for role in roles)
        print(f"  {'page':<14}{header}")
        print(f"  {'':<14}" + "".join(f" | {'first':>7}{'cold':>8}{'cached':>8}" for _ in roles))
        for page in pages:
            cells = []
            for role in roles:
                t = r["pages"][role].get(page)
                if t is None:
                    cells.append(f" | {'—':>7}{'':>8}{'':>8}")
                    continue
                first, cold, warm = (t[k + suffix] for k in ("first", "cold", "warm"))
                cells.append(f" | {first:7.3f}{cold:8.3f}{warm:8.3f}")
                if suffix and max(first, cold) > TARGET_S:
                    slow.append(f"{page} ({role})")
            print(f"  {page:<14}" + "".join(cells))
    warmed = [
        (page, role, t)
        for role in roles
        for page, t in r["pages"][role].items()
        if "warmed_cpu" in t and t["first_cpu"] > TARGET_S
    ]
    if warmed:
        print(
            "\n  First visit of a process that starts where the figures are stored"
            " (core.snapshots), and once the start-up warm-up has run"
            " (core.runtime.warm_caches), pages whose plain first visit is over the target:"
        )
        for page, role, t in warmed:
            print(
                f"  {page:<18} {role:<9} first {t['first_cpu']:.3f} s CPU"
                f" (+{t['store_cpu']:.3f} s storing it in the background)"
                f" -> new process, stored {t['stored_cpu']:.3f} s CPU ({t['stored']:.3f} s wall)"
                f" -> after warm-up {t['warmed_cpu']:.3f} s CPU ({t['warmed']:.3f} s wall)"
            )
    if "review_report_s" in r:
        wall, cpu = r["review_report_s"]
        print(f"\n  {'360 report page (manager)':<34} {wall:7.3f} s wall, {cpu:.3f} s CPU")
    print(f"\n  over {TARGET_S} s of CPU: {', '.join(slow) if slow else 'none'}")
    print(f"  {'peak memory (max RSS)':<34} {r['peak_rss_mb']:7.0f} MB")
    print(f"  accounts: {r['accounts']}  (empty page {empty:.3f} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--reuse", action="store_true", help="reuse databases already built")
    parser.add_argument("--roles", nargs="+", default=list(ROLES), choices=ROLES)
    parser.add_argument("--pages", nargs="+", default=[], help="only these pages (file stems)")
    parser.add_argument("--database-url", help="measure this database instead of generating")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # child process: a database URL
    args = parser.parse_args(argv)
    if args.measure:
        result = measure(args.measure, args.runs, tuple(args.roles), tuple(args.pages))
        print(json.dumps(result))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Stride skills-gap benchmark: {os.cpu_count()} CPUs, load {load:.1f}, "
        f"median of {args.runs} runs"
    )
    for size in args.sizes:
        path = args.workdir / f"bench-{size}.db"
        url = args.database_url or f"sqlite:///{path}"
        generate_s = 0.0
        if not args.database_url and not (args.reuse and path.exists()):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            generate_s = _generate(size, url)
        elif args.database_url:
            # A database built by an older release: migrate it as the app's start would.
            from db.engine import make_engine
            from db.migrate import upgrade_to_head

            engine = make_engine(url)
            upgrade_to_head(engine)
            engine.dispose()
        child = subprocess.run(  # noqa: S603  (our interpreter, our module)
            [
                sys.executable,
                *("-m", "seed.bench", "--measure", url, "--runs", str(args.runs)),
                *("--roles", *args.roles),
                *(("--pages", *args.pages) if args.pages else ()),
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        result["generate_s"] = generate_s
        _print(size, result)


if __name__ == "__main__":
    main()
