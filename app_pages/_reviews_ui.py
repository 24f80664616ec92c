"""Drawing shared by the 360 pages: the answer form and the released report."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import _ui
from core.reviews.commands import AnswerIn
from core.reviews.queries import AnswerForm, ReviewReport

CANT_SAY = "Can't say"


def answer_form(form: AnswerForm, *, prefix: str) -> dict[str, AnswerIn] | None:
    """The questions as one form; the answers when sent, else None."""
    answers: dict[str, AnswerIn] = {}
    with st.form(f"{prefix}_form"):
        for question in form.questions:
            st.markdown(f"**{_ui.md(question.text)}**")
            rating: int | None = None
            if question.rated:
                # 0: can't say. Radio options are Markdown, and HR types level names.
                names = {0: CANT_SAY, **{rank: _ui.md(name) for rank, name in question.levels}}
                choice = st.radio(
                    "Level",
                    options=list(names),
                    format_func=names.__getitem__,
                    horizontal=True,
                    key=f"{prefix}_rating_{question.key}",
                    label_visibility="collapsed",
                )
                rating = choice or None
            comment = st.text_area(
                "Comment",
                key=f"{prefix}_comment_{question.key}",
                max_chars=4_000,
                height=80,
                placeholder="Optional: an example, or what would help",
            )
            answers[question.key] = AnswerIn(rating=rating, comment=comment)
        sent = st.form_submit_button("Send answers", type="primary")
    return answers if sent else None


HIDDEN = "—"
SIDE_COLUMNS = ["competency", "self", "all others", "spread (sd)", "self vs others"]


def shown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """For st.table (whose cells are Markdown): text escaped, numbers to two
    places, a figure that may not be shown as a dash."""
    out = frame.astype(object).copy()
    for column in out.columns:
        out[column] = [
            HIDDEN
            if value is None or (isinstance(value, float) and pd.isna(value))
            else f"{value:.2f}".rstrip("0").rstrip(".")
            if isinstance(value, float)
            else _ui.md(value)
            for value in out[column]
        ]
    return out.set_index(out.columns[0])


def show_report(report: ReviewReport, *, key: str) -> None:
    if report.hidden_groups:
        st.info(
            _ui.md(
                f"Left out for anonymity (fewer than {report.threshold} answers): "
                f"{', '.join(report.hidden_groups)}. They are in no figure below, "
                "“all others” included."
            ),
            icon=":material/visibility_off:",
        )
    chart_col, table_col = st.columns([3, 2])
    with chart_col:
        if report.chart.empty:
            st.caption("No ratings can be shown.")
        else:
            chart = (
                alt.Chart(report.chart)
                .mark_bar()
                .encode(
                    y=alt.Y(
                        "competency:N",
                        title=None,
                        sort=list(dict.fromkeys(report.chart["competency"])),
                        axis=alt.Axis(labelLimit=0, labelOverlap=False),
                    ),
                    x=alt.X("mean:Q", title="mean level"),
                    color=alt.Color("who:N", title=None),
                    yOffset="who:N",
                    tooltip=["competency", "who", alt.Tooltip("mean:Q", format=".2f")],
                )
                .properties(height=max(120, 50 * report.chart["competency"].nunique()))
            )
            st.altair_chart(chart, width="stretch")
    with table_col:
        st.table(shown_table(report.by_competency[SIDE_COLUMNS]))
    st.subheader("By group", anchor=False)
    st.caption("A group is shown only where it has enough answers; spread is over all others.")
    st.table(shown_table(report.by_competency))
    st.subheader("Comments", anchor=False)
    if report.comments.empty:
        st.caption("No comments can be shown.")
    else:
        st.dataframe(report.comments, hide_index=True, width="stretch")
    st.subheader("Answers per group", anchor=False)
    st.table(shown_table(report.counts))
    st.download_button(
        "Download Excel",
        data=report.workbook,
        file_name=f"stride-360-{report.review_id}.xlsx",
        mime=_ui.XLSX_MIME,
        icon=":material/download:",
        key=f"{key}_excel",
    )
