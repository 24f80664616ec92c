import io

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from core.export import (
    FORMULA_TRIGGERS,
    dataframe_to_csv,
    dataframe_to_xlsx,
    escape_cell,
    workbook_bytes,
)


def test_formula_triggers_are_escaped() -> None:
    for trigger in FORMULA_TRIGGERS:
        value = f"{trigger}cmd|' /C calc'!A0"
        escaped = escape_cell(value)
        assert escaped.startswith("'")
    assert escape_cell("=1+1") == "'=1+1"
    assert escape_cell("-5 days") == "'-5 days"
    assert escape_cell("plain") == "plain"
    assert escape_cell(42) == 42


def test_control_characters_are_stripped() -> None:
    assert escape_cell("a\x00b\x07c\x1bd") == "abcd"
    assert escape_cell("line\nbreak") == "line\nbreak"


@given(st.text(max_size=200))
def test_escaped_text_never_starts_a_formula(value: str) -> None:
    escaped = escape_cell(value)
    assert not escaped.startswith(tuple(t for t in FORMULA_TRIGGERS))


def test_workbook_cells_are_inert_and_complete() -> None:
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "Ada"],
            "score": [1.5, None],
            "when": pd.to_datetime(["2026-01-02", None]),
        }
    )
    data = dataframe_to_xlsx(frame, sheet_name="Scores/2026")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Scores 2026"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("name", "score", "when")
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert rows[1][1] == 1.5
    assert rows[2][1] is None
    assert rows[2][2] is None
    assert sheet.freeze_panes == "A2"


def test_several_sheets() -> None:
    data = workbook_bytes({"A": pd.DataFrame({"x": [1]}), "B": pd.DataFrame({"y": ["z"]})})
    assert load_workbook(io.BytesIO(data)).sheetnames == ["A", "B"]


def test_aware_datetimes_are_written_as_utc() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    local = datetime(2026, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    frame = pd.DataFrame({"at (UTC)": [local, datetime(2026, 5, 1, 9, 30, tzinfo=UTC)]})
    sheet = load_workbook(io.BytesIO(dataframe_to_xlsx(frame))).active
    values = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == [datetime(2026, 5, 1, 12, 0), datetime(2026, 5, 1, 9, 30)]


def test_missing_values_of_every_kind_become_empty_cells() -> None:
    frame = pd.DataFrame(
        {
            "name": ["a", "b"],
            "gap": pd.array([1, None], dtype="Int64"),
            "flag": pd.array([True, None], dtype="boolean"),
        }
    )
    sheet = load_workbook(io.BytesIO(dataframe_to_xlsx(frame))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows == [("a", 1, True), ("b", None, None)]


def test_csv_cells_are_inert_and_accents_survive() -> None:
    frame = pd.DataFrame(
        {"name": ['=HYPERLINK("http://x")', "Zoë"], "link": ["https://s/?invite=a", "-1"]}
    )
    data = dataframe_to_csv(frame)
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: Excel then reads UTF-8
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert list(back["name"]) == ['\'=HYPERLINK("http://x")', "Zoë"]
    assert list(back["link"]) == ["https://s/?invite=a", "'-1"]


def test_every_cell_keeps_its_type_and_text_stays_text() -> None:
    from datetime import date

    frame = pd.DataFrame(
        {
            "text": ["https://example.org", "0042", "'=already", "@SUM(A1)"],
            "mixed": ["a", 1, None, date(2026, 3, 4)],
            "number": [1.5, float("inf"), float("nan"), 2.0],
            "count": [1, 2, 3, 4],
            "flag": [True, False, True, False],
            "due": [date(2026, 1, 2), None, None, None],
        }
    )
    sheet = load_workbook(io.BytesIO(dataframe_to_xlsx(frame))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["https://example.org", "0042", "''=already", "'@SUM(A1)"]
    assert sheet["A2"].hyperlink is None
    assert [r[1] for r in rows][:3] == ["a", 1, None]
    assert rows[3][1].date() == date(2026, 3, 4)
    assert [r[2] for r in rows] == [1.5, None, None, 2.0]
    assert [r[3] for r in rows] == [1, 2, 3, 4]
    assert [r[4] for r in rows] == [True, False, True, False]
    assert rows[0][5].date() == date(2026, 1, 2)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_control_characters_anywhere_in_a_text_column_are_stripped() -> None:
    frame = pd.DataFrame({"text": ["fine", "bell\x07", "=x\x00"]})
    sheet = load_workbook(io.BytesIO(dataframe_to_xlsx(frame))).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["fine", "bell", "'=x"]


def test_sheet_names_are_unique_and_headers_escaped() -> None:
    data = workbook_bytes({"Goals": pd.DataFrame({"=x": [1]}), "goals": pd.DataFrame({"y": [2]})})
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Goals", "goals (2)"]
    assert workbook["Goals"]["A1"].value == "'=x"
