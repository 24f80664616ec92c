"""The check-in access rules of core.access, relation by relation."""

from core.access import (
    Actor,
    Relation,
    can_acknowledge_checkin,
    can_edit_checkin_templates,
    can_prepare_checkin,
    can_read_private_note,
    can_run_checkin,
    can_set_pair_cadence,
    can_view_checkin,
    can_write_private_note,
    checkin_adherence_reach,
    navigation,
)
from core.modules.rules import ALL_MODULES

PERSON = Actor(1, "e", "E", is_hr_admin=False, is_manager=False)
MANAGER = Actor(2, "m", "M", is_hr_admin=False, is_manager=True)
HR = Actor(9, "h", "H", is_hr_admin=True, is_manager=False)


def test_shared_parts_are_for_the_pair_the_managers_above_and_hr() -> None:
    assert can_view_checkin(PERSON, Relation.self_)
    assert can_view_checkin(MANAGER, Relation.direct_report)
    assert can_view_checkin(MANAGER, Relation.indirect_report)
    assert can_view_checkin(HR, Relation.other)
    assert not can_view_checkin(PERSON, Relation.other)


def test_only_the_pair_takes_part() -> None:
    assert can_prepare_checkin(PERSON, Relation.self_)
    assert can_prepare_checkin(MANAGER, Relation.direct_report)
    assert not can_prepare_checkin(MANAGER, Relation.indirect_report)
    assert not can_prepare_checkin(HR, Relation.other)
    assert can_run_checkin(MANAGER, Relation.direct_report)
    assert not can_run_checkin(PERSON, Relation.self_)
    assert can_acknowledge_checkin(PERSON, Relation.self_)
    assert not can_acknowledge_checkin(MANAGER, Relation.direct_report)
    assert can_set_pair_cadence(MANAGER, Relation.direct_report)
    assert can_set_pair_cadence(HR, Relation.other)
    assert not can_set_pair_cadence(PERSON, Relation.self_)


def test_private_notes_are_for_their_author_only() -> None:
    assert can_write_private_note(PERSON, Relation.self_)
    assert can_write_private_note(MANAGER, Relation.direct_report)
    assert not can_write_private_note(MANAGER, Relation.indirect_report)
    assert not can_write_private_note(HR, Relation.other)
    assert can_read_private_note(PERSON, author_id=1)
    assert not can_read_private_note(MANAGER, author_id=1)  # the other party
    assert not can_read_private_note(HR, author_id=1)


def test_templates_and_adherence_reach() -> None:
    assert can_edit_checkin_templates(HR)
    assert not can_edit_checkin_templates(MANAGER)
    assert checkin_adherence_reach(PERSON) is None
    assert checkin_adherence_reach(MANAGER) == "line"
    assert checkin_adherence_reach(HR) == "everyone"


def test_check_in_pages_follow_the_checkins_module_switch() -> None:
    off = ALL_MODULES - {"checkins"}
    manager_off = Actor(2, "m", "M", is_hr_admin=False, is_manager=True, modules=off)
    listed = {page for pages in navigation(manager_off).values() for page in pages}
    assert not listed & {"my_checkins", "team_checkins", "checkin_adherence"}
    manager_on = Actor(2, "m", "M", is_hr_admin=False, is_manager=True)
    listed = {page for pages in navigation(manager_on).values() for page in pages}
    assert {"my_checkins", "team_checkins", "checkin_adherence"} <= listed
    # HR's organisation-wide pages stay: they cover the units that did switch it on.
    hr_off = Actor(9, "h", "H", is_hr_admin=True, is_manager=False, modules=off)
    listed = {page for pages in navigation(hr_off).values() for page in pages}
    assert {"checkin_adherence", "checkin_templates"} <= listed
