"""Competency files without a database: the workbook round trip, every kind
of malformed workbook, and Moodle's framework CSV."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from core.competencies.files import (
    MAX_FILE_BYTES,
    CompetencySpec,
    DescriptorSpec,
    FrameworkBundle,
    RequirementSpec,
    ScaleSpec,
    ScaleValueSpec,
    bundle_to_workbook,
    clean_text,
    html_to_text,
    parse_moodle_csv,
    parse_workbook,
)
from core.errors import ValidationError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "moodle_framework.csv"

# Text as Stride stores it: no control characters, trimmed, non-empty.
_alphabet = st.characters(blacklist_categories=("Cs", "Cc"))
_prefix = st.sampled_from(["", "=", "-", "@", "+", "'=", "''-", "'", "=1+2", "@SUM(A1)"])
text = st.builds(
    lambda p, t: clean_text(p + t), _prefix, st.text(_alphabet, min_size=1, max_size=40)
).filter(bool)
long_text = st.builds(lambda p, t: clean_text(p + t), _prefix, st.text(_alphabet, max_size=3000))


@st.composite
def bundles(draw: st.DrawFn) -> FrameworkBundle:
    level_names = draw(st.lists(text, min_size=1, max_size=5, unique_by=str.lower))
    scale = ScaleSpec(
        name=draw(text),
        description=draw(long_text),
        values=tuple(
            ScaleValueSpec(name, rank, draw(st.booleans()), rank == 1)
            for rank, name in enumerate(level_names, start=1)
        ),
    )
    codes = draw(st.lists(text, min_size=1, max_size=6, unique=True))
    competencies = []
    for index, code in enumerate(codes):
        parent = draw(st.sampled_from([None, *codes[:index]]))
        competencies.append(
            CompetencySpec(
                code=code,
                parent_code=parent,
                name=draw(text),
                kind=draw(st.sampled_from(["core", "specialist", "skill"])),
                scale_name=None,
                description=draw(long_text),
            )
        )
    descriptors = [
        DescriptorSpec(code, level, draw(long_text))
        for code in codes
        for level in level_names
        if draw(st.booleans())
    ]
    requirements = [
        RequirementSpec(
            f"P{n}", draw(text), code, draw(st.sampled_from(level_names)), draw(st.booleans())
        )
        for n in range(draw(st.integers(0, 3)))
        for code in codes
    ]
    return FrameworkBundle(
        code=draw(text),
        name=draw(text),
        source="excel",
        description=draw(long_text),
        scale_name=scale.name,
        scales=(scale,),
        competencies=tuple(competencies),
        descriptors=tuple(descriptors),
        requirements=tuple(requirements),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundles())
def test_workbook_round_trips_exactly(bundle: FrameworkBundle) -> None:
    assert parse_workbook(bundle_to_workbook(bundle)) == bundle


@given(text)
def test_formula_escaping_is_undone_exactly(value: str) -> None:
    from core.export import escape_cell, unescape_cell

    assert unescape_cell(escape_cell(value)) == value
    assert not str(escape_cell(value)).startswith(("=", "+", "-", "@"))


def sample_bundle() -> FrameworkBundle:
    scale = ScaleSpec(
        "Levels",
        "",
        (ScaleValueSpec("Low", 1, False, True), ScaleValueSpec("High", 2, True, False)),
    )
    return FrameworkBundle(
        code="=FW",
        name="@Framework",
        source="excel",
        description="-long " * 500,
        scale_name="Levels",
        scales=(scale,),
        competencies=(
            CompetencySpec("G", None, "Group", "cluster", None, ""),
            CompetencySpec("A", "G", "Ädvice ✓", "core", None, "x"),
        ),
        descriptors=(DescriptorSpec("A", "High", "+great"),),
        requirements=(RequirementSpec("SE", "Software Engineer", "A", "High", True),),
    )


def _edit(data: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    workbook = load_workbook(io.BytesIO(data))
    change(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _problems(data: bytes) -> list[str]:
    with pytest.raises(ValidationError) as error:
        parse_workbook(data)
    return [f"{r.row}|{r.column}|{r.message}" for r in error.value.rows] or [error.value.message]


def test_missing_sheet() -> None:
    data = _edit(bundle_to_workbook(sample_bundle()), lambda wb: wb.remove(wb["Role map"]))
    assert any("'Role map' is missing" in p for p in _problems(data))


def test_missing_column() -> None:
    def drop(wb):  # type: ignore[no-untyped-def]
        wb["Competencies"]["D1"] = "sort"  # the kind column renamed

    assert any(
        "kind|Missing column" in p
        for p in _problems(_edit(bundle_to_workbook(sample_bundle()), drop))
    )


def test_wrong_types() -> None:
    def break_types(wb):  # type: ignore[no-untyped-def]
        wb["Scales"]["D2"] = "first"
        wb["Role map"]["E2"] = "maybe"

    problems = _problems(_edit(bundle_to_workbook(sample_bundle()), break_types))
    assert any("Scales 2|rank" in p for p in problems)
    assert any("Role map 2|critical" in p for p in problems)


def test_unknown_parent_cycle_and_duplicate() -> None:
    def break_tree(wb):  # type: ignore[no-untyped-def]
        sheet = wb["Competencies"]
        sheet["B2"] = "A"  # G's parent is A, A's parent is G: a cycle
        sheet.append(["A", None, "Again", "core", None, None])  # duplicate code
        sheet.append(["B", "NOPE", "Orphan", "core", None, None])  # unknown parent

    problems = _problems(_edit(bundle_to_workbook(sample_bundle()), break_tree))
    assert any("cycle" in p for p in problems)
    assert any("Competencies 4|code|Duplicate" in p for p in problems)
    assert any("Unknown parent 'NOPE'" in p for p in problems)


def test_formula_cell_is_an_error() -> None:
    def add_formula(wb):  # type: ignore[no-untyped-def]
        wb["Competencies"]["C3"] = '=HYPERLINK("http://x")'

    problems = _problems(_edit(bundle_to_workbook(sample_bundle()), add_formula))
    assert any("Competencies 3|name|A formula" in p for p in problems)


def test_formula_after_a_blank_cell_is_refused_not_a_crash() -> None:
    def add_formula(wb):  # type: ignore[no-untyped-def]
        wb["Competencies"].append(["B", None, None, None, None, "=1+1"])

    problems = _problems(_edit(bundle_to_workbook(sample_bundle()), add_formula))
    assert any("|description|" in p and "formulas are refused" in p for p in problems)


def test_csv_field_over_128_kb_is_refused_with_its_row() -> None:
    lines = FIXTURE.read_text().splitlines()
    huge = "x" * (129 * 1024)
    data = "\n".join(
        [*lines, f'"DW-COMM","DW-BIG","Big","{huge}","1","","","","0","null","","30","0",""']
    )
    with pytest.raises(ValidationError, match="longer than"):
        parse_moodle_csv(data.encode())


def test_file_over_the_size_cap() -> None:
    with pytest.raises(ValidationError, match="limit"):
        parse_workbook(b"x" * (MAX_FILE_BYTES + 1))


def test_zip_bomb_like_workbook_is_refused_unopened() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (60 * 1024 * 1024) + b">")
    data = buffer.getvalue()
    assert len(data) < MAX_FILE_BYTES
    with pytest.raises(ValidationError, match="unpacks"):
        parse_workbook(data)


def test_not_a_workbook() -> None:
    with pytest.raises(ValidationError, match="Excel workbook but is not one"):
        parse_workbook(b"hello, world")


def test_level_not_on_scale() -> None:
    bad = replace(sample_bundle(), descriptors=(DescriptorSpec("A", "Medium", "x"),))
    assert any("'Medium' is not a level" in p for p in _problems(bundle_to_workbook(bad)))


def test_html_becomes_plain_text() -> None:
    assert html_to_text("<p>A &amp; B</p><script>alert(1)</script><ul><li>x</li></ul>") == (
        "A & B\n\n- x"
    )


def test_html_soft_line_breaks_are_spaces_and_br_is_a_line_break() -> None:
    markup = "<p>Works well\nwith others,\r\nand listens.</p><p>First<br>second<br/>third</p>"
    assert html_to_text(markup) == "Works well with others, and listens.\n\nFirst\nsecond\nthird"


def test_row_problems_are_told_apart_from_unreadable_files() -> None:
    from core.imports import RowProblems

    with pytest.raises(RowProblems):
        parse_moodle_csv(b"ID number,Short name\nA,B\n")
    with pytest.raises(ValidationError) as unreadable:
        parse_workbook(b"hello, world")
    assert not isinstance(unreadable.value, RowProblems)


def test_moodle_fixture_multi_level() -> None:
    bundle = parse_moodle_csv(FIXTURE.read_bytes())
    assert (bundle.code, bundle.name, bundle.source) == ("DIGI-FW", "Digital workplace", "moodle")
    assert bundle.description == "Skills for a digital workplace & beyond."
    assert "<" not in bundle.description
    framework_scale = next(s for s in bundle.scales if s.name == bundle.scale_name)
    assert [(v.name, v.rank, v.proficient, v.is_default) for v in framework_scale.values] == [
        ("Not yet competent", 1, False, True),
        ("Competent", 2, True, False),
        ("Advanced", 3, True, False),
    ]
    by_code = {c.code: c for c in bundle.competencies}
    assert by_code["DW-COMM"].kind == "cluster"
    assert by_code["DW-SEARCH"].kind == "cluster"  # a middle level
    assert by_code["DW-SEARCH-ADV"].parent_code == "DW-SEARCH"
    assert by_code["DW-SEARCH-ADV"].kind == "skill"
    assert by_code["DW-SEARCH-ADV"].scale_name == "Basic / Good"
    assert by_code["DW-SEARCH-ADV"].description == "Uses operators <AND>, OR."
    assert by_code["DW-MAIL"].description == "- Clear subjects\n- Short replies"
    assert by_code["DW-CHAT"].description == "Plain *markdown* text"  # format 4 kept
    assert any("rules" in n for n in bundle.notes)


def test_moodle_unknown_parent_cycle_duplicate_and_missing_columns() -> None:
    lines = FIXTURE.read_text().splitlines()
    broken = [
        *lines,
        '"NOWHERE","DW-X","Lost","","1","","","","0","null","","20","0",""',
        '"DW-Y","DW-Z","Z","","1","","","","0","null","","21","0",""',
        '"DW-Z","DW-Y","Y","","1","","","","0","null","","22","0",""',
        '"","DW-MAIL","Twice","","1","","","","0","null","","23","0",""',
    ]
    with pytest.raises(ValidationError) as error:
        parse_moodle_csv("\n".join(broken).encode())
    messages = [f"{r.row}|{r.message}" for r in error.value.rows]
    assert any("Unknown parent 'NOWHERE'" in m for m in messages)
    assert any("cycle" in m for m in messages)
    assert any("Duplicate" in m for m in messages)
    with pytest.raises(ValidationError, match="not a Moodle"):
        parse_moodle_csv(b"ID number,Short name\nA,B\n")


def test_workbook_built_by_hand_reads() -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    from core.competencies.files import COLUMNS

    rows = {
        "Framework": [["HR", "Hand made", None, None, "Yes/No"]],
        "Scales": [["Yes/No", None, "No", 1, "no", "yes"], ["Yes/No", None, "Yes", 2.0, 1, 0]],
        "Competencies": [[101, None, "Numbers as codes", "Core", None, None]],
        "Level descriptors": [],
        "Role map": [["SE", None, "101", "Yes", "x"]],
    }
    for name, columns in COLUMNS.items():
        sheet = workbook.create_sheet(name)
        sheet.append(columns)
        for row in rows[name]:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    bundle = parse_workbook(buffer.getvalue())
    assert bundle.competencies[0].code == "101"
    assert bundle.competencies[0].kind == "core"
    assert bundle.scales[0].values[1] == ScaleValueSpec("Yes", 2, True, False)
    assert bundle.requirements[0].critical is True
