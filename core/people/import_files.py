"""HR import files: Totara HR Import's four CSV sources and Stride's own
one-workbook template, turned into one `ImportBatch` (no database).

Totara sources, told apart by their columns (units and positions share
theirs, so their file name or the person's choice tells them apart):
- users: idnumber, username, firstname, lastname, email, deleted, suspended, timemodified
- job assignments: idnumber, useridnumber, fullname, orgidnumber, posidnumber,
  manageridnumber, appraiseridnumber, deleted, timemodified
- org units, positions: idnumber, fullname, parentidnumber, frameworkidnumber, timemodified
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.cells import as_bool, as_date, as_text
from core.errors import RowError
from core.export import unescape_cell
from core.people.import_rules import ImportBatch, PersonRecord, PositionRecord, UnitRecord
from core.uploads import ParsedWorkbook, Sheet


class Source(enum.StrEnum):
    units = "org units"
    positions = "positions"
    users = "users"
    job_assignments = "job assignments"
    template = "Stride workbook"


TOTARA_COLUMNS: dict[Source, list[str]] = {
    Source.users: [
        "idnumber",
        "username",
        "firstname",
        "lastname",
        "email",
        "deleted",
        "suspended",
        "timemodified",
    ],
    Source.job_assignments: [
        "idnumber",
        "useridnumber",
        "fullname",
        "orgidnumber",
        "posidnumber",
        "manageridnumber",
        "appraiseridnumber",
        "deleted",
        "timemodified",
    ],
    Source.units: ["idnumber", "fullname", "parentidnumber", "frameworkidnumber", "timemodified"],
    Source.positions: [
        "idnumber",
        "fullname",
        "parentidnumber",
        "frameworkidnumber",
        "timemodified",
    ],
}
REQUIRED: dict[Source, list[str]] = {
    Source.users: ["idnumber", "firstname", "lastname", "email"],
    Source.job_assignments: ["useridnumber", "orgidnumber"],
    Source.units: ["idnumber", "fullname"],
    Source.positions: ["idnumber", "fullname"],
}

SHEET_UNITS = "Units"
SHEET_POSITIONS = "Positions"
SHEET_PEOPLE = "People"
TEMPLATE_COLUMNS: dict[str, list[str]] = {
    SHEET_UNITS: ["code", "name", "parent_code"],
    SHEET_POSITIONS: ["code", "title", "family"],
    SHEET_PEOPLE: [
        "employee_code",
        "full_name",
        "email",
        "username",
        "unit_code",
        "position_code",
        "manager_code",
        "appraiser_code",
        "hire_date",
        "active",
    ],
}
TEMPLATE_REQUIRED: dict[str, list[str]] = {
    SHEET_UNITS: ["code", "name"],
    SHEET_POSITIONS: ["code", "title"],
    SHEET_PEOPLE: ["employee_code", "full_name", "email"],
}


@dataclass
class UploadedFile:
    """A parsed file and the source it holds (guessed, or chosen by HR)."""

    workbook: ParsedWorkbook
    source: Source | None


@dataclass
class BatchReading:
    batch: ImportBatch
    errors: list[RowError] = field(default_factory=list)


def guess_source(workbook: ParsedWorkbook) -> Source | None:
    """Which source a file holds, from its sheets, columns and name."""
    names = {name.strip().casefold() for name in workbook.sheet_names}
    if workbook.kind == "xlsx" and {"units", "positions", "people"} & names:
        return Source.template
    sheet = workbook.sheets[0] if workbook.sheets else None
    if sheet is None:
        return None
    if sheet.column("useridnumber") is not None:
        return Source.job_assignments
    if sheet.column("firstname") is not None and sheet.column("email") is not None:
        return Source.users
    if sheet.column("idnumber") is not None and sheet.column("fullname") is not None:
        stem = workbook.filename.casefold()
        if "pos" in stem:
            return Source.positions
        if "org" in stem or "unit" in stem:
            return Source.units
    return None


def _text(value: object) -> str | None:
    text = as_text(value)
    return text or None


def _cell(value: object) -> str:
    """Text from Stride's own workbook, with the export's formula escaping undone."""
    return str(unescape_cell(as_text(value)))


def _flag(value: object, where: str, column: str, errors: list[RowError]) -> bool:
    flag = as_bool(value, default=False)
    if flag is None:
        errors.append(RowError(where, column, "Use 1 or 0 (yes or no)."))
        return False
    return flag


def _missing(sheet: Sheet, required: Sequence[str], label: str, errors: list[RowError]) -> bool:
    absent = sheet.missing(required)
    if absent:
        errors.append(RowError(label, ", ".join(absent), "Required column(s) missing."))
    return bool(absent)


def _hierarchy(sheet: Sheet, label: str) -> list[tuple[str, str, str | None, str, str | None]]:
    """(code, name, parent, where, framework) of a Totara units or positions file."""
    rows = []
    for number, record in sheet.records():
        code = _text(record.get("idnumber")) or ""
        rows.append(
            (
                code,
                as_text(record.get("fullname")),
                _text(record.get("parentidnumber")),
                f"{label} row {number}",
                _text(record.get("frameworkidnumber")),
            )
        )
    return rows


@dataclass
class _Collected:
    units: list[UnitRecord] | None = None
    positions: list[PositionRecord] | None = None
    users: list[tuple[str, dict[str, object]]] | None = None  # (where, record)
    assignments: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    people: list[PersonRecord] | None = None
    warnings: list[str] = field(default_factory=list)


def _read_totara(
    upload: UploadedFile, source: Source, found: _Collected, errors: list[RowError]
) -> None:
    sheet = upload.workbook.sheets[0]
    label = upload.workbook.filename
    if _missing(sheet, REQUIRED[source], label, errors):
        return
    if source is Source.units:
        found.units = (found.units or []) + [
            UnitRecord(code, name, parent, where)
            for code, name, parent, where, _ in _hierarchy(sheet, label)
        ]
    elif source is Source.positions:
        # Stride's positions are flat, each in a job family; Totara's position
        # framework is the nearest thing to a family.
        found.positions = (found.positions or []) + [
            PositionRecord(code, name, framework, where)
            for code, name, _, where, framework in _hierarchy(sheet, label)
        ]
    elif source is Source.users:
        found.users = (found.users or []) + [
            (f"{label} row {number}", dict(record)) for number, record in sheet.records()
        ]
    else:
        found.assignments += [
            (f"{label} row {number}", dict(record)) for number, record in sheet.records()
        ]


def _template_rows(
    workbook: ParsedWorkbook, name: str, errors: list[RowError]
) -> list[tuple[str, dict[str, object]]] | None:
    """(where, record) of one template sheet; None when it is absent or lacks
    a required column (reported)."""
    sheet = workbook.sheet(name)
    if sheet is None or _missing(sheet, TEMPLATE_REQUIRED[name], name, errors):
        return None
    return [(f"{name} row {n}", dict(r)) for n, r in sheet.records()]


def _optional_cell(value: object) -> str | None:
    return _cell(value) or None


def _read_template(upload: UploadedFile, found: _Collected, errors: list[RowError]) -> None:
    """Stride's workbook; its text cells were escaped against formulas on export."""
    workbook = upload.workbook
    units = _template_rows(workbook, SHEET_UNITS, errors)
    if units is not None:
        found.units = [
            UnitRecord(
                _cell(r.get("code")),
                _cell(r.get("name")),
                _optional_cell(r.get("parent_code")),
                where,
            )
            for where, r in units
        ]
    positions = _template_rows(workbook, SHEET_POSITIONS, errors)
    if positions is not None:
        found.positions = [
            PositionRecord(
                _cell(r.get("code")), _cell(r.get("title")), _optional_cell(r.get("family")), where
            )
            for where, r in positions
        ]
    people = workbook.sheet(SHEET_PEOPLE)
    if people is None or _missing(people, TEMPLATE_REQUIRED[SHEET_PEOPLE], SHEET_PEOPLE, errors):
        return
    found.people = []
    for number, record in people.records():
        where = f"{SHEET_PEOPLE} row {number}"
        try:
            hire_date = as_date(record.get("hire_date"))
        except ValueError:
            errors.append(RowError(where, "hire_date", "A date such as 2024-03-05."))
            hire_date = None
        active = True
        if record.get("active") is not None:
            active = _flag(record.get("active"), where, "active", errors)
        found.people.append(
            PersonRecord(
                code=_cell(record.get("employee_code")),
                full_name=_cell(record.get("full_name")),
                email=_cell(record.get("email")).lower(),
                username=(_text(record.get("username")) or "").lower() or None,
                unit_code=_text(record.get("unit_code")),
                position_code=_text(record.get("position_code")),
                manager_code=_text(record.get("manager_code")),
                appraiser_code=_text(record.get("appraiser_code")),
                active=active,
                where=where,
                hire_date=hire_date,
            )
        )


def _merge_users(found: _Collected, errors: list[RowError]) -> list[PersonRecord] | None:
    """Totara users and their job assignments as one record per person; a
    person with several assignments gets the first, with a warning."""
    if found.users is None:
        if found.assignments:
            where = found.assignments[0][0]
            errors.append(
                RowError(where, "useridnumber", "Import job assignments with the users file.")
            )
        return None
    first: dict[str, dict[str, object]] = {}
    extra: dict[str, int] = {}
    user_codes = {_text(record.get("idnumber")) for _, record in found.users}
    for where, record in found.assignments:
        user = _text(record.get("useridnumber")) or ""
        if _flag(record.get("deleted"), where, "deleted", errors):
            continue
        if user not in user_codes:
            errors.append(RowError(where, "useridnumber", f"No user {user!r} in the users file."))
            continue
        if user in first:
            extra[user] = extra.get(user, 0) + 1
        else:
            first[user] = record
    for user, count in sorted(extra.items()):
        found.warnings.append(
            f"{user} has {count + 1} job assignments; Stride keeps the first one only."
        )
    people: list[PersonRecord] = []
    for where, record in found.users:
        code = _text(record.get("idnumber")) or ""
        job = first.get(code, {})
        removed = _flag(record.get("deleted"), where, "deleted", errors)
        suspended = _flag(record.get("suspended"), where, "suspended", errors)
        name = " ".join(
            part
            for part in (as_text(record.get("firstname")), as_text(record.get("lastname")))
            if part
        )
        people.append(
            PersonRecord(
                code=code,
                full_name=name,
                email=as_text(record.get("email")).lower(),
                username=(_text(record.get("username")) or "").lower() or None,
                unit_code=_text(job.get("orgidnumber")),
                position_code=_text(job.get("posidnumber")),
                manager_code=_text(job.get("manageridnumber")),
                appraiser_code=_text(job.get("appraiseridnumber")),
                active=not (removed or suspended),
                where=where,
            )
        )
    return people


def read_batch(files: Sequence[UploadedFile]) -> BatchReading:
    """Every file's records as one batch, with the problems of the files
    themselves (missing columns, unknown sources, formulas)."""
    errors: list[RowError] = []
    found = _Collected()
    for upload in files:
        errors.extend(upload.workbook.formula_errors())
        source = upload.source or guess_source(upload.workbook)
        if source is None:
            errors.append(
                RowError(
                    upload.workbook.filename,
                    "",
                    "Which source is this? Choose org units, positions, users or job assignments.",
                )
            )
        elif source is Source.template:
            _read_template(upload, found, errors)
        elif upload.workbook.sheets:
            _read_totara(upload, source, found, errors)
    totara_people = _merge_users(found, errors)
    people = found.people
    if totara_people is not None:
        people = (people or []) + totara_people
    return BatchReading(
        ImportBatch(
            units=found.units,
            positions=found.positions,
            people=people,
            warnings=found.warnings,
        ),
        errors,
    )
