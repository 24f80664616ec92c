"""The upload reader and the shared cell conversions, on small files made in
the test: every refusal (with its message), every cap reached with small
limits, and what the reader hands importers (headers, rows, row numbers,
formulas, values)."""

from __future__ import annotations

import codecs
import contextlib
import io
import pickle
import struct
import zipfile
from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from core.cells import as_bool, as_date, as_int, as_text, strip_control
from core.errors import ValidationError
from core.uploads import (
    FORMULA_MESSAGE,
    ParsedWorkbook,
    UploadLimits,
    read_upload,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --- building files ------------------------------------------------------------


def xlsx(*sheets: tuple[str, list[list[object]]], epoch: datetime | None = None) -> bytes:
    """A workbook made by openpyxl (which writes text inline, as Stride's exports do)."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    if epoch is not None:
        workbook.epoch = epoch
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def replace_parts(data: bytes, parts: dict[str, bytes | None]) -> bytes:
    """The same zip with some members replaced (None removes one) or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in parts:
                body = parts.pop(info.filename)
                if body is not None:
                    target.writestr(info.filename, body)
            else:
                target.writestr(info, source.read(info.filename))
        for name, body in parts.items():
            if body is not None:
                target.writestr(name, body)
    return out.getvalue()


def with_sheet(body: str, *, head: str = "", shared: str | None = None) -> bytes:
    """A tiny real workbook whose sheet XML is `body` (the rows) and, when
    given, whose shared strings are `shared` (the <si> items)."""
    base = xlsx(("People", [["placeholder"]]))
    xml = f'<worksheet xmlns="{MAIN}">{head}<sheetData>{body}</sheetData></worksheet>'
    parts: dict[str, bytes | None] = {"xl/worksheets/sheet1.xml": xml.encode()}
    if shared is not None:  # as Excel writes text: one table, cells point into it
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{shared}</sst>'.encode()
        rels = zipfile.ZipFile(io.BytesIO(base)).read("xl/_rels/workbook.xml.rels")
        parts["xl/_rels/workbook.xml.rels"] = rels.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
            b"</Relationships>",
        )
    return replace_parts(base, parts)


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def number(ref: str, value: object) -> str:
    return f'<c r="{ref}"><v>{value}</v></c>'


def row(n: int, *cells: str) -> str:
    return f'<row r="{n}">{"".join(cells)}</row>'


def refused(data: bytes, filename: str = "upload.xlsx", **limits: int) -> str:
    with pytest.raises(ValidationError) as caught:
        read_upload(data, filename, limits=UploadLimits(**limits) if limits else None)
    return caught.value.message


def read(data: bytes, filename: str = "upload.xlsx", **limits: int) -> ParsedWorkbook:
    return read_upload(data, filename, limits=UploadLimits(**limits) if limits else None)


PEOPLE = [
    ["  employee_code ", "full_name", None, "hire_date", "years", "active"],
    ["E1", "Ada Lovelace", None, date(2020, 1, 6), 3, True],
    [],
    ["E2", "Grace Hopper", None, datetime(2021, 5, 4, 9, 30), 2.5, False, None, None],
]


# --- shared cell conversions -----------------------------------------------------


def test_strip_control_keeps_line_breaks_and_tabs_and_normalises_carriage_returns() -> None:
    assert strip_control("a\x00b\x07c\x1bd\x7fe\x85f") == "abcdef"
    assert strip_control("line\r\nnext\rlast\tcell\n") == "line\nnext\nlast\tcell\n"
    assert strip_control("\x0b\x0c") == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (float("nan"), ""),
        (pd.NA, ""),
        (pd.NaT, ""),
        ("  spaced\x07 ", "spaced"),
        (True, "TRUE"),
        (False, "FALSE"),
        (5.0, "5"),
        (5.25, "5.25"),
        (12, "12"),
        (date(2024, 3, 5), "2024-03-05"),
        (datetime(2024, 3, 5), "2024-03-05"),
        (datetime(2024, 3, 5, 10, 30), "2024-03-05 10:30:00"),
    ],
)
def test_as_text(value: object, text: str) -> None:
    assert as_text(value) == text


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
        ("YES", True),
        (" y ", True),
        ("x", True),
        ("true", True),
        ("1", True),
        ("No", False),
        ("n", False),
        ("FALSE", False),
        ("0", False),
        ("maybe", None),
        (2, None),
        (date(2024, 1, 1), None),
    ],
)
def test_as_bool(value: object, flag: bool | None) -> None:
    assert as_bool(value) is flag


def test_as_bool_blank_gives_the_default() -> None:
    assert as_bool(None) is None
    assert as_bool("  ", default=False) is False
    assert as_bool(float("nan"), default=True) is True


@pytest.mark.parametrize(
    ("value", "whole"),
    [
        (5, 5),
        (5.0, 5),
        ("5", 5),
        (" -12 ", -12),
        ("+3", 3),
        ("7.00", 7),
        (5.5, None),
        ("5.5", None),
        ("1e3", None),
        ("1,000", None),
        ("9" * 16, None),
        (float("inf"), None),
        (float("nan"), None),
        (True, None),
        ("", None),
        (None, None),
    ],
)
def test_as_int(value: object, whole: int | None) -> None:
    assert as_int(value) == whole


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (date(2024, 3, 5), date(2024, 3, 5)),
        (datetime(2024, 3, 5, 23, 59), date(2024, 3, 5)),
        (pd.Timestamp("2024-03-05 08:00"), date(2024, 3, 5)),
        ("2024-03-05", date(2024, 3, 5)),
        (" 2024-03-05T10:30:00Z ", date(2024, 3, 5)),
        ("2024-03-05 10:30", date(2024, 3, 5)),
        ("20240305", date(2024, 3, 5)),
        ("05/03/2024", date(2024, 3, 5)),
        ("5.3.2024", date(2024, 3, 5)),
        ("05-03-2024", date(2024, 3, 5)),
        ("05/03/2024 00:00", date(2024, 3, 5)),
        ("2024/03/05", date(2024, 3, 5)),
        ("5 Mar 2024", date(2024, 3, 5)),
        ("05-Mar-2024", date(2024, 3, 5)),
        ("5 march 2024", date(2024, 3, 5)),
        ("5 Sept. 2024", date(2024, 9, 5)),
        (45356, date(2024, 3, 5)),
        (45356.75, date(2024, 3, 5)),
        (1, date(1900, 1, 1)),
    ],
)
def test_as_date(value: object, day: date) -> None:
    converted = as_date(value)
    assert converted == day
    assert type(converted) is date  # never a datetime, whatever came in


@pytest.mark.parametrize("blank", [None, "", "  ", float("nan"), pd.NaT])
def test_as_date_blank_is_none(blank: object) -> None:
    assert as_date(blank) is None


@pytest.mark.parametrize(
    "value",
    [
        "03/15/2024",  # month first: refused, not guessed
        "31/02/2024",
        "5/3/24",  # two-digit years are ambiguous
        "soon",
        "5 Foo 2024",
        True,
        0,
        1_700_000_000,  # a Unix timestamp is no Excel day number
        time(9, 30),
        timedelta(days=3),
    ],
)
def test_as_date_refuses_what_is_not_a_date(value: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - importers catch ValueError as a row error
        as_date(value)


# --- reading workbooks ---------------------------------------------------------


def test_workbook_header_rows_and_values() -> None:
    parsed = read(xlsx(("People", PEOPLE)))
    assert parsed.kind == "xlsx"
    assert parsed.sheet_names == ("People",)
    sheet = parsed.sheets[0]
    assert sheet.header == ("employee_code", "full_name", "", "hire_date", "years", "active")
    assert sheet.header_row == 1
    # The empty row is skipped, numbers stay those of the file; trailing blanks trimmed.
    assert [r.number for r in sheet.rows] == [2, 4]
    assert sheet.rows[0].values == ("E1", "Ada Lovelace", None, date(2020, 1, 6), 3, True)
    assert sheet.rows[1].values == (
        "E2",
        "Grace Hopper",
        None,
        datetime(2021, 5, 4, 9, 30),
        2.5,
        False,
    )
    assert sheet.rows[0].get(2) is None
    assert sheet.rows[0].get(40) is None
    assert parsed.formulas == ()


def test_sheet_lookup_ignores_case_and_spaces_and_reads_only_the_sheets_asked_for() -> None:
    data = xlsx(("People", [["a"], [1]]), ("Goals", [["b"], [2]]), ("Notes", [["c"]]))
    parsed = read(data)
    assert parsed.sheet(" people ") is parsed.sheets[0]
    assert parsed.sheet("GOALS") is parsed.sheets[1]
    assert parsed.sheet("Missing") is None
    only = read_upload(data, "x.xlsx", sheets=["goals", "absent"])
    assert only.sheet_names == ("People", "Goals", "Notes")
    assert [s.name for s in only.sheets] == ["Goals"]


def test_columns_records_and_missing_headers() -> None:
    sheet = read(
        xlsx(("People", [["Code", "Name", None, "code", "Team"], ["E1", "Ada", "x", "dup", "T"]]))
    ).sheets[0]
    assert sheet.column("NAME") == 1
    assert sheet.column("absent") is None
    assert sheet.missing(["code", "email", "team"]) == ["email"]
    assert list(sheet.records()) == [(2, {"code": "E1", "name": "Ada", "team": "T"})]


def test_header_is_the_first_row_holding_anything() -> None:
    sheet = read(xlsx(("People", [[], [None, None], ["code"], ["E1"]]))).sheets[0]
    assert sheet.header_row == 3
    assert sheet.header == ("code",)
    assert [r.number for r in sheet.rows] == [4]


def test_an_empty_sheet_has_no_header_and_no_rows() -> None:
    sheet = read(xlsx(("People", []))).sheets[0]
    assert (sheet.header, sheet.header_row, sheet.rows) == ((), 0, ())


def test_dates_follow_the_workbook_calendar() -> None:
    parsed = read(
        xlsx(
            ("People", [["day"], [date(2024, 3, 5)], [datetime(2024, 3, 5, 8)]]),
            epoch=CALENDAR_MAC_1904,
        )
    )
    assert [r.values[0] for r in parsed.sheets[0].rows] == [
        date(2024, 3, 5),
        datetime(2024, 3, 5, 8),
    ]


def test_text_is_unescaped_and_cleaned_of_control_characters() -> None:
    body = row(1, inline("A1", "name")) + row(
        2, inline("A2", "two_x000D_\nlines_x0007_"), inline("B2", "   "), inline("C2", "=1+1")
    )
    sheet = read(with_sheet(body)).sheets[0]
    # Blank text is no value; text that looks like a formula is still text.
    assert sheet.rows[0].values == ("two\nlines", None, "=1+1")
    assert sheet.formulas == ()


def test_shared_texts_with_rich_runs_and_phonetic_guides() -> None:
    shared = (
        "<si><t>code</t></si>"
        "<si><r><rPr><b/></rPr><t>Ada </t></r><r><t>Lovelace</t></r>"
        "<rPh sb='0' eb='1'><t>ignored</t></rPh></si>"
    )
    body = row(1, '<c r="A1" t="s"><v>0</v></c>') + row(2, '<c r="A2" t="s"><v>1</v></c>')
    sheet = read(with_sheet(body, shared=shared)).sheets[0]
    assert sheet.header == ("code",)
    assert sheet.rows[0].values == ("Ada Lovelace",)


def test_other_cell_types() -> None:
    body = row(1, inline("A1", "h")) + row(
        2,
        '<c r="A2" t="b"><v>1</v></c>',
        '<c r="B2" t="e"><v>#N/A</v></c>',
        '<c r="C2" t="d"><v>2024-03-05T00:00:00</v></c>',
        '<c r="D2" t="str"><v>text result</v></c>',
        number("E2", "1.5E3"),
        number("F2", "not a number"),
    )
    sheet = read(with_sheet(body)).sheets[0]
    assert sheet.rows[0].values == (
        True,
        "#N/A",
        date(2024, 3, 5),
        "text result",
        1500.0,
        "not a number",
    )


def test_prefixed_namespaces_read_like_plain_ones() -> None:
    base = xlsx(("People", [["placeholder"]]))
    xml = (
        f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>code</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2"><x:v>7</x:v></x:c><x:c r="B2" s="0"/></x:row>'
        '<x:row r="3"/>'
        "</x:sheetData></x:worksheet>"
    )
    sheet = read(replace_parts(base, {"xl/worksheets/sheet1.xml": xml.encode()})).sheets[0]
    assert sheet.header == ("code",)
    assert [(r.number, r.values) for r in sheet.rows] == [(2, (7,))]


def test_cells_without_a_position_follow_the_cell_before_even_an_empty_one() -> None:
    body = row(1, inline("A1", "a"), inline("B1", "b"), inline("C1", "c")) + row(
        2, '<c r="A2" s="1"/>', "<c><v>5</v></c>", "<c/>", "<c><v>6</v></c>"
    )
    assert read(with_sheet(body)).sheets[0].rows[0].values == (None, 5, None, 6)


def test_the_declared_dimension_is_ignored() -> None:
    # What a 5 KB file once used to make openpyxl pad every row to 16,384 cells.
    data = xlsx(("People", [["code", "name"], ["E1", "Ada"]]))
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    huge = sheet_xml.replace(b'<dimension ref="A1:B2" />', b'<dimension ref="A1:XFD1048576"/>')
    assert huge != sheet_xml
    sheet = read(replace_parts(data, {"xl/worksheets/sheet1.xml": huge})).sheets[0]
    assert sheet.header == ("code", "name")
    assert [r.values for r in sheet.rows] == [("E1", "Ada")]


# --- formulas --------------------------------------------------------------------


def test_formulas_are_reported_with_coordinates_and_row_errors() -> None:
    data = xlsx(("People", [["code", "score"], ["E1", "=1+1"], [None, "=SUM(B2:B2)", "=B3"]]))
    parsed = read(data)
    sheet = parsed.sheets[0]
    assert [f.coordinate for f in parsed.formulas] == ["B2", "B3", "C3"]
    # A formula after an empty cell is found too, and its text is the value.
    assert sheet.rows[1].values == (None, "=SUM(B2:B2)", "=B3")
    errors = parsed.formula_errors()
    assert [(e.row, e.column, e.message) for e in errors] == [
        ("People 2", "score", FORMULA_MESSAGE),
        ("People 3", "score", FORMULA_MESSAGE),
        ("People 3", "C", FORMULA_MESSAGE),
    ]
    assert "formulas are refused" in FORMULA_MESSAGE


def test_shared_formula_cells_count_as_formulas() -> None:
    body = row(1, inline("A1", "n")) + row(
        2, '<c r="A2"><f t="shared" ref="A2:A3" si="0">ROW()</f><v>2</v></c>'
    )
    body += row(3, '<c r="A3"><f t="shared" si="0"/><v>3</v></c>')
    assert [f.coordinate for f in read(with_sheet(body)).formulas] == ["A2", "A3"]


def test_a_wide_row_of_formulas_is_read_in_one_pass() -> None:
    # The old check looked each cell up in its row again: quadratic.
    columns = 5_000
    header = "".join(number(f"{_letters(c)}1", c) for c in range(1, columns + 1))
    cells = "".join(f'<c r="{_letters(c)}2"><f>{c}+1</f></c>' for c in range(1, columns + 1))
    parsed = read(with_sheet(row(1, header) + row(2, cells)), max_columns=16_384)
    assert len(parsed.formulas) == columns
    assert parsed.formulas[-1].coordinate == f"{_letters(columns)}2"


def _letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- caps ----------------------------------------------------------------------------


def _blank_rows(first: int, count: int) -> str:
    return "".join(
        f'<row r="{n}"><c r="A{n}" s="1"/><c r="B{n}" s="1"/></row>'
        for n in range(first, first + count)
    )


def test_a_long_run_of_empty_rows_ends_the_sheet() -> None:
    body = row(1, inline("A1", "code")) + row(2, inline("A2", "E1")) + _blank_rows(3, 50)
    sheet = read(with_sheet(body), max_blank_run=10).sheets[0]
    assert [r.values for r in sheet.rows] == [("E1",)]


def test_data_below_a_long_empty_gap_is_refused_not_dropped() -> None:
    body = row(1, inline("A1", "code")) + _blank_rows(2, 20) + row(22, inline("A22", "E1"))
    message = refused(with_sheet(body), max_blank_run=10)
    assert "more than 10 empty rows in a row (from row 2)" in message
    assert "more data further down" in message


def test_data_far_below_a_gap_is_found_without_parsing_the_gap() -> None:
    # Far more empty rows than one run of parsing holds: the rest is searched as bytes.
    gap = "".join(f'<row r="{n}" spans="1:2" s="1" customFormat="1"/>' for n in range(2, 20_000))
    body = row(1, inline("A1", "code")) + gap + row(20_000, number("A20000", 1))
    assert "from row 2" in refused(with_sheet(body), max_blank_run=100, max_rows=100_000)
    # The same gap with nothing below it is only formatting.
    sheet = read(with_sheet(row(1, inline("A1", "code")) + gap), max_blank_run=100).sheets[0]
    assert sheet.header == ("code",)


def test_a_gap_in_row_numbers_counts_as_empty_rows() -> None:
    body = row(1, inline("A1", "code")) + row(5_000, inline("A5000", "E1"))
    assert "from row 2" in refused(with_sheet(body), max_blank_run=100, max_rows=100_000)


def test_empty_rows_count_towards_the_row_cap() -> None:
    body = row(1, inline("A1", "code")) + _blank_rows(2, 8) + row(10, inline("A10", "E1"))
    message = refused(with_sheet(body), max_rows=9)
    assert message.startswith("'People' goes on past row 9")
    assert "empty rows count too" in message
    read(with_sheet(body), max_rows=10)


def test_column_cap() -> None:
    body = row(1, inline("A1", "code"), inline("F1", "far"))
    assert refused(with_sheet(body), max_columns=5) == (
        "Row 1 of 'People' has data in column F (column 6); at most 5 columns can be read."
    )
    # Formatting beyond the cap is not data.
    read(with_sheet(row(1, inline("A1", "code"), '<c r="F1" s="1"/>')), max_columns=5)


def test_too_many_cells_in_one_row_even_empty_ones() -> None:
    body = row(1, inline("A1", "code"), *["<c/>"] * 6)
    message = refused(with_sheet(body), max_columns=5)
    assert "Row 1 of 'People' holds more than 5 cells" in message
    assert "empty cells with formatting count too" in message


def test_filled_cell_cap_counts_the_whole_workbook() -> None:
    data = xlsx(("A", [["a", "b"], [1, 2]]), ("B", [["c"], [3], [4]]))
    read(data, max_cells=7)
    assert refused(data, max_cells=6) == (
        "The file holds more than 6 filled cells, the most one upload may hold. "
        "Split it into smaller files."
    )


def test_text_cap() -> None:
    data = xlsx(("People", [["name"], ["x" * 50], ["y" * 50]]))
    read(data, max_text_chars=200)
    assert "more than 60 characters of text" in refused(data, max_text_chars=60)


def test_cell_text_cap_inline_and_shared() -> None:
    assert "holds 101 characters; at most 100" in refused(
        with_sheet(row(1, inline("A1", "x" * 101))), max_field_chars=100
    )
    assert "holds 101 characters; at most 100" in refused(
        xlsx(("People", [["x" * 101]])), max_field_chars=100
    )


def test_xml_element_cap() -> None:
    body = row(1, inline("A1", "code")) + "".join(row(n, number(f"A{n}", n)) for n in range(2, 60))
    read(with_sheet(body), max_xml_elements=1_000)
    assert "over 100 XML elements" in refused(with_sheet(body), max_xml_elements=100)


def test_too_many_sheets() -> None:
    data = xlsx(*[(f"S{n}", [["a"]]) for n in range(4)])
    assert refused(data, max_sheets=3).startswith("The workbook has 4 sheets; at most 3")
    assert (
        len(read_upload(data, "x.xlsx", sheets=["S1"], limits=UploadLimits(max_sheets=1)).sheets)
        == 1
    )


def test_file_size_cap_and_empty_file() -> None:
    assert refused(b"") == "The file is empty."
    data = xlsx(("People", PEOPLE))
    assert refused(data, max_file_bytes=1024) == (
        f"The file is {len(data) / 1024:.0f} KB; the limit is 1 KB."
    )
    assert refused(b"x" * (10 * 1024 * 1024 + 1), "big.csv").startswith(
        "The file is 10.0 MB; the limit is 10 MB."
    )


# --- zip checks, before anything is inflated -----------------------------------


def test_zip_bomb_refused_by_ratio_without_being_opened() -> None:
    bomb = b"<row/>" * 400_000  # 2.4 MB that deflates ~1,000 times
    message = refused(replace_parts(xlsx(("People", [["a"]])), {"xl/worksheets/sheet1.xml": bomb}))
    assert "times its stored size (the limit is 200×)" in message
    assert "refused without being opened" in message


def test_unpacked_size_cap() -> None:
    message = refused(xlsx(("People", PEOPLE)), max_unpacked_bytes=2_000)
    assert message.startswith("The workbook would unpack to")
    assert "allowed; it was refused without being opened" in message


def _patch_central_directory(data: bytes, member: str, **fields: int) -> bytes:
    """Rewrite fields of one member's entry in the zip's central directory
    (and its local header), as a hostile file would."""
    buffer = bytearray(data)
    name = member.encode()
    offsets = {"flag_bits": (8, 6, "<H"), "file_size": (24, 22, "<I")}
    position = 0
    while (position := buffer.find(b"PK\x01\x02", position)) >= 0:
        name_length = struct.unpack_from("<H", buffer, position + 28)[0]
        if buffer[position + 46 : position + 46 + name_length] == name:
            local = struct.unpack_from("<I", buffer, position + 42)[0]
            for key, value in fields.items():
                central, local_offset, fmt = offsets[key]
                struct.pack_into(fmt, buffer, position + central, value)
                struct.pack_into(fmt, buffer, local + local_offset, value)
        position += 4
    return bytes(buffer)


def test_a_member_that_lies_about_its_size_is_damage_not_a_bomb() -> None:
    data = xlsx(("People", [["code"], *[[f"E{n}"] for n in range(300)]]))
    lying = _patch_central_directory(data, "xl/worksheets/sheet1.xml", file_size=100)
    message = refused(lying)
    assert message.startswith("The workbook is damaged: its part xl/worksheets/sheet1.xml")


def test_encrypted_member_refused() -> None:
    data = _patch_central_directory(xlsx(("People", PEOPLE)), "xl/workbook.xml", flag_bits=1)
    assert refused(data).startswith("The workbook is password-protected.")


def test_not_a_workbook() -> None:
    assert "named like an Excel workbook but is not one" in refused(b"plain text", "people.xlsx")
    assert refused(xlsx(("People", PEOPLE))[:600]).startswith("The workbook is damaged")
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert refused(other.getvalue()) == "This is a zip archive but not an Excel workbook (.xlsx)."


def test_other_spreadsheet_formats_are_named() -> None:
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert refused(ods.getvalue(), "people.ods").startswith("This is an OpenDocument spreadsheet")
    xlsb = replace_parts(
        xlsx(("People", PEOPLE)),
        {
            "_rels/.rels": (
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Target="xl/workbook.bin" Type="http://schemas.openxml'
                b'formats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
            )
        },
    )
    assert refused(xlsb, "people.xlsb").startswith("This is an Excel binary workbook (.xlsb).")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert refused(ole, "people.xlsx").startswith("This is an old-style Excel file (.xls)")
    assert refused(b"anything", "people.xls").startswith("This is an old-style Excel file")
    assert refused(b"%PDF-1.4", "people.pdf") == (
        "Upload an Excel workbook (.xlsx) or a CSV file; 'people.pdf' is neither."
    )


def test_dtds_are_refused() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t>'
        "</is></c></row></sheetData></worksheet>"
    )
    data = replace_parts(xlsx(("People", [["a"]])), {"xl/worksheets/sheet1.xml": laughs.encode()})
    assert "a DTD in xl/worksheets/sheet1.xml" in refused(data)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('<row r="1"><c r="A1"><v>1</v></row>', "xl/worksheets/sheet1.xml"),  # bad XML
        ('<row r="1"><c r="A1" t="s"><v>99</v></c></row>', "shared text"),
        ('<row r="1"><c r="A1" t="s"><v>-1</v></c></row>', "shared text"),
        (
            '<row r="5"><c r="A5"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>',
            "row 2 comes after row 5",
        ),
        ('<row r="x"><c r="A1"><v>1</v></c></row>', "xl/worksheets/sheet1.xml"),
    ],
)
def test_damaged_sheets_are_refused_with_a_clear_message(body: str, detail: str) -> None:
    message = refused(with_sheet(body, shared="<si><t>only</t></si>"))
    assert message.startswith("The workbook is damaged: its part xl/worksheets/sheet1.xml")
    assert detail in message
    assert message.endswith("Open it in Excel, save it again and upload the new copy.")


def test_a_sheet_missing_from_the_archive() -> None:
    data = replace_parts(xlsx(("People", PEOPLE)), {"xl/worksheets/sheet1.xml": None})
    assert refused(data).startswith("The workbook is damaged: the sheet 'People' is missing")


# --- CSV -----------------------------------------------------------------------------


def test_csv_basics() -> None:
    text = 'code,name,note,\r\nE1,Ada,"said ""hi""\r\nthen left",\r\n\r\nE2,=1+1,,\r\n'
    parsed = read(text.encode(), "people export.csv")
    assert parsed.kind == "csv"
    assert parsed.sheet_names == ("people export",)
    sheet = parsed.sheets[0]
    assert sheet.header == ("code", "name", "note")
    # Record numbers, as a spreadsheet shows them; a quoted line break stays in its cell.
    assert [(r.number, r.values) for r in sheet.rows] == [
        (2, ("E1", "Ada", 'said "hi"\nthen left')),
        (4, ("E2", "=1+1")),
    ]
    assert parsed.formulas == ()  # CSV has no formulas: "=1+1" stays text
    assert parsed.sheet("PEOPLE EXPORT") is sheet


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ("code;name\nE1;José €\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "code;name\nE1;José €\n".encode(), "utf-8 with BOM"),
        ("code;name\nE1;José €\n".encode("cp1252"), "windows-1252"),
        ("code\tname\nE1\tJosé €\n".encode("utf-16"), "Excel's Unicode text"),
    ],
)
def test_csv_encodings(data: bytes, name: str) -> None:
    sheet = read(data, "people.csv").sheets[0]
    assert sheet.header == ("code", "name"), name
    assert sheet.rows[0].values == ("E1", "José €"), name


def test_csv_undecodable_text() -> None:
    message = refused(b"code,name\nE1,\x81\x8d\xc3\n", "people.csv")
    assert message.startswith("The file's text is neither UTF-8 nor Windows-1252.")


def test_csv_nul_bytes() -> None:
    assert refused(b"code,name\nE1,A\x00da\n", "people.csv").startswith(
        "The file contains NUL characters, so it is not a plain-text CSV"
    )
    # UTF-16 without its byte-order mark shows up the same way.
    assert "NUL characters" in refused("code,name\n".encode("utf-16-le"), "people.csv")


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("a,b,c\n1,2,3\n", ("1", "2", "3")),
        ("a;b;c\n1;2;3\n", ("1", "2", "3")),
        ("a\tb\tc\n1\t2\t3\n", ("1", "2", "3")),
        # Both a comma and a semicolon in the header: the rows decide.
        ("name;comment, first;x\nAda;1,5;y\nGrace;2,5;z\n", ("Ada", "1,5", "y")),
        # Nothing to split on: one column.
        ("name\nAda Lovelace\n", ("Ada Lovelace",)),
    ],
)
def test_csv_delimiter_sniffing(text: str, values: tuple[str, ...]) -> None:
    assert read(text.encode(), "x.csv").sheets[0].rows[0].values == values


def test_csv_separator_line_as_excel_writes_it() -> None:
    sheet = read(b"sep=;\r\ncode;amount\r\nE1;1,5\r\n", "x.csv").sheets[0]
    # Excel hides the line, so the header is row 1 as the person sees the file.
    assert (sheet.header, sheet.header_row) == (("code", "amount"), 1)
    assert sheet.rows[0].values == ("E1", "1,5")


def test_csv_field_longer_than_the_csv_module_allows() -> None:
    text = 'code,note\nE1,short\nE2,"' + "x" * 200_000 + '"\n'
    assert refused(text.encode(), "people.csv") == (
        "Row 3 has a cell longer than 131,072 characters, the most a cell may hold. "
        "Is a quotation mark left open on that row?"
    )


def test_csv_field_cap_below_the_modules_own() -> None:
    text = "code,note\nE1," + "x" * 101 + "\n"
    message = refused(text.encode(), "people.csv", max_field_chars=100)
    assert message == (
        "Row 2 has a cell longer than 100 characters, the most a cell may hold. "
        "Is a quotation mark left open on that row?"
    )


def test_csv_unclosed_quote_runs_into_the_field_cap() -> None:
    text = 'code,note\nE1,"never closed\n' + "E2,more\n" * 30
    assert "Row 2 has a cell longer than 100" in refused(
        text.encode(), "x.csv", max_field_chars=100
    )


def test_csv_cleans_control_characters() -> None:
    sheet = read(b'code,name\r\nE1,"Ada\x07\r\nLovelace"\r\n', "x.csv").sheets[0]
    assert sheet.rows[0].values == ("E1", "Ada\nLovelace")


def test_csv_caps() -> None:
    rows = "code,name\n" + "".join(f"E{n},P{n}\n" for n in range(10))
    assert refused(rows.encode(), "x.csv", max_cells=15).startswith(
        "The file holds more than 15 filled cells"
    )
    assert refused(rows.encode(), "x.csv", max_rows=10).startswith("'x' goes on past row 10")
    assert refused(b"a,b,c\n1,2,3\n", "x.csv", max_columns=2) == (
        "Row 1 of 'x' has data in column C (column 3); at most 2 columns can be read."
    )
    assert refused(b"a" + b"," * 50 + b"\n", "x.csv", max_cells=40) == (
        "Line 1 has more than 40 separators, more cells than one upload may hold."
    )


def test_csv_blank_run() -> None:
    tail = ",,\n" * 30
    sheet = read(f"code\nE1\n{tail}".encode(), "x.csv", max_blank_run=10).sheets[0]
    assert [r.values for r in sheet.rows] == [("E1",)]
    message = refused(f"code\nE1\n{tail}E2\n".encode(), "x.csv", max_blank_run=10)
    assert "more than 10 empty rows in a row (from row 3)" in message


# --- what every caller may rely on -----------------------------------------------


def test_progress_is_reported_up_to_done() -> None:
    seen: list[tuple[str, float]] = []
    read_upload(
        xlsx(("People", PEOPLE)),
        "x.xlsx",
        progress=lambda label, share: seen.append((label, share)),
    )
    shares = [share for _, share in seen]
    assert shares == sorted(shares)
    assert seen[-1] == ("Read", 1.0)
    assert any(label == "Reading People" for label, _ in seen)
    assert len(seen) == len(set(seen))  # no repeated updates for a page to send


def test_progress_is_throttled_to_whole_percents() -> None:
    seen: list[tuple[str, float]] = []
    body = row(1, inline("A1", "code")) + "".join(
        row(n, inline(f"A{n}", "x" * 200)) for n in range(2, 5_000)
    )
    read_upload(
        with_sheet(body), "x.xlsx", progress=lambda label, share: seen.append((label, share))
    )
    reading = [share for label, share in seen if label == "Reading People"]
    assert 5 < len(reading) <= 101


def test_a_parsed_workbook_can_be_cached() -> None:
    parsed = read(xlsx(("People", PEOPLE)))
    assert pickle.loads(pickle.dumps(parsed)) == parsed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    position=st.integers(min_value=0, max_value=10_000),
    replacement=st.binary(min_size=1, max_size=8),
)
def test_a_damaged_workbook_gives_a_refusal_or_a_result_never_a_crash(
    position: int, replacement: bytes
) -> None:
    data = bytearray(_SAMPLE)
    at = position % len(data)
    data[at : at + len(replacement)] = replacement
    with contextlib.suppress(ValidationError):
        read_upload(bytes(data), "x.xlsx")


_SAMPLE = xlsx(("People", PEOPLE), ("Goals", [["ref", "title"], ["g1", "=1"]]))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["x.csv", "x.xlsx", "x.txt"]))
def test_any_bytes_give_a_refusal_or_a_result_never_a_crash(data: bytes, name: str) -> None:
    with contextlib.suppress(ValidationError):
        read_upload(data, name)


def test_a_workbook_claiming_a_zip_version_python_cannot_read_is_refused() -> None:
    # Found by the damaged-workbook property test: one byte of the central
    # directory's "version needed to extract" made zipfile raise
    # NotImplementedError while opening the archive.
    data = bytearray(_SAMPLE)
    data[data.rfind(b"PK\x01\x02") + 6] = 64
    with pytest.raises(ValidationError, match="damaged"):
        read_upload(bytes(data), "x.xlsx")
