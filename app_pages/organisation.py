"""Organisation (HR): org units as a tree, job families and positions, in grids."""

from collections.abc import Callable
from typing import Any

import streamlit as st

from app_pages import _auth, _ui
from core.organisation import (
    get_families_grid,
    get_positions_grid,
    get_units_grid,
    save_families_grid,
    save_positions_grid,
    save_units_grid,
)
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Organisation", anchor=False)
_ui.show_flash()
units_tab, families_tab, positions_tab = st.tabs(["Units", "Job families", "Positions"])

with _ui.shown_errors(stop=True), unit_of_work() as session:
    units = get_units_grid(session=session, actor=actor)
    families = get_families_grid(session=session, actor=actor)
    positions = get_positions_grid(session=session, actor=actor)

SAVE_NOTE = "Nothing is saved until you press Save; a save is all or nothing."


def organisation_grid(
    name: str,
    grid: Any,
    save: Callable[..., Any],
    *,
    counted: str,
    file_name: str,
    sheet_name: str,
    column_config: dict[str, Any],
) -> None:
    """One of the three grids: the frame shown is kept so the save can check
    versions against it, and the same rows download as Excel."""
    shown = st.session_state.setdefault(f"organisation_{name}_shown", grid.frame)
    _ui.grid_editor(
        f"organisation_{name}",
        shown,
        lambda session, changes: save(session=session, actor=actor, shown=shown, changes=changes),
        num_rows="dynamic",
        width="stretch",
        disabled=["id", counted, "version"],
        column_config={"id": None, "version": None, **column_config},
    )
    _ui.excel_download(
        grid.frame.drop(columns=["id", "version"]),
        file_name=file_name,
        sheet_name=sheet_name,
        key=f"organisation_{name}_download",
    )


with units_tab:
    st.caption(
        "The unit tree: pick each unit's parent by its code (a unit added here can be "
        "chosen as a parent once saved). Untick “active” to close a unit "
        "(its people and goals stay; nobody new is placed there). Only a unit without people, "
        f"sub-units or goals can be deleted. {SAVE_NOTE}"
    )
    organisation_grid(
        "units",
        units,
        save_units_grid,
        counted="people",
        file_name="org-units.xlsx",
        sheet_name="Units",
        column_config={
            "code": st.column_config.TextColumn("code", required=True, max_chars=40),
            "name": st.column_config.TextColumn("name", required=True, max_chars=200),
            "kind": st.column_config.SelectboxColumn(
                "kind", options=units.options["kind"], required=True, default="team"
            ),
            "parent": st.column_config.SelectboxColumn(
                "parent", options=units.options["parent"], help="Empty for the top unit"
            ),
            "active": st.column_config.CheckboxColumn("active", default=True),
            "people": st.column_config.NumberColumn("people"),
        },
    )

with families_tab:
    st.caption(
        _ui.md(f"Job families group positions. Only an empty family can be deleted. {SAVE_NOTE}")
    )
    organisation_grid(
        "families",
        families,
        save_families_grid,
        counted="positions",
        file_name="job-families.xlsx",
        sheet_name="Job families",
        column_config={
            "name": st.column_config.TextColumn("name", required=True, max_chars=120),
            "positions": st.column_config.NumberColumn("positions"),
        },
    )

with positions_tab:
    st.caption(
        "Positions are the roles people hold, each in a job family. Untick “active” to stop "
        "offering one (people who hold it keep it). Only a position nobody holds and no role "
        f"map names can be deleted. {SAVE_NOTE}"
    )
    organisation_grid(
        "positions",
        positions,
        save_positions_grid,
        counted="people",
        file_name="positions.xlsx",
        sheet_name="Positions",
        column_config={
            "code": st.column_config.TextColumn("code", required=True, max_chars=40),
            "title": st.column_config.TextColumn("title", required=True, max_chars=200),
            "family": st.column_config.SelectboxColumn(
                "job family", options=positions.options["family"], required=True
            ),
            "grade": st.column_config.NumberColumn(
                "grade", min_value=1, max_value=20, step=1, default=1
            ),
            "active": st.column_config.CheckboxColumn("active", default=True),
            "people": st.column_config.NumberColumn("people"),
        },
    )
