"""One hardened reader for every uploaded spreadsheet (xlsx or CSV).

- `workbook`: what a read file is (sheets, rows, formula cells) and the limits;
- `xlsx`: the workbook reader, which never trusts declared dimensions, checks
  every zip member's size and ratio, and parses rows in bounded runs;
- `delimited`: CSV in UTF-8 (with or without BOM), UTF-16 or Windows-1252,
  with the delimiter found by which candidate splits rows consistently;
- `reader`: `read_upload`, which picks the reader for a file.

The one reader every importer opens an uploaded file with (xlsx or CSV).

`read_upload(data, filename)` returns a `ParsedWorkbook` of plain values, or
raises `ValidationError` with a message for the person who uploaded the file.
It never writes anywhere and holds no state, so a page may cache its result
for the upload (preview and commit then read the file once).

What it refuses, and why each check is where it is:

- More than `max_file_bytes`, or an empty file: before anything else.
- Workbooks (any file starting with the zip signature): every member's
  declared size and compression ratio are checked against the limits before
  a single byte is inflated; Python's zip reader never inflates past the
  declared size, so a member that lies about it fails its checksum instead.
  Encrypted members, old .xls files, .xlsb and .ods are refused by name.
- Sheet XML is read by our own code, not by openpyxl's reader: openpyxl
  trusts the declared dimension (`A1:XFD1048576` pads every row to 16,384
  cells) and builds a whole row before yielding it (one row of two million
  cells took two minutes and 1.1 GB). Here the XML is cut into runs of whole
  rows, each parsed by one call into the C parser (half the cost of
  element-by-element events); empty cells that only carry formatting are
  dropped as bytes first; a run's element count is taken from its bytes
  before it is parsed; and each cap is checked as cells are read: rows
  (empty ones count), columns, filled cells, characters of text, and XML
  elements of any kind, so the work a file can cause is bounded whatever it
  holds.
- A run of `max_blank_run` empty rows ends a sheet: formatting left on
  thousands of unused rows is common and costs nothing to skip. The rest of
  the sheet is then only searched, as bytes, for values; if any follow the
  gap the file is refused, so nothing below it is dropped unnoticed.
- Formulas are reported with their coordinates (linear: one check per cell)
  and their text kept as the value; importers refuse them with
  `formula_errors`. CSV has no formulas: text starting with "=" stays text.
- CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252; NUL
  characters refused; delimiter sniffed among comma, semicolon and tab; a
  field longer than `max_field_chars` is reported with its row.

Data that is merely odd (a date that is no date, an unknown code) is left
for the importer, which reports it per row. Cell conversions shared by the
importers live in `core.cells`.
"""

from core.uploads.reader import (
    read_upload,
)
from core.uploads.workbook import (
    DEFAULT_LIMITS,
    FORMULA_MESSAGE,
    MB,
    CellValue,
    FormulaCell,
    ParsedWorkbook,
    Progress,
    Row,
    Sheet,
    UploadLimits,
)

__all__ = [
    "DEFAULT_LIMITS",
    "FORMULA_MESSAGE",
    "MB",
    "CellValue",
    "FormulaCell",
    "ParsedWorkbook",
    "Progress",
    "Row",
    "Sheet",
    "UploadLimits",
    "read_upload",
]
