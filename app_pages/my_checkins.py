"""My check-ins: the next one with its agenda, my open actions, the history."""

from datetime import date

import streamlit as st

from app_pages import _auth, _checkins_ui, _ui
from core.checkins import commands as checkin_commands
from core.checkins import queries as checkin_queries
from core.checkins.calendar import check_in_ics
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("My check-ins", anchor=False)
_ui.show_flash()
linked_id = _ui.query_id("checkin")

with _ui.shown_errors(stop=True), unit_of_work() as session:
    mine = checkin_queries.get_my_check_ins(session, actor=actor)
    workspace = (
        checkin_queries.get_check_in_workspace(
            session, actor=actor, check_in_id=mine.next_check_in.id
        )
        if mine.next_check_in is not None
        else None
    )

pair = mine.pair
first, second, third, fourth = st.columns(4)
first.metric("Cadence", pair.cadence_label)
second.metric("Next due", f"{pair.next_due_on:%d %b %Y}" if pair.next_due_on else "—")
third.metric("On-time streak", pair.streak)
fourth.metric("My open actions", len(mine.open_actions))
if pair.overdue:
    st.warning(
        _ui.md(f"Your check-in is overdue by {pair.days_overdue} days."), icon=":material/schedule:"
    )

next_tab, actions_tab, history_tab = st.tabs(["Next check-in", "My open actions", "History"])
with next_tab:
    if workspace is None and mine.manager_name is None:
        st.info("You have no manager in Stride to check in with.", icon=":material/forum:")
    elif workspace is None:
        st.info(
            "No check-in is planned yet. Open the next one to add your talking points "
            "before you meet.",
            icon=":material/forum:",
        )
        if st.button("Prepare my next check-in", type="primary", key="my_checkins_prepare"):
            _ui.run_action(
                lambda session: checkin_commands.open_next_check_in(
                    session, actor=actor, employee_id=actor.person_id
                ),
                success="Your next check-in is open: add your talking points.",
            )
    else:
        view = workspace.check_in
        st.download_button(
            "Add to calendar (.ics)",
            data=check_in_ics(view),
            file_name=f"check-in-{view.due_on or 'next'}.ics",
            mime="text/calendar",
            icon=":material/event:",
            key="my_checkins_ics",
        )
        _checkins_ui.check_in_panel(workspace, actor=actor, key=f"my_checkins_ci{view.id}")

with actions_tab:
    if not mine.open_actions:
        st.caption("No open action items.")
    for action in mine.open_actions:
        st.markdown(_ui.md("• " + _checkins_ui.action_line(action)))

with history_tab:
    if not mine.history:
        st.caption("No check-ins held yet.")
    else:
        st.download_button(
            "Download my check-ins (Excel)",
            data=lambda: (
                _ui.load(
                    lambda session: checkin_queries.export_check_ins(
                        session, actor=actor, employee_id=actor.person_id
                    )
                )
                or b""
            ),
            file_name="my-check-ins.xlsx",
            mime=_ui.XLSX_MIME,
            icon=":material/download:",
            key="my_checkins_xlsx",
        )
    choices = {h.id: h for h in mine.history}
    if choices:
        default = list(choices).index(linked_id) if linked_id in choices else 0
        chosen = st.selectbox(
            "Check-in",
            list(choices),
            index=default,
            format_func=lambda i: (
                f"{(choices[i].held_on or choices[i].due_on or date.min):%d %b %Y} with "
                f"{choices[i].manager_name or '—'}"
                + ("" if choices[i].acknowledged else " · to acknowledge")
            ),
            key="my_checkins_history_pick",
        )
        past = _ui.load(
            lambda session: checkin_queries.get_check_in_workspace(
                session, actor=actor, check_in_id=chosen
            )
        )
        if past is not None:
            _checkins_ui.check_in_panel(past, actor=actor, key=f"my_checkins_past{chosen}")
