"""People-import benchmark: Totara-style CSVs of 10,000 people.

    python -m seed.bench_people_import                 # SQLite, 10,000 people
    python -m seed.bench_people_import --people 2000 --database-url postgresql://…
    python -m seed.bench_people_import --both          # SQLite, then PostgreSQL
                                                       # (--database-url or TEST_DATABASE_URL)

Writes org units (a company, 10 divisions, 100 teams), 60 positions, users
and job assignments (each person managed by their team lead, leads by their
division head) as CSV files, then on an empty database with one HR admin:
dry run, commit, and a re-import of the same files (a dry run that must
plan no change, then the commit, which writes nothing). Prints each step's
seconds (median of --runs fresh databases).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text


def write_files(folder: Path, people: int) -> list[Path]:
    units = ["idnumber,fullname,parentidnumber,frameworkidnumber,timemodified", "CO,Company,,F,0"]
    for d in range(10):
        units.append(f"D{d},Division {d},CO,F,0")
        for t in range(10):
            units.append(f"T{d}{t},Team {d}-{t},D{d},F,0")
    positions = ["idnumber,fullname,parentidnumber,frameworkidnumber,timemodified"]
    positions += [f"P{p},Position {p},,Family {p % 6},0" for p in range(60)]
    users = ["idnumber,username,firstname,lastname,email,deleted,suspended,timemodified"]
    jobs = [
        "idnumber,useridnumber,fullname,orgidnumber,posidnumber,manageridnumber,"
        "appraiseridnumber,deleted,timemodified"
    ]
    per_team = max(1, people // 100)
    for n in range(people):
        team = min(n // per_team, 99)
        code = f"E{n:05d}"
        users.append(f"{code},user.{n},First{n},Last{n},user{n}@example.org,0,0,0")
        lead = f"E{team * per_team:05d}"
        head = f"E{(team // 10) * 10 * per_team:05d}"
        manager = "" if code == head and team % 10 == 0 else (head if code == lead else lead)
        jobs.append(f"J{n},{code},Job,T{team // 10}{team % 10},P{n % 60},{manager},,0,0")
    paths = []
    for name, lines in [
        ("org.csv", units),
        ("pos.csv", positions),
        ("user.csv", users),
        ("jobassignment.csv", jobs),
    ]:
        path = folder / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def run_once(url: str, paths: list[Path], schema: str | None = None) -> dict[str, float]:
    from core.first_run import FirstAdmin, create_first_hr_admin
    from core.people.hr_import import (
        command_line_actor,
        commit_people_import,
        preview_people_import,
    )
    from core.people.import_files import Source, UploadedFile, guess_source
    from core.runtime import unit_of_work
    from core.uploads import read_upload
    from db.engine import make_engine
    from db.migrate import upgrade_to_head

    engine = make_engine(url, schema=schema)
    upgrade_to_head(engine)
    with unit_of_work(engine) as session:
        create_first_hr_admin(
            session,
            admin=FirstAdmin("Bench", "Bench Admin", "bench", "bench@example.org", "x" * 16),
        )
    figures: dict[str, float] = {}

    def files() -> list[UploadedFile]:
        parsed = []
        for path in paths:
            workbook = read_upload(path.read_bytes(), path.name)
            source = guess_source(workbook) or (Source.positions if "pos" in path.name else None)
            parsed.append(UploadedFile(workbook, source))
        return parsed

    started = time.perf_counter()
    uploads = files()
    figures["read files"] = time.perf_counter() - started
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        actor = command_line_actor(session, username="bench")
        preview = preview_people_import(session, actor=actor, files=uploads)
    figures["dry run"] = time.perf_counter() - started
    assert not preview.errors, preview.errors[:5]
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        commit_people_import(session, actor=actor, files=uploads)
    figures["commit (plans again)"] = time.perf_counter() - started
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        again = preview_people_import(session, actor=actor, files=files())
    figures["re-import dry run"] = time.perf_counter() - started
    assert again.plan.is_empty, again.plan.counts()
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        commit_people_import(session, actor=actor, files=files())
    figures["re-import commit"] = time.perf_counter() - started
    engine.dispose()
    return figures


def bench(url: str | None, paths: list[Path], folder: str, runs: int) -> list[dict[str, float]]:
    """`runs` fresh databases: SQLite files in `folder`, or PostgreSQL schemas
    of their own at `url`, each dropped afterwards."""
    from db.engine import make_engine, normalise_url

    results: list[dict[str, float]] = []
    for run in range(runs):
        if url is None:
            results.append(
                run_once(f"sqlite:///{folder}/run{run}-{uuid.uuid4().hex[:6]}.db", paths)
            )
            continue
        schema = f"bench_import_{uuid.uuid4().hex[:8]}"
        admin = make_engine(normalise_url(url))
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            results.append(run_once(normalise_url(url), paths, schema))
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return results


def report(backend: str, people: int, results: list[dict[str, float]]) -> None:
    print(f"People import, {people:,} people, {backend}, median of {len(results)}:")
    for step in results[0]:
        values = [r[step] for r in results]
        print(
            f"  {step:<22} {statistics.median(values):7.2f} s"
            f"   (min {min(values):.2f}, max {max(values):.2f})"
        )
    total = [r["dry run"] + r["commit (plans again)"] for r in results]
    print(f"  {'dry run + commit':<22} {statistics.median(total):7.2f} s   (target ≤ 10 s)")
    again = [r["re-import commit"] for r in results]
    print(f"  {'re-import, 0 changes':<22} {statistics.median(again):7.2f} s   (target ≤ 5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--database-url",
        "--url",
        dest="url",
        help="a PostgreSQL URL; each run uses a schema of its own, dropped afterwards",
    )
    parser.add_argument(
        "--both",
        action="store_true",
        help="SQLite and PostgreSQL (--database-url, else TEST_DATABASE_URL)",
    )
    arguments = parser.parse_args()
    import os

    os.environ.setdefault("STRIDE_BCRYPT_ROUNDS", "12")
    backends: list[tuple[str, str | None]] = []
    if arguments.both or not arguments.url:
        backends.append(("SQLite", None))
    if arguments.both or arguments.url:
        url = arguments.url or os.environ.get("TEST_DATABASE_URL")
        if not url:
            parser.error("--both needs --database-url or TEST_DATABASE_URL for PostgreSQL")
        backends.append(("PostgreSQL", url))
    with tempfile.TemporaryDirectory() as folder:
        paths = write_files(Path(folder), arguments.people)
        for backend, url in backends:
            report(backend, arguments.people, bench(url, paths, folder, arguments.runs))


if __name__ == "__main__":
    main()
