"""The goal report's Excel tab: the goals export is one click in any cycle."""

from collections.abc import Iterator
from datetime import date

import pytest
from sqlmodel import Session, col, delete
from streamlit.testing.v1 import AppTest

from db.engine import make_engine
from db.models import GoalCycle
from tests.app.conftest import open_page, sign_in


@pytest.fixture
def second_cycle(demo_database_url: str) -> Iterator[None]:
    """The demo has one cycle; a switch needs another (far off, so no other
    page picks it as the current one), removed afterwards."""
    engine = make_engine(demo_database_url)
    with Session(engine) as session:
        session.add(
            GoalCycle(name="Q1 2031", starts_on=date(2031, 1, 1), ends_on=date(2031, 3, 31))
        )
        session.commit()
    try:
        yield
    finally:
        with Session(engine) as session:
            session.execute(delete(GoalCycle).where(col(GoalCycle.name) == "Q1 2031"))
            session.commit()
        engine.dispose()


def _download_labels(at: AppTest) -> list[str]:
    return [str(b.proto.label) for b in at.get("download_button")]


def test_goal_export_is_one_click_in_every_cycle(app: AppTest, second_cycle: None) -> None:
    """No "Prepare" step: the button builds the chosen cycle's workbook when
    pressed, so nothing prepared can outlive a cycle switch."""
    at = open_page(sign_in(app, "maya"), "app_pages/goal_report.py")
    assert "Download goals" in _download_labels(at)
    assert not [b for b in at.button if "Prepare" in b.label]
    picker = at.selectbox(key="goal_report_cycle")
    assert len(picker.options) > 1
    picker.select_index(1 if picker.index == 0 else 0).run()
    assert not at.exception
    assert "Download goals" in _download_labels(at)
    assert "goal_report_export" not in at.session_state
