"""The demo organisation and the generator's plans, without a database."""

from collections import Counter

import pytest

from seed.demo import DEMO_EMPLOYEE, DEMO_HR, DEMO_MANAGER, build_demo_plan
from seed.generate import build_org_plan
from seed.org import JOB_FAMILIES, POSITIONS, OrgPlan


def _depth(plan: OrgPlan, code: str) -> int:
    managers = {p.employee_code: p.manager_code for p in plan.people}
    depth = 0
    while managers[code] is not None:
        code = managers[code]  # type: ignore[assignment]
        depth += 1
    return depth


def test_demo_organisation_shape() -> None:
    plan = build_demo_plan()
    kinds = Counter(u.kind for u in plan.units)
    assert kinds == {"company": 1, "division": 3, "team": 8}
    assert len(plan.people) == 60
    assert len(JOB_FAMILIES) == 6
    assert 15 <= len(POSITIONS) <= 17
    # three levels of management above the members: CEO, directors, team leads
    assert max(_depth(plan, p.employee_code) for p in plan.people) == 3
    usernames = [p.username for p in plan.people]
    assert len(set(usernames)) == 60
    assert len({p.email for p in plan.people}) == 60
    assert {DEMO_EMPLOYEE.username, DEMO_MANAGER.username, DEMO_HR.username} <= set(usernames)


def test_demo_is_deterministic() -> None:
    assert build_demo_plan() == build_demo_plan()


def test_demo_accounts_match_their_descriptions() -> None:
    people = {p.username: p for p in build_demo_plan().people}
    emma, maya, hana = people["emma"], people["maya"], people["hana"]
    assert emma.manager_code == maya.employee_code
    assert hana.is_hr_admin
    assert sum(p.manager_code == maya.employee_code for p in people.values()) >= 3


@pytest.mark.parametrize("size", [2, 9, 61, 1000, 2503])
def test_generator_builds_exactly_the_requested_size(size: int) -> None:
    plan = build_org_plan(size)
    assert len(plan.people) == size
    codes = {p.employee_code for p in plan.people}
    assert all(p.manager_code in codes for p in plan.people if p.manager_code)
    assert sum(p.manager_code is None for p in plan.people) == 1
    assert any(p.is_hr_admin for p in plan.people)
    assert len({p.username for p in plan.people}) == size
    units = {u.code for u in plan.units}
    assert all(p.unit_code in units for p in plan.people)


def test_generator_is_reproducible() -> None:
    assert build_org_plan(300, seed=3) == build_org_plan(300, seed=3)
    assert build_org_plan(300, seed=3) != build_org_plan(300, seed=4)
