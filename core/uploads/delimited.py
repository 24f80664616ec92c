"""The CSV reader: encodings, delimiter sniffing, field and cell caps."""

from __future__ import annotations

import csv
import io
import posixpath
import re
from collections.abc import Iterator

from core.errors import ValidationError
from core.uploads.workbook import (
    CellValue,
    ParsedWorkbook,
    Progress,
    UploadLimits,
    _Budget,
    _clean,
    _columns_refusal,
    _gap_refusal,
    _Rows,
)

# --- CSV -----------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t")
_SEPARATOR_LINE = re.compile(r'"?sep=([,;\t|])"?[ \t]*(?:\r\n|\n|\r)')


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as bad:
            raise ValidationError("The file says it is UTF-16 text but is not.") from bad
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        "The file's text is neither UTF-8 nor Windows-1252. Save it as 'CSV UTF-8' "
        "and upload it again."
    )


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab.

    The header line decides when only one of them appears in it. Otherwise
    each candidate splits a sample (quote-aware) and the one that gives the
    header's number of fields, more than one, on most records wins, the most
    fields first: csv.Sniffer alone prefers a comma whenever commas are
    regular, which misreads "1,5" decimals in semicolon files. Failing that,
    csv.Sniffer guesses, and failing that the header line's counts decide."""
    sample = text[:16_384]
    cut = sample.rfind("\n")
    sample = sample[:cut] if cut > 0 else sample
    header = next((line for line in sample.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in _DELIMITERS}
    present = [d for d, n in counts.items() if n]
    if len(present) <= 1:
        return present[0] if present else ","
    best: tuple[int, str] | None = None
    for candidate in present:
        try:
            records = [r for r in csv.reader(io.StringIO(sample), delimiter=candidate) if r]
        except csv.Error:  # e.g. another library lowered the process-wide field limit
            continue
        widths = [len(r) for r in records]
        if len(widths) > 2:
            widths = widths[:-1]  # the sample may end inside the last record
        regular = sum(w == widths[0] for w in widths) >= 0.8 * len(widths)
        if widths and widths[0] > 1 and regular and (best is None or widths[0] > best[0]):
            best = (widths[0], candidate)
    if best is not None:
        return best[1]
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(present)).delimiter
    except csv.Error:
        return max(present, key=lambda d: counts[d])


class _Lines:
    """The text line by line for csv.reader, tracking where it is (for
    progress and for the look-ahead below a long empty gap) and refusing a
    line with more separators than a file may have cells: csv.reader would
    build the whole row before we could count it."""

    def __init__(self, text: str, delimiter: str, limits: UploadLimits) -> None:
        self.text = text
        self.delimiter = delimiter
        self.limits = limits
        self.position = 0
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        for line in io.StringIO(self.text, newline=""):
            self.line += 1
            self.position += len(line)
            if line.count(self.delimiter) > self.limits.max_cells:
                raise ValidationError(
                    f"Line {self.line:,} has more than {self.limits.max_cells:,} separators, "
                    "more cells than one upload may hold."
                )
            yield line


def _read_csv(data: bytes, filename: str, limits: UploadLimits, report: Progress) -> ParsedWorkbook:
    report("Reading the file", 0.0)
    text = _decode(data)
    if "\x00" in text:
        raise ValidationError(
            "The file contains NUL characters, so it is not a plain-text CSV (it may be a "
            "spreadsheet in another format, or UTF-16 text without a byte-order mark). "
            "Save it as 'CSV UTF-8' and upload it again."
        )
    # Excel, where the list separator is not a comma, may write "sep=;" first.
    if hint := _SEPARATOR_LINE.match(text):
        delimiter, text = hint.group(1), text[hint.end() :]
    else:
        delimiter = _sniff_delimiter(text)
    name = posixpath.splitext(posixpath.basename(filename.replace("\\", "/")))[0] or "Sheet1"
    lines = _Lines(text, delimiter, limits)
    reader = csv.reader(iter(lines), delimiter=delimiter)
    rows = _Rows(name, limits)
    budget = _Budget(limits)
    field_limit = min(limits.max_field_chars, csv.field_size_limit())
    number = 0
    try:
        for fields in reader:
            number += 1
            values: list[CellValue] = []
            last = 0
            for index, raw in enumerate(fields, start=1):
                if len(raw) > field_limit:
                    raise _csv_field_too_long(number, field_limit)
                value = _clean(raw) if raw else None
                values.append(value)
                if value is not None:
                    last = index
            if last == 0:
                if rows.ends_here(number):
                    if _has_values(text, lines.position, delimiter):
                        raise _gap_refusal(limits, name, rows.last_filled + 1)
                    break
                continue
            if last > limits.max_columns:
                raise _columns_refusal(limits, name, number, last)
            del values[last:]
            budget.cells += sum(v is not None for v in values)
            if budget.cells > limits.max_cells:
                raise budget.too_many_cells()
            rows.add(number, values, [])
            if number % 2_000 == 0:
                report("Reading the file", lines.position / max(len(text), 1))
    except csv.Error as bad:
        if "field limit" in str(bad):
            raise _csv_field_too_long(number + 1, field_limit) from bad
        raise ValidationError(f"Row {number + 1:,} could not be read as CSV ({bad}).") from bad
    report("Read", 1.0)
    return ParsedWorkbook(
        filename=filename, kind="csv", sheets=(rows.sheet(),), sheet_names=(name,)
    )


def _csv_field_too_long(row: int, limit: int) -> ValidationError:
    return ValidationError(
        f"Row {row:,} has a cell longer than {limit:,} characters, the most a cell may "
        "hold. Is a quotation mark left open on that row?"
    )


def _has_values(text: str, position: int, delimiter: str) -> bool:
    """Whether anything but separators, quotes and spaces follows `position`."""
    return re.compile(rf'[^\s"{re.escape(delimiter)}]').search(text, position) is not None
