"""Upload reader benchmark: hostile and normal files through core.uploads.

    python -m seed.bench_uploads                   # every case, 3 runs each
    python -m seed.bench_uploads --runs 5 --workdir /tmp/stride-uploads
    python -m seed.bench_uploads --only blank_rows,zip_bomb

It writes each file into a temporary folder (or --workdir), then reads it
with `core.uploads.read_upload` in a fresh Python process per run, so one
case's memory never flatters or burdens the next. For each case it prints:

- the outcome: accepted (sheets, rows, formula cells) or refused + message;
- the read time: wall seconds of the `read_upload` call inside the child,
  median of the runs (imports excluded: a server has them loaded);
- the child's CPU seconds (user + system, interpreter start included),
  median: on shared cores wall time follows the neighbours' load, CPU time
  much less, so both are printed, with the load average;
- peak RSS of the child in MB (os.wait4's rusage of that very process),
  largest of the runs, next to a child that only imports the reader.

The budget it checks: every file up to 10 MB accepted or refused within
5 s, using under 300 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 5.0
BUDGET_MB = 300.0

_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _tiny_workbook() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "People"
    sheet.append(["employee_code", "full_name", "hire_date"])
    sheet.append(["E1", "Ada Lovelace", dt.date(2020, 1, 6)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_sheet(path: Path, sheet_xml: Iterator[bytes]) -> None:
    """A real openpyxl workbook whose first sheet's XML is replaced (streamed,
    so a big sheet never sits in memory whole)."""
    source = zipfile.ZipFile(io.BytesIO(_tiny_workbook()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as member:
                    for piece in sheet_xml:
                        member.write(piece)
            else:
                target.writestr(info, source.read(info.filename))


def _workbook_from_scratch(
    path: Path,
    sheets: list[tuple[str, Iterator[bytes]]],
    *,
    shared_strings: list[str] | None = None,
) -> None:
    """The least a workbook needs, with as many sheets as given (streamed);
    with `shared_strings`, also Excel's text table and a date style (s="1")."""
    main = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    spreadsheet = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    listed = "".join(
        f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
        for n, (name, _) in enumerate(sheets, start=1)
    )
    relations = "".join(
        f'<Relationship Id="rId{n}" Type="{main}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    if shared_strings is not None:
        relations += (
            f'<Relationship Id="rIdS" Type="{main}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rIdT" Type="{main}/styles" Target="styles.xml"/>'
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        target.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{main}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        target.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{spreadsheet}" xmlns:r="{main}">'
            f"<sheets>{listed}</sheets></workbook>",
        )
        target.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{package}">{relations}</Relationships>',
        )
        if shared_strings is not None:
            target.writestr(
                "xl/sharedStrings.xml",
                f'<sst xmlns="{spreadsheet}">'
                + "".join(f"<si><t>{text}</t></si>" for text in shared_strings)
                + "</sst>",
            )
            target.writestr(
                "xl/styles.xml",
                f'<styleSheet xmlns="{spreadsheet}"><cellXfs count="2"><xf numFmtId="0"/>'
                '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
            )
        for n, (_, sheet_xml) in enumerate(sheets, start=1):
            with target.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as member:
                for piece in sheet_xml:
                    member.write(piece)


def make_huge_dimension(path: Path, *, rows: int = 300) -> None:
    """About 5 KB whose sheet claims every cell Excel has (A1:XFD1048576):
    openpyxl pads each of its real rows to 16,384 cells."""

    def xml() -> Iterator[bytes]:
        yield _HEAD + b'<dimension ref="A1:XFD1048576"/><sheetData>'
        yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>employee_code</t></is></c>'
        yield b'<c r="B1" t="inlineStr"><is><t>years</t></is></c></row>'
        for n in range(2, rows + 1):
            yield f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>3</v></c></row>'.encode()
        yield b"</sheetData></worksheet>"

    _with_sheet(path, xml())


def make_blank_rows(path: Path, *, target_bytes: int = 900_000) -> None:
    """A short table, then formatted empty rows until the file is ~0.9 MB."""

    def xml(rows: int) -> Iterator[bytes]:
        yield _HEAD + f'<dimension ref="A1:L{rows}"/><sheetData>'.encode()
        yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>employee_code</t></is></c></row>'
        yield b'<row r="2"><c r="A2" t="inlineStr"><is><t>E1</t></is></c></row>'
        batch: list[bytes] = []
        for n in range(3, rows + 1):
            cells = "".join(f'<c r="{_column_letter(c)}{n}" s="1"/>' for c in range(1, 13))
            batch.append(f'<row r="{n}" spans="1:12">{cells}</row>'.encode())
            if len(batch) == 2_000:
                yield b"".join(batch)
                batch = []
        yield b"".join(batch)
        yield b"</sheetData></worksheet>"

    rows = 60_000
    for _ in range(3):  # compression is hard to predict: size it by measuring
        _with_sheet(path, xml(rows))
        rows = int(rows * target_bytes / path.stat().st_size)
    _with_sheet(path, xml(rows))


def make_formulas(path: Path, *, rows: int = 2, columns: int = 16_000) -> None:
    """Rows of formula cells, each row starting with an empty cell (the case
    that crashed the old check) and a header row on top."""

    def xml() -> Iterator[bytes]:
        yield _HEAD + b"<sheetData>"
        header = "".join(
            f'<c r="{_column_letter(c)}1" t="inlineStr"><is><t>c{c}</t></is></c>'
            for c in range(1, columns + 1)
        )
        yield f'<row r="1">{header}</row>'.encode()
        for n in range(2, rows + 2):
            cells = [f'<c r="A{n}" s="1"/>']
            cells += [
                f'<c r="{_column_letter(c)}{n}"><f>ROW()*{c}</f><v>{n * c}</v></c>'
                for c in range(2, columns + 1)
            ]
            yield f'<row r="{n}">{"".join(cells)}</row>'.encode()
        yield b"</sheetData></worksheet>"

    _with_sheet(path, xml())


def make_zip_bomb(path: Path, *, unpacked_mb: int = 400) -> None:
    """One sheet of very repetitive XML that inflates ~1,000 times."""

    def xml() -> Iterator[bytes]:
        yield _HEAD + b"<sheetData>"
        row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + b"A" * 4_000 + b"</t></is></c></row>"
        block = row * 256
        for _ in range(unpacked_mb * 1024 * 1024 // len(block)):
            yield block
        yield b"</sheetData></worksheet>"

    _with_sheet(path, xml())


def make_one_wide_row(path: Path, *, cells: int = 1_700_000) -> None:
    """One row of distinct numbers, no cell references: what once took two
    minutes and 1.1 GB, kept under 10 MB."""
    rng = random.Random(7)

    def xml() -> Iterator[bytes]:
        yield _HEAD + b'<sheetData><row r="1">'
        for _ in range(cells // 10_000):
            yield b"".join(b"<c><v>%d</v></c>" % rng.randrange(10**8) for _ in range(10_000))
        yield b"</row></sheetData></worksheet>"

    _with_sheet(path, xml())


def make_formatting_flood(path: Path, *, rows: int = 250_000, columns: int = 12) -> None:
    """Every other row holds one value; the rest of each row and the rows in
    between are formatted empty cells, so no empty run ever ends the sheet:
    only the element budget stops it."""

    def xml() -> Iterator[bytes]:
        yield _HEAD + b"<sheetData>"
        batch: list[bytes] = []
        for n in range(1, rows + 1):
            cells = [f'<c r="{_column_letter(c)}{n}" s="1"/>' for c in range(2, columns + 1)]
            if n % 2:
                cells.insert(0, f'<c r="A{n}"><v>{n}</v></c>')
            batch.append(f'<row r="{n}">{"".join(cells)}</row>'.encode())
            if len(batch) == 2_000:
                yield b"".join(batch)
                batch = []
        yield b"".join(batch)
        yield b"</sheetData></worksheet>"

    _with_sheet(path, xml())


def make_row_flood(path: Path, *, sheets: int = 40, rows: int = 50_000) -> None:
    """Sheets of rows that hold one empty cell without a position (which no
    byte-level clean-up may drop), a value every 500 rows so that no empty
    run ends a sheet, up to the row cap of each sheet."""

    def xml() -> Iterator[bytes]:
        yield _HEAD + b"<sheetData>"
        batch: list[bytes] = []
        for n in range(1, rows + 1):
            cell = f"<c><v>{n}</v></c>" if n % 500 == 1 else "<c/>"
            batch.append(f'<row r="{n}">{cell}</row>'.encode())
            if len(batch) == 5_000:
                yield b"".join(batch)
                batch = []
        yield b"".join(batch)
        yield b"</sheetData></worksheet>"

    _workbook_from_scratch(path, [(f"Sheet{n}", xml()) for n in range(1, sheets + 1)])


def _people_rows(count: int, rng: random.Random) -> Iterator[list[Any]]:
    first = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Tim", "Radia"]
    last = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Perlman"]
    for n in range(count):
        name = f"{rng.choice(first)} {rng.choice(last)}"
        yield [
            f"E{n:06d}",
            name,
            f"{name.lower().replace(' ', '.')}.{n}@example.com",
            f"UNIT-{n % 60:02d}",
            f"POS-{n % 25:02d}",
            f"E{max(n // 8, 0):06d}",
            dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3_500)),
            round(rng.random() * 30, 1),
            rng.random() < 0.95,
            "",
        ]


PEOPLE_HEADER = [
    "employee_code",
    "full_name",
    "email",
    "org_unit",
    "position",
    "manager_code",
    "hire_date",
    "years_experience",
    "active",
    "note",
]


def make_normal_workbook(path: Path, *, rows: int = 5_000) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("People")
    sheet.append(PEOPLE_HEADER)
    for row in _people_rows(rows, random.Random(3)):
        sheet.append([None if v == "" else v for v in row])
    workbook.save(path)


def make_cell_cap_workbook(path: Path) -> None:
    """Just under the default cap of filled cells (9 per row here): the
    slowest ordinary file that is still accepted."""
    from core.uploads import DEFAULT_LIMITS

    make_normal_workbook(path, rows=DEFAULT_LIMITS.max_cells // 9 - 2)


def make_excel_style_at_cap(path: Path) -> None:
    """The cell-cap workbook as Excel writes it: text in the shared table,
    dates as day numbers with a date style."""
    from core.uploads import DEFAULT_LIMITS

    strings: dict[str, int] = {}
    epoch = dt.date(1899, 12, 30)

    def cell(ref: str, value: object) -> str:
        if isinstance(value, bool):
            return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, dt.date):
            return f'<c r="{ref}" s="1"><v>{(value - epoch).days}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        if value == "":
            return ""
        index = strings.setdefault(str(value), len(strings))
        return f'<c r="{ref}" t="s"><v>{index}</v></c>'

    rows = [PEOPLE_HEADER, *_people_rows(DEFAULT_LIMITS.max_cells // 9 - 2, random.Random(3))]
    lines = [
        f'<row r="{n}">'
        + "".join(cell(f"{_column_letter(c)}{n}", v) for c, v in enumerate(row, start=1))
        + "</row>"
        for n, row in enumerate(rows, start=1)
    ]
    sheet = [_HEAD + b"<sheetData>", "".join(lines).encode(), b"</sheetData></worksheet>"]
    _workbook_from_scratch(path, [("People", iter(sheet))], shared_strings=list(strings))


def _csv_line(values: list[Any], delimiter: str = ",") -> str:
    out = []
    for value in values:
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        out.append(f'"{text}"' if delimiter in text or '"' in text else text)
    return delimiter.join(out) + "\r\n"


def make_big_csv(path: Path, *, target_bytes: int = 10 * 1024 * 1024 - 4_096) -> None:
    rng = random.Random(5)
    with path.open("w", encoding="utf-8", newline="") as out:
        written = out.write(_csv_line(PEOPLE_HEADER))
        for row in _people_rows(10**7, rng):
            line = _csv_line(row)
            if written + len(line) > target_bytes:
                break
            written += out.write(line)


def make_long_field_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("employee_code,full_name,note\r\n")
        out.write("E1,Ada Lovelace,short\r\n")
        out.write('E2,Grace Hopper,"' + "x" * 200_000 + '"\r\n')


def make_cp1252_csv(path: Path, *, rows: int = 2_000) -> None:
    names = ["José Müller", "Zoë Ångström", "Łukasz Nowak", "François Dœuf", "Søren Kierkegaard"]
    lines = ["employee_code;full_name;email;hire_date;bonus\r\n"]
    for n in range(rows):
        name = names[n % len(names)].replace("Ł", "L")  # Ł is not in Windows-1252
        lines.append(f"E{n:05d};{name};p{n}@example.com;05/03/2021;€ {n},50\r\n")
    path.write_bytes("".join(lines).encode("cp1252"))


@dataclass
class Case:
    name: str
    filename: str
    make: Callable[[Path], None]
    limits: dict[str, Any] = field(default_factory=dict)
    note: str = ""


CASES = [
    Case("huge_dimension", "dimension.xlsx", make_huge_dimension, note="declares A1:XFD1048576"),
    Case("blank_rows", "blank_rows.xlsx", make_blank_rows, note="~0.9 MB of formatted blank rows"),
    Case("formulas", "formulas.xlsx", make_formulas, note="2 rows x 16,000 formulas"),
    Case(
        "formulas_wide_cap",
        "formulas.xlsx",
        make_formulas,
        limits={"max_columns": 16_384},
        note="same file, columns capped at Excel's 16,384",
    ),
    Case("zip_bomb", "bomb.xlsx", make_zip_bomb, note="400 MB of sheet XML"),
    Case("one_wide_row", "wide_row.xlsx", make_one_wide_row, note="1 row x 1.7 M cells"),
    Case("formatting_flood", "flood.xlsx", make_formatting_flood, note="3 M formatted cells"),
    Case("row_flood", "row_flood.xlsx", make_row_flood, note="40 sheets x 50,000 rows"),
    Case("big_csv", "people_10mb.csv", make_big_csv, note="10 MB of people rows"),
    Case("long_field_csv", "long_field.csv", make_long_field_csv, note="one 200 KB field"),
    Case("cp1252_csv", "people_cp1252.csv", make_cp1252_csv, note="Windows-1252, semicolons"),
    Case("normal_5000", "people_5000.xlsx", make_normal_workbook, note="5,000 rows x 10"),
    Case("cell_cap", "people_at_cap.xlsx", make_cell_cap_workbook, note="just under max_cells"),
    Case(
        "cell_cap_excel_style",
        "people_at_cap_shared.xlsx",
        make_excel_style_at_cap,
        note="the same, text in Excel's shared table",
    ),
]


# --- measuring -----------------------------------------------------------------


def _child(path: str, limits_json: str) -> None:
    """Runs in the fresh process: read once, print one JSON line."""
    from core.errors import ValidationError
    from core.uploads import UploadLimits, read_upload

    data = Path(path).read_bytes()
    limits = UploadLimits(**json.loads(limits_json)) if limits_json else None
    started = time.perf_counter()
    try:
        parsed = read_upload(data, Path(path).name, limits=limits)
        seconds = time.perf_counter() - started
        outcome = (
            f"accepted: {len(parsed.sheets)} sheet(s), "
            f"{sum(len(s.rows) for s in parsed.sheets):,} data rows, "
            f"{len(parsed.formulas):,} formula cells"
        )
    except ValidationError as refused:
        seconds = time.perf_counter() - started
        outcome = f"refused: {refused.message}"
    print(json.dumps({"outcome": outcome, "seconds": seconds}))


def _run_child(arguments: list[str]) -> tuple[dict[str, Any], float, float, float]:
    """(the child's JSON, its whole wall time, its CPU seconds, its peak RSS in MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603  (our interpreter, our module)
        [sys.executable, "-m", "seed.bench_uploads", *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"child failed ({process.returncode}): {output}")
    # ru_maxrss is in kilobytes on Linux.
    return (
        json.loads(output.strip().splitlines()[-1]),
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
    )


def _baseline() -> tuple[float, float]:
    """CPU seconds and peak MB of a child that only imports the reader."""
    _, _, cpu, peak = _run_child(["--import-only"])
    return cpu, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--child", nargs=2, metavar=("FILE", "LIMITS_JSON"), help=argparse.SUPPRESS)
    parser.add_argument("--import-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.import_only:
        import core.uploads  # noqa: F401

        print(json.dumps({}))
        return 0
    if args.child:
        _child(*args.child)
        return 0

    wanted = {n for n in args.only.split(",") if n}
    cases = [c for c in CASES if not wanted or c.name in wanted]
    with tempfile.TemporaryDirectory(prefix="stride-uploads-") as scratch:
        folder = args.workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        base_cpu, base_mb = _baseline()
        print(
            f"A child that only imports core.uploads: {base_cpu:.2f} CPU s, {base_mb:.0f} MB RSS; "
            f"runs per case: {args.runs}; load average at start: {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} CPUs"
        )
        print()
        print("| case | file | outcome | read s (median) | child CPU s | peak RSS MB |")
        print("|---|---|---|---:|---:|---:|")
        over_budget = []
        for case in cases:
            path = folder / case.filename
            if not path.exists():
                case.make(path)
            results = [
                _run_child(["--child", str(path), json.dumps(case.limits)])
                for _ in range(args.runs)
            ]
            outcomes = {r[0]["outcome"] for r in results}
            seconds = statistics.median(r[0]["seconds"] for r in results)
            cpu = statistics.median(r[2] for r in results)
            peak = max(r[3] for r in results)
            size = path.stat().st_size
            label = f"{case.name}" + (f" ({case.note})" if case.note else "")
            outcome = " / ".join(sorted(outcomes))
            print(
                f"| {label} | {size / 1024:,.0f} KB | {outcome} | {seconds:.2f} | {cpu:.2f} "
                f"| {peak:.0f} |",
                flush=True,
            )
            if seconds > BUDGET_SECONDS or peak > BUDGET_MB:
                over_budget.append(case.name)
        print()
        print(f"Load average at the end: {os.getloadavg()[0]:.1f}")
        if over_budget:
            print("Over the budget (5 s, 300 MB): " + ", ".join(over_budget))
            return 1
        print(f"Every case within {BUDGET_SECONDS:g} s and {BUDGET_MB:g} MB.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
