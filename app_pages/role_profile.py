"""My role profile: what my position requires, and what another would."""

import pandas as pd
import streamlit as st

from app_pages import _auth, _ui
from core.competencies import compare_positions, get_role_profile, growth_steps, list_positions
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("My role profile", anchor=False)

with _ui.shown_errors(stop=True), unit_of_work() as session:
    profile = get_role_profile(session=session, actor=actor)
    positions = list_positions(session=session, actor=actor)

if profile is None:
    st.info("You don't hold a position yet, so there is no role profile to show.")
else:
    st.subheader(_ui.md(f"{profile.position_title} · {profile.job_family}"), anchor=False)
    if not profile.rows:
        st.info("HR hasn't mapped competencies to your role yet.")
    for framework in dict.fromkeys(r.framework_name for r in profile.rows):
        st.markdown(f"#### {_ui.md(framework)}")
        for row in (r for r in profile.rows if r.framework_name == framework):
            badge = " · critical" if row.critical else ""
            with st.expander(_ui.md(f"{row.competency_name} — {row.required_value_name}{badge}")):
                if row.cluster_name:
                    st.caption(_ui.md(row.cluster_name))
                st.markdown(_ui.md(row.descriptor or "No description of this level yet."))

st.divider()
st.subheader("Career pathway: compare with another role", anchor=False)
labels = dict(positions)
others = [pid for pid in labels if profile is None or pid != profile.position_id]
target = st.selectbox(
    "What would I need for…",
    options=others,
    format_func=labels.__getitem__,
    index=None,
    placeholder="Choose a position",
    key="role_profile_target",
)
if target is not None:
    if profile is None:
        target_profile = _ui.load(
            lambda session: get_role_profile(session=session, actor=actor, position_id=target)
        )
        if target_profile is not None:
            st.dataframe(
                pd.DataFrame(
                    [
                        [r.framework_name, r.competency_name, r.required_value_name, r.critical]
                        for r in target_profile.rows
                    ],
                    columns=["framework", "competency", "level", "critical"],
                ),
                hide_index=True,
            )
    else:
        mine: int = profile.position_id
        wanted: int = target
        comparison = _ui.load(
            lambda session: compare_positions(
                session=session, actor=actor, from_position_id=mine, to_position_id=wanted
            )
        )
        if comparison is not None:
            steps = growth_steps(comparison)
            st.metric("Competencies to grow or gain", steps)
            st.dataframe(comparison, hide_index=True, width="stretch")
