"""The page an invitation link opens: no sign-in; shows only the person's
name and lets them choose their password."""

import streamlit as st

from app_pages import _auth, _ui
from core.auth import MIN_PASSWORD_LENGTH
from core.people.invitations import accept_invitation, get_invitation
from core.runtime import unit_of_work

st.title("Welcome to Stride", anchor=False)
token = str(st.query_params.get("invite", ""))
invitation = None
with _ui.shown_errors(stop=True), unit_of_work() as session:
    invitation = get_invitation(session, token=token)

_sso_settings, password_sign_in = _auth.sign_in_methods()
if not password_sign_in:
    # Passwords are off: a password set here could never be used.
    st.markdown(f"Hello **{_ui.md(invitation.full_name)}**.")
    st.info(
        "Your organisation signs in with single sign-on: on the sign-in page, "
        "choose the single sign-on button and use your work account."
    )
    if st.button("Go to sign-in", type="primary"):
        st.query_params.clear()
        st.rerun()
    st.stop()

st.markdown(f"Hello **{_ui.md(invitation.full_name)}**. Choose a password to sign in.")
st.caption(f"Your username is {_ui.md(invitation.username)}.")
with st.form("accept_invitation_form"):
    password = st.text_input(
        "New password",
        type="password",
        key="accept_invitation_password",
        help=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )
    again = st.text_input("The same password again", type="password", key="accept_invitation_again")
    submitted = st.form_submit_button("Set password", type="primary")
if submitted:
    if password != again:
        st.error("The two passwords differ.")
        st.stop()
    username = None
    with _ui.shown_errors(), unit_of_work() as session:
        username = accept_invitation(session, token=token, password=password)
    if username is not None:
        _auth.notice_on_sign_in(f"Your password is set. Sign in as {username}.")
        st.query_params.clear()
        st.rerun()
