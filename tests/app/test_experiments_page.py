"""Cadence experiments page: HR reads the demo's finished experiment side by
side, applies the winner, sets up and starts a new one; employees and
managers have no such page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.text import markdown_literal
from db.engine import make_engine
from db.models import AuditEvent, CheckInUnitCadence, Experiment, OrgUnit
from tests.app.conftest import open_page, sign_in

PAGE = "app_pages/experiments.py"
NOT_SHOWN = re.compile(r"\b(None|nan|NaN|NaT)\b")


def _cadence(url: str, unit: str) -> str | None:
    engine = make_engine(url)
    with Session(engine) as session:
        unit_id = session.exec(select(OrgUnit.id).where(OrgUnit.name == unit)).one()
        every = session.exec(
            select(CheckInUnitCadence.every).where(CheckInUnitCadence.org_unit_id == unit_id)
        ).first()
    engine.dispose()
    return every


def test_hr_reads_the_finished_experiment_and_applies_the_winner(
    app: AppTest, demo_database_url: str
) -> None:
    at = open_page(sign_in(app, "hana"), PAGE)
    assert [t.value for t in at.title] == ["Cadence experiments"]
    results = at.dataframe[1].value
    assert list(results["Outcome"]) == [
        "Check-in adherence",
        "Days from a key-result update to the next feedback or check-in",
        "Goal progress",
        "Goals at risk",
        "Feedback exchanged per month",
    ]
    assert list(results.columns[1:3]) == ["A (Weekly)", "B (Monthly)"]
    for frame in at.dataframe:
        cells = [str(c) for c in frame.value.to_numpy().ravel()]
        assert not [c for c in cells if NOT_SHOWN.search(c)], cells[:20]
    assert any("Monthly" in s.value and "does better" in s.value for s in at.success)
    assert _cadence(demo_database_url, "Platform") == "weekly"  # restored when it finished
    apply = next(b for b in at.button if b.key == "experiments_apply")
    assert apply.disabled  # until confirmed
    at.checkbox(key="experiments_apply_confirm").check().run()
    at.button(key="experiments_apply").click().run()
    assert not at.exception, at.exception
    assert _cadence(demo_database_url, "Platform") == "monthly"
    assert _cadence(demo_database_url, "IT Support") == "monthly"


def _unit_id(url: str, name: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        unit_id = session.exec(select(OrgUnit.id).where(OrgUnit.name == name)).one()
    engine.dispose()
    assert unit_id is not None
    return unit_id


def test_hr_sets_up_a_pairs_experiment_named_as_typed(app: AppTest, demo_database_url: str) -> None:
    at = open_page(sign_in(app, "hana"), PAGE)
    at.radio(key="experiments_design").set_value("pairs").run()
    name = "=1+1 ![x](//h/i)"
    at.text_input(key="experiments_name").input(name)
    at.selectbox(key="experiments_variant_a").set_value("biweekly")
    at.selectbox(key="experiments_variant_b").set_value("monthly")
    at.selectbox(key="experiments_pairs_unit").set_value(_unit_id(demo_database_url, "Sales"))
    next(b for b in at.button if b.label == "Create the experiment").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Created as a draft" in s.value for s in at.success)
    assert at.subheader[0].value == markdown_literal(name)  # shown as typed
    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        created = session.exec(select(Experiment).where(Experiment.name == name)).one()
    engine.dispose()
    assert created.status == "draft"
    assert created.design == "pairs"


def test_a_refused_experiment_says_why_and_writes_nothing(
    app: AppTest, demo_database_url: str
) -> None:
    at = open_page(sign_in(app, "hana"), PAGE)
    at.text_input(key="experiments_name").input("Across the company")
    at.multiselect(key="experiments_units_a").set_value([_unit_id(demo_database_url, "Sales")])
    at.multiselect(key="experiments_units_b").set_value(
        [_unit_id(demo_database_url, "People & Finance")]
    )
    next(b for b in at.button if b.label == "Create the experiment").click().run()
    assert not at.exception, at.exception
    assert any("not switched on in People" in e.value for e in at.error), [
        e.value for e in at.error
    ]
    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        assert len(session.exec(select(Experiment)).all()) == 1  # the demo's only
    engine.dispose()


def test_a_draft_starts_and_a_running_one_finishes(app: AppTest, demo_database_url: str) -> None:
    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        sales = session.exec(select(OrgUnit.id).where(OrgUnit.name == "Sales")).one()
        draft = Experiment(
            name="Sales pairs",
            design="pairs",
            unit_id=sales,
            variant_a="weekly",
            variant_b="biweekly",
            starts_on=date.today(),
            ends_on=date.today() + timedelta(weeks=8),
            seed=5,
        )
        session.add(draft)
        session.commit()
        draft_id = draft.id
    engine.dispose()
    at = sign_in(app, "hana")
    at.query_params["experiment"] = str(draft_id)
    at = open_page(at, PAGE)
    at.button(key="experiments_start").click().run()
    assert not at.exception, at.exception
    assert any("Started" in s.value for s in at.success)
    at.button(key="experiments_finish").click().run()
    assert not at.exception, at.exception
    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        assert session.get_one(Experiment, draft_id).status == "finished"
        actions = set(session.exec(select(AuditEvent.action)).all())
    engine.dispose()
    assert {"experiment.started", "experiment.finished"} <= actions


@pytest.mark.parametrize("username", ["emma", "maya", "daniel"])
def test_employees_and_managers_cannot_open_experiments(app: AppTest, username: str) -> None:
    at = sign_in(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_a_start_someone_else_made_first_is_not_made_again_and_a_stale_finish_is_refused(
    app: AppTest, demo_database_url: str
) -> None:
    from core.auth import actor_for_person
    from core.experiments import commands
    from db.models import Person, UserAccount

    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        sales = session.exec(select(OrgUnit.id).where(OrgUnit.name == "Sales")).one()
        draft = Experiment(
            name="Sales pairs",
            design="pairs",
            unit_id=sales,
            variant_a="weekly",
            variant_b="biweekly",
            starts_on=date.today(),
            ends_on=date.today() + timedelta(weeks=8),
            seed=5,
        )
        session.add(draft)
        session.commit()
        draft_id, version = draft.id, draft.version
    at = sign_in(app, "hana")
    at.query_params["experiment"] = str(draft_id)
    at = open_page(at, PAGE)
    with Session(engine) as session:  # another HR admin starts it meanwhile
        hana = session.exec(
            select(Person).join(UserAccount).where(UserAccount.username == "hana")
        ).one()
        commands.start_experiment(
            session,
            actor=actor_for_person(session, person=hana, username="hana"),
            experiment_id=draft_id or 0,
            version=version,
        )
        session.commit()
    engine.dispose()
    at.button(key="experiments_start").click().run()
    assert not at.exception, at.exception
    # The click's run reads the experiment as it is now: running, so there is
    # nothing left to start and it is offered to finish instead.
    assert [b.key for b in at.button if b.key == "experiments_finish"] == ["experiments_finish"]
    assert not [b for b in at.button if b.key == "experiments_start"]
    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        started = session.exec(
            select(AuditEvent).where(AuditEvent.action == "experiment.started")
        ).all()
    engine.dispose()
    assert len(started) == 1
    # The view still holds the version it opened: finishing from it is refused
    # with a clear message, and the page reads the experiment afresh.
    at.button(key="experiments_finish").click().run()
    assert not at.exception, at.exception
    assert any("Someone else changed this experiment" in w.value for w in at.warning)
    at.button(key="experiments_finish").click().run()
    assert not at.exception, at.exception
    assert any("Finished" in s.value for s in at.success)
