"""Competency files, parsed and written without touching the database.

Two formats:
- Stride's own workbook (one framework: its scales, competencies, level
  descriptors and role map), written with `core.export` and read back exactly;
- Moodle's competency-framework CSV (`tool_lpimportcsv`), which Totara and
  Moodle sites export.

Parsing returns a `FrameworkBundle` (plain values), raises `RowProblems` with
one `RowError` per problem of the rows, or `ValidationError` for a file that
cannot be read at all; `core.competencies` checks the bundle against
the database and writes it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pandas as pd

from core.cells import as_bool, as_int, as_text
from core.errors import RowError, ValidationError
from core.export import unescape_cell, workbook_bytes
from core.imports import MAX_ERRORS, RowProblems, column_limit
from core.uploads import DEFAULT_LIMITS, ParsedWorkbook, read_upload
from db.models import Competency, Framework, Position, Scale, ScaleValue

Progress = Callable[[str, float], None]

# Size, zip-bomb and cell caps are `core.uploads`'s; this is what pages show.
MAX_FILE_BYTES = DEFAULT_LIMITS.max_file_bytes
MAX_ROWS_PER_SHEET = 20_000

# Limits the database enforces, read from the columns so they never drift.
FRAMEWORK_CODE_MAX = column_limit(Framework, "code")
FRAMEWORK_NAME_MAX = column_limit(Framework, "name")
SOURCE_MAX = column_limit(Framework, "source")
CODE_MAX = column_limit(Competency, "code")
NAME_MAX = column_limit(Competency, "name")
SCALE_NAME_MAX = column_limit(Scale, "name")
LEVEL_NAME_MAX = column_limit(ScaleValue, "name")
POSITION_CODE_MAX = column_limit(Position, "code")
# Descriptions are unbounded text columns; this keeps them readable.
TEXT_MAX = 10_000
KINDS = ("cluster", "core", "specialist", "skill")

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- the bundle ------------------------------------------------------------


@dataclass(frozen=True)
class ScaleValueSpec:
    name: str
    rank: int
    proficient: bool
    is_default: bool


@dataclass(frozen=True)
class ScaleSpec:
    name: str
    description: str
    values: tuple[ScaleValueSpec, ...]


@dataclass(frozen=True)
class CompetencySpec:
    code: str
    parent_code: str | None
    name: str
    kind: str
    scale_name: str | None  # None: the framework's scale
    description: str


@dataclass(frozen=True)
class DescriptorSpec:
    competency_code: str
    level: str
    text: str


@dataclass(frozen=True)
class RequirementSpec:
    position_code: str
    position_title: str  # shown for people reading the file; import ignores it
    competency_code: str
    level: str
    critical: bool


@dataclass(frozen=True)
class FrameworkBundle:
    code: str
    name: str
    source: str
    description: str
    scale_name: str
    scales: tuple[ScaleSpec, ...] = ()
    competencies: tuple[CompetencySpec, ...] = ()
    descriptors: tuple[DescriptorSpec, ...] = ()
    requirements: tuple[RequirementSpec, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)
    # Moodle's CSV has no level descriptors and no role map: an import of it
    # must leave those as HR made them in Stride.
    has_descriptors_and_role_map: bool = field(default=True, compare=False)


# --- text helpers ------------------------------------------------------------


def clean_text(value: object) -> str:
    """What we store: control characters removed (they cannot live in a
    workbook), ends trimmed."""
    return _CONTROL_CHARS.sub("", "" if value is None else str(value)).strip()


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6"}
    )
    _SKIPPED = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":  # <br/> reaches here, not handle_starttag
            self.parts.append("\n")
        else:
            self.handle_starttag(tag, attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skip_depth += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCKS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in self._BLOCKS and tag not in ("li", "br"):  # an item starts its own line
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            # A line break in the markup is only where an editor wrapped the
            # text: browsers show it as a space, and so do we.
            self.parts.append(re.sub(r"[\r\n]+", " ", data))


def html_to_text(markup: str) -> str:
    """Moodle stores descriptions as HTML; we keep plain text: no tags, no
    scripts, entities decoded, paragraphs as blank-line breaks, `<br>` as a
    line break and the markup's own line wrapping as spaces."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    text = html.unescape("".join(extractor.parts)).replace("\xa0", " ")
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    collapsed = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return clean_text(collapsed)


# --- the workbook ------------------------------------------------------------

SHEET_FRAMEWORK = "Framework"
SHEET_SCALES = "Scales"
SHEET_COMPETENCIES = "Competencies"
SHEET_DESCRIPTORS = "Level descriptors"
SHEET_ROLE_MAP = "Role map"

COLUMNS: dict[str, list[str]] = {
    SHEET_FRAMEWORK: ["code", "name", "source", "description", "scale"],
    SHEET_SCALES: ["scale", "scale description", "level", "rank", "proficient", "default"],
    SHEET_COMPETENCIES: ["code", "parent code", "name", "kind", "scale", "description"],
    SHEET_DESCRIPTORS: ["competency code", "level", "text"],
    SHEET_ROLE_MAP: ["position code", "position title", "competency code", "level", "critical"],
}


def bundle_to_sheets(bundle: FrameworkBundle) -> dict[str, pd.DataFrame]:
    def frame(sheet: str, rows: Iterable[list[Any]]) -> pd.DataFrame:
        return pd.DataFrame(list(rows), columns=COLUMNS[sheet], dtype=object)

    return {
        SHEET_FRAMEWORK: frame(
            SHEET_FRAMEWORK,
            [[bundle.code, bundle.name, bundle.source, bundle.description, bundle.scale_name]],
        ),
        SHEET_SCALES: frame(
            SHEET_SCALES,
            [
                [s.name, s.description, v.name, v.rank, v.proficient, v.is_default]
                for s in bundle.scales
                for v in s.values
            ],
        ),
        SHEET_COMPETENCIES: frame(
            SHEET_COMPETENCIES,
            [
                [c.code, c.parent_code, c.name, c.kind, c.scale_name, c.description]
                for c in bundle.competencies
            ],
        ),
        SHEET_DESCRIPTORS: frame(
            SHEET_DESCRIPTORS, [[d.competency_code, d.level, d.text] for d in bundle.descriptors]
        ),
        SHEET_ROLE_MAP: frame(
            SHEET_ROLE_MAP,
            [
                [r.position_code, r.position_title, r.competency_code, r.level, r.critical]
                for r in bundle.requirements
            ],
        ),
    }


def bundle_to_workbook(bundle: FrameworkBundle) -> bytes:
    return workbook_bytes(bundle_to_sheets(bundle))


class _Problems:
    def __init__(self) -> None:
        self.rows: list[RowError] = []

    def add(self, row: int | str, column: str, message: str) -> None:
        if len(self.rows) < MAX_ERRORS:
            self.rows.append(RowError(row, column, message))

    def raise_if_any(self, message: str = "Nothing was imported: fix the rows below.") -> None:
        if self.rows:
            raise RowProblems(message, rows=self.rows)


def _as_text(value: Any) -> str:
    """Text as the workbook holds it, unescaped and cleaned like stored text."""
    return clean_text(unescape_cell(as_text(value)))


def _as_bool(value: Any) -> bool | None:
    return as_bool(value, default=False)


def _sheet_rows(parsed: ParsedWorkbook, problems: _Problems) -> dict[str, list[tuple]]:
    """Every expected sheet's data rows (header checked), as cell values."""
    found: dict[str, list[tuple]] = {}
    for sheet_name, expected in COLUMNS.items():
        sheet = parsed.sheet(sheet_name)
        if sheet is None:
            problems.add(sheet_name, "", f"The sheet {sheet_name!r} is missing.")
            continue
        missing = sheet.missing(expected)
        if missing:
            problems.add(
                f"{sheet_name} {sheet.header_row or 1}",
                ", ".join(missing),
                "Missing column(s) in the header row.",
            )
            continue
        positions = [sheet.column(c) for c in expected]
        values: list[tuple] = []
        for row in sheet.rows:
            picked = tuple(None if p is None else row.get(p) for p in positions)
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in picked):
                continue
            values.append((row.number, *picked))
        found[sheet_name] = values
    for formula in parsed.formula_errors():
        problems.add(formula.row, formula.column, formula.message)
    return found


def parse_workbook(data: bytes, *, progress: Progress | None = None) -> FrameworkBundle:
    """Read a Stride competency workbook, or raise `ValidationError` listing
    every problem found (missing sheets or columns, wrong types, unknown
    references, cycles, duplicates, formulas)."""
    report = progress or (lambda _label, _share: None)
    parsed = read_upload(
        data,
        "framework.xlsx",
        sheets=list(COLUMNS),
        progress=lambda label, share: report(label, 0.05 + 0.4 * share),
    )
    if parsed.kind != "xlsx":
        raise ValidationError("This is not an Excel workbook (.xlsx).")
    problems = _Problems()
    sheets = _sheet_rows(parsed, problems)
    problems.raise_if_any()

    report("Checking the framework", 0.5)
    framework_rows = sheets[SHEET_FRAMEWORK]
    if len(framework_rows) != 1:
        problems.add(SHEET_FRAMEWORK, "", "The Framework sheet needs exactly one row.")
        problems.raise_if_any()
    number, code, name, source, description, scale_name = framework_rows[0]
    where = f"{SHEET_FRAMEWORK} {number}"
    code, name = _as_text(code), _as_text(name)
    _require_text(problems, where, "code", code, FRAMEWORK_CODE_MAX)
    _require_text(problems, where, "name", name, FRAMEWORK_NAME_MAX)
    source = _as_text(source) or "excel"
    if len(source) > SOURCE_MAX:
        problems.add(where, "source", f"At most {SOURCE_MAX} characters.")
    scale_name = _as_text(scale_name)

    report("Checking scales", 0.55)
    scales = _parse_scales(sheets[SHEET_SCALES], problems)
    scale_levels = {s.name: {v.name for v in s.values} for s in scales}
    if scale_name not in scale_levels:
        problems.add(where, "scale", f"The scale {scale_name!r} is not on the Scales sheet.")

    report("Checking competencies", 0.65)
    competencies = _parse_competencies(sheets[SHEET_COMPETENCIES], problems, set(scale_levels))
    levels_of = {c.code: scale_levels.get(c.scale_name or scale_name, set()) for c in competencies}

    report("Checking level descriptors", 0.8)
    descriptors: list[DescriptorSpec] = []
    seen_descriptors: dict[tuple[str, str], int] = {}
    for number, comp_code, level, text in sheets[SHEET_DESCRIPTORS]:
        where = f"{SHEET_DESCRIPTORS} {number}"
        comp_code, level, text = _as_text(comp_code), _as_text(level), _as_text(text)
        if comp_code not in levels_of:
            problems.add(where, "competency code", f"Unknown competency {comp_code!r}.")
        elif level not in levels_of[comp_code]:
            problems.add(where, "level", f"{level!r} is not a level of this competency's scale.")
        if len(text) > TEXT_MAX:
            problems.add(where, "text", f"At most {TEXT_MAX:,} characters.")
        key = (comp_code, level)
        if key in seen_descriptors:
            problems.add(where, "level", f"Duplicate of row {seen_descriptors[key]}.")
        seen_descriptors[key] = number
        descriptors.append(DescriptorSpec(comp_code, level, text))

    report("Checking the role map", 0.9)
    requirements: list[RequirementSpec] = []
    seen_cells: dict[tuple[str, str], int] = {}
    kinds = {c.code: c.kind for c in competencies}
    for number, position, title, comp_code, level, critical in sheets[SHEET_ROLE_MAP]:
        where = f"{SHEET_ROLE_MAP} {number}"
        position, comp_code, level = _as_text(position), _as_text(comp_code), _as_text(level)
        _require_text(problems, where, "position code", position, POSITION_CODE_MAX)
        if comp_code not in levels_of:
            problems.add(where, "competency code", f"Unknown competency {comp_code!r}.")
        elif kinds[comp_code] == "cluster":
            problems.add(
                where, "competency code", "A cluster groups competencies; roles can't require it."
            )
        elif level not in levels_of[comp_code]:
            problems.add(where, "level", f"{level!r} is not a level of this competency's scale.")
        flag = _as_bool(critical)
        if flag is None:
            problems.add(where, "critical", "TRUE or FALSE.")
        key = (position, comp_code)
        if key in seen_cells:
            problems.add(where, "competency code", f"Duplicate of row {seen_cells[key]}.")
        seen_cells[key] = number
        requirements.append(
            RequirementSpec(position, _as_text(title), comp_code, level, bool(flag))
        )
    problems.raise_if_any()
    report("Checked", 1.0)
    return FrameworkBundle(
        code=code,
        name=name,
        source=source,
        description=_as_text(description),
        scale_name=scale_name,
        scales=tuple(scales),
        competencies=tuple(competencies),
        descriptors=tuple(descriptors),
        requirements=tuple(requirements),
    )


def _require_text(problems: _Problems, where: str, column: str, value: str, limit: int) -> None:
    if not value:
        problems.add(where, column, "Required.")
    elif len(value) > limit:
        problems.add(where, column, f"At most {limit} characters.")


def _parse_scales(rows: list[tuple], problems: _Problems) -> list[ScaleSpec]:
    grouped: dict[str, tuple[str, list[tuple[int, ScaleValueSpec]]]] = {}
    for number, scale, description, level, rank, proficient, default in rows:
        where = f"{SHEET_SCALES} {number}"
        scale, level = _as_text(scale), _as_text(level)
        _require_text(problems, where, "scale", scale, SCALE_NAME_MAX)
        _require_text(problems, where, "level", level, LEVEL_NAME_MAX)
        rank_value = as_int(rank)
        if rank_value is None or rank_value < 1:
            problems.add(where, "rank", "A whole number from 1 (the lowest level).")
        flags = [_as_bool(proficient), _as_bool(default)]
        for column, flag in zip(("proficient", "default"), flags, strict=True):
            if flag is None:
                problems.add(where, column, "TRUE or FALSE.")
        entry = grouped.setdefault(scale, (_as_text(description), []))
        entry[1].append(
            (number, ScaleValueSpec(level, rank_value or 0, bool(flags[0]), bool(flags[1])))
        )
    scales = []
    for name, (description, values) in grouped.items():
        problems.rows.extend(scale_value_problems(name, values))
        scales.append(ScaleSpec(name, description, tuple(v for _, v in values)))
    return scales


def scale_value_problems(
    scale: str, values: Sequence[tuple[int | str, ScaleValueSpec]]
) -> list[RowError]:
    """Levels of one scale: unique names and ranks, at most one default."""
    problems: list[RowError] = []
    names: dict[str, int | str] = {}
    ranks: dict[int, int | str] = {}
    defaults = 0
    for number, value in values:
        where = f"{SHEET_SCALES} {number}" if isinstance(number, int) else number
        if value.name.lower() in names:
            problems.append(RowError(where, "level", f"Duplicate level in {scale!r}."))
        names[value.name.lower()] = number
        if value.rank in ranks:
            problems.append(
                RowError(where, "rank", f"Rank {value.rank} is used twice in {scale!r}.")
            )
        ranks[value.rank] = number
        defaults += value.is_default
    if defaults > 1:
        problems.append(RowError(scale, "default", "At most one default level per scale."))
    return problems


def _parse_competencies(
    rows: list[tuple], problems: _Problems, scale_names: set[str]
) -> list[CompetencySpec]:
    competencies: list[CompetencySpec] = []
    seen: dict[str, int] = {}
    numbers: dict[str, int] = {}
    for number, code, parent, name, kind, scale, description in rows:
        where = f"{SHEET_COMPETENCIES} {number}"
        code, parent_code = _as_text(code), _as_text(parent) or None
        name, kind, scale_name = _as_text(name), _as_text(kind).lower(), _as_text(scale) or None
        description = _as_text(description)
        _require_text(problems, where, "code", code, CODE_MAX)
        _require_text(problems, where, "name", name, NAME_MAX)
        if kind not in KINDS:
            problems.add(where, "kind", "One of " + ", ".join(KINDS) + ".")
        if scale_name is not None and scale_name not in scale_names:
            problems.add(where, "scale", f"The scale {scale_name!r} is not on the Scales sheet.")
        if len(description) > TEXT_MAX:
            problems.add(where, "description", f"At most {TEXT_MAX:,} characters.")
        if code in seen:
            problems.add(where, "code", f"Duplicate of row {seen[code]}.")
        seen[code] = number
        numbers[code] = number
        competencies.append(CompetencySpec(code, parent_code, name, kind, scale_name, description))
    for row in hierarchy_problems([(numbers[c.code], c.code, c.parent_code) for c in competencies]):
        problems.add(
            f"{SHEET_COMPETENCIES} {row.row}" if isinstance(row.row, int) else row.row,
            row.column,
            row.message,
        )
    return competencies


def hierarchy_problems(nodes: list[tuple[int | str, str, str | None]]) -> list[RowError]:
    """(row, code, parent code) triples: every parent must exist and no chain
    may loop back on itself."""
    parents = {code: parent for _, code, parent in nodes}
    problems: list[RowError] = []
    for row, code, parent in nodes:
        if parent is None:
            continue
        if parent not in parents:
            problems.append(RowError(row, "parent code", f"Unknown parent {parent!r}."))
            continue
        seen = {code}
        current: str | None = parent
        while current is not None:
            if current in seen:
                problems.append(
                    RowError(row, "parent code", f"{code!r} would be its own ancestor (a cycle).")
                )
                break
            seen.add(current)
            current = parents.get(current)
    return problems


# --- Moodle's competency-framework CSV ----------------------------------------

# tool_lpimportcsv's columns, in its order; headers are matched loosely
# ("Short name" or "Shortname", with or without "(optional)").
MOODLE_COLUMNS = [
    "parentidnumber",
    "idnumber",
    "shortname",
    "description",
    "descriptionformat",
    "scalevalues",
    "scaleconfiguration",
    "ruletype",
    "ruleoutcome",
    "ruleconfig",
    "crossreferencedcompetencyidnumbers",
    "exportedid",
    "isframework",
    "taxonomy",
]
MOODLE_REQUIRED = [*MOODLE_COLUMNS[:7], "isframework"]
_MOODLE_HTML_FORMATS = {"", "0", "1"}  # FORMAT_MOODLE and FORMAT_HTML may hold HTML


def _header_key(header: str) -> str:
    text = header.lower().replace("(optional)", "")
    return re.sub(r"[^a-z]", "", text)


def _moodle_scale(
    values_text: str, config_text: str, *, where: str, problems: _Problems
) -> ScaleSpec | None:
    """Moodle keeps a scale as comma-separated items, lowest first, and a JSON
    configuration: [{"scaleid": …}, {"id": item number, "scaledefault": 0|1,
    "proficient": 0|1}, …] (item numbers count from 1)."""
    names = [clean_text(v) for v in values_text.split(",")]
    if not names or any(not n for n in names):
        problems.add(where, "Scale values", "Comma-separated level names, lowest first.")
        return None
    if any(len(n) > LEVEL_NAME_MAX for n in names):
        problems.add(where, "Scale values", f"Level names of at most {LEVEL_NAME_MAX} characters.")
        return None
    flags: dict[int, tuple[bool, bool]] = {}
    if config_text.strip():
        try:
            config = json.loads(config_text)
            for item in config[1:] if isinstance(config, list) else []:
                number = int(item["id"])
                flags[number] = (
                    bool(int(item.get("scaledefault", 0))),
                    bool(int(item.get("proficient", 0))),
                )
        except (ValueError, TypeError, KeyError, IndexError):
            problems.add(where, "Scale configuration", "Not Moodle's scale configuration (JSON).")
            return None
    values = tuple(
        ScaleValueSpec(
            name=name,
            rank=rank,
            proficient=flags.get(rank, (False, False))[1],
            is_default=flags.get(rank, (False, False))[0],
        )
        for rank, name in enumerate(names, start=1)
    )
    scale_name = " / ".join(names)
    if len(scale_name) > SCALE_NAME_MAX:
        scale_name = scale_name[: SCALE_NAME_MAX - 1] + "…"
    for row in scale_value_problems(scale_name, [(where, v) for v in values]):
        problems.add(where, "Scale values", row.message)
    return ScaleSpec(scale_name, "Imported from Moodle.", values)


def parse_moodle_csv(
    data: bytes, *, leaf_kind: str = "skill", progress: Progress | None = None
) -> FrameworkBundle:
    """Moodle's competency framework CSV as a bundle. Inner nodes become
    clusters and leaves `leaf_kind`; rules and cross-references are not part of
    Stride's model and are left out (the bundle's notes say so)."""
    report = progress or (lambda _label, _share: None)
    if leaf_kind not in KINDS or leaf_kind == "cluster":
        raise ValidationError("Leaves must be core, specialist or skill competencies.")
    upload = read_upload(
        data, "framework.csv", progress=lambda label, share: report(label, 0.4 * share)
    )
    if not upload.sheets or not upload.sheets[0].header:
        raise ValidationError("The file has no header row.")
    sheet = upload.sheets[0]
    problems = _Problems()
    for formula in upload.formula_errors():
        problems.add(formula.row, formula.column, formula.message)
    keys = [_header_key(h) for h in sheet.header]
    missing = [c for c in MOODLE_REQUIRED if c not in keys]
    if missing:
        raise RowProblems(
            "This is not a Moodle competency framework CSV.",
            rows=[RowError(1, c, "Missing column.") for c in missing],
        )
    index = {c: keys.index(c) for c in MOODLE_COLUMNS if c in keys}
    rows = sheet.rows
    if len(rows) > MAX_ROWS_PER_SHEET:
        raise RowProblems(
            f"More than {MAX_ROWS_PER_SHEET:,} rows; split the file.",
            rows=[RowError(MAX_ROWS_PER_SHEET + 2, "", "Rows beyond the limit.")],
        )

    framework: dict[str, str] | None = None
    framework_row = 0
    scales: dict[str, ScaleSpec] = {}
    framework_scale: ScaleSpec | None = None
    records: list[tuple[int, dict[str, str]]] = []
    ignored_rules = ignored_links = 0
    for done, line in enumerate(rows):
        number = line.number
        if done % 500 == 0:
            report("Reading rows", 0.4 + 0.4 * done / max(len(rows), 1))
        record = {c: as_text(line.get(i)) for c, i in index.items()}
        where = str(number)
        flag = _as_bool(record["isframework"].strip())
        if flag is None:
            problems.add(where, "Is framework", "1 or 0 (true or false).")
            continue
        if flag:
            if framework is not None:
                problems.add(
                    where,
                    "Is framework",
                    f"A second framework (the first is on row {framework_row}).",
                )
                continue
            framework, framework_row = record, number
            framework_scale = _moodle_scale(
                record["scalevalues"], record["scaleconfiguration"], where=where, problems=problems
            )
            if framework_scale is not None:
                scales[framework_scale.name] = framework_scale
            continue
        records.append((number, record))
        ignored_rules += bool(record.get("ruletype", "").strip())
        ignored_links += bool(record.get("crossreferencedcompetencyidnumbers", "").strip())
    if framework is None:
        problems.add("", "Is framework", "No row describes the framework (Is framework = 1).")
        problems.raise_if_any()
    assert framework is not None

    def description(record: dict[str, str]) -> str:
        raw = record["description"]
        fmt = record["descriptionformat"].strip()
        return html_to_text(raw) if fmt in _MOODLE_HTML_FORMATS else clean_text(raw)

    code = clean_text(framework["idnumber"])
    name = clean_text(framework["shortname"])
    where = str(framework_row)
    _require_text(problems, where, "ID number", code, FRAMEWORK_CODE_MAX)
    _require_text(problems, where, "Short name", name, FRAMEWORK_NAME_MAX)

    nodes: list[tuple[int | str, str, str | None]] = []
    seen: dict[str, int] = {}
    parsed: list[tuple[int, dict[str, str], str]] = []
    for number, record in records:
        where = str(number)
        comp_code = clean_text(record["idnumber"])
        _require_text(problems, where, "ID number", comp_code, CODE_MAX)
        _require_text(problems, where, "Short name", clean_text(record["shortname"]), NAME_MAX)
        if comp_code in seen:
            problems.add(where, "ID number", f"Duplicate of row {seen[comp_code]}.")
            continue
        seen[comp_code] = number
        nodes.append((number, comp_code, clean_text(record["parentidnumber"]) or None))
        parsed.append((number, record, comp_code))
    for row in hierarchy_problems(nodes):
        problems.add(row.row, "Parent ID number", row.message)
    has_children = {parent for _, _, parent in nodes if parent is not None}

    competencies: list[CompetencySpec] = []
    for number, record, comp_code in parsed:
        scale_name: str | None = None
        if record["scalevalues"].strip():
            own = _moodle_scale(
                record["scalevalues"],
                record["scaleconfiguration"],
                where=str(number),
                problems=problems,
            )
            if own is not None and own != framework_scale:
                scale_name = own.name if own.name not in scales or scales[own.name] == own else None
                if scale_name is None:
                    problems.add(
                        number,
                        "Scale configuration",
                        "The same levels as another scale in this file, configured differently.",
                    )
                else:
                    scales[own.name] = own
        text = description(record)
        if len(text) > TEXT_MAX:
            problems.add(number, "Description", f"At most {TEXT_MAX:,} characters.")
        competencies.append(
            CompetencySpec(
                code=comp_code,
                parent_code=clean_text(record["parentidnumber"]) or None,
                name=clean_text(record["shortname"]),
                kind="cluster" if comp_code in has_children else leaf_kind,
                scale_name=scale_name,
                description=text,
            )
        )
    if framework_scale is None:
        problems.add(framework_row, "Scale values", "The framework row has no scale values.")
    problems.raise_if_any()
    assert framework_scale is not None
    notes = []
    if ignored_rules:
        notes.append(f"{ignored_rules} competency rules were left out (Stride has no rules).")
    if ignored_links:
        notes.append(f"{ignored_links} cross-references were left out.")
    report("Checked", 1.0)
    return FrameworkBundle(
        code=code,
        name=name,
        source="moodle",
        description=description(framework),
        scale_name=framework_scale.name,
        scales=tuple(scales.values()),
        competencies=tuple(competencies),
        notes=tuple(notes),
        has_descriptors_and_role_map=False,
    )
