"""Loading a check-in with the actor's relation to its pair, and the pair's
cadence; shared by commands and queries."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import Actor, Relation, can_view_checkin, relation_between, require
from core.checkins import rules
from core.errors import NotFound
from db.models import (
    CheckIn,
    CheckInPair,
    CheckInQuestion,
    CheckInStatus,
    CheckInTemplate,
    CheckInUnitCadence,
    Person,
)


def today_utc() -> date:
    return datetime.now(UTC).date()


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    return person


def relation_to(session: Session, actor: Actor, employee_id: int) -> Relation:
    return relation_between(session, viewer_id=actor.person_id, target_id=employee_id)


def load_check_in(
    session: Session, actor: Actor, check_in_id: int, action: str = "read"
) -> tuple[CheckIn, Relation]:
    """The check-in once the actor may read it (the caller checks more)."""
    check_in = session.get(CheckIn, check_in_id)
    if check_in is None:
        raise NotFound("There is no such check-in.")
    relation = relation_to(session, actor, check_in.employee_id)
    require(
        can_view_checkin(actor, relation),
        session=session,
        actor=actor,
        action=action,
        entity="check_in",
        entity_id=check_in_id,
        message="You can see your own check-ins and your reports' check-ins.",
    )
    return check_in, relation


def pair_row(session: Session, employee_id: int) -> CheckInPair | None:
    return session.exec(select(CheckInPair).where(CheckInPair.employee_id == employee_id)).first()


def unit_default(session: Session, org_unit_id: int) -> str | None:
    return session.exec(
        select(CheckInUnitCadence.every).where(CheckInUnitCadence.org_unit_id == org_unit_id)
    ).first()


def cadence_of(session: Session, person: Person) -> tuple[str, bool]:
    """The pair's effective cadence, and whether it is the pair's own."""
    pair = pair_row(session, person.id or 0)
    own = pair.every if pair else None
    return rules.effective_cadence(own, unit_default(session, person.org_unit_id)), bool(own)


def last_held_on(session: Session, employee_id: int) -> date | None:
    found: date | None = session.execute(
        sa_select(func.max(col(CheckIn.held_on))).where(col(CheckIn.employee_id) == employee_id)
    ).scalar()
    return found


def next_due(session: Session, person: Person, *, today: date) -> date | None:
    cadence, _ = cadence_of(session, person)
    pair = pair_row(session, person.id or 0)
    return rules.next_due_on(
        cadence=cadence,
        last_held_on=last_held_on(session, person.id or 0),
        starts_on=pair.starts_on if pair else None,
    )


def open_check_in(session: Session, employee_id: int) -> CheckIn | None:
    return session.exec(
        select(CheckIn)
        .where(CheckIn.employee_id == employee_id, CheckIn.status == CheckInStatus.planned.value)
        .order_by(col(CheckIn.id))
        .limit(1)
    ).first()


def default_template(session: Session) -> CheckInTemplate | None:
    return session.exec(
        select(CheckInTemplate)
        .where(col(CheckInTemplate.active).is_(True))
        .order_by(col(CheckInTemplate.is_default).desc(), col(CheckInTemplate.id))
        .limit(1)
    ).first()


def template_questions(session: Session, template_id: int) -> list[str]:
    return list(
        session.exec(
            select(CheckInQuestion.text)
            .where(CheckInQuestion.template_id == template_id)
            .order_by(col(CheckInQuestion.position))
        ).all()
    )
