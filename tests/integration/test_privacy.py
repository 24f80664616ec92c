"""Subject access and erasure of a leaver, on both databases."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from core.errors import PermissionDenied, ValidationError
from core.goals import get_goal_report
from core.people.privacy import erase_person, get_subject_access
from db.models import Assessment, AuditEvent, Goal, GoalCycle, ProgressUpdate, UserAccount
from tests.factories import (
    actor_for,
    make_assessment,
    make_competency,
    make_cycle,
    make_framework,
    make_goal,
    make_scale,
    make_small_org,
    scale_value,
)


def _leaver_with_history(session: Session):  # type: ignore[no-untyped-def]
    org = make_small_org(session)
    cycle = make_cycle(session)
    goal = make_goal(
        session, cycle=cycle, owner=org.report, title="Ship the thing", key_results=[(0, 10, 4)]
    )
    goal.description = "Rita's private reasons"
    session.add(goal)
    kr = goal_key_result(session, goal)
    session.add(
        ProgressUpdate(key_result_id=kr, value=4, note="Rita struggled", author_id=org.report.id)
    )
    scale = make_scale(session)
    competency = make_competency(session, framework=make_framework(session, scale=scale))
    make_assessment(
        session,
        person=org.report,
        competency=competency,
        value=scale_value(session, scale, "Proficient"),
        rater=org.manager,
    )
    rating = session.exec(select(Assessment).where(Assessment.person_id == org.report.id)).one()
    rating.comment = "Rita is slow on reviews"
    session.add(rating)
    session.flush()
    return org, goal


def goal_key_result(session: Session, goal: Goal) -> int:
    from db.models import KeyResult

    return session.exec(select(KeyResult.id).where(KeyResult.goal_id == goal.id)).one() or 0


def test_subject_access_holds_everything_about_the_person(session: Session) -> None:
    org, _ = _leaver_with_history(session)
    hr = actor_for(session, org.hr)
    access = get_subject_access(session, actor=hr, person_id=org.report.id)
    workbook = load_workbook(io.BytesIO(access.workbook()))
    assert workbook.sheetnames == [
        "Record",
        "Goals",
        "Progress",
        "Ratings",
        "Learning",
        "Feedback received",
        "Feedback given",
        "Audit events",
        "Check-ins",
        "Check-ins Agenda and notes",
        "Check-ins Actions",
    ]
    document = json.loads(access.json())
    assert document["Record"][0]["name"] == "Rita Report"
    assert "password" not in json.dumps(document["Record"]).lower()
    assert document["Goals"][0]["title"] == "Ship the thing"
    assert document["Progress"][0]["note"] == "Rita struggled"
    assert document["Ratings"][0]["rated by"] == "Mona Manager"
    assert session.exec(
        select(AuditEvent).where(AuditEvent.action == "subject_access.exported")
    ).one()


def test_only_hr_downloads_subject_access(session: Session) -> None:
    org = make_small_org(session)
    with pytest.raises(PermissionDenied):
        get_subject_access(session, actor=actor_for(session, org.manager), person_id=org.report.id)


def test_erasure_is_refused_for_an_active_person(session: Session) -> None:
    org = make_small_org(session)
    with pytest.raises(ValidationError, match="Deactivate"):
        erase_person(session, actor=actor_for(session, org.hr), person_id=org.report.id)


def test_erasure_anonymises_a_leaver_and_aggregates_still_compute(session: Session) -> None:
    org, goal = _leaver_with_history(session)
    hr = actor_for(session, org.hr)
    make_goal(
        session,
        cycle=session.get(GoalCycle, goal.cycle_id),
        owner=org.peer,
        key_results=[(0, 4, 1)],
    )
    org.report.active = False
    session.add(org.report)
    session.flush()
    before = get_goal_report(session, actor=hr, cycle_id=goal.cycle_id)
    erase_person(session, actor=hr, person_id=org.report.id)
    session.refresh(org.report)
    assert org.report.full_name == f"Former employee {org.report.id}"
    assert "rita" not in org.report.email.lower()
    assert (
        session.exec(select(UserAccount).where(UserAccount.person_id == org.report.id)).first()
        is None
    )
    rating = session.exec(select(Assessment).where(Assessment.person_id == org.report.id)).one()
    assert rating.comment == ""
    session.refresh(goal)
    assert goal.description == ""
    assert goal.title == "Ship the thing"  # the goal itself stays for reports
    notes = session.exec(select(ProgressUpdate.note)).all()
    assert "Rita struggled" not in notes
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "person.erased")).one()
    assert "Rita" not in (event.detail or "")
    after = get_goal_report(session, actor=hr, cycle_id=goal.cycle_id)
    assert before.goals >= 1
    assert after.goals == before.goals
    assert (
        after.by_person["average progress"].tolist()
        == before.by_person["average progress"].tolist()
    )
    with pytest.raises(ValidationError, match="already"):
        erase_person(session, actor=hr, person_id=org.report.id)
