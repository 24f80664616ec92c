"""Gap arithmetic, the current-level rule, roll-ups and insights (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.assessments import rules as gaps

START = datetime(2026, 1, 1, tzinfo=UTC)
# pandas work per example; the machines are shared and noisy, so no deadline.
PANDAS = settings(deadline=None, max_examples=40)

ratings = st.lists(
    st.builds(
        gaps.Rating,
        assessment_id=st.integers(1, 10_000),
        source=st.sampled_from(["self", "manager", "360"]),
        at=st.integers(0, 1000).map(lambda h: START + timedelta(hours=h)),
        value_id=st.integers(1, 9),
    ),
    max_size=12,
    unique_by=lambda rating: rating.assessment_id,  # ids are primary keys
)
cells_strategy = st.lists(
    st.tuples(
        st.integers(1, 6),  # unit
        st.integers(1, 5),  # competency
        st.integers(1, 5),  # required rank
        st.one_of(st.none(), st.integers(1, 5)),  # current rank
    ),
    max_size=60,
)


def _cells(rows: list[tuple[int, int, int, int | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit", "competency_id", "required_rank", "current_rank"])


@PANDAS
@given(ratings)
def test_pick_current_prefers_manager_then_360_then_self_latest_first(
    given_ratings: list[gaps.Rating],
) -> None:
    chosen = gaps.pick_current(given_ratings)
    if not given_ratings:
        assert chosen is None
        return
    assert chosen is not None
    best_source = min(given_ratings, key=lambda r: gaps.SOURCE_PRIORITY[r.source]).source
    assert chosen.source == best_source
    same = [r for r in given_ratings if r.source == best_source]
    assert chosen.at == max(r.at for r in same)
    # Order does not matter.
    assert gaps.pick_current(list(reversed(given_ratings))) == chosen


def test_self_assessment_counts_only_without_manager_rating() -> None:
    old_manager = gaps.Rating(1, "manager", START, 1)
    new_self = gaps.Rating(2, "self", START + timedelta(days=30), 3)
    assert gaps.pick_current([old_manager, new_self]) == old_manager
    assert gaps.pick_current([new_self]) == new_self


@PANDAS
@given(st.integers(1, 6), st.one_of(st.none(), st.integers(1, 6)))
def test_scalar_gap_and_status(required: int, current: int | None) -> None:
    value = gaps.gap(required, current)
    status = gaps.status(required, current)
    if current is None:
        assert value is None
        assert status == "unknown"  # never zero
    else:
        assert value == required - current
        assert status == ("below" if value > 0 else "meets" if value == 0 else "above")


@PANDAS
@given(cells_strategy)
def test_vectorised_gap_columns_match_the_scalar_rule(
    rows: list[tuple[int, int, int, int | None]],
) -> None:
    frame = gaps.add_gap_columns(_cells(rows))
    for (_, _, required, current), (_, out) in zip(rows, frame.iterrows(), strict=True):
        expected = gaps.gap(required, current)
        assert (pd.isna(out["gap"]) and expected is None) or out["gap"] == expected
        assert out["status"] == gaps.status(required, current)
        if current is None:
            assert pd.isna(out["proficient"])
        else:
            assert bool(out["proficient"]) == (current >= required)


@PANDAS
@given(cells_strategy)
def test_aggregates_are_counts_means_and_shares(
    rows: list[tuple[int, int, int, int | None]],
) -> None:
    result = gaps.aggregate_cells(_cells(rows), ["unit", "competency_id"])
    assert result["required"].sum() == len(rows)
    assert result["assessed"].sum() == sum(1 for r in rows if r[3] is not None)
    for _, group in result.iterrows():
        members = [r for r in rows if (r[0], r[1]) == (group["unit"], group["competency_id"])]
        known = [r[2] - r[3] for r in members if r[3] is not None]
        if known:
            assert np.isclose(group["mean_gap"], sum(known) / len(known))
            assert np.isclose(group["share_proficient"], sum(g <= 0 for g in known) / len(known))
        else:
            assert pd.isna(group["mean_gap"])  # unknown, not zero
            assert pd.isna(group["share_proficient"])
        assert np.isclose(group["share_unassessed"], 1 - len(known) / len(members))


@PANDAS
@given(cells_strategy, st.dictionaries(st.integers(1, 6), st.integers(100, 102)))
def test_rollup_keeps_every_counted_cell(
    rows: list[tuple[int, int, int, int | None]], mapping: dict[int, int]
) -> None:
    sums = gaps.sums_from_cells(_cells(rows), ["unit", "competency_id"])
    rolled = gaps.rollup(sums, key="unit", mapping=mapping)
    kept = sums[sums["unit"].isin(list(mapping))]
    for column in gaps.SUM_COLUMNS:
        assert rolled[column].sum() == kept[column].sum()
    assert set(rolled["unit"]) <= set(mapping.values())


def test_unit_groups_map_each_unit_to_the_child_of_the_root() -> None:
    parents: dict[int, int | None] = {1: None, 2: 1, 3: 1, 4: 2, 5: 4, 6: 3, 7: None}
    assert gaps.unit_groups(parents, 1) == {1: 1, 2: 2, 3: 3, 4: 2, 5: 2, 6: 3}
    assert gaps.unit_groups(parents, 2) == {2: 2, 4: 4, 5: 4}
    # A cycle in the data does not hang.
    assert gaps.unit_groups({1: 2, 2: 1}, 1) == {1: 1, 2: 2}


@PANDAS
@given(st.integers(0, 20_000), st.integers(0, 200), st.integers(1, 10_000))
def test_pages_keep_charts_under_the_mark_limit(rows: int, columns: int, limit: int) -> None:
    per_page, pages = gaps.page_count(rows, columns, max_marks=limit)
    assert per_page * max(columns, 1) <= max(limit, max(columns, 1))
    assert per_page * pages >= rows
    assert pages >= 1


@PANDAS
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 5)), min_size=1, max_size=80))
def test_non_differentiating_from_counts_matches_raw_levels(
    levels: list[tuple[int, int]],
) -> None:
    raw = pd.DataFrame(levels, columns=["competency_id", "current_rank"])
    counts = raw.groupby(["competency_id", "current_rank"]).size().rename("n").reset_index()
    result = gaps.non_differentiating(counts, threshold=0.8, min_assessed=1)
    for _, row in result.iterrows():
        ranks = raw[raw["competency_id"] == row["competency_id"]]["current_rank"]
        shares = ranks.value_counts(normalize=True)
        assert np.isclose(row["modal_share"], shares.max())
        assert np.isclose(row["std_rank"], ranks.std(ddof=0))
        assert row["differentiates"] == (shares.max() < 0.8)


def test_everyone_on_one_level_does_not_differentiate() -> None:
    counts = pd.DataFrame(
        {"competency_id": [1, 1, 2, 2], "current_rank": [2, 3, 1, 3], "n": [19, 1, 5, 5]}
    )
    result = gaps.non_differentiating(counts, threshold=0.8, min_assessed=5)
    flags = dict(zip(result["competency_id"], result["differentiates"], strict=True))
    assert flags == {1: False, 2: True}


@PANDAS
@given(st.lists(st.tuples(st.floats(0, 40), st.floats(0, 1)), min_size=3, max_size=50))
# Equal masteries whose float std is 1e-17, not 0: no correlation, not noise.
@example([(0.0, 0.2041558101608732), (0.0, 0.2041558101608732), (1.0, 0.2041558101608732)])
def test_experience_correlation_is_pearson(pairs: list[tuple[float, float]]) -> None:
    people = pd.DataFrame(pairs, columns=["years_experience", "mastery"])
    result = gaps.experience_vs_mastery(people)
    assert result.people == len(pairs)
    assert result.bins["people"].sum() == len(pairs)
    if result.correlation is not None:
        assert np.isclose(result.correlation, people.corr().iloc[0, 1])
        assert -1.0000001 <= result.correlation <= 1.0000001


def test_hidden_expertise_lists_people_above_with_learners() -> None:
    cells = pd.DataFrame(
        {
            "person_id": [1, 2, 3, 4],
            "competency_id": [7, 7, 7, 8],
            "required_rank": [2, 3, 3, 1],
            "current_rank": pd.array([4, 1, 2, 3], dtype="Int64"),
        }
    )
    experts = gaps.hidden_expertise(cells)
    assert list(experts["person_id"]) == [1, 4]
    assert list(experts["learners"]) == [2, 0]
    assert list(experts["margin"]) == [2, 2]


@PANDAS
@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.booleans()), min_size=1, max_size=6, unique_by=lambda t: t
    ),
    st.lists(st.tuples(st.integers(1, 5), st.integers(0, 5), st.integers(1, 4)), max_size=30),
)
def test_role_fit_is_a_share_and_a_perfect_match_scores_one(
    required: list[tuple[int, bool]], levels: list[tuple[int, int, int]]
) -> None:
    req = pd.DataFrame(
        [(i, rank, critical) for i, (rank, critical) in enumerate(required)],
        columns=["competency_id", "required_rank", "critical"],
    )
    rows = [(p, c % len(required), r) for p, c, r in levels]
    # Person 99 meets everything exactly.
    rows += [(99, i, rank) for i, (rank, _) in enumerate(required)]
    frame = pd.DataFrame(rows, columns=["person_id", "competency_id", "current_rank"])
    frame = frame.drop_duplicates(["person_id", "competency_id"])
    fit = gaps.role_fit(req, frame)
    assert ((fit["fit"] >= 0) & (fit["fit"] <= 1 + 1e-9)).all()
    assert list(fit["fit"]) == sorted(fit["fit"], reverse=True)
    top = fit[fit["person_id"] == 99].iloc[0]
    assert np.isclose(top["fit"], 1.0)
    assert top["critical_missing"] == 0
