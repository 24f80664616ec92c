"""Home: what needs me now (to-dos with links), my goals at a glance, my
manager and reports; a manager's team, HR's participation figures."""

from datetime import date

import altair as alt
import streamlit as st

from app_pages import _auth, _goals_ui, _ui
from core.goals.rules import STALE_AFTER_TEXT
from core.home import (
    HOME_LIST,
    PARTICIPATION_MEASURES,
    Home,
    Participation,
    TeamAttention,
    get_home,
)
from core.people import PersonCard
from core.runtime import unit_of_work
from core.todos import Todo, Urgency

actor = _auth.current_actor()
today = date.today()
with _ui.shown_errors(stop=True), unit_of_work() as session:
    home: Home = get_home(session=session, actor=actor, today=today)
me = home.dashboard.me

# The participation table's column headers (the full label is their tooltip).
SHORT_LABELS = ("Goals", "Updated", "Self", "Manager")
URGENCY_LOOKS = {
    Urgency.overdue: (":material/error:", "overdue"),
    Urgency.due_soon: (":material/schedule:", "due soon"),
    Urgency.waiting: (":material/inbox:", ""),
}


def when(todo: Todo) -> str:
    if todo.due_on is None:
        return ""
    if todo.urgency is Urgency.overdue:
        return f"overdue since {todo.due_on:%d %b}"
    if todo.due_on == today:
        return "due today"
    return f"due {todo.due_on:%d %b}"


def todo_row(todo: Todo) -> None:
    icon, _label = URGENCY_LOOKS[todo.urgency]
    link, due = st.columns([5, 1], vertical_alignment="center")
    with link:
        _ui.page_link(actor, todo.page, todo.title, query=todo.query, icon=icon)
    if text := when(todo):
        due.markdown(f":red[{text}]" if todo.urgency is Urgency.overdue else f":orange[{text}]")
    if todo.detail:
        st.caption(_ui.md(todo.detail))


def card(person: PersonCard) -> None:
    with st.container(border=True):
        st.markdown(f"**{_ui.md(person.full_name)}**")
        st.caption(_ui.md(" · ".join(p for p in (person.position_title, person.unit_name) if p)))
        st.caption(_ui.md(person.email))


def goal_glance() -> None:
    cycle = home.cycle
    st.subheader("My goals", anchor=False)
    if cycle is None:
        st.info("There is no goal cycle yet. HR creates cycles on the Goal report page.")
        return
    st.caption(_ui.md(f"{cycle.name} · {cycle.starts_on:%d %b} – {cycle.ends_on:%d %b %Y}"))
    if not home.my_goals:
        st.info("No goals yet in this cycle — create your first one.", icon=":material/flag:")
        _ui.page_link(actor, "my_goals", "Create my first goal", icon=":material/add:")
        return
    for goal in home.my_goals:
        with st.container(border=True):
            _ui.page_link(
                actor, "my_goals", goal.title, query={"goal": str(goal.id)}, icon=":material/flag:"
            )
            badges = [] if goal.status == "active" else [goal.status]
            if goal.at_risk:
                badges.append(":orange[:material/warning: at risk]")
            if goal.stale:
                badges.append(f":orange[:material/schedule: no update in {STALE_AFTER_TEXT}]")
            if not goal.key_results:
                badges.append("no key results yet")
            st.progress(
                min(int(goal.rolled_up or 0), 100) / 100,
                text=" · ".join([_goals_ui.percent(goal.rolled_up), *badges]),
            )


def team_panel(team: TeamAttention) -> None:
    st.subheader("My team", anchor=False)
    st.caption("Your direct reports' goals this cycle and the ratings they wait for.")
    first, second, third, fourth = st.columns(4)
    first.metric("Goals", team.goals)
    second.metric("At risk", team.at_risk)
    third.metric(f"Stale ({STALE_AFTER_TEXT})", team.stale)
    fourth.metric(
        "Unrated competencies",
        team.unrated,
        help="Role competencies of your direct reports with no manager rating yet; "
        f"{team.awaiting} of them self-assessed and waiting for you.",
    )
    goals_col, ratings_col = st.columns(2)
    with goals_col:
        st.markdown("**Goals that need attention**")
        if not team.flagged:
            st.caption(
                "None of your reports' goals is at risk or stale."
                if team.goals
                else "Your reports have no goals this cycle yet — set one with them."
            )
        for goal in team.flagged:
            flags = [f for f, on in (("at risk", goal.at_risk), ("stale", goal.stale)) if on]
            _ui.page_link(
                actor,
                "team_goals",
                goal.title,
                query={"goal": str(goal.id)},
                icon=":material/flag:",
            )
            st.caption(
                _ui.md(
                    f"{goal.person} · {_goals_ui.percent(goal.progress)} · {' and '.join(flags)}"
                )
            )
        if team.flagged_count > len(team.flagged):
            st.caption(_ui.md(f"The first {HOME_LIST} shown; Team goals lists all."))
        _ui.page_link(actor, "team_goals", "Open Team goals", icon=":material/group_work:")
    with ratings_col:
        st.markdown("**Competencies to rate**")
        if not team.people_unrated:
            st.caption("Every role competency of your direct reports has a manager rating.")
        for person in team.people_unrated:
            _ui.page_link(
                actor,
                "skills_gap",
                f"{person.full_name}: {person.unrated} of {person.required} unrated",
                icon=":material/person:",
                query={"person": str(person.person_id)},
            )
        _ui.page_link(actor, "skills_gap", "Open Skills gap", icon=":material/grid_view:")


def participation_panel(participation: Participation) -> None:
    st.subheader("Participation", anchor=False)
    st.caption(
        _ui.md(
            f"Share of the {participation.people} active people taking part"
            + (f" in {participation.cycle_name}" if participation.cycle_name else "")
            + ": goals this cycle, a progress update on them in the last "
            f"{STALE_AFTER_TEXT}, a self-assessment and a manager rating (ever)."
        )
    )
    if participation.people == 0:
        st.info("Nobody is active in Stride yet — import people first.")
        _ui.page_link(actor, "people_import", "Import people", icon=":material/upload_file:")
        return
    for column, (measure, label) in zip(
        st.columns(len(PARTICIPATION_MEASURES)), PARTICIPATION_MEASURES.items(), strict=True
    ):
        share = participation.share(measure) or 0.0
        column.metric(
            label,
            f"{share * 100:.0f} %",
            help=f"{participation.counts[measure]} of {participation.people} people",
        )
    chart_col, table_col = st.columns(2)
    shares = participation.shares_frame()
    chart = (
        alt.Chart(shares)
        .mark_bar()
        .encode(
            x=alt.X(
                "share:Q",
                title="share of people",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            y=alt.Y("group:N", title=None, axis=alt.Axis(labelLimit=0, labelOverlap=False)),
            yOffset=alt.YOffset("measure:N", sort=list(PARTICIPATION_MEASURES.values())),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=list(PARTICIPATION_MEASURES.values()),
                legend=alt.Legend(orient="bottom", columns=2),
            ),
            tooltip=["group", "measure", alt.Tooltip("share:Q", format=".0%")],
        )
    )
    chart_height = 90 + 64 * shares["group"].nunique()
    chart_col.altair_chart(chart, width="stretch", height=chart_height)
    table_col.dataframe(
        participation.table(),
        hide_index=True,
        width="stretch",
        column_config={
            "division": st.column_config.TextColumn("Division"),
            "people": st.column_config.NumberColumn("People"),
            **{
                label: st.column_config.NumberColumn(short, help=label, format="%d %%")
                for label, short in zip(PARTICIPATION_MEASURES.values(), SHORT_LABELS, strict=True)
            },
        },
    )


st.title(f"Hello, {_ui.md(me.full_name.split(' ')[0])}", anchor=False)
st.caption(
    _ui.md(" · ".join(p for p in (home.dashboard.role_label, me.position_title, me.unit_name) if p))
)
_ui.show_flash()

st.subheader("What needs you now", anchor=False)
if home.todos:
    with st.container(border=True):
        for todo in home.todos:
            todo_row(todo)
else:
    st.success(
        "Nothing needs you right now. Keep your goals moving on *My goals*.",
        icon=":material/check_circle:",
    )

left, right = st.columns([3, 2])
with left:
    goal_glance()
with right:
    st.subheader("My manager", anchor=False)
    if home.dashboard.manager:
        card(home.dashboard.manager)
    else:
        st.caption("You don't report to anyone in Stride.")
    reports = home.dashboard.reports
    if reports:
        st.subheader(_ui.md(f"My reports ({len(reports)})"), anchor=False)
        st.markdown(
            "\n".join(
                f"- **{_ui.md(r.full_name)}** · {_ui.md(r.position_title or 'no position')}"
                for r in reports
            )
        )

if home.team is not None:
    team_panel(home.team)
if home.participation is not None:
    participation_panel(home.participation)
