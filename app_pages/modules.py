"""Modules (HR): which practices each org unit uses, and the rollout plan."""

from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import _auth, _ui
from core.modules.commands import (
    SWITCH_CHOICES,
    create_rollout_step,
    delete_rollout_step,
    module_grid_frame,
    save_module_grid,
)
from core.modules.queries import get_module_grid, list_rollout_plan
from core.modules.rules import MODULE_LABELS, Module
from core.org import list_units
from core.runtime import unit_of_work
from db.models import RolloutStepBase, RolloutStepKind

actor = _auth.current_actor()
st.title("Modules", anchor=False)
st.caption(
    "Introduce practices one unit at a time. A unit follows its parent unless it has its "
    "own choice. People in a unit where a practice is off see nothing of it, and nothing "
    "already entered is lost when it is switched off."
)
_ui.show_flash()

if "modules_shown" not in st.session_state:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        rows = get_module_grid(session, actor=actor)
    st.session_state["modules_rows"] = rows
    st.session_state["modules_shown"] = module_grid_frame(rows)
rows = st.session_state["modules_rows"]
if not rows:
    st.info("There are no org units yet. Create the organisation first (Import people).")
    st.stop()


def choice(label: str) -> Any:
    # Wide enough for the practice's full name as the header.
    return st.column_config.SelectboxColumn(
        label, options=list(SWITCH_CHOICES), required=True, width=max(110, 8 * len(label) + 40)
    )


_ui.grid_editor(
    "modules",
    st.session_state["modules_shown"],
    lambda session, changes: save_module_grid(session, actor=actor, rows=rows, changes=changes),
    width="stretch",
    num_rows="fixed",
    disabled=["Unit", "Kind", "People", "In effect"],
    column_config={
        "Unit": st.column_config.TextColumn(pinned=True),
        **{label: choice(label) for label in MODULE_LABELS.values()},
        "In effect": st.column_config.TextColumn(width="large"),
    },
)

st.subheader("Rollout plan", anchor=False)
with _ui.shown_errors(stop=True), unit_of_work() as session:
    steps = list_rollout_plan(session, actor=actor)
    units = list_units(session)
if steps:
    plan = pd.DataFrame(
        [
            {
                "Starts": step.starts_on,
                "Module": MODULE_LABELS[Module(step.module)],
                "Unit": step.unit_name,
                "Step": step.kind,
                "Note": step.note,
                "Label": f"{step.unit_name.strip()} ({step.kind})",
            }
            for step in steps
        ]
    )
    # Each step is a dot labelled with its unit (the table below has the rest),
    # beside a rule for today so a pilot's past and planned widening read apart.
    base = alt.Chart(plan).encode(
        x=alt.X(
            "Starts:T",
            title=None,
            axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount="month"),
            scale=alt.Scale(padding=60),
        ),
        y=alt.Y("Module:N", title=None, axis=alt.Axis(labelLimit=0, labelOverlap=False)),
    )
    dots = base.mark_point(filled=True, size=160).encode(
        color=alt.Color(
            "Step:N",
            title="Step",
            scale=alt.Scale(range=["#2563eb", "#16a34a"]),
            legend=None,
        ),
        tooltip=["Module", "Unit", "Step", alt.Tooltip("Starts:T", format="%d %b %Y"), "Note"],
    )
    names = base.mark_text(dy=-16, fontSize=12, color="#334155").encode(text="Label:N")
    marker = pd.DataFrame({"Today": [pd.Timestamp(date.today())], "Label": ["today"]})
    today = alt.Chart(marker).encode(x="Today:T")
    timeline = (
        today.mark_rule(strokeDash=[4, 4], color="#64748b", strokeWidth=1.5)
        + today.mark_text(align="left", dx=4, dy=-4, y=0, color="#64748b").encode(text="Label:N")
        + dots
        + names
    ).properties(height=64 * plan["Module"].nunique() + 30)
    st.altair_chart(timeline, width="stretch")
    shown = plan.drop(columns="Label")
    st.dataframe(shown, hide_index=True, width="stretch")
    _ui.excel_download(shown, file_name="rollout-plan.xlsx", sheet_name="Rollout plan")
    with st.expander("Remove a step"):
        labels = {
            step.id: f"{step.starts_on:%d %b %Y} · {MODULE_LABELS[Module(step.module)]} · "
            f"{step.unit_name.strip()}"
            for step in steps
        }
        versions = {step.id: step.version for step in steps}
        removed = st.selectbox("Step", options=list(labels), format_func=labels.__getitem__)
        if st.button("Remove step", icon=":material/delete:") and removed is not None:
            _ui.run_action(
                lambda session: delete_rollout_step(
                    session, actor=actor, step_id=removed, version=versions[removed]
                ),
                success="Step removed.",
            )
else:
    st.info("No rollout steps yet — add the first pilot below.")

unit_names = dict(units)
with st.form("rollout_add"):
    st.markdown("**Add a step**")
    left, middle, right = st.columns(3)
    module = left.selectbox(
        "Module", options=list(Module), format_func=lambda m: MODULE_LABELS[m], key="rollout_module"
    )
    unit_id = middle.selectbox(
        "Unit",
        options=list(unit_names),
        format_func=lambda u: unit_names[u].strip(),
        key="rollout_unit",
    )
    kind = right.selectbox("Step", options=[k.value for k in RolloutStepKind], key="rollout_kind")
    starts_on = st.date_input("Starts on", value=date.today(), key="rollout_starts")
    note = st.text_input("Note", max_chars=500, key="rollout_note")
    if (
        st.form_submit_button("Add step", type="primary")
        and unit_id is not None
        and module is not None
    ):
        _ui.run_action(
            lambda session: create_rollout_step(
                session,
                actor=actor,
                step_in=RolloutStepBase(
                    module=module.value,
                    org_unit_id=unit_id,
                    kind=kind,
                    starts_on=starts_on,
                    note=note,
                ),
            ),
            success="Step added to the plan.",
            then=lambda _: _ui.forget("rollout_note"),
        )
