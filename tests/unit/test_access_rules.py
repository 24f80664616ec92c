"""The pure access rules of DESIGN.md, for every relation and role."""

import pytest

from core.access import (
    Actor,
    Relation,
    can_administer_people,
    can_manage_report,
    can_read_audit_log,
    can_see_inactive_people,
    can_view_directory_entry,
    can_view_person_record,
)

EMPLOYEE = Actor(1, "e", "E", is_hr_admin=False, is_manager=False)
MANAGER = Actor(2, "m", "M", is_hr_admin=False, is_manager=True)
HR = Actor(3, "h", "H", is_hr_admin=True, is_manager=False)


@pytest.mark.parametrize(
    ("actor", "relation", "expected"),
    [
        (EMPLOYEE, Relation.self_, True),
        (EMPLOYEE, Relation.other, False),
        (MANAGER, Relation.direct_report, True),
        (MANAGER, Relation.indirect_report, True),
        (MANAGER, Relation.other, False),
        (HR, Relation.other, True),
        (HR, Relation.self_, True),
    ],
)
def test_person_record_visibility(actor: Actor, relation: Relation, expected: bool) -> None:
    assert can_view_person_record(actor, relation) is expected


@pytest.mark.parametrize(
    ("relation", "expected"),
    [
        (Relation.self_, False),
        (Relation.direct_report, True),
        (Relation.indirect_report, True),
        (Relation.other, False),
    ],
)
def test_only_managers_manage_their_reports(relation: Relation, expected: bool) -> None:
    assert can_manage_report(MANAGER, relation) is expected
    # HR's powers are administrative, not a manager's.
    assert can_manage_report(HR, relation) is expected


@pytest.mark.parametrize(
    "rule", [can_administer_people, can_read_audit_log, can_see_inactive_people]
)
def test_hr_only_rules(rule) -> None:  # type: ignore[no-untyped-def]
    assert rule(HR) is True
    assert rule(MANAGER) is False
    assert rule(EMPLOYEE) is False


def test_everyone_signed_in_sees_the_directory() -> None:
    assert all(can_view_directory_entry(a) for a in (EMPLOYEE, MANAGER, HR))


def test_role_labels() -> None:
    assert (EMPLOYEE.role_label, MANAGER.role_label, HR.role_label) == (
        "Employee",
        "Manager",
        "HR admin",
    )
