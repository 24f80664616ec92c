"""The page an external rater's 360 link opens: no sign-in; shows only the
subject's name and the questions. A wrong, used or expired link gets one
neutral message."""

import streamlit as st

from app_pages import _reviews_ui, _ui
from core.reviews import commands as rc
from core.reviews import queries as rq
from core.runtime import unit_of_work

DONE = "review_answer_done"

st.title("Your feedback", anchor=False)
token = str(st.query_params.get("review_token", ""))
if token and st.session_state.get(DONE) == token:
    st.success("Thank you: your answers are in. You can close this page.")
    st.stop()
form = None
with _ui.shown_errors(stop=True), unit_of_work() as session:
    form = rq.get_external_form(session, token=token)

st.markdown(f"You are asked for feedback on **{_ui.md(form.subject_name)}**.")
st.caption(
    "Your answers are anonymous: they are shown only together with those of at least two "
    "other external raters, never on their own. The link works once."
)
answers = _reviews_ui.answer_form(form, prefix="review_answer")
if answers is not None:
    sent = False
    with _ui.shown_errors(), unit_of_work() as session:
        rc.submit_external_answers(session, token=token, answers=answers)
        sent = True
    if sent:
        st.session_state[DONE] = token
        st.rerun()
