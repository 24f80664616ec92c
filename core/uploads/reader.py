"""`read_upload`: size checks and the choice of reader for a file."""

from __future__ import annotations

import posixpath
from collections.abc import Collection

from core.errors import ValidationError
from core.uploads.delimited import _read_csv
from core.uploads.workbook import (
    DEFAULT_LIMITS,
    MB,
    ParsedWorkbook,
    Progress,
    UploadLimits,
    _mb,
    _no_progress,
    _Throttled,
)
from core.uploads.xlsx import _XlsxReader


def read_upload(
    data: bytes,
    filename: str,
    *,
    limits: UploadLimits | None = None,
    sheets: Collection[str] | None = None,
    progress: Progress | None = None,
) -> ParsedWorkbook:
    """Parse an uploaded xlsx or CSV file, or raise `ValidationError`.

    `sheets`: names of the worksheets to read (case-insensitive); the others
    are only listed. A CSV file is one sheet named after the file.
    """
    limits = limits or DEFAULT_LIMITS
    report: Progress = _Throttled(progress) if progress else _no_progress
    if not data:
        raise ValidationError("The file is empty.")
    if len(data) > limits.max_file_bytes:
        size = f"{len(data) / MB:.1f} MB" if len(data) >= MB else f"{len(data) / 1024:.0f} KB"
        raise ValidationError(f"The file is {size}; the limit is {_mb(limits.max_file_bytes)}.")
    extension = posixpath.splitext(filename.strip().lower())[1]
    if data.startswith(_OLE_MAGIC) or extension == ".xls":
        raise ValidationError(
            "This is an old-style Excel file (.xls) or a password-protected workbook. "
            "Save it as an Excel workbook (.xlsx) without a password, or as CSV, and upload that."
        )
    if data.startswith(_ZIP_MAGIC):
        return _XlsxReader(data, filename, limits, report).read(sheets)
    if extension in (".xlsx", ".xlsm"):
        raise ValidationError(
            f"{filename!r} is named like an Excel workbook but is not one: it may be damaged, "
            "or another kind of file renamed. Open it in Excel, save it as .xlsx and try again."
        )
    if extension not in _TEXT_EXTENSIONS:
        raise ValidationError(
            f"Upload an Excel workbook (.xlsx) or a CSV file; {filename!r} is neither."
        )
    return _read_csv(data, filename, limits, report)


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT_EXTENSIONS = frozenset({".csv", ".txt", ".tsv", ""})
