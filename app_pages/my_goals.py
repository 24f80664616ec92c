"""My goals: a few short goals per cycle, their key results and progress."""

import streamlit as st

from app_pages import _auth, _goals_ui, _ui
from core import goals as goal_service
from core.runtime import unit_of_work
from db.models import GoalStatus

actor = _auth.current_actor()
# Set when a goal was just completed: ask for the next one (once).
prompt_next = bool(st.session_state.pop("my_goals_prompt_next", False))
st.title("My goals", anchor=False)
_ui.show_flash()
linked = _goals_ui.linked_goal(actor, "my_goals")
if linked is not None and (linked.level != "individual" or linked.owner_id != actor.person_id):
    st.info(
        _ui.md(f"“{linked.title}” is not one of your goals; find it on the Alignment page."),
        icon=":material/info:",
    )
    linked = None
cycle_id = _goals_ui.pick_cycle("my_goals")
if cycle_id is None:
    st.stop()

with _ui.shown_errors(stop=True), unit_of_work() as session:
    goals = goal_service.list_person_goals(session=session, actor=actor, cycle_id=cycle_id)

open_goals = [g for g in goals if g.is_open]
first, second, third, fourth = st.columns(4)
first.metric("Open goals", len(open_goals))
second.metric("Completed", sum(g.status == GoalStatus.completed for g in goals))
third.metric("Average progress", _goals_ui.percent(goal_service.average_progress(goals)))
fourth.metric("Need attention", sum(g.at_risk or g.stale for g in goals))

if prompt_next:
    st.success(
        "Goal completed, well done. What is your next goal? Set it below while the "
        "momentum is there.",
        icon=":material/flag:",
    )

with st.expander("New goal", expanded=prompt_next or not open_goals):
    st.caption(
        "Keep goals few and short (this cycle), each with 1–3 measurable key results. "
        "A target below the start counts down (e.g. incidents 12 → 4)."
    )
    _goals_ui.new_goal_form(
        actor=actor, prefix="my_goals_new", cycle_id=cycle_id, level="individual"
    )

if not goals:
    st.info(
        "No goals yet in this cycle — create your first one under *New goal* above: "
        "a short goal with 1–3 measurable key results.",
        icon=":material/flag:",
    )


def _ask_for_the_next(outcome: str) -> None:
    st.session_state["my_goals_prompt_next"] = outcome == GoalStatus.completed


for goal in goals:
    _goals_ui.goal_card(
        goal,
        actor=actor,
        prefix="my_goals_goal",
        expanded=linked is not None and goal.id == linked.id,
        on_closed=_ask_for_the_next,
    )
