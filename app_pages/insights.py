"""Insights (HR): competencies that don't differentiate, experience versus
mastery, hidden expertise, and role fit."""

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import _auth, _ui
from core.assessments import (
    get_experience_mastery,
    get_hidden_expertise,
    get_non_differentiating,
    get_role_fit,
)
from core.competencies import list_positions
from core.runtime import unit_of_work


def _table(frame: pd.DataFrame, *, file_name: str, key: str, share: str | None = None) -> None:
    """A finding and its workbook; `share`: a 0–1 column shown as a bar."""
    column_config = (
        {share: st.column_config.ProgressColumn(share, format="percent", min_value=0, max_value=1)}
        if share
        else None
    )
    st.dataframe(frame, hide_index=True, width="stretch", column_config=column_config)
    _ui.excel_download(frame, file_name=file_name, key=key)


actor = _auth.current_actor()
st.title("Insights", anchor=False)
# Only the open tab is worked out: each is an organisation-wide aggregate.
flat_tab, experience_tab, expertise_tab, fit_tab = st.tabs(
    ["Not differentiating", "Experience vs mastery", "Hidden expertise", "Role fit"],
    key="insights_tab",
    on_change="rerun",
)

if flat_tab.open:
    with flat_tab:
        st.caption(
            "Competencies where most assessed people sit on the same level tell nobody apart: "
            "the scale or the descriptors may need work, or the competency may not matter."
        )
        threshold = st.slider(
            "Flag when this share is on one level", 0.5, 1.0, 0.8, 0.05, key="insights_threshold"
        )
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            flat = get_non_differentiating(session=session, actor=actor, threshold=threshold)
        _table(
            flat,
            file_name="non-differentiating.xlsx",
            key="insights_flat_download",
            share="share at that level",
        )

if experience_tab.open:
    with experience_tab:
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            result = get_experience_mastery(session=session, actor=actor)
        correlation = "n/a" if result.correlation is None else f"{result.correlation:+.2f}"
        first, second = st.columns(2)
        first.metric("Correlation (Pearson r)", correlation)
        second.metric("People with assessments", result.people)
        st.caption(
            "Mastery = mean assessed level, scaled 0 (lowest) to 1 (top of the scale). "
            "Bars: people per bracket of years of experience; line: their mean mastery."
        )
        if not result.bins.empty:
            base = alt.Chart(result.bins).encode(
                x=alt.X("years_from:Q", title="years of experience (bracket start)")
            )
            chart = alt.layer(
                base.mark_bar(opacity=0.3).encode(y=alt.Y("people:Q", title="people")),
                base.mark_line(point=True, color="#d73027").encode(
                    y=alt.Y("mean_mastery:Q", title="mean mastery", scale=alt.Scale(domain=[0, 1])),
                    tooltip=[
                        "years_from",
                        "years_to",
                        "people",
                        alt.Tooltip("mean_mastery", format=".2f"),
                    ],
                ),
            ).resolve_scale(y="independent")
            st.altair_chart(chart, width="stretch")

if expertise_tab.open:
    with expertise_tab:
        st.caption(
            "People assessed above what their role requires, with how many colleagues fall short "
            "in the same competency — candidates to mentor them."
        )
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            experts = get_hidden_expertise(session=session, actor=actor)
        _table(experts, file_name="hidden-expertise.xlsx", key="insights_expert_download")

if fit_tab.open:
    with fit_tab:
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            positions = dict(list_positions(session=session, actor=actor))
        position_id = st.selectbox(
            "Position",
            options=list(positions),
            format_func=positions.__getitem__,
            index=None,
            placeholder="Choose a position",
            key="insights_fit_position",
        )
        if position_id is not None:
            chosen: int = position_id
            fit = _ui.load(
                lambda session: get_role_fit(session=session, actor=actor, position_id=chosen)
            )
            if fit is not None:
                st.caption(
                    "Fit: how much of the role's required levels a person reaches (critical "
                    "competencies count double; unassessed ones count as not reached)."
                )
                _table(fit, file_name="role-fit.xlsx", key="insights_fit_download", share="fit")
