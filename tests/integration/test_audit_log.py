"""The audit log as sentences with names, resolved in one query, with its filters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from core.audit import list_audit_events, record_download, record_event
from core.errors import PermissionDenied
from db.models import AuditEvent
from tests.factories import (
    actor_for,
    make_competency,
    make_cycle,
    make_framework,
    make_goal,
    make_person,
    make_position,
)


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_events_read_as_sentences_with_names(session: Session) -> None:
    hr = make_person(session, name="Hana Ibrahim", hr=True)
    emma = make_person(session, name="Emma Lee")
    position = make_position(session, title="Customer Success Manager")
    framework = make_framework(session)
    collaboration = make_competency(session, framework=framework, name="Collaboration")
    cycle = make_cycle(session, name="2026 Q4")
    goal = make_goal(session, cycle=cycle, owner=emma, title="Ship onboarding")
    actor = actor_for(session, hr)
    record_event(
        session,
        actor_id=hr.id,
        action="role_map.saved",
        entity="framework",
        entity_id=framework.id,
        detail={
            "cells": [
                {"position": position.code, "competency": collaboration.code, "level": "Skilled"}
            ],
            "total": 1,
        },
    )
    record_event(
        session,
        actor_id=hr.id,
        action="password.reset",
        entity="person",
        entity_id=emma.id,
    )
    record_event(
        session,
        actor_id=emma.id,
        action="goal.updated",
        entity="goal",
        entity_id=goal.id,
        detail={"before": {}},
    )
    record_event(
        session,
        actor_id=hr.id,
        action="manager_assessment.recorded",
        entity="assessment",
        entity_id=1,
        detail={
            "person_id": emma.id,
            "competency_id": collaboration.id,
            "level": "Skilled",
        },
    )
    session.flush()
    with _statements(session) as statements:
        events = list_audit_events(session, actor=actor)
    what = list(events["what"])
    assert "Hana Ibrahim set Customer Success Manager × Collaboration to Skilled." in what
    assert "Hana Ibrahim reset the password of Emma Lee." in what
    assert "Emma Lee edited the goal “Ship onboarding”." in what
    assert "Hana Ibrahim rated Emma Lee Skilled in Collaboration (a manager rating)." in what
    assert not any("{" in text or "_id" in text for text in what), what
    # The events, then every name they mention in one query (plus the access check's none).
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    assert list(events.columns) == ["at", "who", "what", "action"]
    assert str(events["at"].dt.tz) == "UTC"


def test_filters_by_person_action_and_date(session: Session) -> None:
    hr = make_person(session, name="Hana Ibrahim", hr=True)
    emma = make_person(session, name="Emma Lee")
    actor = actor_for(session, hr)
    for person in (hr, emma):
        record_event(
            session,
            actor_id=person.id,
            action="account.signed_in",
            entity="person",
            entity_id=person.id,
        )
    old = AuditEvent(
        actor_id=emma.id,
        action="account.signed_out",
        entity="person",
        entity_id=str(emma.id),
        at=datetime.now(UTC) - timedelta(days=40),
    )
    session.add(old)
    session.flush()
    by_emma = list_audit_events(session, actor=actor, person_id=emma.id)
    assert set(by_emma["who"]) == {"Emma Lee"}
    assert "Emma Lee signed out." in set(by_emma["what"])
    by_name = list_audit_events(session, actor=actor, actor_search="emma")
    assert set(by_name["who"]) == {"Emma Lee"}
    sign_ins = list_audit_events(session, actor=actor, actions=["account.signed_in"])
    assert set(sign_ins["action"]) == {"account.signed_in"}
    recent = list_audit_events(
        session, actor=actor, person_id=emma.id, since=date.today() - timedelta(days=30)
    )
    assert "Emma Lee signed out." not in set(recent["what"])
    assert "Emma Lee signed in." in set(recent["what"])


def test_a_download_is_audited_with_the_file_name(session: Session) -> None:
    hr = make_person(session, name="Hana Ibrahim", hr=True)
    actor = actor_for(session, hr)
    record_download(session, actor=actor, what="audit-log", file_name="audit-log.xlsx", rows=12)
    session.flush()
    row = session.exec(select(AuditEvent).where(AuditEvent.actor_id == hr.id)).one()
    assert row.action == "audit_log.exported"
    events = list_audit_events(session, actor=actor, actions=["audit_log.exported"])
    assert list(events["what"]) == ["Hana Ibrahim downloaded audit-log.xlsx (12 rows)."]


def test_only_hr_reads_the_log(session: Session) -> None:
    emma = make_person(session, name="Emma Lee")
    with pytest.raises(PermissionDenied):
        list_audit_events(session, actor=actor_for(session, emma))


def test_a_long_file_name_still_fits_the_action_column(session: Session) -> None:
    hr = make_person(session, name="Hana Ibrahim", hr=True)
    record_download(
        session, actor=actor_for(session, hr), what="x" * 120, file_name="x" * 120 + ".xlsx"
    )
    session.flush()
    row = session.exec(select(AuditEvent).where(AuditEvent.actor_id == hr.id)).one()
    assert len(row.action) <= 60
    assert row.action.endswith(".exported")
