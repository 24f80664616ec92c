"""Surveys (HR): send prioritisation surveys and process pulses, read their
anonymised results by unit and over rounds."""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import _auth, _ui
from core.org import list_units
from core.surveys import excel, rules
from core.surveys.commands import (
    Audience,
    close_survey,
    create_next_round,
    create_survey,
    open_survey,
    update_survey_draft,
)
from core.surveys.queries import (
    QuestionResult,
    get_results,
    get_series_results,
    get_survey,
    list_surveys,
)
from core.surveys.rules import AudienceRole, ReportBy
from db.models import QuestionKind, SurveyKind, SurveyStatus


def show_survey(survey_id: int) -> None:
    """After the rerun, the picker opens this survey."""
    st.query_params["survey"] = str(survey_id)
    _ui.forget("surveys_pick")


actor = _auth.current_actor()
st.title("Rollout surveys", anchor=False)
st.caption(
    "Ask a chosen audience which practices matter most, or how a practice works after a "
    "trial. Answers are anonymous; a unit's results are shown only from the threshold "
    "(at least 3 answers), and the overall figure adds only the units shown."
)
_ui.show_flash()

surveys = _ui.load(lambda session: list_surveys(session, actor=actor), stop=True) or []

with st.expander("New survey", icon=":material/add:", expanded=not surveys):
    units = _ui.load(lambda session: list_units(session, active_only=True)) or []
    unit_names = dict(units)
    with st.form("survey_new"):
        kind = st.radio(
            "Kind",
            [k.value for k in SurveyKind],
            format_func=lambda k: rules.KIND_LABELS[k],
            horizontal=True,
        )
        chosen_units = st.multiselect(
            "Units (and the units below them; none: the whole organisation)",
            list(unit_names),
            format_func=lambda u: unit_names[u].strip(),
        )
        role = st.selectbox(
            "Who in them",
            [r.value for r in AudienceRole],
            format_func=lambda r: rules.AUDIENCE_ROLE_LABELS[r],
        )
        report_by = st.selectbox(
            "Show results by",
            [r.value for r in ReportBy],
            format_func=lambda r: r.capitalize(),
            help="Each person's answers are reported under their unit at this level, fixed "
            "when the survey opens.",
        )
        closes_on = st.date_input("Closes on", value=date.today() + timedelta(days=14))
        created = st.form_submit_button("Create draft from the template", type="primary")
    if created:
        _ui.run_action(
            lambda session: create_survey(
                session,
                actor=actor,
                kind=kind,
                audience=Audience(tuple(chosen_units), AudienceRole(role)),
                report_by=report_by,
                closes_on=closes_on,
            ),
            success="Draft created: check the wording, then open it.",
            then=lambda made: show_survey(made.id),
        )

if not surveys:
    st.info("No surveys yet. Create one from a template above.", icon=":material/inbox:")
    st.stop()

by_id = {s.id: s for s in surveys}
wanted = _ui.query_id("survey")
if wanted is not None and wanted not in by_id:
    st.error("That survey does not exist; showing the newest one.")
ids = list(by_id)


def survey_label(survey_id: int) -> str:
    s = by_id[survey_id]
    round_ = f", round {s.round}" if s.kind == SurveyKind.pulse.value else ""
    return f"{s.title}{round_} — {rules.STATUS_LABELS[s.status]} ({s.answered}/{s.invited})"


picked = st.selectbox(
    "Survey",
    ids,
    index=ids.index(wanted) if wanted in by_id else 0,
    format_func=survey_label,
    key="surveys_pick",
)
if picked != wanted:
    st.query_params["survey"] = str(picked)
detail = _ui.load(lambda session: get_survey(session, actor=actor, survey_id=picked), stop=True)
assert detail is not None
survey = detail.survey
st.caption(
    _ui.md(
        f"{rules.KIND_LABELS[survey.kind]} · {rules.STATUS_LABELS[survey.status]} · "
        f"to {survey.audience} · results by {survey.report_by} · threshold {survey.threshold}"
        + (f" · closes {survey.closes_on:%d %b %Y}" if survey.closes_on else "")
    )
)
if survey.status == SurveyStatus.open.value and not rules.takes_answers(
    survey.status, survey.closes_on, today=date.today()
):
    st.warning(
        _ui.md(
            f"This survey stopped taking answers after {survey.closes_on:%d %b %Y}; "
            "close it to record the final counts."
        ),
        icon=":material/event_busy:",
    )

if survey.status == SurveyStatus.draft.value:
    with st.form(f"survey_edit_{survey.id}"):
        title = st.text_input("Title", value=survey.title, max_chars=200)
        intro = st.text_area("Introduction", value=survey.intro, max_chars=rules.MAX_TEXT)
        texts = {
            q.key: st.text_input(
                f"Question {position}", value=q.text, max_chars=300, key=f"q_{survey.id}_{q.key}"
            )
            for position, q in enumerate(detail.questions, start=1)
        }
        threshold = st.number_input(
            "Anonymity threshold (answers a unit needs before it is shown)",
            min_value=rules.MIN_THRESHOLD,
            max_value=rules.MAX_THRESHOLD,
            value=survey.threshold,
        )
        closes = st.date_input("Closes on", value=survey.closes_on)
        saved = st.form_submit_button("Save draft")
    if saved:
        _ui.run_action(
            lambda session: update_survey_draft(
                session,
                actor=actor,
                survey_id=survey.id,
                version=survey.version,
                title=title,
                intro=intro,
                question_texts=texts,
                threshold=int(threshold),
                closes_on=closes if isinstance(closes, date) else None,
            ),
            success="Draft saved.",
        )
    if st.button("Open the survey and invite its audience", type="primary", icon=":material/send:"):
        _ui.run_action(
            lambda session: open_survey(
                session, actor=actor, survey_id=survey.id, version=survey.version
            ),
            success=lambda invited: f"The survey is open: {invited:,} people invited.",
        )
    st.stop()

actions = st.columns([2, 2, 3])
if survey.status == SurveyStatus.open.value and actions[0].button(
    "Close the survey", icon=":material/lock:"
):
    _ui.run_action(
        lambda session: close_survey(
            session, actor=actor, survey_id=survey.id, version=survey.version
        ),
        success="The survey is closed.",
    )
if survey.kind == SurveyKind.pulse.value and actions[1].button(
    "Start the next round", icon=":material/replay:"
):
    _ui.run_action(
        lambda session: create_next_round(session, actor=actor, survey_id=survey.id),
        success=lambda made: f"Round {made.round} drafted with the same questions.",
        then=lambda made: show_survey(made.id),
    )

results = _ui.load(lambda session: get_results(session, actor=actor, survey_id=survey.id))
if results is None:
    st.stop()
hidden = excel.hidden_label(results.threshold)

st.subheader("Response rate", anchor=False)
total_invited = sum(r.invited for r in results.rates)
total_answered = sum(r.answered for r in results.rates)
st.metric("Answered", f"{total_answered:,} of {total_invited:,}", border=True)
st.dataframe(excel.rates_frame(results.rates), hide_index=True, width="stretch")


# Wide enough for "fewer than 3 answers — hidden".
WIDE_ANSWERS = {"Answers": st.column_config.TextColumn(width=200)}


def unit_axis() -> alt.Axis:
    return alt.Axis(labelLimit=0, labelOverlap=False, title=None)


def rating_chart(question: QuestionResult) -> alt.Chart:
    shown = [
        {"Unit": g.label, "Mean": round(g.mean, 2), "Answers": g.answers}
        for g in (*question.groups, *((question.overall,) if question.overall else ()))
        if g.shown and g.mean is not None
    ]
    return (
        alt.Chart(pd.DataFrame(shown, columns=["Unit", "Mean", "Answers"]))
        .mark_bar()
        .encode(
            y=alt.Y("Unit:N", sort=None, axis=unit_axis()),
            x=alt.X("Mean:Q", scale=alt.Scale(domain=[0, 5]), title="Mean (1–5)"),
            tooltip=["Unit", "Mean", "Answers"],
        )
        .properties(height=alt.Step(30))
    )


def choice_chart(question: QuestionResult) -> alt.Chart:
    shown = [
        {"Unit": g.label, "Answer": option, "Count": n}
        for g in (*question.groups, *((question.overall,) if question.overall else ()))
        if g.shown
        for option, n in g.distribution
    ]
    return (
        alt.Chart(pd.DataFrame(shown, columns=["Unit", "Answer", "Count"]))
        .mark_bar()
        .encode(
            y=alt.Y("Unit:N", sort=None, axis=unit_axis()),
            x=alt.X("Count:Q", stack="normalize", title="Share of answers"),
            color=alt.Color("Answer:N", legend=alt.Legend(orient="bottom", labelLimit=0)),
            tooltip=["Unit", "Answer", "Count"],
        )
        .properties(height=alt.Step(30))
    )


st.subheader("Results by unit", anchor=False)
st.caption(
    _ui.md(
        f"A unit with fewer than {results.threshold} answers to a question is hidden from "
        "every figure of it, the overall included."
    )
)
for question in results.questions:
    st.markdown(f"**{_ui.md(question.text)}**")
    if question.kind == QuestionKind.text.value:
        comments = [(g.label, c) for g in question.groups if g.shown for c in g.comments]
        if not comments:
            st.caption(_ui.md(f"No unit has comments to show ({hidden})."))
        else:
            st.dataframe(
                pd.DataFrame(comments, columns=["Unit", "Comment"]),
                hide_index=True,
                width="stretch",
            )
        continue
    table = excel.question_table(question, results.threshold)
    if not any(g.shown for g in question.groups):
        st.caption(_ui.md(f"No unit has enough answers yet ({hidden})."))
        st.dataframe(table, hide_index=True, width="stretch", column_config=WIDE_ANSWERS)
        continue
    chart_col, table_col = st.columns([1, 1])
    chart = rating_chart(question) if question.kind == QuestionKind.rating.value else None
    chart_col.altair_chart(chart or choice_chart(question), width="stretch")
    table_col.dataframe(table, hide_index=True, width="stretch", column_config=WIDE_ANSWERS)

_ui.excel_download(
    excel.results_frame(results),
    file_name=f"survey-{survey.id}-results.xlsx",
    label="Download results (Excel)",
    sheet_name="Results",
    key=f"survey_xlsx_{survey.id}",
    audited_as="survey_results",
)

if survey.kind == SurveyKind.pulse.value:
    series = _ui.load(lambda session: get_series_results(session, actor=actor, survey_id=survey.id))
    if series is not None and len(series.rounds) > 1:
        st.subheader("Over rounds", anchor=False)
        for question in results.questions:
            if question.kind != QuestionKind.rating.value:
                continue
            frame = excel.series_frame(series, question.key)
            plotted = frame.dropna(subset=["Mean (1–5)"])
            st.markdown(f"**{_ui.md(question.text)}**")
            chart_col, table_col = st.columns([1, 1])
            chart_col.altair_chart(
                alt.Chart(plotted)
                .mark_line(point=True)
                .encode(
                    x=alt.X(
                        "Round:O", axis=alt.Axis(labelAngle=0, labelLimit=0, labelOverlap=False)
                    ),
                    y=alt.Y("Mean (1–5):Q", scale=alt.Scale(domain=[1, 5])),
                    color=alt.Color(
                        "Unit:N", legend=alt.Legend(orient="bottom", columns=3, labelLimit=0)
                    ),
                    tooltip=["Round", "Unit", "Mean (1–5)", "Answers"],
                )
                # The legend below takes its share of the height.
                .properties(height=420),
                width="stretch",
            )
            table_col.dataframe(
                column_config=WIDE_ANSWERS,
                data=frame.assign(
                    **{
                        "Mean (1–5)": frame["Mean (1–5)"].map(
                            lambda v: "" if pd.isna(v) else f"{v:.2f}"
                        )
                    }
                ),
                hide_index=True,
                width="stretch",
            )
