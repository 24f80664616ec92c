"""What a read upload is (sheets, rows, formula cells), its limits, and the
cell budget both readers share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from openpyxl.utils.cell import get_column_letter

from core.cells import strip_control
from core.errors import RowError, ValidationError

# The same shape as core.competency_io.Progress: (what is happening, share 0–1).
Progress = Callable[[str, float], None]
CellValue = str | int | float | bool | date | datetime | time | timedelta | None

MB = 1024 * 1024
FORMULA_MESSAGE = "A formula: type the value itself (formulas are refused)."


@dataclass(frozen=True, kw_only=True)
class UploadLimits:
    """What one upload may hold. The defaults keep any file of up to 10 MB
    within about 5 s and 300 MB on a small shared server (about 2 s of CPU
    at worst, measured by seed.bench_uploads); an importer that needs more
    passes its own. Tests pass small values to reach each cap with tiny files."""

    max_file_bytes: int = 10 * MB
    max_unpacked_bytes: int = 100 * MB
    max_compression_ratio: float = 200.0
    max_sheets: int = 100
    max_rows: int = 50_000  # per sheet, counted by row number, so empty rows count
    max_columns: int = 1_000
    max_cells: int = 200_000  # filled cells in the whole file
    max_blank_run: int = 1_000
    max_field_chars: int = 131_072  # the csv module's own default limit
    max_text_chars: int = 20_000_000
    # Elements of sheet and shared-text XML, a row weighing three: the work a file
    # costs, whatever it holds. A workbook at the cell cap needs about 600,000
    # (870,000 if every text in it is different).
    max_xml_elements: int = 1_000_000


DEFAULT_LIMITS = UploadLimits()


@dataclass(frozen=True, slots=True)
class Row:
    """One row that holds something; `number` is its 1-based row in the file
    (for CSV, the record number, which is the row a spreadsheet shows)."""

    number: int
    values: tuple[CellValue, ...]  # trailing empty cells trimmed; empty cells are None

    def get(self, index: int) -> CellValue:
        return self.values[index] if 0 <= index < len(self.values) else None


@dataclass(frozen=True, slots=True)
class FormulaCell:
    sheet: str
    row: int
    column: int  # 1-based

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"


def _key(name: str) -> str:
    return name.strip().casefold()


@dataclass(frozen=True)
class Sheet:
    name: str
    header: tuple[str, ...]  # stripped text of the first row that holds anything
    header_row: int  # its row number; 0 when the sheet is empty
    rows: tuple[Row, ...]  # the rows below the header that hold something
    formulas: tuple[FormulaCell, ...] = ()

    def column(self, name: str) -> int | None:
        """Position of a header, matched case-insensitively; None if absent."""
        wanted = _key(name)
        for index, title in enumerate(self.header):
            if _key(title) == wanted:
                return index
        return None

    def missing(self, required: Iterable[str]) -> list[str]:
        return [name for name in required if self.column(name) is None]

    def records(
        self, *, key: Callable[[str], str] = str.lower
    ) -> Iterator[tuple[int, dict[str, CellValue]]]:
        """(row number, {key(header): value}) per row; unnamed columns are
        left out and, of two columns with the same name, the first counts."""
        names: list[tuple[int, str]] = []
        seen: set[str] = set()
        for index, title in enumerate(self.header):
            name = key(title)
            if name and name not in seen:
                seen.add(name)
                names.append((index, name))
        for row in self.rows:
            yield row.number, {name: row.get(index) for index, name in names}


@dataclass(frozen=True)
class ParsedWorkbook:
    filename: str
    kind: Literal["xlsx", "csv"]
    sheets: tuple[Sheet, ...]  # the sheets read, in workbook order
    sheet_names: tuple[str, ...]  # every worksheet in the file, read or not

    def sheet(self, name: str) -> Sheet | None:
        """A sheet by name, ignoring case and surrounding spaces."""
        wanted = _key(name)
        return next((s for s in self.sheets if _key(s.name) == wanted), None)

    @property
    def formulas(self) -> tuple[FormulaCell, ...]:
        return tuple(f for s in self.sheets for f in s.formulas)

    def formula_errors(self) -> list[RowError]:
        """One row error per formula cell, labelled "<sheet> <row>" with the
        header of its column (or its letter when the column has none)."""
        errors: list[RowError] = []
        for sheet in self.sheets:
            for cell in sheet.formulas:
                index = cell.column - 1
                title = sheet.header[index] if index < len(sheet.header) else ""
                errors.append(
                    RowError(
                        f"{sheet.name} {cell.row}",
                        title or get_column_letter(cell.column),
                        FORMULA_MESSAGE,
                    )
                )
        return errors


def _no_progress(_label: str, _share: float) -> None:
    return None


class _Throttled:
    """Passes on a new label, every whole percent, and the end: a progress
    bar on a page costs a message to the browser per update."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.last: tuple[str, int] | None = None

    def __call__(self, label: str, share: float) -> None:
        step = (label, int(share * 100))
        if step != self.last:
            self.last = step
            self.progress(label, min(max(share, 0.0), 1.0))


def _mb(size: int) -> str:
    return f"{size / MB:g} MB" if size >= MB else f"{size / 1024:g} KB"


class _Budget:
    """Counts shared by every part of one upload."""

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self.cells = 0
        self.text = 0

    def add_text(self, size: int) -> None:
        self.text += size
        if self.text > self.limits.max_text_chars:
            raise ValidationError(
                f"The file holds more than {self.limits.max_text_chars:,} characters of text, "
                "the most one upload may hold. Split it into smaller files."
            )

    def too_many_cells(self) -> ValidationError:
        return ValidationError(
            f"The file holds more than {self.limits.max_cells:,} filled cells, the most one "
            "upload may hold. Split it into smaller files."
        )


def _clean(text: str) -> str | None:
    """Cell text as the reader keeps it; None when nothing but spaces is left."""
    cleaned = strip_control(text) if not text.isprintable() else text
    return cleaned if cleaned and not cleaned.isspace() else None


def _field_too_long(limits: UploadLimits, where: str, size: int) -> ValidationError:
    return ValidationError(
        f"A cell {where} holds {size:,} characters; at most {limits.max_field_chars:,} "
        "characters fit in one cell."
    )


def _gap_refusal(limits: UploadLimits, sheet: str, first_blank: int) -> ValidationError:
    return ValidationError(
        f"{sheet!r} has more than {limits.max_blank_run:,} empty rows in a row (from row "
        f"{first_blank:,}) with more data further down. Delete the empty rows so that "
        "everything can be read."
    )


def _rows_refusal(limits: UploadLimits, sheet: str) -> ValidationError:
    return ValidationError(
        f"{sheet!r} goes on past row {limits.max_rows:,}, the most one sheet may have "
        "(empty rows count too). Split the file, or delete the empty rows between the data."
    )


def _columns_refusal(limits: UploadLimits, sheet: str, row: int, column: int) -> ValidationError:
    return ValidationError(
        f"Row {row:,} of {sheet!r} has data in column {get_column_letter(column)} "
        f"(column {column:,}); at most {limits.max_columns:,} columns can be read."
    )


class _Rows:
    """Turns the rows of one sheet, as they are read, into a `Sheet`: header,
    data rows, the row and empty-run caps."""

    def __init__(self, name: str, limits: UploadLimits) -> None:
        self.name = name
        self.limits = limits
        self.header: tuple[str, ...] = ()
        self.header_row = 0
        self.rows: list[Row] = []
        self.formulas: list[FormulaCell] = []
        self.last_filled = 0  # number of the last row that held something

    def add(self, number: int, values: list[CellValue], formulas: list[int]) -> None:
        """A row holding something (trailing empty cells already trimmed)."""
        if number - self.last_filled > self.limits.max_blank_run:
            raise _gap_refusal(self.limits, self.name, self.last_filled + 1)
        if number > self.limits.max_rows:
            raise _rows_refusal(self.limits, self.name)
        self.last_filled = number
        if not self.header_row:
            self.header_row = number
            self.header = tuple(_header_text(v) for v in values)
        else:
            self.rows.append(Row(number, tuple(values)))
        self.formulas.extend(FormulaCell(self.name, number, column) for column in formulas)

    def ends_here(self, number: int) -> bool:
        """True once `number` is the end of a run of empty rows long enough to
        stop reading (the caller then looks ahead for values)."""
        return number - self.last_filled >= self.limits.max_blank_run

    def sheet(self) -> Sheet:
        return Sheet(
            self.name, self.header, self.header_row, tuple(self.rows), tuple(self.formulas)
        )


def _header_text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()
