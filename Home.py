"""Stride entrypoint: start-up, sign-in, navigation by role, shared sidebar.

Navigation is rebuilt from the signed-in person's roles on every rerun, so a
page outside the role is not registered and cannot be opened by URL.
"""

import streamlit as st

from app_pages import _auth, _ui
from core.access import Actor

st.set_page_config(page_title="Stride", page_icon="🎯", layout="wide")
_ui.start_app()
actor = _auth.require_login()


def pages_for(person: Actor) -> dict[str, list[st.Page]]:
    """The pages this person's roles open, by section."""
    me = [st.Page("app_pages/dashboard.py", title="Home", icon=":material/home:", default=True)]
    team: list[st.Page] = []
    organisation = [st.Page("app_pages/people.py", title="People", icon=":material/groups:")]
    hr: list[st.Page] = []
    # Goals and OKRs (issue 5)
    me.append(st.Page("app_pages/my_goals.py", title="My goals", icon=":material/flag:"))
    organisation.append(
        st.Page("app_pages/alignment.py", title="Alignment", icon=":material/account_tree:")
    )
    if person.is_manager:
        team.append(
            st.Page("app_pages/team_goals.py", title="Team goals", icon=":material/group_work:")
        )
    goal_report = st.Page(
        "app_pages/goal_report.py", title="Goal report", icon=":material/bar_chart:"
    )
    if person.is_manager:
        team.append(goal_report)
    elif person.is_hr_admin:
        hr.append(goal_report)
    # Competencies and role maps (issue 3)
    me.append(
        st.Page("app_pages/role_profile.py", title="My role profile", icon=":material/badge:")
    )
    if person.is_hr_admin:
        hr.append(st.Page("app_pages/frameworks.py", title="Frameworks", icon=":material/schema:"))
        hr.append(st.Page("app_pages/role_map.py", title="Role map", icon=":material/grid_on:"))
    # Skills gaps, insights and learning (issue 4)
    me.append(st.Page("app_pages/my_skills.py", title="My skills", icon=":material/psychology:"))
    me.append(st.Page("app_pages/learning.py", title="Learning", icon=":material/school:"))
    skills_gap = st.Page("app_pages/skills_gap.py", title="Skills gap", icon=":material/grid_view:")
    if person.is_hr_admin:
        hr.append(skills_gap)
        hr.append(st.Page("app_pages/insights.py", title="Insights", icon=":material/insights:"))
    elif person.is_manager:
        team.append(skills_gap)
    if person.is_hr_admin:
        hr.append(
            st.Page("app_pages/admin.py", title="Admin", icon=":material/admin_panel_settings:")
        )
    sections = {"Me": me, "My team": team, "Organisation": organisation, "HR": hr}
    return {name: pages for name, pages in sections.items() if pages}


navigation = st.navigation(pages_for(actor), expanded=True)

with st.sidebar:
    st.markdown(f"**{_ui.md(actor.full_name)}**")
    st.caption(actor.role_label)
    if st.button("Sign out", icon=":material/logout:", key="sidebar_logout"):
        _auth.logout(actor)
        st.rerun()

navigation.run()
