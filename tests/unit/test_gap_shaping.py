"""The skills-gap grids and Excel sheets as shown: complete, readable, rounded."""

import pandas as pd

from core.assessments import shaping
from core.display import MISSING, badges, number_text, readable


def _org() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row_id": [1, 1, 2],
            "row": ["Sales", "Sales", "Support"],
            "competency_id": [10, 11, 10],
            "competency": ["Collaboration", "Customer focus", "Collaboration"],
            "framework": ["Core"] * 3,
            "column_order": [0, 1, 0],
            "required": [7, 4, 3],
            "assessed": [7, 0, 3],
            "mean_gap": [-0.2857142857142857, None, 1.0],
            "share_proficient": [0.857142857, None, 0.3333],
            "share_unassessed": [0.0, 1.0, 0.0],
        }
    )


def test_org_grid_is_complete_and_rounded() -> None:
    grid = shaping.org_grid(_org(), row_title="Org units")
    assert list(grid.columns) == ["Org units", "Collaboration", "Customer focus"]
    assert grid.to_dict("records") == [
        {"Org units": "Sales", "Collaboration": "-0.3", "Customer focus": "?"},
        {"Org units": "Support", "Collaboration": "+1", "Customer focus": "—"},
    ]


def test_org_chart_marks_every_cell() -> None:
    chart = shaping.org_chart_frame(_org())
    states = dict(
        zip(zip(chart["row"], chart["competency"], strict=True), chart["state"], strict=True)
    )
    assert states == {
        ("Sales", "Collaboration"): "assessed",
        ("Sales", "Customer focus"): "not assessed",
        ("Support", "Collaboration"): "assessed",
        ("Support", "Customer focus"): "not required",
    }


def test_org_workbook_has_readable_headers_and_rounded_values() -> None:
    sheets = shaping.org_workbook_sheets(_org(), row_title="Org units")
    details = sheets["Details"]
    assert "mean_gap" not in details.columns
    assert list(details.columns)[:3] == ["Org units", "Competency", "Framework"]
    assert details["Mean gap (levels short)"].tolist()[0] == -0.3
    assert details["Proficient (%)"].tolist()[0] == 86


def test_team_grid_reads_level_and_gap() -> None:
    cells = pd.DataFrame(
        {
            "person_id": [1, 1, 2],
            "person": ["Ann", "Ann", "Bo"],
            "competency_id": [10, 11, 10],
            "competency": ["Collaboration", "Customer focus", "Collaboration"],
            "framework": ["Core"] * 3,
            "critical": [True, False, False],
            "required_level": ["Skilled"] * 3,
            "current_level": ["Basic", "unknown", "Expert"],
            "source": ["manager", None, "self-assessed"],
            "gap": pd.array([1, None, -1], dtype="Int64"),
            "status": ["below", "unknown", "above"],
            "column_order": [0, 1, 0],
        }
    )
    grid = shaping.team_grid(cells)
    assert grid.to_dict("records") == [
        {"Person": "Ann", "Collaboration": "Basic (+1)", "Customer focus": "?"},
        {"Person": "Bo", "Collaboration": "Expert (-1)", "Customer focus": "—"},
    ]
    details = shaping.team_details(cells)
    assert details["Current level"].tolist()[1] == "not assessed"


def test_wrapped_labels_keep_every_word() -> None:
    lines = shaping.wrapped_labels(["SQL and data modelling", "Ownership"])
    assert lines["SQL and data modelling"] == ["SQL and data", "modelling"]
    assert lines["Ownership"] == ["Ownership"]


def test_own_unit_row_is_named() -> None:
    labelled = shaping.label_own_unit(_org(), unit_id=2, unit_name="Support")
    assert set(labelled["row"]) == {"Sales", "Support (people directly in it)"}


def test_readable_frames_have_no_missing_text() -> None:
    frame = pd.DataFrame(
        {
            "rating": [3.0, None],
            "gap": pd.array([1, None], dtype="Int64"),
            "code": ["A", None],
            "score": [0.123456, 2.0],
            "flag": [True, False],
        }
    )
    shown = readable(badges(frame, {"flag": "⚠ at risk"}))
    assert shown["rating"].tolist() == ["3", MISSING]
    assert shown["gap"].tolist() == ["1", MISSING]
    assert shown["code"].tolist() == ["A", MISSING]
    assert shown["score"].tolist() == [0.1, 2.0]
    assert shown["flag"].tolist() == ["⚠ at risk", ""]
    assert number_text(2.25, 1) in {"2.2", "2.3"}
