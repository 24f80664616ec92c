"""Every page for each demo role reads well: no grid shows "None" or "NaN",
and every chart shows all its labels (none hidden as overlapping, cut
below the names' length, or turned on end)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.access import Actor, navigation
from tests.app.conftest import open_page, sign_in

MISSING_TEXT = {"none", "nan", "<na>", "nat", "null"}
CHAR_PX = 5  # the narrowest a label character can be at 11 px


def missing_cells(frame: pd.DataFrame) -> list[tuple[Any, str, object]]:
    """(row, column, value) of every cell that would show as None/NaN."""
    found = []
    for column in frame.columns:
        for row, value in frame[column].items():
            if _shows_missing(value):
                found.append((row, str(column), value))
    return found


def _shows_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_TEXT


def _axes(spec: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(field, axis) of every positional nominal/ordinal encoding in a spec."""
    if isinstance(spec, dict):
        encoding = spec.get("encoding")
        if isinstance(encoding, dict):
            for channel in ("x", "y"):
                enc = encoding.get(channel)
                if isinstance(enc, dict) and enc.get("type") in {"nominal", "ordinal"}:
                    yield str(enc.get("field")), enc.get("axis") or {}
        for value in spec.values():
            yield from _axes(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _axes(value)


def _values(spec: dict[str, Any], field: str, datasets: list[pd.DataFrame]) -> list[str]:
    return [str(v) for frame in datasets if field in frame for v in frame[field].dropna().unique()]


def label_problems(spec: dict[str, Any], datasets: list[pd.DataFrame]) -> list[str]:
    problems = []
    for field, axis in _axes(spec):
        if axis is None:  # axis=None: no labels drawn on purpose
            continue
        if axis.get("labelOverlap") is not False:
            problems.append(f"{field}: labelOverlap is not off (labels may be hidden)")
        names = _values(spec, field, datasets)
        longest = max((len(n) for n in names), default=0)
        limit = axis.get("labelLimit")
        if limit is None or (limit != 0 and limit < CHAR_PX * longest):
            problems.append(f"{field}: labelLimit {limit} cuts names of {longest} characters")
        angle = axis.get("labelAngle")
        if angle is not None and abs(angle) >= 90:
            problems.append(f"{field}: labels on end (labelAngle {angle})")
    return problems


def _chart_data(at: AppTest) -> Iterator[tuple[dict[str, Any], list[pd.DataFrame]]]:
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    for chart in at.get("vega_lite_chart"):
        proto = chart.proto
        frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in proto.datasets]
        if proto.data.data:
            frames.append(convert_arrow_bytes_to_pandas_df(proto.data.data))
        yield json.loads(proto.spec), frames


# Columns or charts a page may not be held to yet (none now); an entry
# needs a reason beside it.
NOT_YET: dict[str, set[str]] = {}
NOT_YET_CHARTS: set[str] = set()


def check_page(at: AppTest, page: str) -> list[str]:
    problems = []
    for index, frame in enumerate(at.dataframe):
        # A grid with a placeholder shows that (e.g. "—") for a missing value.
        placeholder = frame.proto.placeholder
        shown_as_text = bool(placeholder) and placeholder.lower() not in MISSING_TEXT
        for row, column, value in missing_cells(frame.value):
            if shown_as_text and not isinstance(value, str):
                continue
            if column in NOT_YET.get(page, set()):
                continue
            problems.append(f"{page}: grid {index}, row {row}, {column!r} shows {value!r}")
    for spec, datasets in _chart_data(at) if page not in NOT_YET_CHARTS else []:
        problems += [f"{page}: chart: {p}" for p in label_problems(spec, datasets)]
    return problems


def test_missing_cells_are_found() -> None:
    frame = pd.DataFrame({"a": ["x", None, "nan"], "b": [1.0, float("nan"), 2.0]})
    assert [(r, c) for r, c, _ in missing_cells(frame)] == [(1, "a"), (2, "a"), (1, "b")]
    assert missing_cells(pd.DataFrame({"a": ["—", ""], "b": [0, 1]})) == []


def test_hidden_labels_are_found() -> None:
    frame = pd.DataFrame({"unit": ["Product & Technology"]})
    spec = {"encoding": {"y": {"field": "unit", "type": "nominal", "axis": {"labelLimit": 60}}}}
    assert len(label_problems(spec, [frame])) == 2  # overlap on, and a limit too short
    spec["encoding"]["y"]["axis"] = {"labelLimit": 0, "labelOverlap": False}
    assert label_problems(spec, [frame]) == []
    spec["encoding"]["y"]["axis"]["labelAngle"] = -90
    assert label_problems(spec, [frame]) == ["unit: labels on end (labelAngle -90)"]


@pytest.mark.parametrize("username", ["emma", "maya", "hana"])
def test_every_page_reads_well(app: AppTest, username: str) -> None:
    at = sign_in(app, username)
    actor = at.session_state["stride_actor"]
    assert isinstance(actor, Actor)
    problems = check_page(at, "Home")
    for pages in navigation(actor).values():
        for page in pages:
            if page == "dashboard":
                continue
            open_page(at, f"app_pages/{page}.py")
            problems += check_page(at, page)
    assert not problems, "\n".join(problems)


def test_key_result_history_chart_reads_well(app: AppTest) -> None:
    """The history chart of a goal: a time axis of days or hours (never ticks
    of half seconds), horizontal labels, and a table without None."""
    at = open_page(sign_in(app, "emma"), "app_pages/my_goals.py")
    # A card draws its history only while unfolded; unfold the first one.
    cards = [k for k in at.session_state.to_dict() if str(k).endswith("_details")]
    assert cards
    at.session_state[cards[0]] = True
    at.run()
    toggle = next(t for t in at.toggle if str(t.key).endswith("_history"))
    toggle.set_value(True).run()
    assert not at.exception, at.exception
    charts = list(_chart_data(at))
    assert charts, "the history chart is shown"
    spec, _ = charts[-1]
    x_axis = spec["encoding"]["x"]["axis"]
    assert x_axis["format"] in {"%d %b", "%d %b %H:%M"}
    assert x_axis["labelAngle"] == 0
    assert not check_page(at, "my_goals")
