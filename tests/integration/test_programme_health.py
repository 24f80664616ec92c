"""Programme health from the database: HR sees everyone, a manager their line,
an employee nothing; the figures count what is stored."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlmodel import Session, select

from core.errors import PermissionDenied
from core.health.queries import get_programme_health
from core.health.rules import Measure
from db.models import KeyResult, OrgUnit, utcnow
from tests.factories import (
    actor_for,
    make_check_in,
    make_cycle,
    make_feedback,
    make_goal,
    make_progress_update,
    make_small_org,
)

TODAY = date.today()


def _share(health_trend: pd.DataFrame, measure: Measure) -> tuple[int, int]:
    row = health_trend[
        (health_trend["measure"] == measure.value) & (health_trend["at"] == TODAY)
    ].iloc[0]
    return int(row["hits"]), int(row["of"])


def test_hr_sees_the_organisation_and_the_figures_count_what_is_stored(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    company_unit = session.get(OrgUnit, org.team_a.parent_id)
    company = make_goal(session, cycle=cycle, unit=company_unit, level="company")
    team = make_goal(session, cycle=cycle, unit=org.team_a, parent=company)
    aligned = make_goal(
        session, cycle=cycle, owner=org.report, parent=team, key_results=[(0, 10, 1)]
    )
    make_goal(session, cycle=cycle, owner=org.peer, key_results=[(0, 10, 1)])
    kr = session.exec(select(KeyResult).where(KeyResult.goal_id == aligned.id)).one()
    make_progress_update(session, key_result=kr, at=utcnow() - timedelta(days=2))

    health = get_programme_health(session, actor=actor_for(session, org.hr), today=TODAY)
    assert health.scope == "the organisation"
    assert health.people == 9
    # Only the report has an open goal aligned to the company objective.
    assert _share(health.trend, Measure.shared_vision) == (1, 9)
    # Four open goals (company, team, two individual); one updated recently.
    assert _share(health.trend, Measure.reviewed) == (1, 4)
    assert _share(health.trend, Measure.tracked) == (1, 4)
    assert set(health.by_unit["Unit"].str.strip()) >= {"Company", "Team A", "Team B"}


def test_a_manager_sees_only_their_line_and_an_employee_nothing(session: Session) -> None:
    org = make_small_org(session)
    cycle = make_cycle(session)
    make_goal(session, cycle=cycle, owner=org.outsider, key_results=[(0, 1, 0)])
    make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 1, 0)])
    health = get_programme_health(session, actor=actor_for(session, org.manager), today=TODAY)
    assert health.scope == "your line"
    assert health.people == 4  # report, peer, lead, indirect
    assert _share(health.trend, Measure.reviewed) == (0, 1)
    assert "Team B" not in set(health.by_unit["Unit"].str.strip())
    with pytest.raises(PermissionDenied):
        get_programme_health(session, actor=actor_for(session, org.report), today=TODAY)


def test_feedback_and_check_ins_count_people_within_the_last_month(session: Session) -> None:
    org = make_small_org(session)
    make_feedback(session, giver=org.peer, receiver=org.report)
    make_check_in(session, employee=org.report, due_on=TODAY, held_on=TODAY - timedelta(days=3))
    make_check_in(session, employee=org.peer, due_on=None, held_on=TODAY - timedelta(days=40))
    make_check_in(session, employee=org.lead, due_on=TODAY)  # planned, not held
    health = get_programme_health(session, actor=actor_for(session, org.hr), today=TODAY)
    # The peer gave and the report received: two of nine people.
    assert _share(health.trend, Measure.feedback) == (2, 9)
    # Eight people have a manager; only the report's check-in is recent and held.
    assert _share(health.trend, Measure.checkins) == (1, 8)


def test_check_ins_and_reviews_count_at_every_point_of_the_trend(session: Session) -> None:
    """The facts are read per point (the latest check-in held in each point's
    window, whether a goal was updated in each review window): every point of
    the trend counts what a direct look at the stored rows says."""
    from core.health.rules import CHECKIN_WINDOW, REVIEW_WINDOW, monthly_points

    org = make_small_org(session)
    points = monthly_points(TODAY)
    held = [
        (org.report, [TODAY - timedelta(days=d) for d in (3, 20, 64, 95)]),
        (org.peer, [TODAY - timedelta(days=d) for d in (33, 40, 150)]),
        (org.lead, [TODAY - timedelta(days=d) for d in (1, 2, 31, 32, 61, 62)]),
    ]
    for person, days in held:
        for day in days:
            make_check_in(session, employee=person, due_on=None, held_on=day)
    make_check_in(session, employee=org.indirect, due_on=TODAY)  # planned, not held
    cycle = make_cycle(
        session, starts_on=TODAY - timedelta(days=200), ends_on=TODAY + timedelta(days=30)
    )
    goal = make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 10, 1)])
    goal.created_at = utcnow() - timedelta(days=190)
    session.add(goal)
    kr = session.exec(select(KeyResult).where(KeyResult.goal_id == goal.id)).one()
    updated = [utcnow() - timedelta(days=d) for d in (2, 45, 50, 120)]
    for at in updated:
        make_progress_update(session, key_result=kr, at=at)
    session.flush()

    health = get_programme_health(session, actor=actor_for(session, org.hr), today=TODAY)
    trend = health.trend
    for point in points:
        row = trend[(trend["measure"] == Measure.checkins.value) & (trend["at"] == point)]
        expected = sum(
            any(point - CHECKIN_WINDOW < day <= point for day in days) for _, days in held
        )
        assert int(row["hits"].iloc[0]) == expected, point
        row = trend[(trend["measure"] == Measure.reviewed.value) & (trend["at"] == point)]
        recent = any(point - REVIEW_WINDOW < at.date() <= point for at in updated)
        assert int(row["hits"].iloc[0]) == int(recent), point


def test_a_line_read_narrowly_counts_what_the_whole_organisation_read_counts(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A manager's line reads only its own people's rows (IN lists); the
    figures equal those of reading everything and keeping the line's rows."""
    import random

    from core.health import queries
    from db.models import Person
    from tests.integration.test_assessments import _random_org

    rng = random.Random(8)
    _random_org(session, rng)
    people = list(session.exec(select(Person).order_by(Person.id)).all())  # type: ignore[arg-type]
    boss, leads = people[0], people[1:4]
    for index, person in enumerate(people[4:]):
        person.manager_id = leads[index % 3].id if index % 2 else boss.id
        session.add(person)
    for lead in leads:
        lead.manager_id = boss.id
        session.add(lead)
    session.flush()
    cycle = make_cycle(
        session, starts_on=TODAY - timedelta(days=200), ends_on=TODAY + timedelta(days=30)
    )
    for person in people[1:]:
        if rng.random() < 0.6:
            make_check_in(
                session,
                employee=person,
                due_on=None,
                held_on=TODAY - timedelta(days=rng.randrange(0, 200)),
            )
        if rng.random() < 0.5:
            make_feedback(session, giver=person, receiver=rng.choice(people))
        if rng.random() < 0.7:
            goal = make_goal(session, cycle=cycle, owner=person, key_results=[(0, 10, 1)])
            kr = session.exec(select(KeyResult).where(KeyResult.goal_id == goal.id)).one()
            make_progress_update(
                session, key_result=kr, at=utcnow() - timedelta(days=rng.randrange(0, 150))
            )
    session.flush()
    for manager in (boss, leads[0]):
        actor = actor_for(session, manager)
        narrow = get_programme_health(session, actor=actor, today=TODAY)
        monkeypatch.setattr(queries, "NARROW_LIMIT", -1)
        whole = get_programme_health(session, actor=actor, today=TODAY)
        monkeypatch.undo()
        assert narrow.people == whole.people > 0
        pd.testing.assert_frame_equal(narrow.trend, whole.trend)
        pd.testing.assert_frame_equal(narrow.by_unit, whole.by_unit)
        pd.testing.assert_frame_equal(narrow.behind, whole.behind)


def test_the_organisation_figures_are_kept_for_hr_only_and_only_as_long_as_asked(
    session: Session,
) -> None:
    """The organisation's figures come from the per-process memo within the
    age asked for; a manager's line is computed for them, and an employee is
    refused even with figures in the memo."""
    from core.health.queries import clear_health_memo, refresh_organisation_health

    org = make_small_org(session)
    clear_health_memo()
    hr = actor_for(session, org.hr)
    kept = refresh_organisation_health(session, today=TODAY)
    assert get_programme_health(session, actor=hr, today=TODAY, max_age_s=300) is kept
    # Too old for what is asked: computed again, with the same figures.
    again = get_programme_health(session, actor=hr, today=TODAY, max_age_s=0)
    assert again is not kept
    pd.testing.assert_frame_equal(again.trend, kept.trend)
    line = get_programme_health(
        session, actor=actor_for(session, org.manager), today=TODAY, max_age_s=300
    )
    assert line.scope == "your line"
    assert line.people == 4
    with pytest.raises(PermissionDenied):
        get_programme_health(
            session, actor=actor_for(session, org.report), today=TODAY, max_age_s=300
        )
    clear_health_memo()
