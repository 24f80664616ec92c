"""Stride entrypoint: start-up, sign-in, navigation by role, shared sidebar.

Navigation is rebuilt from the signed-in person's roles on every rerun, so a
page outside the role is not registered and cannot be opened by URL.
"""

import streamlit as st

from core.access import Actor
from pages import _auth, _ui

st.set_page_config(page_title="Stride", page_icon=":material/flag:", layout="wide")
_ui.start_app()
actor = _auth.require_login()


def pages_for(person: Actor) -> dict[str, list[st.Page]]:
    """The pages this person's roles open, by section."""
    me = [st.Page("pages/dashboard.py", title="Home", icon=":material/home:", default=True)]
    team: list[st.Page] = []
    organisation = [st.Page("pages/people.py", title="People", icon=":material/groups:")]
    hr: list[st.Page] = []
    # Goals and OKRs (issue 5)
    # Competencies and role maps (issue 3)
    # Skills gaps, insights and learning (issue 4)
    if person.is_hr_admin:
        hr.append(st.Page("pages/admin.py", title="Admin", icon=":material/admin_panel_settings:"))
    sections = {"Me": me, "My team": team, "Organisation": organisation, "HR": hr}
    return {name: pages for name, pages in sections.items() if pages}


navigation = st.navigation(pages_for(actor))

with st.sidebar:
    st.markdown(f"**{_ui.md(actor.full_name)}**")
    st.caption(actor.role_label)
    if st.button("Sign out", icon=":material/logout:", key="sidebar_logout"):
        _auth.logout(actor)
        st.rerun()

navigation.run()
