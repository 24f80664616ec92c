"""People: the directory, one person's record, and the org chart around them."""

import streamlit as st

from app_pages import _auth, _ui
from core.people import get_org_chart, get_person_record, list_directory, org_chart_dot
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("People", anchor=False)

search = st.text_input(
    "Search",
    key="people_search",
    placeholder="Name, e-mail, position or unit",
    label_visibility="collapsed",
)
with unit_of_work() as session:
    directory = list_directory(session=session, actor=actor, search=search)

selection = st.dataframe(
    directory,
    hide_index=True,
    column_config={"id": None, "email": st.column_config.TextColumn("e-mail")},
    on_select="rerun",
    selection_mode="single-row",
    key="people_directory",
    width="stretch",
    placeholder="—",
)
st.caption(
    _ui.md(f"{len(directory)} people shown" + (" (first 500)" if len(directory) >= 500 else ""))
)
if selection and selection.selection.rows:
    st.query_params["person"] = str(int(directory.iloc[selection.selection.rows[0]]["id"]))

raw_person = st.query_params.get("person")
person_id: int | None = None
if raw_person is not None:
    try:
        person_id = int(raw_person)
    except ValueError:
        st.error("That link does not point to a person.")

record_tab, chart_tab = st.tabs(["Record", "Org chart"])
with record_tab:
    if person_id is None:
        st.caption("Select someone in the directory to open their record.")
    else:
        shown_id: int = person_id
        record = _ui.load(
            lambda session: get_person_record(session=session, actor=actor, person_id=shown_id)
        )
        if record is not None:
            st.subheader(_ui.md(record.card.full_name), anchor=False)
            st.caption(
                _ui.md(
                    f"{record.card.position_title or 'No position'} · "
                    f"{record.card.unit_name} · {record.relation.value}"
                )
            )
            first, second, third = st.columns(3)
            first.metric("Employee code", _ui.md(record.employee_code))
            second.metric("Hire date", str(record.hire_date or "—"))
            third.metric("Years of experience", f"{record.years_experience or 0:g}")
            st.text(
                f"Manager: {record.manager_name or '—'}\n"
                f"Direct reports: {record.direct_reports}\n"
                f"E-mail: {record.card.email}\n"
                f"Status: {'active' if record.active else 'inactive'}"
            )

with chart_tab:
    depth = st.slider("Levels below", 1, 3, 2, key="people_chart_depth")
    nodes = _ui.load(
        lambda session: get_org_chart(session=session, actor=actor, root_id=person_id, depth=depth)
    )
    if nodes is not None:
        st.graphviz_chart(org_chart_dot(nodes), width="stretch")
        st.caption(_ui.md(f"{len(nodes)} people; the chart shows at most 150."))
