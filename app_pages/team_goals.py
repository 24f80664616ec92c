"""Team goals (managers): reports' goals in a grid, flags, goals for a report."""

import streamlit as st

from app_pages import _auth, _goals_ui, _ui
from core import goals as goal_service
from core.display import FLAG_BADGES, badges, readable
from core.goals.rules import AT_RISK_MARGIN, STALE_AFTER_TEXT
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Team goals", anchor=False)
_ui.show_flash()
linked = _goals_ui.linked_goal(actor, "team_goals")
cycle_id = _goals_ui.pick_cycle("team_goals")
if cycle_id is None:
    st.stop()
scope_col, flag_col = st.columns(2)
direct_only = scope_col.toggle("Direct reports only", key="team_goals_direct")
flagged_only = flag_col.toggle("Only at risk or stale", key="team_goals_flagged")

with _ui.shown_errors(stop=True), unit_of_work() as session:
    grid = goal_service.list_team_goals(
        session=session,
        actor=actor,
        cycle_id=cycle_id,
        direct_only=direct_only,
        flagged_only=flagged_only,
    )
    owners = goal_service.list_goal_owners(session=session, actor=actor)

first, second, third, fourth = st.columns(4)
first.metric("Goals", len(grid))
second.metric("People", grid["person"].nunique())
third.metric("At risk", int(grid["at risk"].sum()))
fourth.metric(f"Stale ({STALE_AFTER_TEXT})", int(grid["stale"].sum()))

# Flags as badges beside the title (not greyed checkboxes off to the right);
# the grid's rows stay in step with `grid` for the selection below.
shown = readable(badges(grid, FLAG_BADGES))
selection = st.dataframe(
    shown,
    key="team_goals_grid",
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    column_order=[
        "person",
        "title",
        "at risk",
        "stale",
        "progress",
        "status",
        "kind",
        "last update",
        "due",
        "aligned to",
    ],
    column_config={
        "person": st.column_config.TextColumn("person", pinned=True),
        "title": st.column_config.TextColumn("goal", width="large"),
        "progress": st.column_config.ProgressColumn(
            "progress", min_value=0, max_value=100, format="%.0f%%", width="small"
        ),
        "at risk": st.column_config.TextColumn("at risk", width="small"),
        "stale": st.column_config.TextColumn(
            "stale", help=f"No update in {STALE_AFTER_TEXT}", width="small"
        ),
    },
)
st.caption(
    "Select a row to open the goal. At risk: an off-track or at-risk update, or progress "
    f"more than {AT_RISK_MARGIN:.0f} points behind the time gone in the cycle."
)

if grid.empty:
    st.info(
        "No goals of your reports in this cycle"
        + (" match these filters." if flagged_only else " yet — create one for a report below.")
        if any(person_id != actor.person_id for person_id, _name in owners)
        else "Nobody reports to you yet.",
        icon=":material/flag:",
    )

detail = None
if selection and selection.selection.rows:
    goal_id = int(grid.iloc[selection.selection.rows[0]]["id"])
    detail = _ui.load(
        lambda session: goal_service.get_goal(session=session, actor=actor, goal_id=goal_id)
    )
if detail is not None:
    _goals_ui.goal_card(detail.goal, actor=actor, prefix="team_goals_goal", expanded=True)
elif linked is not None and linked.cycle_id == cycle_id:
    # The goal a link opened (from Home), until a row is selected.
    _goals_ui.goal_card(linked, actor=actor, prefix="team_goals_goal", expanded=True)

with st.expander("Create a goal for a report"):
    reports = [(i, n) for i, n in owners if i != actor.person_id]
    if reports:
        _goals_ui.new_goal_form(
            actor=actor,
            prefix="team_goals_new",
            cycle_id=cycle_id,
            level="individual",
            owners=reports,
        )
    else:
        st.caption("Nobody reports to you.")
