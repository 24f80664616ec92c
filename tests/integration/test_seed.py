"""Demo seeding and the generator on a real database of each backend."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from core.auth import verify_password
from core.org import report_ids
from db.engine import make_engine
from db.migrate import upgrade_to_head
from db.models import OrgUnit, Person, Setting, UserAccount
from seed.demo import DEMO_PASSWORD, DEMO_STEPS, seed_demo_if_empty
from seed.generate import build_org_plan, generate
from seed.org import load_org_plan


def _fresh_sqlite(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'seed.db'}")


def test_demo_seed_runs_once(tmp_path: Path) -> None:
    engine = _fresh_sqlite(tmp_path)
    upgrade_to_head(engine)
    assert seed_demo_if_empty(engine) is True
    assert seed_demo_if_empty(engine) is False
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Person)).one() == 60
        markers = {s.key for s in session.exec(select(Setting)).all()}
        assert {marker for marker, _ in DEMO_STEPS} <= markers
        maya = session.exec(select(UserAccount).where(UserAccount.username == "maya")).one()
        assert verify_password(DEMO_PASSWORD, maya.password_hash)
        daniel = session.exec(select(UserAccount).where(UserAccount.username == "daniel")).one()
        assert len(report_ids(session, manager_id=daniel.person_id)) > 6


def test_a_real_organisation_is_never_seeded(tmp_path: Path) -> None:
    engine = _fresh_sqlite(tmp_path)
    upgrade_to_head(engine)
    with Session(engine) as session:
        session.add(OrgUnit(code="REAL", name="Real Co", kind="company"))
        session.commit()
    assert seed_demo_if_empty(engine) is False
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Person)).one() == 0


def test_generated_org_loads_on_each_backend(session: Session) -> None:
    shares: list[float] = []
    ids = load_org_plan(
        session,
        build_org_plan(500),
        password=DEMO_PASSWORD,
        progress=lambda _label, share: shares.append(share),
    )
    assert len(ids) == 500
    assert session.exec(select(func.count()).select_from(Person)).one() == 500
    assert session.exec(select(func.count()).select_from(UserAccount)).one() == 500
    managed = session.exec(select(func.count()).where(col(Person.manager_id).is_not(None))).one()
    assert managed == 499
    assert shares == sorted(shares)
    assert shares[-1] == 1.0


def test_generate_command_refuses_a_non_empty_database(tmp_path: Path) -> None:
    engine = _fresh_sqlite(tmp_path)
    assert len(generate(engine, people=50)) == 50
    with pytest.raises(SystemExit, match="not empty"):
        generate(engine, people=50)
