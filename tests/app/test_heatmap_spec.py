"""The heatmaps' Vega-Lite dicts (app_pages/_skills_ui.py) are the charts
the page drew with Altair before: the Altair builders are kept here as the
reference, and both are compared spec for spec (Altair's output validated
against the Vega-Lite schema, which the dicts skip at run time)."""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import pandas as pd
import pytest

from app_pages import _skills_ui
from app_pages._skills_ui import (
    ABOVE_COLOUR,
    CHAR_PX,
    LABEL_FONT,
    LEVEL_COLOUR,
    ROW_HEIGHT,
    SHORT_COLOUR,
    STATE_COLOURS,
    WRAP_UP_TO,
)
from core.assessments import shaping

# --- the reference: the Altair builders as they were ---------------------

FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


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
        .properties(
            height=ROW_HEIGHT * max(rows, 1),
            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        )
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


# --- the comparison -------------------------------------------------------


def _altair_spec(chart: alt.LayerChart) -> dict[str, Any]:
    """As Streamlit's altair_chart serialised it (theme "none"), data left out."""
    with alt.theme.enable("none"):
        spec = chart.to_dict(validate=True)
    spec.pop("datasets")
    spec.pop("data")
    return spec


def _org_frame(columns: int, rows: int) -> pd.DataFrame:
    records = []
    for r in range(rows):
        for c in range(columns):
            if (r + c) % 5 == 4:
                continue  # not required
            assessed = (r * c) % 3
            records.append(
                {
                    "row_id": r,
                    "row": f"Unit <{r}> with a long name" if r == 1 else f"Unit {r}",
                    "competency_id": c,
                    "competency": f"Competency number {c} 'quoted'",
                    "framework": "F",
                    "column_order": c,
                    "required": 3,
                    "assessed": assessed,
                    "mean_gap": (c - r) / 2 if assessed else None,
                    "share_proficient": 0.5 if assessed else None,
                    "share_unassessed": (3 - assessed) / 3,
                }
            )
    return pd.DataFrame.from_records(records)


@pytest.mark.parametrize(("columns", "rows"), [(3, 2), (WRAP_UP_TO, 4), (WRAP_UP_TO + 4, 7)])
def test_org_heatmap_spec_is_the_altair_chart(columns: int, rows: int) -> None:
    frame = _org_frame(columns, rows)
    heatmap = _skills_ui.organisation_heatmap(frame, row_title="Org units")
    reference = organisation_heatmap(frame, row_title="Org units")
    assert heatmap.spec == _altair_spec(reference)
    pd.testing.assert_frame_equal(heatmap.data, shaping.org_chart_frame(frame))
    # Valid Vega-Lite: Altair reads the dict back and validates it.
    alt.LayerChart.from_dict(json.loads(json.dumps(heatmap.spec)), validate=True)


def test_team_heatmap_spec_is_the_altair_chart() -> None:
    cells = pd.DataFrame.from_records(
        [
            {
                "person_id": p,
                "person": f"Person {p}",
                "competency_id": c,
                "competency": f"Skill {c}",
                "framework": "F",
                "critical": c == 1,
                "required_level": "Proficient",
                "current_level": "Basic" if (p + c) % 3 else "unknown",
                "source": "manager" if (p + c) % 3 else "not assessed",
                "gap": float(p - c) if (p + c) % 3 else None,
                "status": "short",
                "column_order": c,
            }
            for p in range(4)
            for c in range(3)
        ]
    )
    heatmap = _skills_ui.team_heatmap(cells)
    assert heatmap.spec == _altair_spec(team_heatmap(cells))
