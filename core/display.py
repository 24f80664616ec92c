"""Frames as people read them in a grid: no "None", "NaN" or "<NA>" text, a
dash where there is no value, numbers rounded, yes/no for flags. Pure pandas;
for display only (an editable grid keeps its real values)."""

from __future__ import annotations

import pandas as pd

MISSING = "—"


def number_text(value: object, digits: int = 1) -> str:
    """A number rounded to `digits` (whole numbers without decimals); a dash
    when there is none."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return MISSING
    number = round(float(value), digits)  # type: ignore[arg-type]
    return f"{number:.0f}" if number == int(number) else f"{number:.{digits}f}"


def readable(frame: pd.DataFrame, *, digits: int = 1) -> pd.DataFrame:
    """A copy for display: text columns get a dash for a missing value;
    number columns are rounded, and become text with a dash only when some
    value is missing (a full number column stays numeric and sortable);
    flags read yes/no; dates without a value show a dash."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        missing = values.isna()
        kind = values.dtype.kind if hasattr(values.dtype, "kind") else "O"
        if kind == "b" or str(values.dtype) == "boolean":
            if missing.any():
                out[column] = values.map(
                    lambda v: MISSING if v is None or v is pd.NA else ("yes" if v else "no")
                )
        elif kind in "iuf" and pd.api.types.is_numeric_dtype(values):
            if missing.any():
                out[column] = values.map(lambda v: number_text(v, digits)).astype(object)
            elif kind == "f":
                out[column] = values.round(digits)
        elif kind == "M":
            # Dates as a day (no "+00:00"), a dash for none.
            out[column] = values.map(lambda v: MISSING if pd.isna(v) else f"{v:%d %b %Y}").astype(
                object
            )
        elif missing.any():
            out[column] = values.astype(object).where(~missing, MISSING)
    return out


def badges(frame: pd.DataFrame, flags: dict[str, str]) -> pd.DataFrame:
    """Flag columns (True/False) as text badges: the badge where the flag is
    set, blank where it is not — readable at a glance, unlike a greyed-out
    checkbox."""
    out = frame.copy()
    for column, badge in flags.items():
        if column in out:
            out[column] = out[column].map(lambda v, b=badge: b if v is True or v == 1 else "")
    return out


# Symbols from fonts every browser has (emoji like ⏰ show as a box in some).
FLAG_BADGES = {"at risk": "⚠ at risk", "stale": "◔ stale", "overdue": "⚠ overdue"}
