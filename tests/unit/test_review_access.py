"""Who may act on a 360 review (core.access), role by role and relation by relation."""

from __future__ import annotations

import pytest

from core.access import (
    Actor,
    Relation,
    can_manage_review,
    can_nominate_review_raters,
    can_read_review_participation,
    can_set_review_threshold,
    can_view_review_report,
)

EMPLOYEE = Actor(1, "e", "E", is_hr_admin=False, is_manager=False)
MANAGER = Actor(2, "m", "M", is_hr_admin=False, is_manager=True)
HR = Actor(3, "h", "H", is_hr_admin=True, is_manager=False)


@pytest.mark.parametrize(
    ("actor", "relation", "manage", "nominate", "report"),
    [
        (EMPLOYEE, Relation.self_, False, True, True),
        (EMPLOYEE, Relation.other, False, False, False),
        (MANAGER, Relation.direct_report, True, True, True),
        (MANAGER, Relation.indirect_report, True, True, True),
        (MANAGER, Relation.other, False, False, False),
        # HR launches and runs reviews, but reads participation, not reports.
        (HR, Relation.other, True, True, False),
    ],
)
def test_review_rules(
    actor: Actor, relation: Relation, manage: bool, nominate: bool, report: bool
) -> None:
    assert can_manage_review(actor, relation) is manage
    assert can_nominate_review_raters(actor, relation) is nominate
    assert can_view_review_report(actor, relation) is report


def test_only_hr_reads_participation_and_sets_thresholds() -> None:
    assert can_read_review_participation(HR)
    assert can_set_review_threshold(HR)
    for actor in (EMPLOYEE, MANAGER):
        assert not can_read_review_participation(actor)
        assert not can_set_review_threshold(actor)
