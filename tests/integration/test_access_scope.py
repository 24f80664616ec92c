"""Access rules on real data, for every pair: self, direct report, indirect
report, peer, other unit and HR."""

import json

import pytest
from sqlmodel import Session, select

from core.access import Relation, relation_between
from core.errors import NotFound, PermissionDenied
from core.org import is_manager, report_ids
from core.people import get_person_record, list_directory
from db.models import AuditEvent
from tests.factories import actor_for, make_person, make_small_org


def test_relations_for_every_pair(session: Session) -> None:
    org = make_small_org(session)

    def rel(viewer, target) -> Relation:  # type: ignore[no-untyped-def]
        return relation_between(session, viewer_id=viewer.id, target_id=target.id)

    assert rel(org.report, org.report) is Relation.self_
    assert rel(org.manager, org.report) is Relation.direct_report
    assert rel(org.manager, org.indirect) is Relation.indirect_report
    assert rel(org.ceo, org.indirect) is Relation.indirect_report
    assert rel(org.report, org.peer) is Relation.other
    assert rel(org.report, org.manager) is Relation.other
    assert rel(org.manager, org.outsider) is Relation.other
    assert rel(org.hr, org.report) is Relation.other


def test_report_scope_and_manager_flag(session: Session) -> None:
    org = make_small_org(session)
    assert report_ids(session, manager_id=org.manager.id) == {
        org.report.id,
        org.peer.id,
        org.lead.id,
        org.indirect.id,
    }
    assert report_ids(session, manager_id=org.manager.id, direct_only=True) == {
        org.report.id,
        org.peer.id,
        org.lead.id,
    }
    assert is_manager(session, person_id=org.lead.id)
    assert not is_manager(session, person_id=org.report.id)


@pytest.mark.parametrize(
    ("viewer", "target", "allowed"),
    [
        ("report", "report", True),
        ("manager", "report", True),
        ("manager", "indirect", True),
        ("report", "peer", False),
        ("report", "manager", False),
        ("manager", "outsider", False),
        ("outsider", "report", False),
        ("hr", "outsider", True),
        ("hr", "manager", True),
    ],
)
def test_person_record_access(session: Session, viewer: str, target: str, allowed: bool) -> None:
    org = make_small_org(session)
    actor = actor_for(session, getattr(org, viewer))
    target_person = getattr(org, target)
    if allowed:
        record = get_person_record(session, actor=actor, person_id=target_person.id)
        assert record.card.full_name == target_person.full_name
        return
    with pytest.raises(PermissionDenied) as denied:
        get_person_record(session, actor=actor, person_id=target_person.id)
    assert denied.value.audit["action"] == "access.denied"
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "access.denied")
        .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
    ).first()
    assert event is not None
    assert event.actor_id == actor.person_id
    assert event.entity_id == str(target_person.id)
    assert json.loads(event.detail) == {"attempted": "view_record"}


def test_unknown_or_inactive_ids_are_not_found(session: Session) -> None:
    org = make_small_org(session)
    gone = make_person(session, manager=org.manager, active=False)
    with pytest.raises(NotFound):
        get_person_record(session, actor=actor_for(session, org.manager), person_id=999_999)
    with pytest.raises(NotFound):
        get_person_record(session, actor=actor_for(session, org.manager), person_id=gone.id)
    # HR still sees an inactive person's record.
    assert get_person_record(session, actor=actor_for(session, org.hr), person_id=gone.id)


def test_directory_hides_inactive_people_except_from_hr(session: Session) -> None:
    org = make_small_org(session)
    make_person(session, name="Gone Person", manager=org.manager, active=False)
    employee_view = list_directory(session, actor=actor_for(session, org.report), search="Gone")
    hr_view = list_directory(session, actor=actor_for(session, org.hr), search="Gone")
    assert employee_view.empty
    assert list(hr_view["name"]) == ["Gone Person"]
    assert "active" not in employee_view.columns
    # Private fields are never part of the directory.
    assert not {"hire_date", "years_experience", "employee_code"} & set(hr_view.columns)


def test_directory_search_matches_unit_and_position(session: Session) -> None:
    org = make_small_org(session)
    found = list_directory(session, actor=actor_for(session, org.report), search="team b")
    assert set(found["name"]) == {"Otto Other", "Olga Outsider"}
