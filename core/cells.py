"""Cell values as importers and grids need them, on plain values (no I/O).

One set of rules for every importer, so that "TRUE", 1 and "yes" mean the
same in a goal file, a competency workbook and a people CSV:

- `as_text`: text with control characters stripped and the ends trimmed;
  whole floats without ".0", booleans as TRUE/FALSE, dates in ISO form.
- `as_bool`: true/yes/y/1/x and false/no/n/0 in any case, real booleans and
  the numbers 0 and 1; blank gives `default`, anything else None.
- `as_int`: whole numbers only (5, 5.0, "5", " -12 ", "5.0"); None otherwise.
- `as_date`: always a `datetime.date` (a datetime loses its time of day),
  from dates, ISO text, Excel serial numbers and day-first forms such as
  05/03/2024, 5.3.2024 or 5 Mar 2024. Blank gives None; anything that is not
  a date raises ValueError, which importers turn into a row error.

Day-first only: 03/04/2024 is 3 April. Month-first text is refused rather
than guessed, because guessing per row would mix the two in one file.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from openpyxl.utils.datetime import from_excel

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CARRIAGE_RETURNS = re.compile(r"\r\n?")

# Excel serial day numbers Excel itself can show as dates (1900-01-01 to 9999-12-31).
_FIRST_SERIAL = 1
_LAST_SERIAL = 2_958_465

_TRUE = frozenset({"true", "yes", "y", "1", "x"})
_FALSE = frozenset({"false", "no", "n", "0"})

_WHOLE = re.compile(r"[+-]?\d{1,15}(?:\.0*)?")
_TIME_SUFFIX = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DAY_FIRST = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})" + _TIME_SUFFIX)
_YEAR_FIRST = re.compile(r"(\d{4})[./](\d{1,2})[./](\d{1,2})" + _TIME_SUFFIX)
_MONTH_NAME = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4})" + _TIME_SUFFIX)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}


def strip_control(text: str) -> str:
    """Text without control characters, keeping line breaks and tabs.

    Windows and old Mac line endings become plain line breaks first, so a
    CR LF does not leave a stray character behind and a lone CR still breaks
    the line. C1 controls (U+0080–U+009F) go too: no legitimate text holds
    them, and a workbook cannot store most of them."""
    if "\r" in text:
        text = _CARRIAGE_RETURNS.sub("\n", text)
    return _CONTROL.sub("", text)


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    try:
        # pandas' NaT and NA (from grid edits) are not equal to themselves.
        return bool(value != value)
    except TypeError:  # pd.NA refuses to be a bool
        return True


def as_text(value: Any) -> str:
    """The text of a cell as Stride stores it; "" for a blank cell."""
    if _blank(value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return strip_control(str(value)).strip()


def as_bool(value: Any, *, default: bool | None = None) -> bool | None:
    """True, False, `default` for a blank cell, or None for anything else."""
    if isinstance(value, bool):
        return value
    if _blank(value):
        return default
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = as_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def as_int(value: Any) -> int | None:
    """A whole number, or None (blank, fractional, not a number, or a bool)."""
    if isinstance(value, bool) or _blank(value):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = as_text(value)
    # Bounded length: int() of a huge digit string is slow and can raise.
    if not _WHOLE.fullmatch(text):
        return None
    return int(float(text)) if "." in text else int(text)


def as_date(value: Any) -> date | None:
    """A date, or None for a blank cell; ValueError when it is not a date.

    Always `date`, never `datetime`: importers store calendar days (due
    dates, hire dates), and a datetime slipping through compares unequal to
    the same day and breaks date columns on PostgreSQL."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a date")
    if isinstance(value, int | float):
        return _from_serial(float(value))
    if not isinstance(value, str):
        raise ValueError(f"not a date: {type(value).__name__}")
    return _from_text(strip_control(value).strip())


def _from_serial(serial: float) -> date:
    if not _FIRST_SERIAL <= serial <= _LAST_SERIAL:
        raise ValueError(f"{serial} is not an Excel date serial number")
    converted = from_excel(serial)
    if not isinstance(converted, datetime):
        raise ValueError(f"{serial} is not an Excel date serial number")
    return converted.date()


def _from_text(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day)
    if match := _YEAR_FIRST.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
        return date(year, month, day)
    if match := _MONTH_NAME.fullmatch(text):
        month_number = _MONTHS.get(match.group(2).lower())
        if month_number is not None:
            return date(int(match.group(3)), month_number, int(match.group(1)))
    raise ValueError(f"not a date: {text[:40]!r}")
