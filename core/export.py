"""Excel and CSV downloads, escaped against formula injection."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

# Spreadsheet programs treat a cell that starts with these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_COLUMN_WIDTH = 60


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
    """One sheet per DataFrame, header row frozen, widths fitted.

    Write-only mode streams rows instead of keeping a cell object for each, so
    large exports are about a third faster; layout is set before the rows."""
    workbook = Workbook(write_only=True)
    for name, frame in sheets.items():
        sheet = workbook.create_sheet(title=_sheet_title(name))
        sheet.freeze_panes = "A2"
        _fit_columns(sheet, frame.columns, frame.itertuples(index=False, name=None))
        sheet.append([escape_cell(str(c)) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_plain(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def dataframe_to_csv(frame: pd.DataFrame) -> bytes:
    """CSV for spreadsheet programs and mail merges (UTF-8 with a BOM, so
    Excel reads the accents), its text escaped like the workbooks'."""
    return frame.map(escape_cell).to_csv(index=False).encode("utf-8-sig")


def dataframe_to_xlsx(frame: pd.DataFrame, *, sheet_name: str = "Data") -> bytes:
    return workbook_bytes({sheet_name: frame})


def _sheet_title(name: str) -> str:
    cleaned = re.sub(r"[\[\]\*\?/\\:]", " ", name).strip() or "Sheet"
    return cleaned[:31]


def _fit_columns(sheet: Any, columns: Iterable[Any], rows: Iterable[tuple[Any, ...]]) -> None:
    widths = [len(str(c)) for c in columns]
    for index, row in enumerate(rows):
        if index > 200:  # a sample is enough to size columns
            break
        for position, value in enumerate(row):
            widths[position] = max(widths[position], len(str(value)) if value is not None else 0)
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = min(
            width + 2, MAX_COLUMN_WIDTH
        )
