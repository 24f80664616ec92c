"""Surveys (everyone): answer the rollout surveys HR sent you, anonymously."""

from __future__ import annotations

import streamlit as st

from app_pages import _auth, _ui
from core.surveys import rules
from core.surveys.commands import submit_answers
from core.surveys.queries import get_survey_form, list_my_surveys
from core.surveys.rules import AnswerIn
from db.models import QuestionKind

actor = _auth.current_actor()
st.title("Surveys", anchor=False)
st.caption(
    "Short surveys from HR about how our practices work. Answers are anonymous: they are "
    "stored without your name, and results are shown only for groups of at least three answers."
)
_ui.show_flash()

mine = _ui.load(lambda session: list_my_surveys(session, actor=actor), stop=True) or []
wanted = _ui.query_id("survey")
if not mine and wanted is None:
    st.info("There is no survey for you to answer right now.", icon=":material/inbox:")
    st.stop()

choices = {s.id: s for s in mine}
if wanted is not None and wanted not in choices:
    # The form query explains: closed, or not one you were asked to answer.
    foreign = wanted
    _ui.load(lambda session: get_survey_form(session, actor=actor, survey_id=foreign))
    wanted = None
if not choices:
    st.info("There is no survey for you to answer right now.", icon=":material/inbox:")
    st.stop()
ids = list(choices)


def label(survey_id: int) -> str:
    survey = choices[survey_id]
    round_ = f" — round {survey.round}" if survey.round > 1 else ""
    return survey.title + round_ + (" (answered)" if survey.answered else "")


survey_id = st.selectbox(
    "Survey",
    ids,
    index=ids.index(wanted) if wanted in ids else 0,
    format_func=label,
    key="my_surveys_pick",
)
loaded = _ui.load(lambda session: get_survey_form(session, actor=actor, survey_id=survey_id))
if loaded is None:
    st.stop()
form = loaded
assert form is not None
if form.intro:
    st.markdown(_ui.md(form.intro))
if form.closes_on:
    st.caption(_ui.md(f"Open until {form.closes_on:%d %b %Y}."))
if form.answered:
    st.success(
        "You have answered this survey — thank you. Answers cannot be changed, as they are "
        "stored without your name.",
        icon=":material/task_alt:",
    )
    st.stop()

low, high = rules.RATING_LABELS.get(form.kind, ("1", "5"))
with st.form(f"survey_form_{form.id}"):
    given: dict[str, AnswerIn] = {}
    for question in form.questions:
        kind = QuestionKind(question.kind)
        key = f"survey_{form.id}_{question.key}"
        if kind is QuestionKind.rating:
            rating = st.radio(
                _ui.md(question.text),
                list(rules.RATING_VALUES),
                index=None,
                horizontal=True,
                key=key,
                captions=[low.split(" = ")[1], "", "", "", high.split(" = ")[1]],
            )
            given[question.key] = AnswerIn(rating=rating)
        elif kind is QuestionKind.choice:
            choice = st.radio(
                _ui.md(question.text),
                list(question.options),
                index=None,
                horizontal=True,
                key=key,
                format_func=_ui.md,
            )
            given[question.key] = AnswerIn(choice=choice)
        else:
            text = st.text_area(_ui.md(question.text), key=key, max_chars=rules.MAX_TEXT)
            given[question.key] = AnswerIn(text=text)
    sent = st.form_submit_button("Send my answers", type="primary", icon=":material/send:")
if sent:
    _ui.run_action(
        lambda session: submit_answers(session, actor=actor, survey_id=form.id, answers=given),
        success="Thank you — your answers were sent anonymously.",
    )
