"""Check-in adherence: share held on time and median days between check-ins,
by team and unit (managers: their line; HR: everyone)."""

from datetime import UTC, date, datetime

import altair as alt
import streamlit as st

from app_pages import _auth, _ui
from core.access import Actor
from core.checkins import queries as checkin_queries
from core.checkins.read_models import AdherenceReport
from core.display import readable
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Check-in adherence", anchor=False)
_ui.show_flash()
days = st.select_slider(
    "Period (days)", options=[30, 60, 90, 180], value=90, key="checkin_adherence_days"
)


@st.cache_data(ttl=600, max_entries=256, show_spinner=False)
def _adherence(stamp: str, today: date, actor: Actor, days: int) -> AdherenceReport:
    # `actor` is hashed into the key: figures only come back to whom they were
    # computed for; `stamp` changes after any check-in, cadence or people edit.
    with unit_of_work() as session:
        return checkin_queries.get_adherence(session, actor=actor, today=today, days=days)


with _ui.shown_errors(stop=True):
    with unit_of_work() as session:
        stamp = checkin_queries.adherence_data_stamp(session)
    report = _adherence(stamp, datetime.now(UTC).date(), actor, days)

st.caption(
    _ui.md(
        f"{'Everyone' if report.reach == 'everyone' else 'Your reporting line'}, "
        f"{report.since:%d %b %Y} to {report.until:%d %b %Y}. On time: held no more than two "
        "days after the due date; an overdue pair counts as a missed check-in."
    )
)
group = st.radio("By", ["team", "unit"], horizontal=True, key="checkin_adherence_by")
frame = report.by_team if group == "team" else report.by_unit
label = "team of" if group == "team" else "unit"
if frame.empty:
    st.info("No check-in pairs in this scope yet.", icon=":material/event_available:")
    st.stop()
chart_tab, table_tab = st.tabs(["Chart", "Table"])
with chart_tab:
    shown = frame.dropna(subset=["on-time share"]).nlargest(60, "people")
    chart = (
        alt.Chart(shown)
        .mark_bar()
        .encode(
            x=alt.X("on-time share:Q", title="Held on time (%)", scale=alt.Scale(domain=[0, 100])),
            y=alt.Y(
                f"{label}:N",
                sort="-x",
                title=None,
                axis=alt.Axis(labelLimit=0, labelOverlap=False),
            ),
            color=alt.Color(
                "median days between:Q",
                title="Median days between",
                legend=alt.Legend(format=".0f"),
            ),
            tooltip=[label, "people", "held", "held on time", "overdue now", "median days between"],
        )
    )
    st.altair_chart(chart, width="stretch", height=60 + 24 * len(shown))
    if len(frame) > len(shown):
        st.caption(
            _ui.md(f"The {len(shown)} largest groups of {len(frame)}; all are in the table.")
        )
with table_tab:
    st.dataframe(readable(frame), hide_index=True, width="stretch")
_ui.excel_download(
    frame,
    file_name=f"check-in-adherence-by-{group}.xlsx",
    sheet_name=f"By {group}",
    key="checkin_adherence_xlsx",
)
