"""Shared UI of the skills pages: cached loaders (keyed by the viewer's scope)
and the heatmaps (Vega-Lite specs).

st.cache_data is shared by every session of the process, so each loader's
key holds the viewer's scope (core.assessments.gap_scope_key: a manager's
team view is theirs alone; the organisation view is the same for every HR
admin) and the data stamp (changes after any rating, role-map or people
edit, here or on another replica). Writes clear the caches as well.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
# height left after the rotated axis labels; the heatmaps fit the width only.


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

# The heatmaps are Vega-Lite specs written as plain dicts: Altair validated
# every channel while the chart was built and the whole spec again when
# Streamlit serialised it (about 0.1 s of a 0.2 s render at 10,000 people).
# tests/app/test_heatmap_spec.py checks these dicts against the same chart
# built with Altair.
Spec = dict[str, Any]
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"


def _competency_axis(frame: pd.DataFrame) -> Spec:
    """Every competency labelled in full (its name is in each cell's tooltip
    too): up to WRAP_UP_TO columns horizontally, the names wrapped onto
    lines below the grid; more columns get angled labels above it, which
    need no more width than a column."""
    order = shaping.competency_order(frame)
    axis: Spec = {
        "domain": False,
        "labelFontSize": LABEL_FONT,
        "labelLimit": 0,
        "labelOverlap": False,
        "labelPadding": 6,
        "ticks": False,
    }
    if len(order) <= WRAP_UP_TO:
        lines = shaping.wrapped_labels(order)
        axis |= {
            "labelAngle": 0,
            "labelBaseline": "top",
            "labelExpr": f"{json.dumps(lines)}[datum.value] || datum.value",
            "orient": "bottom",
        }
    else:
        axis |= {"labelAlign": "left", "labelAngle": -40, "orient": "top"}
    return {"axis": axis, "field": "competency", "sort": order, "title": None, "type": "nominal"}


def _row_axis(field: str, order: list[str], title: str | None) -> Spec:
    """Row names in full (no truncation), in the given order."""
    longest = max((len(name) for name in order), default=10)
    return {
        "axis": {
            "domain": False,
            "labelFontSize": LABEL_FONT,
            "labelLimit": max(CHAR_PX * longest + 10, 100),
            "labelOverlap": False,
            "ticks": False,
        },
        "field": field,
        "sort": order,
        "title": title,
        "type": "nominal",
    }


def _tooltip(field: str, kind: str = "nominal", title: str | None = None, **more: str) -> Spec:
    return {"field": field, **more, **({"title": title} if title else {}), "type": kind}


@dataclass(frozen=True)
class Heatmap:
    """A heatmap's Vega-Lite spec and the frame it draws."""

    spec: Spec
    data: pd.DataFrame

    def chart_spec(self) -> Spec:
        """The spec with the frame as a named dataset, the way Streamlit
        passes an Altair chart's data (Arrow, named by its content), so the
        chart is drawn exactly as before."""
        digest = hashlib.md5(  # noqa: S324  (a name, not a secret)
            pd.util.hash_pandas_object(self.data, index=False).to_numpy().tobytes()
            + json.dumps(list(self.data.columns)).encode()
        ).hexdigest()
        name = f"data-{digest}"
        return {**self.spec, "data": {"name": name}, "datasets": {name: self.data}}


def _gap_layers(
    data: pd.DataFrame,
    *,
    x: Spec,
    y: Spec,
    tooltip: list[Spec],
    field: str,
    title: str,
    rows: int,
    extent: float,
) -> Heatmap:
    """Assessed cells on a diverging scale centred on 0; not assessed (grey,
    "?") and not required (white, "—") as states with a legend of their own;
    each cell's value written in it."""
    position = {"tooltip": tooltip, "x": x, "y": y}
    gaps = {
        "mark": {"type": "rect", "stroke": "white", "strokeWidth": 1},
        "encoding": {
            "color": {
                "field": field,
                "legend": {"direction": "horizontal", "gradientLength": 220, "orient": "bottom"},
                "scale": {
                    "domain": [-extent, 0, extent],
                    "range": [ABOVE_COLOUR, LEVEL_COLOUR, SHORT_COLOUR],
                },
                "title": title,
                "type": "quantitative",
            },
            **position,
        },
        "transform": [{"filter": f"(datum.state === '{shaping.ASSESSED}')"}],
    }
    others = {
        "mark": {"type": "rect", "stroke": "#bdbdbd", "strokeWidth": 1},
        "encoding": {
            "color": {
                "field": "state",
                "legend": {"orient": "bottom", "symbolStrokeColor": "#8c8c8c"},
                "scale": {"domain": list(STATE_COLOURS), "range": list(STATE_COLOURS.values())},
                "title": None,
                "type": "nominal",
            },
            **position,
        },
        "transform": [{"filter": f"(datum.state !== '{shaping.ASSESSED}')"}],
    }
    strong = f"abs(datum.{field}) >= {extent * 0.6}"
    text = {
        "mark": {"type": "text", "fontSize": LABEL_FONT},
        "encoding": {
            "color": {
                "condition": {
                    "test": f"datum.state == '{shaping.NOT_ASSESSED}' "
                    f"|| (isValid(datum.{field}) && {strong})",
                    "value": "white",
                },
                "value": "#333333",
            },
            "text": {"field": "gap_text", "type": "nominal"},
            **position,
        },
    }
    spec = {
        "layer": [gaps, others, text],
        "autosize": {"contains": "padding", "type": "fit-x"},
        "height": ROW_HEIGHT * max(rows, 1),
        "resolve": {"scale": {"color": "independent"}},
        "$schema": VEGA_LITE_SCHEMA,
    }
    return Heatmap(spec=spec, data=data)


def _extent(values: pd.Series) -> float:
    biggest = values.abs().max()
    return max(1.0, float(biggest)) if pd.notna(biggest) else 1.0


def team_heatmap(cells: pd.DataFrame) -> Heatmap:
    """People × competencies, coloured by gap; every cell is assessed, not
    assessed or not required."""
    data = shaping.team_chart_frame(cells)
    people = list(dict.fromkeys(data["person"]))
    return _gap_layers(
        data,
        x=_competency_axis(data),
        y=_row_axis("person", people, None),
        tooltip=[
            _tooltip("person"),
            _tooltip("competency"),
            _tooltip("framework"),
            _tooltip("state", title="cell"),
            _tooltip("required_level", title="required"),
            _tooltip("current_level", title="current"),
            _tooltip("source", title="from"),
            _tooltip("gap_text", title="gap"),
            _tooltip("critical"),
        ],
        field="gap",
        title="gap (levels short)",
        rows=len(people),
        extent=_extent(data["gap"]),
    )


def organisation_heatmap(
    frame: pd.DataFrame, *, row_title: str, chart_frame: pd.DataFrame | None = None
) -> Heatmap:
    """Rows × competencies of the organisation view (`chart_frame`: the
    frame's shaping.org_chart_frame, when the caller has it already)."""
    data = shaping.org_chart_frame(frame) if chart_frame is None else chart_frame
    rows = list(dict.fromkeys(data["row"]))
    return _gap_layers(
        data,
        x=_competency_axis(data),
        y=_row_axis("row", rows, None),
        tooltip=[
            _tooltip("row", title=row_title),
            _tooltip("competency"),
            _tooltip("framework"),
            _tooltip("state", title="cell"),
            _tooltip("required", "quantitative", title="people required"),
            _tooltip("assessed", "quantitative"),
            _tooltip("mean_gap", "quantitative", title="mean gap", format=".1f"),
            _tooltip("share_proficient", "quantitative", title="proficient", format=".0%"),
            _tooltip("share_unassessed", "quantitative", title="unassessed", format=".0%"),
        ],
        field="mean_gap",
        title="mean gap",
        rows=len(rows),
        extent=_extent(data["mean_gap"]),
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
