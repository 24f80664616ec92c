"""Times shown in the viewer's zone (core.timezones)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from core.timezones import local_time, localise, zone_label, zone_named


def test_an_unknown_or_missing_zone_is_utc() -> None:
    assert zone_label(zone_named(None)) == "UTC"
    assert zone_label(zone_named("")) == "UTC"
    assert zone_label(zone_named("Mars/Olympus")) == "UTC"
    assert zone_label(zone_named("../../etc/passwd")) == "UTC"
    assert zone_label(zone_named("Europe/Berlin")) == "Europe/Berlin"


def test_one_value_in_the_viewers_zone_without_an_offset() -> None:
    moment = datetime(2026, 12, 3, 13, 5, tzinfo=UTC)
    assert local_time(moment, zone_named("Europe/Berlin")) == "3 Dec 2026, 14:05"
    assert local_time(moment, zone_named("Asia/Tokyo")) == "3 Dec 2026, 22:05"
    # Naive values from the database are UTC.
    assert local_time(moment.replace(tzinfo=None), zone_named("UTC")) == "3 Dec 2026, 13:05"
    assert local_time(None, zone_named("UTC")) == ""
    assert "+00:00" not in local_time(moment, zone_named(None))


def test_summer_time_is_applied_per_moment() -> None:
    zone = zone_named("America/New_York")
    assert local_time(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), zone).endswith("08:00")
    assert local_time(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), zone).endswith("07:00")


def test_frame_columns_become_local_wall_clock_times() -> None:
    frame = pd.DataFrame(
        {
            "at": [datetime(2026, 12, 3, 23, 30, tzinfo=UTC), None],
            "naive": [datetime(2026, 12, 3, 23, 30), datetime(2026, 6, 1, 0, 0)],
            "text": ["a", "b"],
        }
    )
    out = localise(frame, ["at", "naive", "missing"], zone_named("Asia/Tokyo"))
    assert out["at"].iloc[0] == pd.Timestamp("2026-12-04 08:30")
    assert pd.isna(out["at"].iloc[1])
    assert out["naive"].iloc[1] == pd.Timestamp("2026-06-01 09:00")
    assert out["at"].dt.tz is None
    assert list(out["text"]) == ["a", "b"]
    assert frame["at"].iloc[0].hour == 23, "the input is left as it was"
