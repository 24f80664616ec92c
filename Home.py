"""Stride entrypoint: start-up, sign-in, navigation by role, shared sidebar.

Navigation is rebuilt from the signed-in person's capabilities (core.access)
on every rerun, so a page outside the role is not registered and cannot be
opened by URL.
"""

import streamlit as st

from app_pages import _auth, _ui
from core.access import Actor
from core.access import navigation as navigation_for

st.set_page_config(page_title="Stride", page_icon="🎯", layout="wide")
_ui.start_app()
if "invite" in st.query_params:
    # An invitation link: the one page that needs no sign-in.
    st.navigation(
        [st.Page("app_pages/accept_invitation.py", title="Welcome", icon=":material/key:")]
    ).run()
    st.stop()
if "review_token" in st.query_params:
    # An external rater's 360 link: no sign-in, only the subject's name and the questions.
    st.navigation(
        [
            st.Page(
                "app_pages/review_answer.py", title="Your feedback", icon=":material/rate_review:"
            )
        ]
    ).run()
    st.stop()
if _auth.first_run_pending():
    st.navigation(
        [st.Page("app_pages/setup.py", title="Set up Stride", icon=":material/rocket_launch:")]
    ).run()
    st.stop()
actor = _auth.require_login()
st.logo(_auth.LOGO, icon_image=_auth.ICON)


# How each page looks in the navigation; which pages a person gets, and in
# which section, is core.access's capability table.
PAGE_LOOKS: dict[str, tuple[str, str]] = {
    "dashboard": ("Home", ":material/home:"),
    "my_goals": ("My goals", ":material/flag:"),
    "role_profile": ("My role profile", ":material/badge:"),
    "my_skills": ("My skills", ":material/psychology:"),
    "learning": ("Learning", ":material/school:"),
    "feedback": ("Feedback", ":material/forum:"),
    "reviews": ("360 reviews", ":material/diversity_3:"),
    "team_goals": ("Team goals", ":material/group_work:"),
    "goal_report": ("Goal report", ":material/bar_chart:"),
    "skills_gap": ("Skills gap", ":material/grid_view:"),
    "people": ("People", ":material/groups:"),
    "alignment": ("Alignment", ":material/account_tree:"),
    "frameworks": ("Frameworks", ":material/schema:"),
    "role_map": ("Role map", ":material/grid_on:"),
    "insights": ("Insights", ":material/insights:"),
    "organisation": ("Organisation", ":material/corporate_fare:"),
    "people_import": ("Import people", ":material/upload_file:"),
    "invitations": ("Invitations", ":material/forward_to_inbox:"),
    "privacy": ("Privacy requests", ":material/shield_person:"),
    "programme_health": ("Programme health", ":material/monitor_heart:"),
    "modules": ("Modules", ":material/toggle_on:"),
    "admin": ("Admin", ":material/admin_panel_settings:"),
    "my_checkins": ("My check-ins", ":material/forum:"),
    "team_checkins": ("Team check-ins", ":material/groups_2:"),
    "checkin_adherence": ("Check-in adherence", ":material/event_available:"),
    "checkin_templates": ("Check-in templates", ":material/checklist:"),
    "my_surveys": ("Surveys", ":material/how_to_vote:"),
    "surveys": ("Rollout surveys", ":material/ballot:"),
    "experiments": ("Cadence experiments", ":material/science:"),
}


def pages_for(person: Actor) -> dict[str, list[st.Page]]:
    """The pages this person's roles open, by section."""
    return {
        section: [
            st.Page(
                f"app_pages/{page}.py",
                title=PAGE_LOOKS[page][0],
                icon=PAGE_LOOKS[page][1],
                default=page == "dashboard",
            )
            for page in pages
        ]
        for section, pages in navigation_for(person).items()
    }


navigation = st.navigation(pages_for(actor), expanded=True)

with st.sidebar:
    st.markdown(f"**{_ui.md(actor.full_name)}**")
    st.caption(actor.role_label)
    if st.button("Sign out", icon=":material/logout:", key="sidebar_logout"):
        _auth.logout(actor)
        st.rerun()

navigation.run()
