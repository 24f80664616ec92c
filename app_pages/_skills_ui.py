"""Shared UI of the skills pages: cached loaders (keyed by the viewer's scope)
and the Altair heatmaps.

st.cache_data is shared by every session of the process, so each loader's
key holds the viewer's scope (core.assessments.gap_scope_key: a manager's
team view is theirs alone; the organisation view is the same for every HR
admin) and the data stamp (changes after any rating, role-map or people
edit, here or on another replica). Writes clear the caches as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import _ui
from core import assessments
from core.access import Actor
from core.runtime import unit_of_work

CACHE_TTL_S = 600
MAX_MARKS = assessments.MAX_MARKS
UNKNOWN_COLOUR = "#d0d0d0"
# Streamlit's default autosize ("fit") squeezes a heatmap's rows into the
# height left after the rotated axis labels; fit the width only.
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def data_stamp() -> str:
    with unit_of_work() as session:
        return assessments.gap_data_stamp(session)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=256, show_spinner=False)
def _team_gaps(
    scope_key: str,
    stamp: str,
    actor: Actor,
    include_indirect: bool,
    framework_id: int | None,
    critical_only: bool,
    page: int,
) -> assessments.TeamGaps:
    # `actor` is part of the key too (hashed), so a team view can only ever
    # come back to the person it was computed for.
    with unit_of_work() as session:
        return assessments.get_team_gaps(
            session,
            actor=actor,
            include_indirect=include_indirect,
            framework_id=framework_id,
            critical_only=critical_only,
            page=page,
        )


def team_gaps(
    actor: Actor,
    *,
    include_indirect: bool,
    framework_id: int | None,
    critical_only: bool,
    page: int,
) -> assessments.TeamGaps:
    return _team_gaps(
        assessments.gap_scope_key(actor, view="team"),
        data_stamp(),
        actor,
        include_indirect,
        framework_id,
        critical_only,
        page,
    )


@st.cache_data(ttl=CACHE_TTL_S, max_entries=256, show_spinner=False)
def _org_heatmap(
    scope_key: str,
    stamp: str,
    _actor: Actor,
    rows: assessments.RowDimension,
    unit_id: int | None,
    job_family_id: int | None,
    framework_id: int | None,
    critical_only: bool,
    page: int,
) -> assessments.OrgHeatmap:
    # `_actor` is not hashed: HR admins share this entry ("org:hr"); anyone
    # else gets a key of their own and core refuses them.
    with unit_of_work() as session:
        return assessments.get_org_heatmap(
            session,
            actor=_actor,
            rows=rows,
            unit_id=unit_id,
            job_family_id=job_family_id,
            framework_id=framework_id,
            critical_only=critical_only,
            page=page,
        )


def org_heatmap(
    actor: Actor,
    *,
    rows: assessments.RowDimension,
    unit_id: int | None,
    job_family_id: int | None,
    framework_id: int | None,
    critical_only: bool,
    page: int,
) -> assessments.OrgHeatmap:
    return _org_heatmap(
        assessments.gap_scope_key(actor, view="org"),
        data_stamp(),
        actor,
        rows,
        unit_id,
        job_family_id,
        framework_id,
        critical_only,
        page,
    )


def clear_caches() -> None:
    _team_gaps.clear()
    _org_heatmap.clear()


@dataclass(frozen=True)
class LevelEntry:
    value_id: int
    comment: str
    evidence: str


def level_form(
    row: assessments.SkillRow,
    *,
    key: str,
    level_label: str,
    evidence_label: str,
    save_label: str,
) -> LevelEntry | None:
    """Level (with its descriptors), comment and evidence for one competency;
    the entry once saved. Widget keys: `{key}_level`, `_comment`, `_evidence`,
    `_save`."""
    levels = {level.value_id: level for level in row.levels}
    value_id = st.radio(
        level_label,
        options=list(levels),
        format_func=lambda v: _ui.md(levels[v].name),
        captions=[_ui.md(levels[v].descriptor) for v in levels],
        index=None,
        key=f"{key}_level",
    )
    comment = st.text_area("Comment", key=f"{key}_comment", max_chars=4000)
    evidence = st.text_area(evidence_label, key=f"{key}_evidence", max_chars=4000)
    if not st.button(save_label, type="primary", key=f"{key}_save", disabled=value_id is None):
        return None
    return LevelEntry(value_id=int(value_id or 0), comment=comment, evidence=evidence)


def level_saved(key: str) -> None:
    """After a saved rating (outside the unit of work): fresh heatmaps and an
    empty form for the next one."""
    clear_caches()
    for part in ("level", "comment", "evidence"):
        st.session_state.pop(f"{key}_{part}", None)


def _competency_axis(frame: pd.DataFrame) -> alt.X:
    order = frame.drop_duplicates("competency").sort_values("column_order")["competency"].tolist()
    return alt.X(
        "competency:N",
        sort=order,
        title=None,
        axis=alt.Axis(labelAngle=-45, labelLimit=160, orient="top"),
    )


GAP_SCALE = alt.Scale(domain=[-2, 0, 3], range=["#1a9850", "#fee08b", "#d73027"])


def _gap_rects(base: alt.Chart, *, field: str, title: str, height: int) -> alt.Chart:
    """One rect per cell, one layer (a layered chart lost its height here);
    unknown cells are grey, not a colour on the gap scale."""
    return (
        base.mark_rect(stroke="white")
        .encode(
            color=alt.condition(
                f"isValid(datum.{field})",
                alt.Color(f"{field}:Q", scale=GAP_SCALE, title=title),
                alt.value(UNKNOWN_COLOUR),
            )
        )
        .properties(height=height, autosize=FIT_WIDTH)
    )


def team_heatmap(cells: pd.DataFrame) -> alt.Chart:
    """People × competencies, coloured by gap; unknown cells grey."""
    data = cells.assign(gap=cells["gap"].astype("Float64").astype(float))
    base = alt.Chart(data).encode(
        x=_competency_axis(data),
        y=alt.Y("person:N", title=None, sort=list(dict.fromkeys(data["person"]))),
        tooltip=[
            alt.Tooltip("person:N"),
            alt.Tooltip("competency:N"),
            alt.Tooltip("framework:N"),
            alt.Tooltip("required_level:N", title="required"),
            alt.Tooltip("current_level:N", title="current"),
            alt.Tooltip("source:N", title="from"),
            alt.Tooltip("gap:Q"),
            alt.Tooltip("critical:N"),
        ],
    )
    height = max(120, 26 * data["person"].nunique())
    return _gap_rects(base, field="gap", title="gap (levels short)", height=height)


def organisation_heatmap(frame: pd.DataFrame, *, row_title: str) -> alt.Chart:
    data = frame.assign(mean_gap=frame["mean_gap"].astype(float))
    base = alt.Chart(data).encode(
        x=_competency_axis(data),
        y=alt.Y("row:N", title=row_title, sort=sorted(data["row"].unique())),
        tooltip=[
            alt.Tooltip("row:N", title=row_title),
            alt.Tooltip("competency:N"),
            alt.Tooltip("framework:N"),
            alt.Tooltip("required:Q", title="people required"),
            alt.Tooltip("assessed:Q"),
            alt.Tooltip("mean_gap:Q", title="mean gap", format=".2f"),
            alt.Tooltip("share_proficient:Q", title="proficient", format=".0%"),
            alt.Tooltip("share_unassessed:Q", title="unassessed", format=".0%"),
        ],
    )
    height = max(120, 24 * data["row"].nunique())
    return _gap_rects(base, field="mean_gap", title="mean gap", height=height)


def team_table(cells: pd.DataFrame) -> pd.DataFrame:
    """The heatmap as text (screen readers, and a check for tests): one row per
    person, one column per competency, "current (gap)"."""
    gap_text = cells["gap"].map(lambda g: "" if pd.isna(g) else f" ({int(g):+d})")
    labelled = cells.assign(cell=cells["current_level"].astype(str) + gap_text)
    order = labelled.drop_duplicates("competency").sort_values("column_order")["competency"]
    table = labelled.pivot_table(
        index="person", columns="competency", values="cell", aggfunc="first", sort=False
    )
    return table.reindex(columns=list(order)).fillna("")
