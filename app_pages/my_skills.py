"""My skills: what my role requires against my current level, and my
self-assessment."""

import streamlit as st

from app_pages import _auth, _skills_ui, _ui
from core import timezones
from core.assessments import get_skills_profile, list_assessment_history, record_self_assessment
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("My skills", anchor=False)
_ui.show_flash()

with _ui.shown_errors(stop=True), unit_of_work() as session:
    profile = get_skills_profile(session=session, actor=actor)

if profile.position_title is None:
    st.info(
        "You don't hold a position yet, so there is no role profile to assess against — "
        "ask HR to set your position.",
        icon=":material/badge:",
    )
    st.stop()
st.subheader(_ui.md(profile.position_title), anchor=False)
st.caption(profile.rule)
if not profile.rows:
    st.info(
        "HR hasn't mapped competencies to your role yet, so there is nothing to assess — "
        "ask HR to fill in your role on the Role map.",
        icon=":material/grid_on:",
    )
    st.stop()
if all(r.self_level is None for r in profile.rows):
    st.info(
        "You haven't assessed yourself yet — start with the first competency under "
        "*Assess myself* below.",
        icon=":material/psychology:",
    )

table = profile.table()
first, second, third = st.columns(3)
first.metric("Competencies in my role", len(table))
second.metric("Below the role's level", profile.below)
third.metric("Not assessed yet", profile.unknown)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "gap": st.column_config.NumberColumn("gap", help="Required minus current level"),
        "critical": st.column_config.CheckboxColumn("critical"),
    },
)
_ui.excel_download(
    table,
    file_name="my-skills.xlsx",
    sheet_name="My skills",
    key="my_skills_download",
)

st.subheader("Assess myself", anchor=False)
rows = {r.competency_id: r for r in profile.rows}
# A competency a link names (?competency=7, as Home's to-dos do).
linked_competency = _ui.query_id("competency")
if linked_competency is not None:
    if linked_competency not in rows:
        st.warning("The linked competency is not part of your role.")
    elif st.session_state.get("my_skills_linked") != linked_competency:
        # The first run with a new link chooses its competency.
        st.session_state["my_skills_linked"] = linked_competency
        st.session_state["my_skills_competency"] = linked_competency
competency_id = st.selectbox(
    "Competency",
    options=list(rows),
    format_func=lambda c: f"{rows[c].competency} (required: {rows[c].required_level})",
    key="my_skills_competency",
)
if competency_id is not None:
    row = rows[competency_id]
    entry = _skills_ui.level_form(
        row,
        key="my_skills",
        level_label="My level",
        evidence_label="Evidence (examples, links)",
        save_label="Save self-assessment",
    )
    if entry is not None:
        assessed: int = competency_id
        level: _skills_ui.LevelEntry = entry
        _ui.run_action(
            lambda session: record_self_assessment(
                session=session,
                actor=actor,
                competency_id=assessed,
                value_id=level.value_id,
                comment=level.comment,
                evidence=level.evidence,
            ),
            then=lambda _: _skills_ui.level_saved("my_skills"),
            success=f"Self-assessment saved for {_ui.md(row.competency)}.",
        )

if st.toggle("Show my assessment history", key="my_skills_history"):
    history = _ui.load(
        lambda session: list_assessment_history(
            session=session, actor=actor, person_id=actor.person_id
        )
    )
    if history is not None:
        zone = _ui.viewer_zone()
        st.dataframe(
            timezones.localise(history, ["at (UTC)"], zone).rename(
                columns={"at (UTC)": f"at ({timezones.zone_label(zone)})"}
            ),
            hide_index=True,
            width="stretch",
        )
