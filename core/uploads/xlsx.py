"""The xlsx reader: zip checks first, then the sheet XML in bounded runs of whole rows."""

from __future__ import annotations

import contextlib
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator
from datetime import date, datetime, time, timedelta
from typing import IO, cast
from xml.etree.ElementTree import Element, ParseError, XMLPullParser, fromstring

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601

from core.cells import strip_control
from core.errors import ValidationError
from core.uploads.workbook import (
    MB,
    CellValue,
    ParsedWorkbook,
    Progress,
    Sheet,
    UploadLimits,
    _Budget,
    _clean,
    _columns_refusal,
    _field_too_long,
    _gap_refusal,
    _key,
    _mb,
    _Rows,
)

# --- xlsx ----------------------------------------------------------------------

_MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # "Strict Open XML"
)
_RELS_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/relationships"
_ID_ATTRIBUTES = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}id",
)
_LOCAL_NAMES = ["c", "v", "f", "is", "t", "r", "row", "si", "sheet", "sheets", "workbookPr"]
_LOCAL_NAMES += ["numFmt", "xf", "cellXfs", "cellStyleXfs"]
# Full tag → local name, for the elements we read; anything else maps to None.
_TAG: dict[str, str] = {
    **{f"{{{ns}}}{name}": name for ns in _MAIN_NAMESPACES for name in _LOCAL_NAMES},
    f"{{{_RELS_NAMESPACE}}}Relationship": "Relationship",
}
# East Asian date formats Excel keeps under reserved ids that openpyxl does not list.
_LOCALE_DATE_FORMATS = frozenset(range(27, 37)) | frozenset(range(50, 59))
_ESCAPED_CHARACTER = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CHUNK = 64 * 1024
# A row (or shared text) still incomplete after this many bytes is refused:
# the parser would have to hold all of it at once.
_MAX_ITEM_BYTES = 4 * MB
# The small parts (relationships, workbook, styles) are read element by element,
# which costs several times more per element than the sheets: a cap of their own.
_MAX_STRUCTURE_ELEMENTS = 200_000
# What a damaged or unusual archive raises while it is read: zip and XML errors,
# RuntimeError for encryption, NotImplementedError for unknown compression, and
# ValueError/IndexError for values that make no sense (row numbers, text indexes).
_DAMAGE = (
    ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
    IndexError,
)
_NAME = rb"[A-Za-z_][\w.-]*"
_START_TAG = re.compile(rb"<(" + _NAME + rb"(?::" + _NAME + rb")?)(?=[\s/>])[^>]*>")
# An empty cell, or an empty row, that says where it is: formatting only, dropped
# before parsing (a row's number already tells how many empty rows went before).
_EMPTY_CELL = re.compile(rb"<(?:" + _NAME + rb":)?c\s[^>]*?\br=[\"'][A-Za-z]{1,3}\d+[\"'][^>]*?/>")
_EMPTY_ROW = re.compile(
    rb"<(?:"
    + _NAME
    + rb":)?row\s[^>]*?\br=[\"']\d+[\"'][^>]*?(?:/>|>\s*</(?:"
    + _NAME
    + rb":)?row\s*>)"
)
# Tags that give a cell a value, searched for as bytes below a long empty gap.
_VALUE_TAGS = tuple(
    opening + name + end
    for opening in (b"<", b":")
    for name in (b"v", b"is", b"f")
    for end in (b">", b" ")
)


def _container_start(local: bytes) -> re.Pattern[bytes]:
    return re.compile(
        rb"<((?:" + _NAME + rb":)?" + local + rb")(?=[\s/>])[^>]*?(/?)>",
    )


def _end_tag(local: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"</(?:" + _NAME + rb":)?" + local + rb"\s*>")


def _item_end(local: bytes) -> re.Pattern[bytes]:
    """The end of one item: its end tag, or the item written as an empty tag."""
    return re.compile(
        rb"</(?:"
        + _NAME
        + rb":)?"
        + local
        + rb"\s*>|<(?:"
        + _NAME
        + rb":)?"
        + local
        + rb"(?:\s[^>]*)?/>"
    )


_SHEET_DATA = (_container_start(b"sheetData"), _end_tag(b"sheetData"), _item_end(b"row"))
_SHARED_STRINGS = (_container_start(b"sst"), _end_tag(b"sst"), _item_end(b"si"))


def _unescape(text: str) -> str:
    """OOXML writes characters XML cannot hold as _xHHHH_ (e.g. _x000D_)."""
    if "_x" not in text:
        return text
    return _ESCAPED_CHARACTER.sub(lambda m: chr(int(m.group(1), 16)), text)


class _Part:
    """A zip member as it is read. Refuses DTDs (OOXML never has one, and
    entity tricks need one) and any run of text longer than a cell may hold,
    before a parser would buffer it; counts bytes for progress."""

    def __init__(self, stream: IO[bytes], name: str, limits: UploadLimits) -> None:
        self.stream = stream
        self.name = name
        self.done = 0
        # Bytes, not characters: an entity such as &#x1F600; spends 9 bytes on one.
        self.longest_run = 10 * limits.max_field_chars + 1024
        self.limits = limits
        self._run = 0  # bytes since the last "<"
        self._tail = b""

    def read(self) -> bytes:
        chunk = self.stream.read(_CHUNK)
        window = self._tail + chunk
        if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
            raise ValidationError(
                f"The workbook holds XML that Excel never writes (a DTD in {self.name}); "
                "it was refused."
            )
        # Runs inside one chunk are shorter than the limit; only the ends can join up.
        first = chunk.find(b"<")
        if first < 0:
            self._run += len(chunk)
        else:
            self._run += first
            if self._run <= self.longest_run:
                self._run = len(chunk) - chunk.rfind(b"<") - 1
        if self._run > self.longest_run:
            raise _field_too_long(self.limits, f"in {self.name}", self._run)
        self._tail = chunk[-16:]
        self.done += len(chunk)
        return chunk


class _Segments:
    """One part's items (rows of a sheet, or shared texts) in runs of whole
    items, each run parsed by a single call into the C parser.

    Parsing element by element from Python costs about twice as much, and
    the sheets are where a file's size is. The cut is made after the last
    complete item; each run is wrapped in the part's own root and container
    start tags, so prefixes and namespaces resolve exactly as in the file.
    Elements are counted (from the bytes) before a run is parsed, so the
    element budget stops a file before it costs the time. Empty cells that
    name their position are formatting only, and dropped as bytes first.
    Empty rows that carry their number go the same way. A cut in the wrong
    place can only make a run that does not parse, which is reported as
    damage: the file is refused, never misread."""

    def __init__(
        self,
        part: _Part,
        patterns: tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]],
        count: Callable[[int], None],
        *,
        drop_empty_cells: bool,
    ) -> None:
        self.part = part
        self.container, self.end, self.item_end = patterns
        self.count = count
        self.drop_empty_cells = drop_empty_cells
        self.dropped = 0
        self._buffer = b""  # bytes after the last parsed run, cleaned
        self._pending = b""  # raw bytes after the last ">", not yet cleaned

    def __iter__(self) -> Iterator[list[Element]]:
        head = self._head()
        if head is None:
            return
        opening, closing, rest, inside_root = head
        data = rest
        while True:
            text = self._pending + data
            cut = text.rfind(b">") + 1
            self._pending = text[cut:]
            text = text[:cut]
            if self.drop_empty_cells:
                if b"/>" in text:
                    text, dropped = _EMPTY_CELL.subn(b"", text)
                    self.dropped += dropped
                text = _EMPTY_ROW.sub(b"", text)
            ended = self.end.search(text)
            scan_from = max(len(self._buffer) - 64, 0)
            self._buffer += text[: ended.start()] if ended else text
            if ended:
                run, self._buffer = self._buffer, b""
            else:
                split = 0
                for match in self.item_end.finditer(self._buffer, scan_from):
                    split = match.end()
                run, self._buffer = self._buffer[:split], self._buffer[split:]
            if len(self._buffer) + len(self._pending) > _MAX_ITEM_BYTES:
                raise ValidationError(
                    f"One row of {self.part.name} holds more than {_MAX_ITEM_BYTES // MB} MB "
                    "of data; it was refused."
                )
            if run.strip():
                self.count(run.count(b"<") - run.count(b"</"))
                # Safe to parse: DTDs are refused as bytes (`_Part.read`), so no
                # entity can be declared, let alone expanded.
                root = fromstring(opening + run + closing)  # noqa: S314
                yield list(root) if inside_root else list(root[0])
            if ended:
                return
            data = self.part.read()
            if not data:
                raise ParseError(f"{self.part.name} ends in the middle")

    def _head(self) -> tuple[bytes, bytes, bytes, bool] | None:
        """(wrapper start, wrapper end, bytes after the container's start tag,
        whether the container is the root), or None for an empty container."""
        prologue = b""
        root: re.Match[bytes] | None = None
        while True:
            chunk = self.part.read()
            if not chunk:
                return None
            prologue += chunk
            if root is None:
                root = _START_TAG.search(prologue)
                if root is None:
                    continue
            container = self.container.search(prologue, root.start())
            if container is not None:
                break
            if len(prologue) > _MAX_ITEM_BYTES:  # keep the root tag and a tail to search
                prologue = prologue[: root.end()] + prologue[-4096:]
        if container.group(2):  # <sheetData/>: nothing inside
            return None
        rest = prologue[container.end() :]
        if container.start() == root.start():
            return container.group(0), b"</" + container.group(1) + b">", rest, True
        return (
            root.group(0) + container.group(0),
            b"</" + container.group(1) + b"></" + root.group(1) + b">",
            rest,
            False,
        )

    def values_ahead(self) -> bool:
        """Whether any cell value follows what has been parsed, up to the end
        of the container. A byte search, not parsing: this may run over
        megabytes of empty rows."""
        window = self._buffer + self._pending
        while True:
            ended = self.end.search(window)
            scope = window[: ended.start()] if ended else window
            if any(tag in scope for tag in _VALUE_TAGS):
                return True
            if ended:
                return False
            chunk = self.part.stream.read(_CHUNK)
            if not chunk:
                return False
            window = window[-32:] + chunk


class _XlsxReader:
    def __init__(self, data: bytes, filename: str, limits: UploadLimits, report: Progress):
        self.data = data
        self.filename = filename
        self.limits = limits
        self.report = report
        self.budget = _Budget(limits)
        self.elements = 0
        self.structure_elements = 0
        self.shared: list[str | None] = []
        self.date_styles: frozenset[int] = frozenset()
        self.timedelta_styles: frozenset[int] = frozenset()
        self.epoch = WINDOWS_EPOCH
        self.archive: zipfile.ZipFile | None = None
        self.names: dict[str, str] = {}  # lower-case member name → member name

    def read(self, wanted: Collection[str] | None) -> ParsedWorkbook:
        self.report("Checking the workbook", 0.0)
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(self.data))
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            NotImplementedError,  # a "version needed to extract" zipfile does not know
            ValueError,
            OSError,
        ) as bad:
            raise ValidationError(
                "The workbook is damaged and could not be opened (its zip archive is broken). "
                "Open it in Excel, save it again and upload the new copy."
            ) from bad
        with self.archive:
            self._check_members()
            return self._read_workbook(wanted)

    # -- before anything is inflated

    def _check_members(self) -> None:
        assert self.archive is not None
        members = self.archive.infolist()
        if len(members) > 10_000:
            raise ValidationError("The workbook has too many parts to be a spreadsheet.")
        total = 0
        for info in members:
            self.names.setdefault(info.filename.lower(), info.filename)
            if info.flag_bits & 0x1:
                raise ValidationError(
                    "The workbook is password-protected. Save a copy without the password "
                    "and upload that."
                )
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MB and ratio > self.limits.max_compression_ratio:
                raise ValidationError(
                    f"A part of the workbook unpacks to {ratio:,.0f} times its stored size (the "
                    f"limit is {self.limits.max_compression_ratio:g}×), which is how 'zip bombs' "
                    "work; it was refused without being opened."
                )
        if total > self.limits.max_unpacked_bytes:
            raise ValidationError(
                f"The workbook would unpack to {total / MB:,.0f} MB, more than the "
                f"{_mb(self.limits.max_unpacked_bytes)} allowed; it was refused without being "
                "opened."
            )

    # -- reading parts

    def _member(self, path: str) -> str | None:
        return self.names.get(path.lstrip("/").lower())

    def _open(self, member: str) -> _Opened:
        assert self.archive is not None
        return _Opened(self.archive, member, self.limits)

    def _size(self, member: str) -> int:
        assert self.archive is not None
        return self.archive.getinfo(member).file_size

    def _elements(self, member: str) -> Iterator[Element]:
        """End events of one small part, element by element."""
        parser: XMLPullParser[Element] = XMLPullParser(events=("end",))
        with self._open(member) as part:
            finished = False
            while not finished:
                chunk = part.read()
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
                    finished = True
                for _event, element in _ended(parser):
                    self.structure_elements += 1
                    if self.structure_elements > _MAX_STRUCTURE_ELEMENTS:
                        raise self._too_many_elements(_MAX_STRUCTURE_ELEMENTS)
                    yield element

    def _count(self, elements: int) -> None:
        self.elements += elements
        if self.elements > self.limits.max_xml_elements:
            raise self._too_many_elements(self.limits.max_xml_elements)

    def _too_many_elements(self, limit: int) -> ValidationError:
        return ValidationError(
            f"The workbook holds far more than its cells need (over {limit:,} XML elements: "
            "often formatting on unused rows and columns). Copy the data into a new workbook "
            "and upload that."
        )

    def _damaged(self, member: str, bad: BaseException) -> ValidationError:
        detail = str(bad).splitlines()[0][:120] if str(bad) else type(bad).__name__
        return ValidationError(
            f"The workbook is damaged: its part {member} could not be read ({detail}). "
            "Open it in Excel, save it again and upload the new copy."
        )

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id → (type, member path) for the part's relationships (external links left out)."""
        folder, base = posixpath.split(part)
        rels = self._member(posixpath.join(folder, "_rels", base + ".rels"))
        if rels is None:
            return {}
        found: dict[str, tuple[str, str]] = {}
        for element in self._elements(rels):
            if _TAG.get(element.tag) == "Relationship" and element.get("TargetMode") != "External":
                target = element.get("Target") or ""
                path = target if target.startswith("/") else posixpath.join(folder, target)
                found[element.get("Id") or ""] = (
                    element.get("Type") or "",
                    posixpath.normpath(path).lstrip("/"),
                )
            element.clear()
        return found

    def _read_small(self, path: str) -> bytes:
        member = self._member(path)
        if member is None:
            return b""
        with self._open(member) as part:
            return part.stream.read(4096)

    def _read_workbook(self, wanted: Collection[str] | None) -> ParsedWorkbook:
        part = "_rels/.rels"
        try:
            root = self._relationships("")
            main = next((m for t, m in root.values() if t.endswith("/officeDocument")), None)
            if main is None:
                if b"opendocument" in self._read_small("mimetype"):
                    raise ValidationError(
                        "This is an OpenDocument spreadsheet (.ods). Save it as an Excel "
                        "workbook (.xlsx) or as CSV and upload that."
                    )
                raise ValidationError("This is a zip archive but not an Excel workbook (.xlsx).")
            if main.lower().endswith(".bin"):
                raise ValidationError(
                    "This is an Excel binary workbook (.xlsb). Save it as an Excel workbook "
                    "(.xlsx) and upload that."
                )
            member = self._member(main)
            if member is None:
                raise ValidationError("This is a zip archive but not an Excel workbook (.xlsx).")
            part = member
            listed = self._sheet_list(member)
            relations = self._relationships(member)
            for wanted_kind, reader in (
                ("/styles", self._read_styles),
                ("/sharedStrings", self._read_shared_strings),
            ):
                for kind, path in relations.values():
                    found = self._member(path)
                    if found is not None and kind.endswith(wanted_kind):
                        part = found
                        reader(found)
        except _DAMAGE as bad:
            raise self._damaged(part, bad) from bad

        worksheets = [
            (name, relations[rid][1])
            for name, rid in listed
            if rid in relations and relations[rid][0].endswith("/worksheet")
        ]
        wanted_keys = None if wanted is None else {_key(n) for n in wanted}
        chosen = [(n, p) for n, p in worksheets if wanted_keys is None or _key(n) in wanted_keys]
        if len(chosen) > self.limits.max_sheets:
            raise ValidationError(
                f"The workbook has {len(chosen):,} sheets; at most {self.limits.max_sheets:,} "
                "can be read from one upload."
            )
        located = []
        for name, path in chosen:
            found = self._member(path)
            if found is None:
                raise ValidationError(
                    f"The workbook is damaged: the sheet {name!r} is missing from the file. "
                    "Open it in Excel, save it again and upload the new copy."
                )
            located.append((name, found, self._size(found)))
        total = sum(size for _, _, size in located) or 1
        sheets: list[Sheet] = []
        done = 0
        for name, found, size in located:
            try:
                sheets.append(self._read_sheet(name, found, done / total, size / total))
            except _DAMAGE as bad:
                raise self._damaged(found, bad) from bad
            done += size
        self.report("Read", 1.0)
        return ParsedWorkbook(
            filename=self.filename,
            kind="xlsx",
            sheets=tuple(sheets),
            sheet_names=tuple(n for n, _ in worksheets),
        )

    def _sheet_list(self, member: str) -> list[tuple[str, str]]:
        listed: list[tuple[str, str]] = []
        sheets_seen = False
        for element in self._elements(member):
            kind = _TAG.get(element.tag)
            if kind == "sheet":
                rid = next((element.get(a) for a in _ID_ATTRIBUTES if element.get(a)), None)
                listed.append((element.get("name") or f"Sheet{len(listed) + 1}", rid or ""))
            elif kind == "sheets":
                sheets_seen = True
            elif kind == "workbookPr" and element.get("date1904") in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904
            if kind != "sheet":
                element.clear()
        if not sheets_seen:
            raise ValidationError("This is a zip archive but not an Excel workbook (.xlsx).")
        return listed

    def _read_styles(self, member: str) -> None:
        """Which cell styles show numbers as dates (or durations): Excel keeps
        dates as day numbers, told apart only by their number format."""
        custom: dict[int, str] = {}
        pending: list[int] = []
        cell_formats: list[int] = []
        for element in self._elements(member):
            kind = _TAG.get(element.tag)
            if kind == "numFmt":
                with contextlib.suppress(ValueError):
                    custom[int(element.get("numFmtId") or -1)] = element.get("formatCode") or ""
            elif kind == "xf":
                try:
                    pending.append(int(element.get("numFmtId") or 0))
                except ValueError:
                    pending.append(0)
            elif kind == "cellStyleXfs":
                pending = []
            elif kind == "cellXfs":
                cell_formats, pending = pending, []
            element.clear()
        dates, durations = set(), set()
        for style, format_id in enumerate(cell_formats):
            code = custom.get(format_id, BUILTIN_FORMATS.get(format_id))
            if code is not None and is_date_format(code):
                dates.add(style)
                if is_timedelta_format(code):
                    durations.add(style)
            elif code is None and format_id in _LOCALE_DATE_FORMATS:
                dates.add(style)
        self.date_styles = frozenset(dates)
        self.timedelta_styles = frozenset(durations)

    def _read_shared_strings(self, member: str) -> None:
        limits = self.limits
        strings = self.shared
        self.report("Reading the workbook's texts", 0.0)
        with self._open(member) as part:
            for items in _Segments(part, _SHARED_STRINGS, self._count, drop_empty_cells=False):
                for item in items:
                    if _TAG.get(item.tag) != "si":
                        continue
                    text = _rich_text(item)
                    if len(text) > limits.max_field_chars:
                        raise _field_too_long(limits, "of the workbook", len(text))
                    self.budget.add_text(len(text))
                    strings.append(_clean(text))
                if len(strings) > limits.max_cells:
                    raise self.budget.too_many_cells()

    # -- the sheets

    def _read_sheet(self, name: str, member: str, start: float, share: float) -> Sheet:
        cells, text, elements = self.budget.cells, self.budget.text, self.elements
        sheet, mixed = self._stream_sheet(name, member, start, share, drop_empty_cells=True)
        if mixed:
            # Cells without a position take theirs from the cell before, which
            # may have been an empty one dropped as formatting: read again, whole.
            self.budget.cells, self.budget.text, self.elements = cells, text, elements
            sheet, _ = self._stream_sheet(name, member, start, share, drop_empty_cells=False)
        return sheet

    def _stream_sheet(
        self, name: str, member: str, start: float, share: float, *, drop_empty_cells: bool
    ) -> tuple[Sheet, bool]:
        """One worksheet, and whether empty cells were dropped from rows that
        also hold cells without a position. This loop is the hot path of every
        import: it works on local names and checks each cap as a cell is read."""
        limits = self.limits
        budget = self.budget
        tag_of = _TAG.get
        column_of = _COLUMN_NUMBERS.get
        shared = self.shared
        date_styles = self.date_styles
        max_columns = limits.max_columns
        max_fields = limits.max_field_chars
        max_cells = limits.max_cells
        rows = _Rows(name, limits)
        last_row = 0
        implicit = False
        stop = False
        filled = budget.cells  # counted locally, written back after each run of rows
        text_chars = 0
        label = f"Reading {name}"
        size = max(self._size(member), 1)
        self.report(label, start)
        with self._open(member) as part:
            segments = _Segments(part, _SHEET_DATA, self._count, drop_empty_cells=drop_empty_cells)
            for items in segments:
                # Each row costs Python about what three cells cost: weigh it so.
                self._count(2 * len(items))
                for row in items:
                    if tag_of(row.tag) != "row":
                        continue
                    ref = row.get("r")
                    number = int(ref) if ref else last_row + 1
                    if number <= last_row:
                        raise ValueError(f"row {number} comes after row {last_row}")
                    if len(row) > max_columns:
                        raise ValidationError(
                            f"Row {number:,} of {name!r} holds more than {max_columns:,} cells "
                            "(empty cells with formatting count too); at most "
                            f"{max_columns:,} columns can be read. Clear the formatting of "
                            "unused columns and try again."
                        )
                    values: list[CellValue] = []
                    formulas: list[int] = []
                    column = 0
                    for cell in row:
                        ref = cell.get("r")
                        if ref:
                            column = column_of(ref.rstrip(_DIGITS)) or _column(ref)
                        else:
                            column += 1
                            implicit = True
                        # The usual shapes inline (a value, or plain inline text); the
                        # rest, formulas included, through _cell.
                        kind = cell.get("t")
                        first = cell[0] if len(cell) == 1 else None
                        first_tag = tag_of(first.tag) if first is not None else None
                        value: CellValue
                        if first_tag == "v" and kind == "s":
                            index = int(first.text or "")  # type: ignore[union-attr]
                            if not 0 <= index < len(shared):
                                raise IndexError(f"shared text {index} does not exist")
                            value = shared[index]
                        elif (
                            first_tag == "v"
                            and kind is None
                            and not (
                                date_styles
                                and (style := cell.get("s"))
                                and int(style) in date_styles
                            )
                        ):
                            raw = first.text or ""  # type: ignore[union-attr]
                            try:
                                value = float(raw) if "." in raw or "e" in raw else int(raw)
                            except ValueError:
                                value = self._cell(cell, formulas, column)
                        elif first_tag == "is" and kind == "inlineStr":
                            assert first is not None
                            if len(first) == 1 and tag_of(first[0].tag) == "t":
                                text = _unescape(first[0].text or "")
                            else:
                                text = _rich_text(first)
                            text_chars += len(text)
                            if not text.isprintable():
                                text = strip_control(text)
                            value = text if text and not text.isspace() else None
                        elif tag_of(cell.tag) != "c" or not len(cell):
                            continue
                        else:
                            value = self._cell(cell, formulas, column)
                        if value is None:
                            continue
                        if column > max_columns:
                            raise _columns_refusal(limits, name, number, column)
                        if isinstance(value, str) and len(value) > max_fields:
                            raise _field_too_long(
                                limits, f"on row {number:,} of {name!r}", len(value)
                            )
                        filled += 1
                        if filled > max_cells:
                            raise budget.too_many_cells()
                        if column > len(values):
                            values.extend([None] * (column - len(values)))
                        values[column - 1] = value
                    if values:
                        rows.add(number, values, formulas)
                    elif rows.ends_here(number):
                        stop = True
                    last_row = number
                budget.cells = filled
                budget.add_text(text_chars)
                text_chars = 0
                self.report(label, start + share * min(part.done / size, 1.0))
                if stop:
                    break
            if stop and segments.values_ahead():
                raise _gap_refusal(limits, name, rows.last_filled + 1)
        return rows.sheet(), implicit and segments.dropped > 0

    def _cell(self, element: Element, formulas: list[int], column: int) -> CellValue:
        """The value of one <c> element; formula cells are noted in `formulas`."""
        raw: str | None = None
        formula: str | None = None
        inline: Element | None = None
        for child in element:
            kind = _TAG.get(child.tag)
            if kind == "v":
                raw = child.text
            elif kind == "f":
                formula = child.text or ""
            elif kind == "is":
                inline = child
        if formula is not None:
            formulas.append(column)
            self.budget.add_text(len(formula))
            return "=" + formula
        cell_type = element.get("t")
        if cell_type == "s":
            if raw is None:
                return None
            index = int(raw)
            if not 0 <= index < len(self.shared):
                raise IndexError(f"shared text {index} does not exist")
            return self.shared[index]
        if cell_type == "inlineStr":
            if inline is None:
                return None
            text = _rich_text(inline)
            self.budget.add_text(len(text))
            return _clean(text)
        if raw is None:
            return None
        if cell_type is None or cell_type == "n":
            return self._number(raw, element.get("s"))
        if cell_type == "b":
            return raw.strip() in ("1", "true")
        if cell_type == "d":
            with contextlib.suppress(ValueError):
                return _calendar(from_ISO8601(raw.strip()))
        self.budget.add_text(len(raw))
        return _clean(_unescape(raw))  # "str" (a formula's text result), "e" (#N/A …)

    def _number(self, raw: str, style: str | None) -> CellValue:
        try:
            number: int | float = float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)
        except ValueError:  # not a number after all: keep what the file says
            self.budget.add_text(len(raw))
            return _clean(raw)
        if style and self.date_styles and (style_id := int(style)) in self.date_styles:
            try:
                when = from_excel(number, self.epoch, timedelta=style_id in self.timedelta_styles)
            except (OverflowError, ValueError):
                return number  # a day number no calendar has: the importer says so
            return _calendar(when)
        return number


class _Opened:
    """`with` for a zip member wrapped as a `_Part`."""

    def __init__(self, archive: zipfile.ZipFile, member: str, limits: UploadLimits) -> None:
        self.archive = archive
        self.member = member
        self.limits = limits
        self.stream: IO[bytes] | None = None

    def __enter__(self) -> _Part:
        self.stream = self.archive.open(self.member)
        return _Part(self.stream, self.member, self.limits)

    def __exit__(self, *_exc: object) -> None:
        if self.stream is not None:
            self.stream.close()


def _ended(parser: XMLPullParser[Element]) -> Iterator[tuple[str, Element]]:
    # With events=("end",) every event carries an element.
    return cast("Iterator[tuple[str, Element]]", parser.read_events())


_DIGITS = "0123456789"
_COLUMN_NUMBERS = {get_column_letter(n): n for n in range(1, 16_385)}


def _column(ref: str) -> int:
    letters = ref.rstrip(_DIGITS)
    return _COLUMN_NUMBERS.get(letters) or column_index_from_string(letters.upper())


def _rich_text(element: Element) -> str:
    """Text of a shared or inline string: plain <t>, or rich-text runs <r><t>;
    phonetic guides (<rPh>) are not part of the text."""
    if len(element) == 1 and _TAG.get(element[0].tag) == "t":  # the usual, plain text
        return _unescape(element[0].text or "")
    parts: list[str] = []
    for child in element:
        kind = _TAG.get(child.tag)
        if kind == "t":
            parts.append(child.text or "")
        elif kind == "r":
            for piece in child:
                if _TAG.get(piece.tag) == "t":
                    parts.append(piece.text or "")
    return _unescape("".join(parts))


def _calendar(value: object) -> CellValue:
    """A date-formatted cell: midnight is a plain date (that is what a date
    cell means); a time of day keeps the datetime; times and durations pass."""
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date()
        return value
    if isinstance(value, date | time | timedelta):
        return value
    return None
