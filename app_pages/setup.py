"""First run: name the organisation and create its first HR admin. Home.py
shows only this page while the database has no account at all."""

import streamlit as st

from app_pages import _auth, _ui
from core.first_run import FIRST_ADMIN_MIN_PASSWORD, FirstAdmin, create_first_hr_admin
from core.runtime import unit_of_work

st.title("Set up Stride", anchor=False)
st.caption(
    "This database is empty. Name your organisation and create the first HR admin; "
    "that person then adds units, positions and people, or imports them."
)
with st.form("setup_form", border=True):
    organisation = st.text_input("Organisation", max_chars=200, key="setup_organisation")
    full_name = st.text_input("Your full name", max_chars=200, key="setup_full_name")
    username = st.text_input("Username", max_chars=80, key="setup_username")
    email = st.text_input("Work e-mail", max_chars=254, key="setup_email")
    password = st.text_input(
        "Password",
        type="password",
        key="setup_password",
        help=f"At least {FIRST_ADMIN_MIN_PASSWORD} characters.",
    )
    submitted = st.form_submit_button("Create organisation and HR admin", type="primary")

if submitted:
    created = None
    admin = FirstAdmin(
        organisation=organisation,
        full_name=full_name,
        username=username,
        email=email,
        password=password,
    )
    with _ui.shown_errors(), unit_of_work() as session:
        created = create_first_hr_admin(session, admin=admin)
    if created is not None:
        _auth.notice_on_sign_in(
            "Stride is set up. Sign in with the username and password you chose."
        )
        st.rerun()
