"""Programme health (HR: everyone; managers: their line): the traits of a
strong programme measured from the data, their trend and the units behind."""

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import _auth, _ui
from core.access import Actor
from core.health.queries import (
    ProgrammeHealth,
    get_programme_health,
    health_scope_key,
    percent_text,
)
from core.health.rules import MEASURE_HELP, Measure
from core.runtime import unit_of_work

# Monthly trends move slowly and the figures read the whole organisation:
# computed at most every few minutes per scope, for everyone who shares it.
CACHE_TTL_S = 300


@st.cache_data(ttl=CACHE_TTL_S, max_entries=64, show_spinner="Measuring the programme…")
def _health(scope_key: str, today: date, actor: Actor) -> ProgrammeHealth:
    # `actor` is hashed into the key too: a manager's line comes back only to them.
    with unit_of_work() as session:
        return get_programme_health(session, actor=actor, today=today)


actor = _auth.current_actor()
st.title("Programme health", anchor=False)
with _ui.shown_errors(stop=True):
    if health_scope_key(actor) == "organisation":
        # Kept fresh by the server in the background (core.runtime), at most
        # CACHE_TTL_S old: read from core's memo, not cached again here.
        with unit_of_work(read_only=True) as session:
            health = get_programme_health(
                session, actor=actor, today=date.today(), max_age_s=CACHE_TTL_S
            )
    else:
        health = _health(health_scope_key(actor), date.today(), actor)
st.caption(
    f"For {health.scope} ({health.people:,} people): how far the practices of a strong "
    "programme have taken hold, month by month. Each figure is a share of the people or "
    f"open goals that could show it; figures are at most {CACHE_TTL_S // 60} minutes old."
)
if health.people == 0:
    st.info("Nobody is in scope yet. Once people and their goals are in Stride, this fills in.")
    st.stop()

trend = health.trend.assign(percent=(health.trend["share"] * 100).round(0))
latest_at = trend["at"].max()
columns = [*st.columns(4), *st.columns(4)[:3]]
for column, measure in zip(columns, Measure, strict=False):
    rows = trend[trend["measure"] == measure.value].sort_values("at")
    now = rows[rows["at"] == latest_at]
    value = now["percent"].iloc[0] if not now.empty else None
    history = rows["percent"].dropna()
    delta = None
    if value is not None and len(history) >= 2 and not pd.isna(value):
        delta = f"{value - history.iloc[-2]:+.0f} pts in a month"
    column.metric(
        measure.value,
        "—" if value is None or pd.isna(value) else f"{value:.0f}%",
        delta=delta,
        help=f"Share of {MEASURE_HELP[measure]}.",
        border=True,
    )

st.subheader("Trend", anchor=False)
over_time = trend[trend["measure"] != Measure.gaps_with_learning.value].dropna(subset=["percent"])
chart = (
    alt.Chart(over_time)
    .mark_line(point=True)
    .encode(
        x=alt.X("at:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount="month")),
        y=alt.Y("percent:Q", title="Share %", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color(
            "measure:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=300)
        ),
        tooltip=[
            alt.Tooltip("measure:N", title="Measure"),
            alt.Tooltip("at:T", title="As of", format="%d %b %Y"),
            alt.Tooltip("percent:Q", title="Share %"),
            alt.Tooltip("hits:Q", title="Counted"),
            alt.Tooltip("of:Q", title="Of"),
        ],
    )
    .properties(height=320)
)
chart_tab, table_tab = st.tabs(["Chart", "Table"])
chart_tab.altair_chart(chart, width="stretch")
trend_table = (
    trend.pivot_table(index="at", columns="measure", values="share", dropna=False)
    .reindex(columns=[m.value for m in Measure])
    .map(percent_text)
)
trend_table.index = [f"{at:%d %b %Y}" for at in trend_table.index]
table_tab.dataframe(trend_table, width="stretch")

st.subheader("Furthest behind", anchor=False)
if health.behind.empty:
    st.success("No unit of 5 people or more is below the overall figure of any measure.")
else:
    st.dataframe(health.behind, hide_index=True, width="stretch")

st.subheader("By unit", anchor=False)
st.caption("Latest figures; a unit counts everyone in it and below it.")
st.dataframe(
    health.by_unit,
    hide_index=True,
    width="stretch",
    column_config={"Unit": st.column_config.TextColumn(pinned=True)},
)
_ui.excel_download(health.by_unit, file_name="programme-health.xlsx", sheet_name="Programme health")
