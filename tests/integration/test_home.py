"""Home's to-do sources per role and the participation figures, on SQLite and
PostgreSQL: an employee's stale key result and goals to close, learning due,
ratings requested of a manager or missing self-assessments, HR's shares
against a hand-counted organisation, and that sources cost the same number of
queries however many goals there are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session

from core.errors import PermissionDenied
from core.home import get_home, get_participation
from core.todos import Todo, Urgency, as_of, list_todos, registered_sources
from db.models import Competency, Goal, GoalCycle, KeyResult, Position, ScaleValue, utcnow
from tests.factories import (
    SmallOrg,
    actor_for,
    make_assessment,
    make_competency,
    make_cycle,
    make_framework,
    make_goal,
    make_learning_assignment,
    make_person,
    make_position,
    make_progress_update,
    make_requirement,
    make_scale,
    make_small_org,
    scale_value,
)

TODAY = utcnow().date()


def _current_cycle(session: Session) -> GoalCycle:
    return make_cycle(
        session,
        name="Now",
        starts_on=TODAY - timedelta(days=40),
        ends_on=TODAY + timedelta(days=50),
    )


def _aged(session: Session, goal: Goal, *, days: int) -> Goal:
    goal.created_at = utcnow() - timedelta(days=days)
    session.add(goal)
    session.flush()
    return goal


def _key_results(session: Session, goal: Goal) -> list[KeyResult]:
    from sqlmodel import select

    return list(session.exec(select(KeyResult).where(KeyResult.goal_id == goal.id)).all())


def _of(todos: list[Todo], kind: str) -> list[Todo]:
    return [t for t in todos if t.kind == kind]


# --- goals ------------------------------------------------------------------------


def test_employee_with_a_stale_key_result_is_asked_to_update_it(session: Session) -> None:
    org = make_small_org(session)
    cycle = _current_cycle(session)
    stale = _aged(
        session,
        make_goal(
            session, cycle=cycle, owner=org.report, title="Ship it", key_results=[(0, 10, 2)]
        ),
        days=30,
    )
    fresh = _aged(
        session,
        make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 10, 2), (0, 5, 1)]),
        days=30,
    )
    for kr in _key_results(session, fresh):
        make_progress_update(session, key_result=kr, at=utcnow() - timedelta(days=2))
    # Someone else's stale goal is not the report's to-do.
    _aged(
        session, make_goal(session, cycle=cycle, owner=org.peer, key_results=[(0, 1, 0)]), days=40
    )

    todos = list_todos(session=session, actor=actor_for(session, org.report), today=TODAY)

    stale_todos = _of(todos, "goals.key_result_stale")
    assert len(stale_todos) == 1
    todo = stale_todos[0]
    assert todo.page == "my_goals"
    assert todo.query == {"goal": str(stale.id)}
    assert "Ship it" in todo.title
    assert todo.urgency is Urgency.overdue
    assert todo.due_on == (stale.created_at + timedelta(weeks=3)).date()


def test_one_to_do_per_goal_naming_its_stale_key_results(session: Session) -> None:
    org = make_small_org(session)
    cycle = _current_cycle(session)
    goal = _aged(
        session,
        make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 1, 0)] * 5),
        days=30,
    )
    krs = _key_results(session, goal)
    make_progress_update(session, key_result=krs[0], at=utcnow() - timedelta(days=1))
    todos = _of(
        list_todos(session=session, actor=actor_for(session, org.report), today=TODAY),
        "goals.key_result_stale",
    )
    assert len(todos) == 1
    assert todos[0].detail.endswith("and 1 more")
    assert krs[0].title not in todos[0].detail


def test_goals_to_close_at_the_end_of_their_cycle(session: Session) -> None:
    org = make_small_org(session)
    ending = make_cycle(
        session, starts_on=TODAY - timedelta(days=80), ends_on=TODAY + timedelta(days=5)
    )
    ended = make_cycle(
        session, starts_on=TODAY - timedelta(days=120), ends_on=TODAY - timedelta(days=10)
    )
    later = make_cycle(session, starts_on=TODAY, ends_on=TODAY + timedelta(days=80))
    soon = make_goal(session, cycle=ending, owner=org.report, title="Soon")
    late = make_goal(session, cycle=ended, owner=org.report, title="Late")
    make_goal(session, cycle=later, owner=org.report)
    make_goal(session, cycle=ended, owner=org.report, status="completed")
    make_goal(session, cycle=ended, owner=org.peer)

    todos = _of(
        list_todos(session=session, actor=actor_for(session, org.report), today=TODAY),
        "goals.close_at_cycle_end",
    )

    assert [(t.query["goal"], t.urgency) for t in todos] == [
        (str(late.id), Urgency.overdue),
        (str(soon.id), Urgency.due_soon),
    ]
    assert todos[1].due_on == ending.ends_on
    # A goal of an ended cycle is closed, not updated.
    assert not _of(
        list_todos(session=session, actor=actor_for(session, org.report), today=TODAY),
        "goals.key_result_stale",
    )


# --- ratings ------------------------------------------------------------------------


@dataclass
class Rated:
    org: SmallOrg
    position: Position
    first: Competency
    second: Competency
    level: ScaleValue


def _rated_team(session: Session) -> Rated:
    org = make_small_org(session)
    scale = make_scale(session)
    framework = make_framework(session, scale=scale)
    first = make_competency(session, framework=framework, name="Testing")
    second = make_competency(session, framework=framework, name="Writing")
    position = make_position(session, title="Engineer")
    level = scale_value(session, scale, "Proficient")
    for competency in (first, second):
        make_requirement(session, position=position, competency=competency, value=level)
    for person in (org.report, org.peer, org.indirect, org.lead):
        person.position_id = position.id
        session.add(person)
    session.flush()
    return Rated(org, position, first, second, level)


def test_manager_sees_ratings_requested_by_self_assessments(session: Session) -> None:
    team = _rated_team(session)
    org, now = team.org, utcnow()
    # Report: self-assessed Testing (no manager rating), Writing rated after the self-view.
    make_assessment(
        session,
        person=org.report,
        competency=team.first,
        value=team.level,
        source="self",
        rater=org.report,
        at=now - timedelta(days=3),
    )
    make_assessment(
        session,
        person=org.report,
        competency=team.second,
        value=team.level,
        source="self",
        rater=org.report,
        at=now - timedelta(days=9),
    )
    make_assessment(
        session,
        person=org.report,
        competency=team.second,
        value=team.level,
        source="manager",
        rater=org.manager,
        at=now - timedelta(days=5),
    )
    # Peer: rated, then assessed themselves again since: asked again.
    make_assessment(
        session,
        person=org.peer,
        competency=team.first,
        value=team.level,
        source="manager",
        rater=org.manager,
        at=now - timedelta(days=20),
    )
    make_assessment(
        session,
        person=org.peer,
        competency=team.first,
        value=team.level,
        source="self",
        rater=org.peer,
        at=now - timedelta(days=1),
    )
    # An indirect report's self-assessment is their own manager's to rate.
    make_assessment(
        session,
        person=org.indirect,
        competency=team.first,
        value=team.level,
        source="self",
        rater=org.indirect,
        at=now,
    )

    todos = _of(
        list_todos(session=session, actor=actor_for(session, org.manager), today=TODAY),
        "competencies.manager_rating_requested",
    )

    assert [(t.title, t.query) for t in todos] == [
        ("Rate Pete Peer", {"person": str(org.peer.id)}),
        ("Rate Rita Report", {"person": str(org.report.id)}),
    ]
    assert all(t.page == "skills_gap" for t in todos)
    report_todo = todos[1]
    assert "Testing" in report_todo.detail
    assert "Writing" not in report_todo.detail
    lead_todos = list_todos(session=session, actor=actor_for(session, org.lead), today=TODAY)
    assert [t.title for t in _of(lead_todos, "competencies.manager_rating_requested")] == [
        "Rate Ivy Indirect"
    ]


def test_employee_is_asked_to_assess_competencies_never_self_assessed(session: Session) -> None:
    team = _rated_team(session)
    org = team.org
    make_assessment(
        session,
        person=org.report,
        competency=team.first,
        value=team.level,
        source="manager",
        rater=org.manager,
    )
    todos = _of(
        list_todos(session=session, actor=actor_for(session, org.report), today=TODAY),
        "competencies.self_assessment_missing",
    )
    assert len(todos) == 1
    assert todos[0].title == "Assess yourself in 2 competencies of your role"
    assert todos[0].page == "my_skills"
    assert todos[0].query == {"competency": str(team.first.id)}

    make_assessment(
        session,
        person=org.report,
        competency=team.first,
        value=team.level,
        source="self",
        rater=org.report,
    )
    make_assessment(
        session,
        person=org.report,
        competency=team.second,
        value=team.level,
        source="self",
        rater=org.report,
    )
    assert not _of(
        list_todos(session=session, actor=actor_for(session, org.report), today=TODAY),
        "competencies.self_assessment_missing",
    )
    # Without a position there is nothing to assess against.
    assert not list_todos(session=session, actor=actor_for(session, org.ceo), today=TODAY)


# --- learning -------------------------------------------------------------------------


def test_learning_due_soon_or_overdue(session: Session) -> None:
    team = _rated_team(session)
    person = team.org.report

    def assign(due_on: date | None, status: str = "assigned", title: str = "") -> int:
        made = make_learning_assignment(
            session,
            person=person,
            competency=team.first,
            value=team.level,
            due_on=due_on,
            status=status,
            title=title or None,
        )
        return made.id or 0

    overdue = assign(TODAY - timedelta(days=2), "in progress", "Late course")
    soon = assign(TODAY + timedelta(days=3), title="Soon course")
    assign(TODAY + timedelta(days=60))
    assign(None)
    assign(TODAY - timedelta(days=5), "completed")
    assign(TODAY - timedelta(days=5), "cancelled")

    todos = _of(
        list_todos(session=session, actor=actor_for(session, person), today=TODAY),
        "learning.assignment_due",
    )

    assert [(t.query, t.urgency) for t in todos] == [
        ({"assignment": str(overdue)}, Urgency.overdue),
        ({"assignment": str(soon)}, Urgency.due_soon),
    ]
    assert todos[0].title == "Finish “Late course”"
    assert all(t.page == "learning" for t in todos)


# --- participation --------------------------------------------------------------------


def test_hr_participation_against_a_hand_counted_organisation(session: Session) -> None:
    team = _rated_team(session)
    org, now = team.org, utcnow()
    cycle = _current_cycle(session)
    earlier = make_cycle(
        session, starts_on=TODAY - timedelta(days=200), ends_on=TODAY - timedelta(days=100)
    )
    # Team A: report (goal, updated, self + manager), peer (goal, old update, self),
    # lead (a draft only), indirect (a cancelled goal), manager (last cycle's goal).
    report_goal = make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 1, 0)])
    make_progress_update(
        session, key_result=_key_results(session, report_goal)[0], at=now - timedelta(days=2)
    )
    peer_goal = make_goal(session, cycle=cycle, owner=org.peer, key_results=[(0, 1, 0)])
    make_progress_update(
        session, key_result=_key_results(session, peer_goal)[0], at=now - timedelta(days=30)
    )
    make_goal(session, cycle=cycle, owner=org.lead, status="draft")
    make_goal(session, cycle=cycle, owner=org.indirect, status="cancelled")
    make_goal(session, cycle=earlier, owner=org.manager)
    # Team B: the outsider has a completed goal.
    make_goal(session, cycle=cycle, owner=org.outsider, status="completed")
    for person, source in ((org.report, "self"), (org.report, "manager"), (org.peer, "self")):
        make_assessment(
            session,
            person=person,
            competency=team.first,
            value=team.level,
            source=source,
            rater=org.manager if source == "manager" else person,
        )
    # Inactive people are not counted, whatever they did.
    gone = make_person(session, name="Gone", unit=org.team_b, active=False)
    make_goal(session, cycle=cycle, owner=gone)
    make_assessment(
        session, person=gone, competency=team.first, value=team.level, source="self", rater=gone
    )

    hr = actor_for(session, org.hr)
    result = get_participation(session, actor=hr, cycle_id=cycle.id, now=as_of(TODAY))

    assert result.people == 9
    assert result.counts == {
        "with_goals": 3,  # report, peer, outsider
        "updated": 1,  # report
        "self_assessed": 2,  # report, peer
        "manager_rated": 1,  # report
    }
    groups = result.by_group.set_index("group")
    assert groups.loc["Team A", "people"] == 5
    assert groups.loc["Team A", "with_goals"] == 2
    assert groups.loc["Team B", "with_goals"] == 1
    # The CEO sits in the top unit: counted in the totals, but the company is
    # not a row beside its own divisions.
    assert "Company" not in groups.index
    assert groups["people"].sum() == 8
    assert groups.loc["Team C", "self_assessed"] == 0
    assert result.share("with_goals") == pytest.approx(3 / 9)

    with pytest.raises(PermissionDenied):
        get_participation(
            session, actor=actor_for(session, org.manager), cycle_id=cycle.id, now=as_of(TODAY)
        )


# --- one read per role ----------------------------------------------------------------


def test_home_per_role(session: Session) -> None:
    team = _rated_team(session)
    org = team.org
    cycle = _current_cycle(session)
    _aged(
        session, make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 4, 1)]), days=30
    )
    make_assessment(
        session,
        person=org.report,
        competency=team.first,
        value=team.level,
        source="self",
        rater=org.report,
    )

    employee = get_home(session=session, actor=actor_for(session, org.report), today=TODAY)
    assert employee.cycle is not None
    assert employee.cycle.id == cycle.id
    assert len(employee.my_goals) == 1
    assert employee.my_goals[0].stale
    assert employee.dashboard.manager is not None
    assert employee.dashboard.manager.full_name == "Mona Manager"
    assert employee.team is None
    assert employee.participation is None
    assert {t.kind for t in employee.todos} == {
        "goals.key_result_stale",
        "competencies.self_assessment_missing",
    }

    manager = get_home(session=session, actor=actor_for(session, org.manager), today=TODAY)
    assert manager.team is not None
    assert manager.team.goals == 1
    assert manager.team.stale == 1
    assert [g.person for g in manager.team.flagged] == ["Rita Report"]
    # Report and peer hold the two-competency role; lead too (the indirect is the lead's).
    assert manager.team.unrated == 6
    assert manager.team.awaiting == 1
    assert manager.participation is None

    hr = get_home(session=session, actor=actor_for(session, org.hr), today=TODAY)
    assert hr.participation is not None
    assert hr.participation.counts["with_goals"] == 1
    assert hr.team is None


@contextmanager
def _counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    bind = session.connection().engine
    event.listen(bind, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", count)


def test_sources_take_the_same_queries_for_one_goal_or_many(session: Session) -> None:
    team = _rated_team(session)
    org = team.org
    cycle = _current_cycle(session)
    actor = actor_for(session, org.report)

    def queries() -> int:
        with _counted(session) as statements:
            list_todos(session=session, actor=actor, today=TODAY)
        return len(statements)

    _aged(
        session, make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 1, 0)]), days=30
    )
    one = queries()
    for _ in range(8):
        _aged(
            session,
            make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 1, 0)] * 3),
            days=30,
        )
    many = queries()
    assert many == one
    # Each feature's source asks in a query or two for the actor's whole list:
    # the list costs no more queries than there are sources.
    assert one <= len(registered_sources())


def test_a_person_with_nothing_has_an_empty_home(session: Session) -> None:
    org = make_small_org(session)
    alone = make_person(session, name="New Starter", unit=org.team_b)
    home = get_home(session=session, actor=actor_for(session, alone), today=TODAY)
    assert home.todos == []
    assert home.my_goals == []
    assert home.dashboard.manager is None
    assert home.dashboard.reports == []
    assert home.team is None
