"""Shared UI of the skills pages: cached loaders (keyed by the viewer's scope)
and the Altair heatmaps.

st.cache_data is shared by every session of the process, so each loader's
key holds the viewer's scope (core.assessments.gap_scope_key: a manager's
team view is theirs alone; the organisation view is the same for every HR
admin) and the data stamp (changes after any rating, role-map or people
edit, here or on another replica). Writes clear the caches as well.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import _ui
from core import assessments
from core.access import Actor
from core.assessments import shaping
from core.export import workbook_bytes
from core.runtime import unit_of_work

CACHE_TTL_S = 600
MAX_MARKS = assessments.MAX_MARKS
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


# Gap = required minus current level: red is short of the role, blue above
# it, white on the level; the scale is symmetric around 0 and at least ±1,
# so small mean gaps still show colour.
SHORT_COLOUR, LEVEL_COLOUR, ABOVE_COLOUR = "#b2182b", "#f7f7f7", "#2166ac"
STATE_COLOURS = {
    shaping.NOT_ASSESSED: "#8c8c8c",
    shaping.NOT_REQUIRED: "#ffffff",
}
ROW_HEIGHT = 32
LABEL_FONT = 11
CHAR_PX = 7  # a generous width of one label character at LABEL_FONT


WRAP_UP_TO = 9  # columns that fit side by side with wrapped, horizontal labels


def _competency_axis(frame: pd.DataFrame) -> alt.X:
    """Every competency labelled in full (its name is in each cell's tooltip
    too): up to WRAP_UP_TO columns horizontally, the names wrapped onto
    lines below the grid; more columns get angled labels above it, which
    need no more width than a column."""
    order = shaping.competency_order(frame)
    common: dict[str, object] = {
        "labelOverlap": False,
        "labelLimit": 0,
        "labelFontSize": LABEL_FONT,
        "labelPadding": 6,
        "domain": False,
        "ticks": False,
    }
    if len(order) <= WRAP_UP_TO:
        lines = shaping.wrapped_labels(order)
        axis = alt.Axis(
            orient="bottom",
            labelAngle=0,
            labelBaseline="top",
            labelExpr=f"{json.dumps(lines)}[datum.value] || datum.value",
            **common,  # type: ignore[arg-type]
        )
    else:
        axis = alt.Axis(orient="top", labelAngle=-40, labelAlign="left", **common)  # type: ignore[arg-type]
    return alt.X("competency:N", sort=order, title=None, axis=axis)


def _row_axis(field: str, order: list[str], title: str | None) -> alt.Y:
    """Row names in full (no truncation), in the given order."""
    longest = max((len(name) for name in order), default=10)
    return alt.Y(
        f"{field}:N",
        sort=order,
        title=title,
        axis=alt.Axis(
            labelOverlap=False,
            labelLimit=max(CHAR_PX * longest + 10, 100),
            labelFontSize=LABEL_FONT,
            domain=False,
            ticks=False,
        ),
    )


def _gap_layers(
    base: alt.Chart, *, field: str, title: str, rows: int, extent: float
) -> alt.LayerChart:
    """Assessed cells on a diverging scale centred on 0; not assessed (grey,
    "?") and not required (white, "—") as states with a legend of their own;
    each cell's value written in it."""
    scale = alt.Scale(domain=[-extent, 0, extent], range=[ABOVE_COLOUR, LEVEL_COLOUR, SHORT_COLOUR])
    assessed = base.transform_filter(alt.datum.state == shaping.ASSESSED)
    gaps = assessed.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            f"{field}:Q",
            scale=scale,
            title=title,
            legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=220),
        )
    )
    others = (
        base.transform_filter(alt.datum.state != shaping.ASSESSED)
        .mark_rect(stroke="#bdbdbd", strokeWidth=1)
        .encode(
            color=alt.Color(
                "state:N",
                scale=alt.Scale(domain=list(STATE_COLOURS), range=list(STATE_COLOURS.values())),
                title=None,
                legend=alt.Legend(orient="bottom", symbolStrokeColor="#8c8c8c"),
            )
        )
    )
    strong = f"abs(datum.{field}) >= {extent * 0.6}"
    text = base.mark_text(fontSize=LABEL_FONT).encode(
        text=alt.Text("gap_text:N"),
        color=alt.condition(
            f"datum.state == '{shaping.NOT_ASSESSED}' || (isValid(datum.{field}) && {strong})",
            alt.value("white"),
            alt.value("#333333"),
        ),
    )
    return (
        alt.layer(gaps, others, text)
        .resolve_scale(color="independent")
        .properties(height=ROW_HEIGHT * max(rows, 1), autosize=FIT_WIDTH)
    )


def _extent(values: pd.Series) -> float:
    biggest = values.abs().max()
    return max(1.0, float(biggest)) if pd.notna(biggest) else 1.0


def team_heatmap(cells: pd.DataFrame) -> alt.LayerChart:
    """People × competencies, coloured by gap; every cell is assessed, not
    assessed or not required."""
    data = shaping.team_chart_frame(cells)
    people = list(dict.fromkeys(data["person"]))
    base = alt.Chart(data).encode(
        x=_competency_axis(data),
        y=_row_axis("person", people, None),
        tooltip=[
            alt.Tooltip("person:N"),
            alt.Tooltip("competency:N"),
            alt.Tooltip("framework:N"),
            alt.Tooltip("state:N", title="cell"),
            alt.Tooltip("required_level:N", title="required"),
            alt.Tooltip("current_level:N", title="current"),
            alt.Tooltip("source:N", title="from"),
            alt.Tooltip("gap_text:N", title="gap"),
            alt.Tooltip("critical:N"),
        ],
    )
    return _gap_layers(
        base, field="gap", title="gap (levels short)", rows=len(people), extent=_extent(data["gap"])
    )


def organisation_heatmap(frame: pd.DataFrame, *, row_title: str) -> alt.LayerChart:
    data = shaping.org_chart_frame(frame)
    rows = list(dict.fromkeys(data["row"]))
    base = alt.Chart(data).encode(
        x=_competency_axis(data),
        y=_row_axis("row", rows, None),
        tooltip=[
            alt.Tooltip("row:N", title=row_title),
            alt.Tooltip("competency:N"),
            alt.Tooltip("framework:N"),
            alt.Tooltip("state:N", title="cell"),
            alt.Tooltip("required:Q", title="people required"),
            alt.Tooltip("assessed:Q"),
            alt.Tooltip("mean_gap:Q", title="mean gap", format=".1f"),
            alt.Tooltip("share_proficient:Q", title="proficient", format=".0%"),
            alt.Tooltip("share_unassessed:Q", title="unassessed", format=".0%"),
        ],
    )
    return _gap_layers(
        base, field="mean_gap", title="mean gap", rows=len(rows), extent=_extent(data["mean_gap"])
    )


def workbook_download(
    sheets: Callable[[], dict[str, pd.DataFrame]], *, file_name: str, key: str
) -> None:
    """The grid as shown and its details, both built when clicked (shaping
    them on every run cost as much as the table shown)."""
    st.download_button(
        "Download Excel",
        data=lambda: workbook_bytes(sheets()),
        file_name=file_name,
        mime=_ui.XLSX_MIME,
        icon=":material/download:",
        key=key,
    )
