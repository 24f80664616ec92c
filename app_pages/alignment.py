"""Alignment: company objectives → team OKRs → individual goals, with progress.

Each company objective is a collapsible branch; filters by unit, text and
flags keep the tree usable in a large organisation."""

import streamlit as st

from app_pages import _auth, _goals_ui, _ui
from core import goals as goal_service
from core.org import list_units
from core.runtime import unit_of_work

actor = _auth.current_actor()
cycle_id = _goals_ui.page_head("Alignment", "alignment")
if cycle_id is None:
    st.stop()
with unit_of_work() as session:
    units = list_units(session)
    goal_units = goal_service.list_goal_units(session=session, actor=actor)
unit_labels = dict(units)
unit_col, search_col = st.columns([1, 1])
unit_id = unit_col.selectbox(
    "Unit",
    list(unit_labels),
    format_func=lambda u: unit_labels[u].replace("  ", "· "),
    index=None,
    placeholder="All units",
    key="alignment_unit",
)
search = search_col.text_input("Goal contains", key="alignment_search")
flag_col, people_col = st.columns(2)
flagged_only = flag_col.toggle("Only at risk or stale", key="alignment_flagged")
include_individual = people_col.toggle("Individual goals", value=True, key="alignment_people")

with _ui.shown_errors(stop=True), unit_of_work() as session:
    branches = goal_service.get_alignment_tree(
        session=session,
        actor=actor,
        cycle_id=cycle_id,
        unit_id=unit_id,
        search=search,
        flagged_only=flagged_only,
        include_individual=include_individual,
    )

total = sum(len(b.rows) for b in branches)
st.caption(
    f"{total} goals you can see. Progress rolls up: a goal's own key results and the "
    "average of the goals aligned to it count half each."
)
if not branches:
    st.info("No goals match.")
selected_id = None
# Open every branch while the tree is small; collapse them in a large one.
open_all = total <= 150
for branch in branches:
    label = f"{branch.title} · {_goals_ui.percent(branch.rolled_up)} · {len(branch.rows)} goals"
    with st.expander(_ui.md(label), expanded=open_all):
        picked = st.dataframe(
            branch.rows,
            key=f"alignment_branch_{branch.root_id or 'loose'}",
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            height="auto" if len(branch.rows) <= 30 else 600,
            column_config={
                "id": None,
                "depth": None,
                "progress": st.column_config.ProgressColumn(
                    "progress", min_value=0, max_value=100, format="%.0f%%"
                ),
                "at risk": st.column_config.CheckboxColumn("at risk"),
                "stale": st.column_config.CheckboxColumn("stale"),
            },
        )
        if picked and picked.selection.rows:
            selected_id = int(branch.rows.iloc[picked.selection.rows[0]]["id"])

detail = None
if selected_id is not None:
    picked_id: int = selected_id
    detail = _ui.load(
        lambda session: goal_service.get_goal(session=session, actor=actor, goal_id=picked_id)
    )
if detail is not None:
    st.subheader("Selected goal", anchor=False)
    _goals_ui.goal_card(detail.goal, actor=actor, prefix="alignment_goal", expanded=True)

if goal_units:
    with st.expander("New team or company goal"):
        labels = {u: f"{name} ({level} goal)" for u, name, level in goal_units}
        levels = {u: level for u, _, level in goal_units}
        chosen_unit = st.selectbox(
            "Unit", list(labels), format_func=labels.__getitem__, key="alignment_new_unit"
        )
        _goals_ui.new_goal_form(
            actor=actor,
            prefix="alignment_new",
            cycle_id=cycle_id,
            level=levels[chosen_unit],
            unit_id=chosen_unit,
        )
