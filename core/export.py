"""Excel and CSV downloads, escaped against formula injection."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

# Spreadsheet programs treat a cell that starts with these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_COLUMN_WIDTH = 60
MAX_CELL_TEXT = 32_767  # UTF-16 units; XlsxWriter cuts longer texts
# Text is written as text: never read as a formula, a link or a number.
# Everything is assembled in memory, no temporary files. constant_memory
# stays off: `_RenderedSheet` replaces the step that writes the cell table
# at close, which XlsxWriter's streaming mode skips (the sheets would come
# out empty).
WRITER_OPTIONS = {
    "constant_memory": False,
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
# Texts that may need escaping start with a trigger or an apostrophe.
_ESCAPE_STARTS = (*FORMULA_TRIGGERS, "'")


def escape_cell(value: Any) -> Any:
    """Strings come back inert: control characters stripped, and a leading
    formula trigger prefixed with an apostrophe. Other values pass through.

    A text that already starts with apostrophes and then a trigger gets one
    more too, so that `unescape_cell` can strip exactly one apostrophe from
    every text of that shape and our own exports import back exactly."""
    if not isinstance(value, str):
        return value
    cleaned = _CONTROL_CHARS.sub("", value)
    if cleaned.startswith(FORMULA_TRIGGERS) or _apostrophes_then_trigger(cleaned):
        return "'" + cleaned
    return cleaned


def unescape_cell(value: Any) -> Any:
    """The inverse of `escape_cell` for text read back from a workbook; every
    importer reads text cells through it."""
    if isinstance(value, str) and value.startswith("'") and _apostrophes_then_trigger(value):
        return value[1:]
    return value


def _apostrophes_then_trigger(value: str) -> bool:
    rest = value.lstrip("'")
    return rest != value and rest.startswith(FORMULA_TRIGGERS)


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, np.generic):  # numpy scalars, e.g. bools from a nullable column
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: write UTC wall-clock time (columns say "UTC").
        return value.astimezone(UTC).replace(tzinfo=None)
    return escape_cell(value)


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """One sheet per DataFrame, header row bold and frozen, widths fitted.

    Written with XlsxWriter (openpyxl stays for reading): about six times
    faster on large exports. Every cell is written as its own type, so no
    text is ever turned into a formula, link or number. The cells of a
    sheet are rendered a column at a time (`_sheet_data`) into the same XML
    XlsxWriter writes for them one call per cell; XlsxWriter writes
    everything else (styles, shared strings, widths, panes, the package)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WRITER_OPTIONS)
    header = workbook.add_format({"bold": True})
    formats = {
        datetime: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        date: workbook.add_format({"num_format": "yyyy-mm-dd"}),
        time: workbook.add_format({"num_format": "hh:mm"}),
    }
    used: set[str] = set()
    for name, frame in sheets.items():
        sheet = workbook.add_worksheet(
            _unique_title(_sheet_title(name), used), worksheet_class=_RenderedSheet
        )
        sheet.freeze_panes(1, 0)
        for position, width in enumerate(_widths(frame.columns, _sample(frame))):
            sheet.set_column(position, position, width)
        sheet.sheet_data = _sheet_data(sheet, frame, header, formats)
    workbook.close()
    return buffer.getvalue()


class _RenderedSheet(Worksheet):
    """A worksheet whose `<sheetData>` comes ready-made from `_sheet_data`.

    XlsxWriter keeps a Python object per cell and turns each into XML when
    the workbook closes: about 4 µs a cell, most of a large export's time.
    `Workbook.add_worksheet(worksheet_class=...)` is XlsxWriter's own hook
    for other sheet classes; this one replaces only the method that writes
    the cell table (tests compare its XML with XlsxWriter's own, part by
    part)."""

    def __init__(self) -> None:
        super().__init__()
        self.sheet_data: str | None = None

    def _write_sheet_data(self) -> None:
        if self.sheet_data is None:
            super()._write_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.fh.write(self.sheet_data)
        self._xml_end_tag("sheetData")


def sheet_cells(frame: pd.DataFrame) -> list[tuple[str, list[Any]]]:
    """Every column's kind and cells as they are written (None: no cell):
    text escaped, numbers finite, times naive UTC. The kind is "text",
    "number", "bool" or "mixed" (then each cell is str, bool, int, float,
    datetime, date or time)."""
    return [_column(frame.iloc[:, p]) for p in range(frame.shape[1])]


def _column(values: pd.Series) -> tuple[str, list[Any]]:
    """A column's kind and cells. Text (the common case) and numbers take a
    fast path; text is escaped, with control characters looked for once in
    the whole column."""
    listed = values.tolist()
    plain_numpy = isinstance(values.dtype, np.dtype)  # not nullable: no pd.NA inside
    if plain_numpy and values.dtype.kind in "iuf":
        return "number", [v if math.isfinite(v) else None for v in listed]
    if plain_numpy and values.dtype.kind == "b":
        return "bool", listed
    if all(type(v) is str for v in listed):
        return "text", _escaped_texts(listed)
    if isinstance(values.dtype, pd.StringDtype):  # text with gaps (NaN or pd.NA)
        missing = values.isna().tolist()
        texts = _escaped_texts([v for v, gap in zip(listed, missing, strict=True) if not gap])
        filled = iter(texts)
        return "text", [None if gap else next(filled) for gap in missing]
    cells = [_plain(v) for v in listed]
    kinds = {type(v) for v in cells if v is not None}
    if kinds <= {str}:
        return "text", cells
    if kinds <= {int, float}:
        return "number", [v if v is None or math.isfinite(v) else None for v in cells]
    return "mixed", [_mixed(v) for v in cells]


def _mixed(value: Any) -> Any:
    """A cell of a mixed column as it is written: anything that is not a
    string, a number, a boolean or a time is written as its text, escaped."""
    if value is None or isinstance(value, str | bool | datetime | date | time):
        return value
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    return escape_cell(str(value))


def _escaped_texts(values: list[str]) -> list[Any]:
    if _CONTROL_CHARS.search("".join(values)):
        return [escape_cell(v) for v in values]
    return [escape_cell(v) if v.startswith(_ESCAPE_STARTS) else v for v in values]


def _sheet_data(
    sheet: Any, frame: pd.DataFrame, header: Any, formats: Mapping[type, Any]
) -> str | None:
    """The `<row>` elements of a sheet: the header row, then a row per
    record, each cell as XlsxWriter writes it (reference, style, type, value;
    text as its index in the shared-string table). Shared strings and style
    indices are handed out in the order XlsxWriter would give them writing
    row by row, so the file is the one the per-cell calls make."""
    # Cells past Excel's last row or column are left out, as XlsxWriter does.
    frame = frame.iloc[: sheet.xls_rowmax - 1, : sheet.xls_colmax]
    width = frame.shape[1]
    if width == 0:
        return None
    count = len(frame)
    columns = sheet_cells(frame)
    headers = [escape_cell(str(column)) for column in frame.columns]
    numbers = [str(row + 1) for row in range(count + 1)]
    letters = [xl_col_to_name(position) for position in range(width)]
    # Style indices in order of first use, row by row: the header, then times.
    header_style = header._get_xf_index()
    styles: dict[type, int] = {}
    first_use: dict[type, tuple[int, int]] = {}
    for position, (kind, cells) in enumerate(columns):
        if kind != "mixed":
            continue
        for row, value in enumerate(cells, start=1):
            kind_of = _time_kind(value)
            if kind_of is not None and (row, position) < first_use.get(kind_of, (count + 1, 0)):
                first_use[kind_of] = (row, position)
    for kind_of in sorted(first_use, key=first_use.__getitem__):
        styles[kind_of] = formats[kind_of]._get_xf_index()
    # Texts: the header, then each column's text cells.
    texts = [
        [
            heading,
            *(cells if kind == "text" else [v if isinstance(v, str) else None for v in cells]),
        ]
        for heading, (kind, cells) in zip(headers, columns, strict=True)
    ]
    string_indices = _shared_strings(sheet.str_table, texts)
    rendered: list[list[str]] = []
    present = np.zeros((count + 1, width), dtype=bool)
    for position, ((kind, cells), indices) in enumerate(zip(columns, string_indices, strict=True)):
        letter = letters[position]
        column = [f'<c r="{letter}1" s="{header_style}" t="s"><v>{indices[0]}</v></c>']
        column += _cells_xml(kind, cells, letter, numbers, sheet, styles)
        for row, index in enumerate(indices.tolist()):
            if index >= 0 and row > 0:
                column[row] = f'<c r="{letter}{numbers[row]}" t="s"><v>{index}</v></c>'
        present[:, position] = np.array(column, dtype=object).astype(bool)
        rendered.append(column)
    spans = _spans(present)
    occupied: list[bool] = np.any(present, axis=1).tolist()
    sheet._check_dimensions(0, 0)
    sheet._check_dimensions(len(occupied) - 1 - occupied[::-1].index(True), width - 1)
    return "".join(
        f'<row r="{numbers[row]}"{spans[row >> 4]}>{"".join(cells)}</row>'
        for row, cells in enumerate(zip(*rendered, strict=True))
        if occupied[row]
    )


def _cells_xml(
    kind: str, cells: list[Any], letter: str, numbers: list[str], sheet: Any, styles: Any
) -> list[str]:
    """A column's cells below the header other than text ("" there and
    where there is no cell: text is filled in from the shared strings)."""
    rows = numbers[1:]
    if kind == "number":
        return [
            "" if value is None else f'<c r="{letter}{number}"><v>{value:.16G}</v></c>'
            for number, value in zip(rows, cells, strict=True)
        ]
    if kind == "bool":
        return [
            "" if value is None else f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>'
            for number, value in zip(rows, cells, strict=True)
        ]
    if kind == "mixed":
        return [
            _mixed_cell(f"{letter}{number}", value, sheet, styles)
            for number, value in zip(rows, cells, strict=True)
        ]
    return [""] * len(cells)


def _time_kind(value: Any) -> type | None:
    for kind in (datetime, date, time):  # a datetime is a date too: it goes first
        if isinstance(value, kind):
            return kind
    return None


def _mixed_cell(reference: str, value: Any, sheet: Any, styles: Mapping[type, int]) -> str:
    """A cell of a mixed column that is not text (text goes through the
    shared strings); "" for no cell."""
    if value is None or isinstance(value, str):
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{reference}"><v>{value:.16G}</v></c>'
    kind = _time_kind(value)
    assert kind is not None  # `_mixed` leaves nothing else
    number = sheet._convert_date_time(value)
    return f'<c r="{reference}" s="{styles[kind]}"><v>{number:.16G}</v></c>'


def _shared_strings(table: Any, columns: list[list[Any]]) -> list[np.ndarray]:
    """Each text's index in XlsxWriter's shared-string table (-1: not text),
    column by column. New texts are added in the order a row-by-row writer
    meets them, so the table comes out the same; each distinct text of a
    column is looked up once."""
    codes_of: list[np.ndarray] = []
    texts_of: list[list[str]] = []
    mapping_of: list[list[int]] = []
    firsts, positions, distinct = [], [], []
    cells = 0
    for position, texts in enumerate(columns):
        codes, uniques = pd.factorize(np.array(texts, dtype=object))
        codes = np.asarray(codes, dtype=np.int64)
        # Distinct texts come in order of first appearance: a row where the
        # code passes every earlier code is a first appearance.
        earlier = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
        firsts.append(np.flatnonzero(codes > earlier))
        positions.append(np.full(len(uniques), position))
        distinct.append(np.arange(len(uniques)))
        codes_of.append(codes)
        texts_of.append([_fit(text) for text in uniques.tolist()])
        mapping_of.append([0] * len(uniques))
        cells += int((codes >= 0).sum())
    rows, columns_at, numbers = (np.concatenate(part) for part in (firsts, positions, distinct))
    lookup = table._get_shared_string_index
    for at in np.lexsort((columns_at, rows)).tolist():
        position, number = int(columns_at[at]), int(numbers[at])
        mapping_of[position][number] = lookup(texts_of[position][number])
    table.count += cells - len(rows)  # the table counts every use, not only the lookups
    return [
        np.where(codes >= 0, np.asarray(mapping, dtype=np.int64)[codes], -1)
        for codes, mapping in zip(codes_of, mapping_of, strict=True)
    ]


def _fit(text: str) -> str:
    """Excel's limit of 32,767 UTF-16 units a cell, cut as XlsxWriter cuts
    (never inside a character above U+FFFF, which takes two units)."""
    if len(text) <= MAX_CELL_TEXT // 2:
        return text
    if len(text.encode("utf-16-le", "surrogatepass")) // 2 <= MAX_CELL_TEXT:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > MAX_CELL_TEXT:
            return text[:index]
    return text


def _spans(present: np.ndarray) -> list[str]:
    """The `spans` attribute of each block of 16 rows: its first and last
    column with a cell (an optional hint in the format, written as
    XlsxWriter writes it)."""
    rows, width = present.shape
    blocks = -(-rows // 16)
    padded = np.zeros((blocks * 16, width), dtype=bool)
    padded[:rows] = present
    by_block = np.asarray(np.any(padded.reshape(blocks, 16, width), axis=1))
    first = by_block.argmax(axis=1).tolist()
    last = (width - 1 - by_block[:, ::-1].argmax(axis=1)).tolist()
    used = np.asarray(np.any(by_block, axis=1)).tolist()
    return [
        f' spans="{a + 1}:{b + 1}"' if any_cell else ""
        for a, b, any_cell in zip(first, last, used, strict=True)
    ]


def _sample(frame: pd.DataFrame) -> Iterable[tuple[Any, ...]]:
    return frame.head(200).itertuples(index=False, name=None)


def _unique_title(title: str, used: set[str]) -> str:
    """Sheet names are unique regardless of case (Excel's rule)."""
    candidate, number = title, 2
    while candidate.lower() in used:
        suffix = f" ({number})"
        candidate, number = title[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate.lower())
    return candidate


def dataframe_to_csv(frame: pd.DataFrame) -> bytes:
    """CSV for spreadsheet programs and mail merges (UTF-8 with a BOM, so
    Excel reads the accents), its text escaped like the workbooks'."""
    return frame.map(escape_cell).to_csv(index=False).encode("utf-8-sig")


def dataframe_to_xlsx(frame: pd.DataFrame, *, sheet_name: str = "Data") -> bytes:
    return workbook_bytes({sheet_name: frame})


def _sheet_title(name: str) -> str:
    cleaned = re.sub(r"[\[\]\*\?/\\:]", " ", name).strip() or "Sheet"
    return cleaned[:31]


def _widths(columns: Iterable[Any], rows: Iterable[tuple[Any, ...]]) -> list[int]:
    """Column widths in characters from the header and a sample of rows."""
    widths = [len(str(c)) for c in columns]
    for row in rows:
        for position, value in enumerate(row):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            widths[position] = max(widths[position], len(str(value)))
    return [min(width + 2, MAX_COLUMN_WIDTH) for width in widths]
