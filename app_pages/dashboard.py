"""Home: who I am, my manager and my reports."""

import streamlit as st

from app_pages import _auth, _ui
from core.people import PersonCard, get_dashboard
from core.runtime import unit_of_work

actor = _auth.current_actor()
with unit_of_work() as session:
    dashboard = get_dashboard(session=session, actor=actor)


def card(person: PersonCard) -> None:
    with st.container(border=True):
        st.markdown(f"**{_ui.md(person.full_name)}**")
        st.caption(_ui.md(f"{person.position_title or 'No position'} · {person.unit_name}"))
        st.caption(_ui.md(person.email))


st.title(f"Hello, {_ui.md(dashboard.me.full_name.split(' ')[0])}", anchor=False)
st.caption(
    _ui.md(
        f"{dashboard.role_label} · {dashboard.me.position_title or ''} · {dashboard.me.unit_name}"
    )
)

left, right = st.columns([1, 2])
with left:
    st.subheader("My manager", anchor=False)
    if dashboard.manager:
        card(dashboard.manager)
    else:
        st.caption("You don't report to anyone in Stride.")
with right:
    st.subheader(f"My reports ({len(dashboard.reports)})", anchor=False)
    if dashboard.reports:
        columns = st.columns(3)
        for index, report in enumerate(dashboard.reports):
            with columns[index % 3]:
                card(report)
    else:
        st.caption("Nobody reports to you.")
