"""Role map (HR): positions against competencies, each cell a required level."""

import streamlit as st

from app_pages import _auth, _ui
from core.competencies import (
    CRITICAL_MARK,
    get_role_map_grid,
    list_frameworks,
    list_job_families,
    save_role_map,
)
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Role map", anchor=False)
_ui.show_flash()


with _ui.shown_errors(stop=True), unit_of_work() as session:
    frameworks = list_frameworks(session=session, actor=actor)
    families = list_job_families(session=session, actor=actor)
if not frameworks:
    st.info("There are no competency frameworks yet. Create or import one under Frameworks.")
    st.stop()

framework_names = dict(frameworks)
family_names = dict(families)
left, right = st.columns(2)
framework_id = left.selectbox(
    "Framework",
    options=list(framework_names),
    format_func=framework_names.__getitem__,
    key="role_map_framework",
)
family_id = right.selectbox(
    "Job family",
    options=[None, *family_names],
    format_func=lambda i: "All job families" if i is None else family_names[i],
    key="role_map_family",
)

# The grid shown is kept (with the versions it showed) until a save or a
# reload, so that a save can tell whether someone else changed a cell since.
view = (framework_id, family_id)
if st.session_state.get("role_map_view") != view:
    st.session_state["role_map_view"] = view
    _ui.forget("role_map_shown", "role_map_editor")
if "role_map_shown" not in st.session_state:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        st.session_state["role_map_shown"] = get_role_map_grid(
            session=session, actor=actor, framework_id=framework_id, job_family_id=family_id
        )
grid = st.session_state["role_map_shown"]

st.caption(
    f"Choose the level each position needs; levels marked {CRITICAL_MARK.strip()} are critical "
    "for the role. Clear a cell when a role does not need the competency. Nothing is saved "
    "until you press Save, and a save is all or nothing."
)
column_config = {
    "position_id": None,
    "position": st.column_config.TextColumn("code", disabled=True, pinned=True),
    "title": st.column_config.TextColumn("position", disabled=True, pinned=True),
    "family": st.column_config.TextColumn("job family", disabled=True),
}
for column, label in grid.labels.items():
    # Wide enough for the whole competency name (headers do not wrap) and
    # for the longest level; the name is in the header's tooltip as well.
    longest = max([len(label), *(len(str(o)) for o in grid.options[column])])
    column_config[column] = st.column_config.SelectboxColumn(
        label, options=grid.options[column], width=min(8 * longest + 40, 320), help=label
    )
_ui.grid_editor(
    "role_map",
    grid.frame,
    lambda session, changes: save_role_map(
        session=session, actor=actor, grid=grid, edited_rows=changes.edited_rows
    ),
    num_rows="fixed",
    width="stretch",
    column_config=column_config,
    disabled=["position_id", "position", "title", "family"],
)
_ui.excel_download(
    grid.frame.drop(columns=["position_id"]).rename(columns=grid.labels),
    file_name="role-map.xlsx",
    sheet_name="Role map",
    key="role_map_download",
)
