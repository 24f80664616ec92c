"""The upload reader and the shared cell conversions, on small files made in
the test: every refusal (with its message), every cap reached with small
limits, and what the reader hands importers (headers, rows, row numbers,
formulas, values)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest

from core.cells import as_bool, as_date, as_int, as_text, strip_control

# --- shared cell conversions -----------------------------------------------------


def test_strip_control_keeps_line_breaks_and_tabs_and_normalises_carriage_returns() -> None:
    assert strip_control("a\x00b\x07c\x1bd\x7fe\x85f") == "abcdef"
    assert strip_control("line\r\nnext\rlast\tcell\n") == "line\nnext\nlast\tcell\n"
    assert strip_control("\x0b\x0c") == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (float("nan"), ""),
        (pd.NA, ""),
        (pd.NaT, ""),
        ("  spaced\x07 ", "spaced"),
        (True, "TRUE"),
        (False, "FALSE"),
        (5.0, "5"),
        (5.25, "5.25"),
        (12, "12"),
        (date(2024, 3, 5), "2024-03-05"),
        (datetime(2024, 3, 5), "2024-03-05"),
        (datetime(2024, 3, 5, 10, 30), "2024-03-05 10:30:00"),
    ],
)
def test_as_text(value: object, text: str) -> None:
    assert as_text(value) == text


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
        ("YES", True),
        (" y ", True),
        ("x", True),
        ("true", True),
        ("1", True),
        ("No", False),
        ("n", False),
        ("FALSE", False),
        ("0", False),
        ("maybe", None),
        (2, None),
        (date(2024, 1, 1), None),
    ],
)
def test_as_bool(value: object, flag: bool | None) -> None:
    assert as_bool(value) is flag


def test_as_bool_blank_gives_the_default() -> None:
    assert as_bool(None) is None
    assert as_bool("  ", default=False) is False
    assert as_bool(float("nan"), default=True) is True


@pytest.mark.parametrize(
    ("value", "whole"),
    [
        (5, 5),
        (5.0, 5),
        ("5", 5),
        (" -12 ", -12),
        ("+3", 3),
        ("7.00", 7),
        (5.5, None),
        ("5.5", None),
        ("1e3", None),
        ("1,000", None),
        ("9" * 16, None),
        (float("inf"), None),
        (float("nan"), None),
        (True, None),
        ("", None),
        (None, None),
    ],
)
def test_as_int(value: object, whole: int | None) -> None:
    assert as_int(value) == whole


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (date(2024, 3, 5), date(2024, 3, 5)),
        (datetime(2024, 3, 5, 23, 59), date(2024, 3, 5)),
        (pd.Timestamp("2024-03-05 08:00"), date(2024, 3, 5)),
        ("2024-03-05", date(2024, 3, 5)),
        (" 2024-03-05T10:30:00Z ", date(2024, 3, 5)),
        ("2024-03-05 10:30", date(2024, 3, 5)),
        ("20240305", date(2024, 3, 5)),
        ("05/03/2024", date(2024, 3, 5)),
        ("5.3.2024", date(2024, 3, 5)),
        ("05-03-2024", date(2024, 3, 5)),
        ("05/03/2024 00:00", date(2024, 3, 5)),
        ("2024/03/05", date(2024, 3, 5)),
        ("5 Mar 2024", date(2024, 3, 5)),
        ("05-Mar-2024", date(2024, 3, 5)),
        ("5 march 2024", date(2024, 3, 5)),
        ("5 Sept. 2024", date(2024, 9, 5)),
        (45356, date(2024, 3, 5)),
        (45356.75, date(2024, 3, 5)),
        (1, date(1900, 1, 1)),
    ],
)
def test_as_date(value: object, day: date) -> None:
    converted = as_date(value)
    assert converted == day
    assert type(converted) is date  # never a datetime, whatever came in


@pytest.mark.parametrize("blank", [None, "", "  ", float("nan"), pd.NaT])
def test_as_date_blank_is_none(blank: object) -> None:
    assert as_date(blank) is None


@pytest.mark.parametrize(
    "value",
    [
        "03/15/2024",  # month first: refused, not guessed
        "31/02/2024",
        "5/3/24",  # two-digit years are ambiguous
        "soon",
        "5 Foo 2024",
        True,
        0,
        1_700_000_000,  # a Unix timestamp is no Excel day number
        time(9, 30),
        timedelta(days=3),
    ],
)
def test_as_date_refuses_what_is_not_a_date(value: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - importers catch ValueError as a row error
        as_date(value)
