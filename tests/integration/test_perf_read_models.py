"""Read models restructured for 10,000 people give what the pure rules give."""

from __future__ import annotations

import random

import pandas as pd
from sqlmodel import Session, select

from core.assessments import get_hidden_expertise, get_org_heatmap
from core.assessments import rules as gaps
from core.assessments.cells import GapFilter, load_gap_cells
from db.models import OrgUnit
from tests.factories import actor_for, make_person
from tests.integration.test_assessments import _random_org


def test_hidden_expertise_in_sql_equals_the_rule(session: Session) -> None:
    for seed in (3, 11):
        _random_org(session, random.Random(seed))
    hr = actor_for(session, make_person(session, hr=True))
    cells = load_gap_cells(session, flt=GapFilter())
    expected = gaps.hidden_expertise(cells, min_margin=1).head(200)
    actual = get_hidden_expertise(session, actor=hr)
    assert len(actual) == len(expected) > 0
    assert list(actual["person"]) == list(expected["person"])
    assert list(actual["above by"]) == list(expected["margin"])
    assert list(actual["people short in it"]) == list(expected["learners"])
    assert list(actual["required"]) == list(expected["required_level"])


def test_the_company_is_not_a_row_of_its_own_breakdown(session: Session) -> None:
    built = _random_org(session, random.Random(4))
    company_id = session.exec(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None))).one()  # type: ignore[union-attr]
    # HR sits in a division, so the company is the only top unit.
    divisions = built["divisions"]
    assert isinstance(divisions, list)
    hr = actor_for(session, make_person(session, unit=divisions[0], hr=True))
    heatmap = get_org_heatmap(session, actor=hr)
    names = dict(session.exec(select(OrgUnit.id, OrgUnit.name)).all())
    assert names[company_id] not in set(heatmap.frame["row"])
    assert set(heatmap.frame["row"]) <= {d.name for d in divisions}
    cells = load_gap_cells(session, flt=GapFilter())
    in_divisions = cells[cells["org_unit_id"] != company_id]
    assert heatmap.frame["required"].sum() == len(in_divisions)
    # A division broken down: its teams, not the division itself (when it has teams).
    for division in divisions:
        inside = get_org_heatmap(session, actor=hr, unit_id=division.id)
        rows = set(inside.frame["row"])
        has_teams = bool(
            session.exec(select(OrgUnit.id).where(OrgUnit.parent_id == division.id)).first()
        )
        if has_teams and rows:
            assert division.name not in rows
    assert isinstance(heatmap.frame, pd.DataFrame)
