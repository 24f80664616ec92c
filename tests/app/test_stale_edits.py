"""Two people edit the same goal: the one who saves second is refused (with
who changed what), keeps their input, and overwrites nothing."""

from __future__ import annotations

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from db.engine import make_engine
from db.models import Goal
from tests.app.conftest import HOME, open_page, sign_in


def _submit(at: AppTest, form: str) -> Button:
    return next(b for b in at.button if b.proto.form_id == form)


def _maya_on_emmas_goal(demo_database_url: str) -> tuple[AppTest, int]:
    """Maya's Team goals page with one of Emma's goals open (as a row click would)."""
    maya = open_page(
        sign_in(AppTest.from_file(HOME, default_timeout=60), "maya"), "app_pages/team_goals.py"
    )
    grid = maya.dataframe[0].value
    row = list(grid["person"]).index("Emma Lindqvist")
    maya.session_state["team_goals_grid"] = {
        "selection": {"rows": [row], "columns": [], "cells": []}
    }
    maya.run()
    assert not maya.exception, maya.exception
    return maya, int(grid.iloc[row]["id"])


def _title(demo_database_url: str, goal_id: int) -> str:
    with Session(make_engine(demo_database_url)) as session:
        return session.exec(select(Goal.title).where(Goal.id == goal_id)).one()


def _open_card(at: AppTest, key: str) -> None:
    """Unfold a goal card's "Key results and actions" (drawn only while open)."""
    at.session_state[f"{key}_details"] = True
    at.run()


def test_a_second_edit_of_a_goal_is_refused_and_keeps_its_input(
    app: AppTest, demo_database_url: str
) -> None:
    maya, goal_id = _maya_on_emmas_goal(demo_database_url)
    maya_key = f"team_goals_goal_{goal_id}"
    # Maya starts editing; meanwhile Emma renames the goal and saves.
    maya.text_input(key=f"{maya_key}_edit_title").input("Maya's title")

    emma = open_page(sign_in(app, "emma"), "app_pages/my_goals.py")
    emma_key = f"my_goals_goal_{goal_id}"
    _open_card(emma, emma_key)
    emma.text_input(key=f"{emma_key}_edit_title").input("Emma's title")
    _submit(emma, f"{emma_key}_edit_form").click().run()
    assert not emma.exception, emma.exception
    assert "Saved." in [s.value for s in emma.success]
    assert _title(demo_database_url, goal_id) == "Emma's title"

    _submit(maya, f"{maya_key}_edit_form").click().run()
    assert not maya.exception, maya.exception
    assert "Saved." not in [s.value for s in maya.success]
    warnings = [w.value for w in maya.warning]
    assert any(
        "Emma Lindqvist changed this goal" in w and "title" in w and "reload" in w for w in warnings
    ), warnings
    assert _title(demo_database_url, goal_id) == "Emma's title"
    assert maya.text_input(key=f"{maya_key}_edit_title").value == "Maya's title"

    # After a reload Maya sees Emma's title and may save over it knowingly.
    next(b for b in maya.button if b.label == "Reload this goal").click().run()
    assert maya.text_input(key=f"{maya_key}_edit_title").value == "Emma's title"
    assert not maya.warning
    maya.text_input(key=f"{maya_key}_edit_title").input("Both our titles")
    _submit(maya, f"{maya_key}_edit_form").click().run()
    assert "Saved." in [s.value for s in maya.success]
    assert _title(demo_database_url, goal_id) == "Both our titles"


def test_progress_on_a_key_result_changed_since_is_refused(
    app: AppTest, demo_database_url: str
) -> None:
    maya, goal_id = _maya_on_emmas_goal(demo_database_url)
    emma = open_page(sign_in(app, "emma"), "app_pages/my_goals.py")
    emma_key, maya_key = f"my_goals_goal_{goal_id}", f"team_goals_goal_{goal_id}"
    _open_card(emma, emma_key)
    emma.text_input(key=f"{emma_key}_update_note").input("from Emma")
    _submit(emma, f"{emma_key}_update_form").click().run()
    assert "Saved." in [s.value for s in emma.success]

    maya.text_input(key=f"{maya_key}_update_note").input("from Maya")
    _submit(maya, f"{maya_key}_update_form").click().run()
    assert not maya.exception, maya.exception
    assert any("Emma Lindqvist changed this goal" in w.value for w in maya.warning)
    assert maya.text_input(key=f"{maya_key}_update_note").value == "from Maya"
