import io

import pandas as pd
from hypothesis import given, settings
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


# --- the rendered cells are XlsxWriter's own ------------------------------------


def _per_cell_workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """The same workbook written the plain way: one XlsxWriter call a cell,
    row by row, with the cells `workbook_bytes` writes."""
    from datetime import date, datetime, time

    import xlsxwriter

    from core import export

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, export.WRITER_OPTIONS)
    header = workbook.add_format({"bold": True})
    formats = {
        datetime: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        date: workbook.add_format({"num_format": "yyyy-mm-dd"}),
        time: workbook.add_format({"num_format": "hh:mm"}),
    }
    used: set[str] = set()
    for name, frame in sheets.items():
        sheet = workbook.add_worksheet(export._unique_title(export._sheet_title(name), used))
        sheet.freeze_panes(1, 0)
        for position, width in enumerate(export._widths(frame.columns, export._sample(frame))):
            sheet.set_column(position, position, width)
        for position, column in enumerate(frame.columns):
            sheet.write_string(0, position, escape_cell(str(column)), header)
        columns = [cells for _kind, cells in export.sheet_cells(frame)]
        for row in range(len(frame)):
            for position, cells in enumerate(columns):
                value = cells[row]
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(row + 1, position, value)
                elif isinstance(value, bool):
                    sheet.write_boolean(row + 1, position, value)
                elif isinstance(value, int | float):
                    sheet.write_number(row + 1, position, value)
                else:
                    kind = next(k for k in (datetime, date, time) if isinstance(value, k))
                    sheet.write_datetime(row + 1, position, value, formats[kind])
    workbook.close()
    return buffer.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(data))
    # docProps/core.xml holds the time the file was made.
    return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


def _assert_same_files(sheets: dict[str, pd.DataFrame]) -> None:
    ours, theirs = _parts(workbook_bytes(sheets)), _parts(_per_cell_workbook(sheets))
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert ours[name].decode() == theirs[name].decode(), name


def test_rendered_sheets_are_byte_for_byte_the_per_cell_ones() -> None:
    from datetime import UTC, date, datetime, time, timedelta, timezone
    from decimal import Decimal
    from enum import StrEnum

    class Colour(StrEnum):
        RED = "red"

    rows = 40  # more than two blocks of 16 rows (the rows' "spans")
    frame = pd.DataFrame(
        {
            "text": ["=1+1", "@SUM(A1)", "+1", "-1", "\tx", "\rx", "a & <b>", " pad ", "_x0041_"]
            + ["same"] * (rows - 9),
            "gaps": pd.Series(["x", None, "=y"] * 13 + [None], dtype="str"),
            "mixed": ["a", 1, None, date(2026, 3, 4), datetime(2026, 1, 2, 3, 4), time(5, 6)]
            + [True, Decimal("1.5"), float("nan"), float("inf"), Colour.RED]
            + [pd.Timestamp("2026-02-02", tz="UTC")]
            + [datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))]
            + [datetime(2026, 1, 1, tzinfo=UTC), "same"]
            + [None] * (rows - 15),
            "number": [1.5, float("inf"), float("nan"), 1e20, -0.0, 1 / 3] + [3.0] * (rows - 6),
            "count": range(rows),
            "flag": [True, False] * (rows // 2),
            "nullable": pd.array([1, None] * (rows // 2), dtype="Int64"),
            "maybe": pd.array([True, None] * (rows // 2), dtype="boolean"),
            "long": ["x" * 40_000, "😀" * 20_000] + ["same"] * (rows - 2),
            "empty": [None] * rows,
            "late": [None] * (rows - 1) + ["last"],
        }
    )
    _assert_same_files({"One": frame})
    _assert_same_files(
        {
            "A": frame,
            "a": frame.iloc[::-1],  # the same texts met in another order
            "Empty": pd.DataFrame(),
            "Header only": pd.DataFrame(columns=["x", "=y"]),
            "No cells": pd.DataFrame({"x": [None, None]}),
        }
    )


# Two workbooks per example on shared, noisy machines: no deadline.
@settings(deadline=None, max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(max_size=8)),
            st.one_of(st.none(), st.floats(), st.integers(-(2**53), 2**53)),
            st.one_of(st.none(), st.dates(), st.text(max_size=3), st.booleans()),
        ),
        max_size=40,
    )
)
def test_any_frame_renders_as_the_per_cell_calls_write_it(
    rows: list[tuple[object, object, object]],
) -> None:
    frame = pd.DataFrame(rows, columns=["text", "number", "mixed"], dtype=object)
    _assert_same_files({"Sheet": frame, "Typed": frame.convert_dtypes()})
