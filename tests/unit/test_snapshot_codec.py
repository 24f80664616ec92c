"""Stored snapshots read back exactly what was written, and anything else is
refused with SnapshotError (the caller then computes)."""

from __future__ import annotations

import math
import zlib
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from core.goals.numbers import _GoalRow, _MeasuredCycle, decode_cycle, encode_cycle
from core.goals.read_models import KeyResultView
from core.health.queries import ProgrammeHealth, decode_health, encode_health
from core.snapshots import (
    SnapshotError,
    code_fingerprint,
    decode_frame,
    encode_frame,
    pack,
    stamp_text,
    unpack,
)


def test_pack_round_trips_json_values_nan_included() -> None:
    value = {"a": [1, 2.5, None, "x", True], "nan": math.nan, "inf": math.inf}
    back = unpack(pack(value))
    assert back["a"] == [1, 2.5, None, "x", True]
    assert isinstance(back["a"][0], int)
    assert math.isnan(back["nan"])
    assert back["inf"] == math.inf


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"plain bytes",
        zlib.compress(b"{truncated"),
        zlib.compress(b"[1, 2]"),
        zlib.compress(b'{"format": 2, "value": 1}'),
        pack({"x": 1})[:-3],
    ],
)
def test_unpack_refuses_what_pack_did_not_write(payload: bytes) -> None:
    with pytest.raises(SnapshotError):
        unpack(payload)


def test_stamps_and_fingerprints() -> None:
    assert stamp_text(date(2026, 1, 2), 3, "x") == '["2026-01-02", 3, "x"]'
    assert code_fingerprint([__file__]) == code_fingerprint([__file__])
    assert code_fingerprint([__file__]) != code_fingerprint(["/no/such/file.py"])


def _kr(kr_id: int, goal_id: int, **changes: object) -> KeyResultView:
    values: dict[str, object] = {
        "id": kr_id,
        "goal_id": goal_id,
        "title": f"KR {kr_id} — “quoted”",
        "metric": "number",
        "start_value": 0,
        "target_value": 10.0,
        "current_value": 2.5,
        "unit": "",
        "weight": 1.0,
        "version": 3,
        "progress": 25.0,
        "decreasing": False,
        "last_confidence": None,
        "last_update_at": None,
    }
    values.update(changes)
    return KeyResultView(**values)  # type: ignore[arg-type]


def _cycle() -> _MeasuredCycle:
    at = datetime(2026, 10, 6, 13, 48, 1, 123456, tzinfo=UTC)
    goals = {
        7: _GoalRow(
            7, "Top", "company", "performance", "active", None, 1, None, 2, None, None, 1, at
        ),
        3: _GoalRow(
            3,
            "Mine",
            "individual",
            "development",
            "completed",
            9,
            None,
            7,
            2,
            date(2026, 12, 31),
            4,
            5,
            at,
        ),
        5: _GoalRow(5, "Empty", "team", "performance", "draft", None, 2, 7, 2, None, None, 2, at),
    }
    key_results = {
        3: [
            _kr(11, 3, last_confidence="at risk", last_update_at=at),
            _kr(10, 3, progress=math.nan, decreasing=True),
        ],
        7: [_kr(12, 7, start_value=1.5, current_value=3)],
    }
    return _MeasuredCycle(
        goals=goals,
        measured={3, 5, 7},
        key_results=key_results,
        own={7: 12.5, 3: None},  # 5 has no entry
        rolled={7: 12.5, 3: math.inf, 5: None},
        last_activity={7: at, 3: datetime(2026, 11, 1, tzinfo=UTC), 5: at},
    )


def test_cycle_numbers_round_trip_exactly() -> None:
    numbers = _cycle()
    back = decode_cycle(unpack(pack(encode_cycle(numbers))))
    assert list(back.goals) == [7, 3, 5]
    assert back.goals == numbers.goals
    assert list(back.key_results) == [3, 7]
    assert [kr.id for kr in back.key_results[3]] == [11, 10]
    assert back.key_results[3][0] == numbers.key_results[3][0]
    assert math.isnan(back.key_results[3][1].progress)
    assert back.key_results[7][0].start_value == 1.5
    assert isinstance(back.key_results[7][0].current_value, int)
    assert back.own == numbers.own
    assert 5 not in back.own
    assert back.rolled == numbers.rolled
    assert back.last_activity == numbers.last_activity
    assert back.goals[3].created_at.tzinfo is not None
    assert back.measured == numbers.measured


def test_cycle_numbers_that_do_not_fit_are_refused() -> None:
    encoded = encode_cycle(_cycle())
    short = dict(encoded, goals=dict(encoded["goals"], title=["Top"]))
    unknown_goal = dict(encoded, kr_goal_order=[3])
    wrong_measured = dict(encoded, measured=[1, 2, 3])
    for broken in (short, unknown_goal, wrong_measured, {"goals": {}}, [], None, "x"):
        with pytest.raises(SnapshotError):
            decode_cycle(broken)


def test_frames_round_trip_with_their_dtypes() -> None:
    frame = pd.DataFrame(
        {
            "at": [date(2026, 1, 1), date(2026, 2, 1), None],
            "measure": pd.Series(["a", None, "c"], dtype="str"),
            "share": [0.5, math.nan, 1.0],
            "hits": [1, 2, 3],
            "flag": [True, False, True],
        }
    )
    back = decode_frame(unpack(pack(encode_frame(frame))))
    pd.testing.assert_frame_equal(back, frame)
    empty = pd.DataFrame(columns=["Measure", "Unit"])
    pd.testing.assert_frame_equal(decode_frame(encode_frame(empty)), empty)


def test_frames_that_cannot_be_stored_exactly_are_refused() -> None:
    with pytest.raises(SnapshotError):
        encode_frame(pd.DataFrame({"x": [1]}, index=[5]))
    with pytest.raises(SnapshotError):
        encode_frame(pd.DataFrame({"x": pd.to_datetime(["2026-01-01"])}))
    with pytest.raises(SnapshotError):
        encode_frame(pd.DataFrame({"x": [[1, 2]]}))
    with pytest.raises(SnapshotError):
        decode_frame({"rows": 2, "columns": [["x", "int64", [1]]]})
    with pytest.raises(SnapshotError):
        decode_frame({"rows": 1, "columns": [["x", "datetime64[ns]", [1]]]})


def test_programme_health_round_trips() -> None:
    health = ProgrammeHealth(
        scope="the organisation",
        trend=pd.DataFrame(
            {
                "at": [date(2026, 7, 7)],
                "measure": pd.Series(["Shared vision"], dtype="str"),
                "share": [0.25],
                "hits": [1],
                "of": [4],
            }
        ),
        by_unit=pd.DataFrame({"Unit": pd.Series(["  Team"], dtype="str"), "People": [4]}),
        behind=pd.DataFrame(columns=["Measure", "Unit", "Share", "Counted"]),
        people=4,
    )
    back = decode_health(unpack(pack(encode_health(health))))
    assert (back.scope, back.people) == (health.scope, health.people)
    for name in ("trend", "by_unit", "behind"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(health, name))
    with pytest.raises(SnapshotError):
        decode_health({"scope": "x", "people": "4", "trend": {}, "by_unit": {}, "behind": {}})
