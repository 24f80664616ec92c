"""The skills-gap heatmaps as people read them: complete grids (every row ×
every competency, each cell assessed, not assessed or not required), the
grid as a table, and the Excel sheets shaped like the screen (readable
headers, rounded values). Pure pandas, no I/O."""

from __future__ import annotations

import textwrap

import pandas as pd

NOT_ASSESSED = "not assessed"
NOT_REQUIRED = "not required"
ASSESSED = "assessed"
CELL_STATES = (ASSESSED, NOT_ASSESSED, NOT_REQUIRED)
# In a table: a cell the role does not need is a dash, never "None".
NOT_REQUIRED_TEXT = "—"
NOT_ASSESSED_TEXT = "?"
LABEL_WRAP = 14  # characters per line of a column label


def competency_order(frame: pd.DataFrame) -> list[str]:
    return frame.drop_duplicates("competency").sort_values("column_order")["competency"].tolist()


def wrapped_labels(names: list[str], width: int = LABEL_WRAP) -> dict[str, list[str]]:
    """Each name as lines of at most `width` characters (a longer word keeps
    its own line), for axis labels that are shown whole."""
    return {
        name: textwrap.wrap(name, width=width, break_long_words=False) or [name] for name in names
    }


def signed(value: float | None, digits: int = 1) -> str:
    """A gap as text: "+1", "-0.3", "0"; "" when unknown."""
    if value is None or pd.isna(value):
        return ""
    rounded = round(float(value), digits)
    if rounded == 0:
        return "0"
    text = f"{abs(rounded):.{digits}f}".rstrip("0").rstrip(".")
    return ("+" if rounded > 0 else "-") + text


def _complete(frame: pd.DataFrame, *, row: str, value: str, rows: list[str]) -> pd.DataFrame:
    """Every row × competency; the state of each cell from `value`."""
    order = competency_order(frame)
    grid = pd.MultiIndex.from_product([rows, order], names=[row, "competency"]).to_frame(
        index=False
    )
    out = grid.merge(frame, on=[row, "competency"], how="left", indicator=True)
    known = out[value].astype("Float64").notna()
    out["state"] = NOT_REQUIRED
    out.loc[(out["_merge"] == "both") & ~known, "state"] = NOT_ASSESSED
    out.loc[(out["_merge"] == "both") & known, "state"] = ASSESSED
    out[value] = out[value].astype("Float64").astype(float)
    return out.drop(columns=["_merge"])


def team_chart_frame(cells: pd.DataFrame) -> pd.DataFrame:
    """Person × competency, every combination, with `state` and `gap_text`."""
    rows = list(dict.fromkeys(cells["person"]))
    out = _complete(cells, row="person", value="gap", rows=rows)
    out["gap_text"] = out["gap"].map(lambda g: signed(g, 0))
    out.loc[out["state"] == NOT_ASSESSED, "gap_text"] = NOT_ASSESSED_TEXT
    out.loc[out["state"] == NOT_REQUIRED, "gap_text"] = NOT_REQUIRED_TEXT
    for column in ("framework", "required_level", "current_level", "source", "status"):
        out[column] = out[column].astype("string").fillna("")
    out["critical"] = out["critical"].map({True: "yes", False: "no"}).fillna("")
    return out


def org_chart_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Row × competency, every combination, with `state` and `gap_text`."""
    rows = sorted(frame["row"].astype(str).unique())
    data = frame.assign(row=frame["row"].astype(str))
    out = _complete(data, row="row", value="mean_gap", rows=rows)
    out["gap_text"] = out["mean_gap"].map(signed)
    out.loc[out["state"] == NOT_ASSESSED, "gap_text"] = NOT_ASSESSED_TEXT
    out.loc[out["state"] == NOT_REQUIRED, "gap_text"] = NOT_REQUIRED_TEXT
    out["framework"] = out["framework"].astype("string").fillna("")
    for column in ("required", "assessed"):
        out[column] = out[column].astype("Float64").fillna(0).astype(int)
    return out


def team_grid(cells: pd.DataFrame) -> pd.DataFrame:
    """The team heatmap as a table: one row per person, one column per
    competency, "current level (gap)"; "?" not assessed, "—" not required."""
    data = team_chart_frame(cells)
    data["cell"] = data["current_level"] + data["gap"].map(
        lambda g: "" if pd.isna(g) else f" ({signed(g, 0)})"
    )
    data.loc[data["state"] == NOT_ASSESSED, "cell"] = NOT_ASSESSED_TEXT
    data.loc[data["state"] == NOT_REQUIRED, "cell"] = NOT_REQUIRED_TEXT
    return _pivot(data, row="person", order=competency_order(cells), title="Person")


def org_grid(
    frame: pd.DataFrame, *, row_title: str, chart_frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The organisation heatmap as a table: mean gap to one decimal,
    "?" where nobody is assessed, "—" where no role needs the competency
    (`chart_frame`: org_chart_frame(frame), when the caller has it already)."""
    data = org_chart_frame(frame) if chart_frame is None else chart_frame
    data = data.assign(cell=data["gap_text"])
    return _pivot(data, row="row", order=competency_order(frame), title=row_title)


def _pivot(data: pd.DataFrame, *, row: str, order: list[str], title: str) -> pd.DataFrame:
    rows = list(dict.fromkeys(data[row]))
    table = data.pivot_table(
        index=row, columns="competency", values="cell", aggfunc="first", sort=False
    )
    table = table.reindex(index=rows, columns=order).fillna(NOT_REQUIRED_TEXT)
    table.columns.name = None
    return table.rename_axis(title).reset_index()


def team_details(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per required cell, readable headers, no ids."""
    gap = cells["gap"].astype("Float64")
    return pd.DataFrame(
        {
            "Person": cells["person"],
            "Competency": cells["competency"],
            "Framework": cells["framework"],
            "Critical": cells["critical"].map({True: "yes", False: "no"}),
            "Required level": cells["required_level"],
            "Current level": cells["current_level"].where(gap.notna(), NOT_ASSESSED),
            "From": cells["source"].astype("string").fillna(""),
            "Gap (levels short)": gap.round(0).astype("Int64"),
            "Status": cells["status"],
        }
    ).reset_index(drop=True)


def org_details(frame: pd.DataFrame, *, row_title: str) -> pd.DataFrame:
    """One row per row × competency, readable headers, rounded values."""
    return pd.DataFrame(
        {
            row_title: frame["row"],
            "Competency": frame["competency"],
            "Framework": frame["framework"],
            "People required": frame["required"].astype("Int64"),
            "Assessed": frame["assessed"].astype("Int64"),
            "Mean gap (levels short)": frame["mean_gap"].astype("Float64").round(1),
            "Proficient (%)": (frame["share_proficient"].astype("Float64") * 100).round(0),
            "Not assessed (%)": (frame["share_unassessed"].astype("Float64") * 100).round(0),
        }
    ).reset_index(drop=True)


def team_workbook_sheets(cells: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"Skills gap": team_grid(cells), "Details": team_details(cells)}


def org_workbook_sheets(frame: pd.DataFrame, *, row_title: str) -> dict[str, pd.DataFrame]:
    return {
        "Skills gap": org_grid(frame, row_title=row_title),
        "Details": org_details(frame, row_title=row_title),
    }


def label_own_unit(frame: pd.DataFrame, *, unit_id: int | None, unit_name: str) -> pd.DataFrame:
    """People placed directly in the chosen unit form a row of its own beside
    its sub-units: name it so it does not read as the unit's total."""
    if unit_id is None or frame.empty:
        return frame
    own = frame["row_id"] == unit_id
    if not own.any():
        return frame
    out = frame.copy()
    out["row"] = out["row"].astype(object)
    out.loc[own, "row"] = f"{unit_name} (people directly in it)"
    return out
