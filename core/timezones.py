"""Times as the viewer reads them: in their own time zone, not "+00:00".

The database keeps UTC (naive values read back from SQLite are UTC too).
Pages pass the browser's zone name (`st.context.timezone`); an unknown or
missing one falls back to UTC, said so in the label. One helper for every
time shown: `local_time` for a single value, `localise` for table columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    import pandas as pd

TIME_FORMAT = "%-d %b %Y, %H:%M"  # 3 Dec 2026, 14:05


def zone_named(name: str | None) -> tzinfo:
    """The IANA zone the browser reports, or UTC when absent or unknown."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_label(zone: tzinfo) -> str:
    """ "Europe/Berlin", or "UTC"."""
    return getattr(zone, "key", None) or "UTC"


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_time(value: datetime | None, zone: tzinfo, *, fmt: str = TIME_FORMAT) -> str:
    """One moment as text in the viewer's zone: "3 Dec 2026, 15:05"; "" for none."""
    import pandas as pd  # late, like every pandas use here: the sign-in page imports this

    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return ""
        value = value.to_pydatetime()
    return as_utc(value).astimezone(zone).strftime(fmt)


def localise(frame: pd.DataFrame, columns: Iterable[str], zone: tzinfo) -> pd.DataFrame:
    """A copy whose datetime `columns` hold the viewer's wall-clock time
    (naive, so grids and Excel show it as is, with no "+00:00")."""
    import pandas as pd

    out = frame.copy()
    for column in columns:
        if column not in out.columns:
            continue
        values = pd.to_datetime(out[column], utc=True)
        out[column] = values.dt.tz_convert(zone).dt.tz_localize(None)
    return out
