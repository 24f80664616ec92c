"""Programme health page: HR sees the organisation, a manager their line,
an employee has no such page; no blank-looking None/NaN cells."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.health.rules import Measure
from tests.app.conftest import open_page, sign_in

NOT_SHOWN = re.compile(r"\b(None|nan|NaN|NaT)\b")


@pytest.mark.parametrize(
    ("username", "scope"), [("hana", "the organisation"), ("maya", "your line")]
)
def test_health_page_shows_each_measure_for_the_scope(
    app: AppTest, username: str, scope: str
) -> None:
    at = open_page(sign_in(app, username), "app_pages/programme_health.py")
    assert [t.value for t in at.title] == ["Programme health"]
    assert scope in at.caption[0].value
    assert [m.label for m in at.metric] == [m.value for m in Measure]
    assert all(m.value.endswith("%") or m.value == "—" for m in at.metric)
    for frame in at.dataframe:
        cells = [str(c) for c in frame.value.to_numpy().ravel()]
        assert not [c for c in cells if NOT_SHOWN.search(c)], cells[:20]


def test_an_employee_cannot_open_programme_health(app: AppTest) -> None:
    at = sign_in(app, "emma")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/programme_health.py")
