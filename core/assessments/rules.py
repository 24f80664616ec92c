"""Skills-gap arithmetic and insights: plain functions on values and DataFrames.

Vocabulary (the README repeats it for users):
- a *cell* is one person × one competency their position requires;
- *gap* = required rank − current rank (positive: short of the role; 0 or
  negative: meets it). A cell with no assessment has an *unknown* gap — it is
  never treated as zero or as the lowest level;
- *proficient* = the current rank reaches the required rank;
- aggregates: `mean_gap` and `share_proficient` are over assessed cells,
  `share_unassessed` over all required cells.

The current level of a person in a competency comes from `pick_current`:
the latest manager rating; without one, the latest 360 rating; without one,
the latest self-assessment (shown flagged as self-assessed).

A manager's rating is *requested* (Home's to-do) when a person has assessed
themselves in a competency and no manager has rated it since
(`awaits_manager_rating`); a competency of their role is *unrated* while no
manager rating exists at all.

No I/O here: core.assessments loads the frames, the pages draw them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

# Lower wins. A manager's rating is the validated view; a 360 (a later issue)
# is several people's view; a self-assessment stands in until either exists.
SOURCE_PRIORITY: dict[str, int] = {"manager": 0, "360": 1, "self": 2}
SOURCE_LABELS: dict[str, str] = {
    "manager": "manager rating",
    "360": "360 review",
    "self": "self-assessed",
}
CURRENT_LEVEL_RULE = (
    "Current level = the latest manager rating; without one, the latest 360 rating; "
    "without one, the latest self-assessment (flagged “self-assessed”). "
    "A competency nobody has assessed is unknown — never counted as zero."
)

STATUS_UNKNOWN = "unknown"
STATUS_GAP = "below"
STATUS_MEETS = "meets"
STATUS_ABOVE = "above"

SUM_COLUMNS = ["required", "assessed", "gap_sum", "proficient"]
AGGREGATE_COLUMNS = [
    "required",
    "assessed",
    "mean_gap",
    "share_proficient",
    "share_unassessed",
]


@dataclass(frozen=True)
class Rating:
    assessment_id: int
    source: str
    at: datetime
    value_id: int


def pick_current(ratings: Iterable[Rating]) -> Rating | None:
    """The rating that counts now (rule above); None when there is none.
    Unknown sources rank after self-assessments; ties on time go to the later id."""
    best: Rating | None = None
    best_key: tuple[int, datetime, int] | None = None
    for rating in ratings:
        key = (-SOURCE_PRIORITY.get(rating.source, 99), rating.at, rating.assessment_id)
        if best_key is None or key > best_key:
            best, best_key = rating, key
    return best


def awaits_manager_rating(*, self_at: datetime | None, manager_at: datetime | None) -> bool:
    """A self-assessment with no manager rating, or newer than the latest one."""
    if self_at is None:
        return False
    return manager_at is None or manager_at < self_at


def gap(required_rank: int, current_rank: int | None) -> int | None:
    return None if current_rank is None else required_rank - current_rank


def status(required_rank: int, current_rank: int | None) -> str:
    if current_rank is None:
        return STATUS_UNKNOWN
    if current_rank < required_rank:
        return STATUS_GAP
    return STATUS_MEETS if current_rank == required_rank else STATUS_ABOVE


def add_gap_columns(cells: pd.DataFrame) -> pd.DataFrame:
    """Add `gap` (Int64, <NA> when unknown), `proficient` (boolean, <NA> when
    unknown) and `status` to a frame with `required_rank` and `current_rank`."""
    out = cells.copy()
    required = out["required_rank"].astype("Int64")
    current = out["current_rank"].astype("Int64")
    out["current_rank"] = current
    out["gap"] = required - current
    out["proficient"] = (current >= required).astype("boolean")
    labels = np.select(
        [current.isna().to_numpy(), (out["gap"] > 0).fillna(False).to_numpy(bool)],
        [STATUS_UNKNOWN, STATUS_GAP],
        default="",
    )
    labels = np.where(
        labels == "", np.where((out["gap"] == 0).fillna(False), STATUS_MEETS, STATUS_ABOVE), labels
    )
    out["status"] = labels
    return out


def sums_from_cells(cells: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The plain pandas reference of the SQL aggregate: per group the number of
    required cells, assessed cells, the sum of gaps and proficient cells."""
    frame = add_gap_columns(cells) if "gap" not in cells else cells
    assessed = frame["current_rank"].notna()
    work = pd.DataFrame(
        {
            **{column: frame[column] for column in by},
            "required": 1,
            "assessed": assessed.astype(int),
            "gap_sum": frame["gap"].fillna(0).astype(int),
            "proficient": frame["proficient"].fillna(False).astype(int),
        }
    )
    if work.empty:
        return pd.DataFrame(columns=[*by, *SUM_COLUMNS])
    return work.groupby(list(by), as_index=False, sort=True)[SUM_COLUMNS].sum()


def finish_aggregates(sums: pd.DataFrame) -> pd.DataFrame:
    """Means and shares from summed counts (also after rolling sums up)."""
    out = sums.copy()
    for column in SUM_COLUMNS:
        out[column] = out[column].astype(int)
    assessed = out["assessed"].where(out["assessed"] > 0)
    out["mean_gap"] = (out["gap_sum"] / assessed).astype(float)
    out["share_proficient"] = (out["proficient"] / assessed).astype(float)
    out["share_unassessed"] = ((out["required"] - out["assessed"]) / out["required"]).astype(float)
    return out


def aggregate_cells(cells: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    return finish_aggregates(sums_from_cells(cells, by))


def rollup(sums: pd.DataFrame, *, key: str, mapping: Mapping[int, int | None]) -> pd.DataFrame:
    """Re-group summed counts by `mapping[key]` (e.g. team → division); rows
    whose key maps to None drop out."""
    out = sums.copy()
    out[key] = out[key].map(dict(mapping))
    out = out.dropna(subset=[key])
    out[key] = out[key].astype(int)
    others = [c for c in out.columns if c not in SUM_COLUMNS]
    return out.groupby(others, as_index=False, sort=True)[SUM_COLUMNS].sum()


def unit_groups(parents: Mapping[int, int | None], root_id: int) -> dict[int, int]:
    """Each unit in `root_id`'s subtree → the child of the root it lies under
    (the root itself for the root). Units outside the subtree are left out."""
    groups: dict[int, int] = {}
    for unit_id in parents:
        chain = [unit_id]
        seen = {unit_id}
        current = parents.get(unit_id)
        while current is not None and current not in seen and chain[-1] != root_id:
            chain.append(current)
            seen.add(current)
            current = parents.get(current)
        if chain[-1] != root_id:
            continue
        groups[unit_id] = chain[-2] if len(chain) >= 2 else root_id
    return groups


def page_count(rows: int, columns: int, *, max_marks: int) -> tuple[int, int]:
    """(rows per page, pages) so that rows × columns stays within `max_marks`."""
    per_page = max(1, max_marks // max(columns, 1))
    return per_page, max(1, -(-rows // per_page))


# --- insights --------------------------------------------------------------


def non_differentiating(
    counts: pd.DataFrame, *, threshold: float = 0.8, min_assessed: int = 5
) -> pd.DataFrame:
    """Per competency, from counts of assessed people per level (`competency_id`,
    `current_rank`, `n`): the most common level's share and the spread. Where at
    least `threshold` of assessed people sit on the same level the competency
    does not tell people apart (`differentiates=False`)."""
    columns = [
        "competency_id",
        "assessed",
        "modal_rank",
        "modal_share",
        "std_rank",
        "differentiates",
    ]
    counts = counts[counts["n"] > 0]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    work = counts.assign(
        weighted=counts["current_rank"] * counts["n"],
        squared=counts["current_rank"] ** 2 * counts["n"],
    )
    totals = work.groupby("competency_id")[["n", "weighted", "squared"]].sum()
    mean = totals["weighted"] / totals["n"]
    variance = (totals["squared"] / totals["n"] - mean**2).clip(lower=0)
    modal = work.sort_values(
        ["competency_id", "n", "current_rank"], ascending=[True, False, True]
    ).drop_duplicates("competency_id")
    modal = modal.set_index("competency_id")
    out = pd.DataFrame({"assessed": totals["n"].astype(int)})
    out["modal_rank"] = modal["current_rank"].astype(int)
    out["modal_share"] = modal["n"] / out["assessed"]
    out["std_rank"] = np.sqrt(variance)
    out = out[out["assessed"] >= min_assessed].copy()
    out["differentiates"] = out["modal_share"] < threshold
    return (
        out.reset_index()
        .sort_values(["modal_share", "competency_id"], ascending=[False, True])
        .reset_index(drop=True)[columns]
    )


def mastery_by_person(levels: pd.DataFrame) -> pd.Series:
    """Mean normalised level per person: (rank − 1) / (max rank − 1) in 0..1,
    over their assessed competencies (`person_id`, `current_rank`, `max_rank`)."""
    span = (levels["max_rank"] - 1).where(levels["max_rank"] > 1)
    share = (levels["current_rank"] - 1) / span
    return share.groupby(levels["person_id"]).mean().dropna().rename("mastery")


@dataclass(frozen=True)
class ExperienceMastery:
    correlation: float | None  # Pearson r; None under 3 people or no spread
    people: int
    bins: pd.DataFrame  # years bucket → people, mean mastery (what the chart draws)


def _varies(values: pd.Series) -> bool:
    # Not std() > 0: equal floats can give a std of 1e-17 and a "correlation"
    # of rounding noise; a spread this small means nothing here.
    return float(values.max() - values.min()) > 1e-9


def experience_vs_mastery(people: pd.DataFrame, *, bin_years: float = 2.0) -> ExperienceMastery:
    """`people` has `years_experience` and `mastery` (either may be missing)."""
    data = people.dropna(subset=["years_experience", "mastery"])
    correlation: float | None = None
    if len(data) >= 3 and _varies(data["years_experience"]) and _varies(data["mastery"]):
        correlation = float(np.corrcoef(data["years_experience"], data["mastery"])[0, 1])
    if data.empty:
        bins = pd.DataFrame(columns=["years_from", "years_to", "people", "mean_mastery"])
    else:
        start = np.floor(data["years_experience"] / bin_years) * bin_years
        bins = (
            data.assign(years_from=start)
            .groupby("years_from", as_index=False)
            .agg(people=("mastery", "size"), mean_mastery=("mastery", "mean"))
        )
        bins.insert(1, "years_to", bins["years_from"] + bin_years)
    return ExperienceMastery(correlation=correlation, people=len(data), bins=bins)


def hidden_expertise(cells: pd.DataFrame, *, min_margin: int = 1) -> pd.DataFrame:
    """Cells where someone is at least `min_margin` levels above what their
    role requires, with how many others (`learners`) fall short in the same
    competency — people they could mentor. Most learners first."""
    frame = add_gap_columns(cells) if "gap" not in cells else cells
    learners = frame[frame["gap"].fillna(0) > 0].groupby("competency_id").size().rename("learners")
    experts = frame[(-frame["gap"]).fillna(-1) >= min_margin].copy()
    experts["margin"] = (-experts["gap"]).astype(int)
    experts["learners"] = experts["competency_id"].map(learners).fillna(0).astype(int)
    return experts.sort_values(
        ["learners", "margin", "person_id"], ascending=[False, False, True]
    ).reset_index(drop=True)


def role_fit(requirements: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    """Rank people for a position. `requirements`: competency_id, required_rank,
    critical; `levels`: person_id, competency_id, current_rank (assessed only).

    Fit = weighted share of the requirement reached, where each competency
    scores min(current, required) / required (unknown scores 0) and critical
    competencies weigh double. Also the number met and critical ones missing."""
    columns = ["person_id", "fit", "met", "required", "critical_missing", "unknown"]
    if requirements.empty or levels.empty:
        return pd.DataFrame(columns=columns)
    req = requirements[["competency_id", "required_rank", "critical"]].copy()
    req["weight"] = np.where(req["critical"].astype(bool), 2.0, 1.0)
    people = pd.DataFrame({"person_id": levels["person_id"].unique()})
    grid = people.merge(req, how="cross").merge(
        levels[["person_id", "competency_id", "current_rank"]],
        on=["person_id", "competency_id"],
        how="left",
    )
    current = grid["current_rank"].astype(float)
    reached = (np.minimum(current, grid["required_rank"]) / grid["required_rank"]).fillna(0.0)
    grid["score"] = reached * grid["weight"]
    grid["met"] = (current >= grid["required_rank"]).astype(int)
    grid["critical_missing"] = (grid["critical"].astype(bool) & (grid["met"] == 0)).astype(int)
    grid["unknown"] = current.isna().astype(int)
    total_weight = float(req["weight"].sum())
    out = grid.groupby("person_id", as_index=False).agg(
        score=("score", "sum"),
        met=("met", "sum"),
        critical_missing=("critical_missing", "sum"),
        unknown=("unknown", "sum"),
    )
    out["fit"] = out["score"] / total_weight
    out["required"] = len(req)
    return out.sort_values(["fit", "person_id"], ascending=[False, True]).reset_index(drop=True)[
        columns
    ]
