"""Test data builders, in one place. Each returns saved rows (flushed, with ids)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from core.access import Actor
from core.auth import actor_for_person, hash_password
from db.models import (
    CheckIn,
    Competency,
    Feedback,
    FeedbackRequest,
    Framework,
    Goal,
    GoalCycle,
    JobFamily,
    KeyResult,
    LearningAssignment,
    LearningItem,
    OrgUnit,
    Person,
    Position,
    ProgressUpdate,
    RoleRequirement,
    Scale,
    ScaleValue,
    UserAccount,
)

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def make_unit(
    session: Session, *, name: str | None = None, kind: str = "team", parent: OrgUnit | None = None
) -> OrgUnit:
    n = _n()
    unit = OrgUnit(
        code=f"U{n}", name=name or f"Unit {n}", kind=kind, parent_id=parent.id if parent else None
    )
    session.add(unit)
    session.flush()
    return unit


def make_position(
    session: Session, *, title: str | None = None, family: JobFamily | None = None, grade: int = 5
) -> Position:
    n = _n()
    if family is None:
        family = JobFamily(name=f"Family {n}")
        session.add(family)
        session.flush()
    assert family.id is not None
    position = Position(
        code=f"P{n}", title=title or f"Position {n}", job_family_id=family.id, grade=grade
    )
    session.add(position)
    session.flush()
    return position


def make_person(
    session: Session,
    *,
    name: str | None = None,
    unit: OrgUnit | None = None,
    position: Position | None = None,
    manager: Person | None = None,
    hr: bool = False,
    active: bool = True,
    years_experience: float | None = 3.0,
    username: str | None = None,
    password: str = PASSWORD,
) -> Person:
    n = _n()
    unit = unit or make_unit(session)
    person = Person(
        employee_code=f"E{n:05d}",
        full_name=name or f"Person {n}",
        email=f"person{n}@example.test",
        org_unit_id=unit.id or 0,
        position_id=position.id if position else None,
        manager_id=manager.id if manager else None,
        hire_date=date(2022, 1, 1),
        years_experience=years_experience,
        active=active,
        is_hr_admin=hr,
    )
    session.add(person)
    session.flush()
    assert person.id is not None
    session.add(
        UserAccount(
            person_id=person.id,
            username=username or f"user{n}",
            password_hash=hash_password(password),
        )
    )
    session.flush()
    return person


def actor_for(session: Session, person: Person) -> Actor:
    username = session.exec(
        select(UserAccount.username).where(UserAccount.person_id == person.id)
    ).one()
    return actor_for_person(session, person=person, username=username)


@dataclass
class SmallOrg:
    """CEO → manager (team A) → lead → indirect report; manager → two reports;
    another manager (team B) → outsider; HR in team C."""

    ceo: Person
    manager: Person
    report: Person
    peer: Person
    lead: Person
    indirect: Person
    other_manager: Person
    outsider: Person
    hr: Person
    team_a: OrgUnit
    team_b: OrgUnit


def make_small_org(session: Session) -> SmallOrg:
    company = make_unit(session, name="Company", kind="company")
    team_a = make_unit(session, name="Team A", parent=company)
    team_b = make_unit(session, name="Team B", parent=company)
    team_c = make_unit(session, name="Team C", parent=company)
    ceo = make_person(session, name="Cleo CEO", unit=company)
    manager = make_person(session, name="Mona Manager", unit=team_a, manager=ceo)
    report = make_person(session, name="Rita Report", unit=team_a, manager=manager)
    peer = make_person(session, name="Pete Peer", unit=team_a, manager=manager)
    lead = make_person(session, name="Lars Lead", unit=team_a, manager=manager)
    indirect = make_person(session, name="Ivy Indirect", unit=team_a, manager=lead)
    other_manager = make_person(session, name="Otto Other", unit=team_b, manager=ceo)
    outsider = make_person(session, name="Olga Outsider", unit=team_b, manager=other_manager)
    hr = make_person(session, name="Hedda HR", unit=team_c, manager=ceo, hr=True)
    return SmallOrg(
        ceo, manager, report, peer, lead, indirect, other_manager, outsider, hr, team_a, team_b
    )


# --- competencies ---


def make_scale(
    session: Session,
    *,
    name: str | None = None,
    values: tuple[str, ...] = ("Basic", "Proficient", "Advanced"),
    proficient_from: int = 2,
) -> Scale:
    """A scale with `values` ranked 1..n; rank >= `proficient_from` is proficient,
    the first value is the default."""
    scale = Scale(name=name or f"Scale {_n()}")
    session.add(scale)
    session.flush()
    assert scale.id is not None
    for rank, value in enumerate(values, start=1):
        session.add(
            ScaleValue(
                scale_id=scale.id,
                name=value,
                rank=rank,
                proficient=rank >= proficient_from,
                is_default=rank == 1,
            )
        )
    session.flush()
    return scale


def scale_value(session: Session, scale: Scale, name: str) -> ScaleValue:
    return session.exec(
        select(ScaleValue).where(ScaleValue.scale_id == scale.id, ScaleValue.name == name)
    ).one()


def make_framework(
    session: Session, *, scale: Scale | None = None, name: str | None = None
) -> Framework:
    n = _n()
    scale = scale or make_scale(session)
    assert scale.id is not None
    framework = Framework(code=f"FW{n}", name=name or f"Framework {n}", scale_id=scale.id)
    session.add(framework)
    session.flush()
    return framework


def make_competency(
    session: Session,
    *,
    framework: Framework,
    name: str | None = None,
    kind: str = "core",
    parent: Competency | None = None,
    scale: Scale | None = None,
) -> Competency:
    n = _n()
    assert framework.id is not None
    competency = Competency(
        framework_id=framework.id,
        parent_id=parent.id if parent else None,
        code=f"C{n}",
        name=name or f"Competency {n}",
        kind=kind,
        scale_id=scale.id if scale else None,
        sort_order=n,
    )
    session.add(competency)
    session.flush()
    return competency


def make_requirement(
    session: Session,
    *,
    position: Position,
    competency: Competency,
    value: ScaleValue,
    critical: bool = False,
) -> RoleRequirement:
    assert position.id is not None
    assert competency.id is not None
    assert value.id is not None
    requirement = RoleRequirement(
        position_id=position.id,
        competency_id=competency.id,
        required_value_id=value.id,
        critical=critical,
    )
    session.add(requirement)
    session.flush()
    return requirement


# --- goals and OKRs ---


def make_cycle(
    session: Session,
    *,
    name: str | None = None,
    starts_on: date = date(2026, 10, 1),
    ends_on: date = date(2026, 12, 31),
) -> GoalCycle:
    cycle = GoalCycle(name=name or f"Cycle {_n()}", starts_on=starts_on, ends_on=ends_on)
    session.add(cycle)
    session.flush()
    return cycle


def make_goal(
    session: Session,
    *,
    cycle: GoalCycle,
    owner: Person | None = None,
    unit: OrgUnit | None = None,
    level: str | None = None,
    parent: Goal | None = None,
    status: str = "active",
    title: str | None = None,
    key_results: list[tuple[float, float, float]] | None = None,
) -> Goal:
    """A goal saved directly (no access checks) with key results given as
    (start, target, current)."""
    goal = Goal(
        title=title or f"Goal {_n()}",
        level=level or ("individual" if owner is not None else "team"),
        status=status,
        owner_id=owner.id if owner else None,
        org_unit_id=unit.id if unit else None,
        parent_id=parent.id if parent else None,
        cycle_id=cycle.id or 0,
    )
    session.add(goal)
    session.flush()
    for start, target, current in key_results or []:
        session.add(
            KeyResult(
                goal_id=goal.id or 0,
                title=f"KR {_n()}",
                start_value=start,
                target_value=target,
                current_value=current,
            )
        )
    session.flush()
    return goal


# --- assessments ---


def make_assessment(
    session: Session,
    *,
    person: Person,
    competency: Competency,
    value: ScaleValue,
    source: str = "manager",
    rater: Person | None = None,
    at: datetime | None = None,
) -> None:
    """A rating written straight to the history, then the person's current
    level recomputed (services validate; this is for arranging data)."""
    from core.assessments import rebuild_current_levels
    from db.models import Assessment, utcnow

    assert person.id is not None
    assert competency.id is not None
    assert value.id is not None
    session.add(
        Assessment(
            person_id=person.id,
            competency_id=competency.id,
            value_id=value.id,
            source=source,
            rater_id=rater.id if rater else None,
            at=at or utcnow(),
        )
    )
    session.flush()
    rebuild_current_levels(session, person_ids=[person.id])


# --- progress and learning ---


def make_progress_update(
    session: Session,
    *,
    key_result: KeyResult,
    at: datetime,
    value: float | None = None,
    confidence: str = "on track",
) -> ProgressUpdate:
    """A progress update written straight to the history at `at`."""
    assert key_result.id is not None
    update = ProgressUpdate(
        key_result_id=key_result.id,
        value=key_result.current_value if value is None else value,
        confidence=confidence,
        at=at,
    )
    session.add(update)
    session.flush()
    return update


def make_learning_assignment(
    session: Session,
    *,
    person: Person,
    competency: Competency,
    value: ScaleValue,
    due_on: date | None,
    status: str = "assigned",
    title: str | None = None,
) -> LearningAssignment:
    """A catalogue item for `competency` up to `value`, assigned to `person`."""
    assert person.id is not None
    assert competency.id is not None
    assert value.id is not None
    item = LearningItem(
        title=title or f"Course {_n()}", competency_id=competency.id, target_value_id=value.id
    )
    session.add(item)
    session.flush()
    assert item.id is not None
    assignment = LearningAssignment(
        person_id=person.id, item_id=item.id, due_on=due_on, status=status
    )
    session.add(assignment)
    session.flush()
    return assignment


# --- check-ins ---


def make_check_in(
    session: Session,
    *,
    employee: Person,
    due_on: date | None,
    held_on: date | None = None,
    status: str | None = None,
) -> CheckIn:
    """A check-in saved directly (no access checks): held ones completed."""
    assert employee.id is not None
    check_in = CheckIn(
        employee_id=employee.id,
        manager_id=employee.manager_id,
        due_on=due_on,
        held_on=held_on,
        status=status or ("completed" if held_on else "planned"),
    )
    session.add(check_in)
    session.flush()
    return check_in


# --- continuous feedback ---


def make_feedback(
    session: Session,
    *,
    giver: Person,
    receiver: Person,
    visibility: str = "private",
    kind: str = "praise",
    text: str | None = None,
) -> Feedback:
    feedback = Feedback(
        giver_id=giver.id or 0,
        receiver_id=receiver.id or 0,
        kind=kind,
        visibility=visibility,
        text=text or f"Feedback {_n()} from {giver.full_name}",
    )
    session.add(feedback)
    session.flush()
    return feedback


def make_feedback_request(
    session: Session,
    *,
    requester: Person,
    asked: Person,
    subject: Person | None = None,
    question: str = "How am I doing?",
) -> FeedbackRequest:
    request = FeedbackRequest(
        requester_id=requester.id or 0,
        subject_id=(subject or requester).id or 0,
        asked_id=asked.id or 0,
        question=question,
    )
    session.add(request)
    session.flush()
    return request


# --- 360 reviews ---


@dataclass
class ReviewOrg:
    """Mona manages the subject Sam and peers Pia, Pat, Pax; Sam manages
    Dora and Dirk; Hedda is HR; Sam's position needs two competencies on a
    three-level scale."""

    manager: Person
    subject: Person
    peers: list[Person]
    reports: list[Person]
    hr: Person
    outsider: Person
    competencies: list[Competency]
    scale: Scale


def make_review_org(session: Session, *, peers: int = 3) -> ReviewOrg:
    company = make_unit(session, name="Company", kind="company")
    team = make_unit(session, name="Team R", parent=company)
    scale = make_scale(session)
    framework = make_framework(session, scale=scale)
    position = make_position(session, title="Analyst")
    competencies = [
        make_competency(session, framework=framework, name="Communication"),
        make_competency(session, framework=framework, name="Analysis"),
    ]
    for competency in competencies:
        make_requirement(
            session,
            position=position,
            competency=competency,
            value=scale_value(session, scale, "Proficient"),
        )
    manager = make_person(session, name="Mona Manager", unit=team)
    subject = make_person(
        session, name="Sam Subject", unit=team, manager=manager, position=position
    )
    peer_people = [
        make_person(session, name=f"Peer {i}", unit=team, manager=manager) for i in range(peers)
    ]
    reports = [
        make_person(session, name=f"Report {i}", unit=team, manager=subject) for i in range(2)
    ]
    hr = make_person(session, name="Hedda HR", unit=company, hr=True)
    outsider = make_person(session, name="Olga Outsider", unit=company)
    return ReviewOrg(manager, subject, peer_people, reports, hr, outsider, competencies, scale)


# --- surveys ---


@dataclass
class SurveyOrg:
    """Company → division D (team A: a lead and 4 reports; team B: a lead and
    1 report) and HR in division H; reported by team, team B stays under
    any threshold."""

    company: OrgUnit
    division: OrgUnit
    team_a: OrgUnit
    team_b: OrgUnit
    director: Person
    lead_a: Person
    team_a_people: list[Person]
    lead_b: Person
    team_b_people: list[Person]
    hr: Person
    outsider: Person


def make_survey_org(session: Session) -> SurveyOrg:
    company = make_unit(session, name="Company", kind="company")
    division = make_unit(session, name="Division D", kind="division", parent=company)
    other = make_unit(session, name="Division H", kind="division", parent=company)
    team_a = make_unit(session, name="Team A", parent=division)
    team_b = make_unit(session, name="Team B", parent=division)
    director = make_person(session, name="Dora Director", unit=division)
    lead_a = make_person(session, name="Lena Lead", unit=team_a, manager=director)
    team_a_people = [
        make_person(session, name=f"Ann {i}", unit=team_a, manager=lead_a) for i in range(4)
    ]
    lead_b = make_person(session, name="Leo Lead", unit=team_b, manager=director)
    team_b_people = [make_person(session, name="Ben 0", unit=team_b, manager=lead_b)]
    hr = make_person(session, name="Hedda HR", unit=other, hr=True)
    outsider = make_person(session, name="Olga Outsider", unit=other)
    return SurveyOrg(
        company,
        division,
        team_a,
        team_b,
        director,
        lead_a,
        team_a_people,
        lead_b,
        team_b_people,
        hr,
        outsider,
    )
