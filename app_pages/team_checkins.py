"""Team check-ins (managers): each report's last held, next due, overdue and
streak; start or open a check-in and run it."""

import streamlit as st

from app_pages import _auth, _checkins_ui, _ui
from core.checkins import commands as checkin_commands
from core.checkins import queries as checkin_queries
from core.checkins.rules import CADENCE_LABELS
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Team check-ins", anchor=False)
_ui.show_flash()
linked_person = _ui.query_id("person")

indirect = st.toggle(
    "Include the rest of my line (read only)",
    key="team_checkins_indirect",
    help="Check-ins of your reports' reports: you read their shared notes and actions; "
    "their own manager runs them.",
)
with _ui.shown_errors(stop=True), unit_of_work() as session:
    team = checkin_queries.list_team_check_ins(session, actor=actor, indirect=indirect)
    templates = checkin_queries.list_templates(session)

if not team:
    st.info("Nobody reports to you directly.", icon=":material/groups:")
    st.stop()

first, second, third = st.columns(3)
first.metric("Reports", len(team))
second.metric("Overdue", sum(p.overdue for p in team))
third.metric("Open actions", sum(p.open_actions for p in team))

frame = checkin_queries.team_frame(team)
st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    column_config={
        "last held": st.column_config.DateColumn("last held", format="D MMM YYYY"),
        "next due": st.column_config.DateColumn("next due", format="D MMM YYYY"),
    },
)

by_id = {p.employee_id: p for p in team}
names = {
    p.employee_id: p.employee_name + ("" if p.manager_id == actor.person_id else " (your line)")
    for p in team
}
if st.session_state.get("team_checkins_person") not in names:
    _ui.forget("team_checkins_person")  # someone of the line, now hidden again
if linked_person in by_id:
    # A link from Home opens that person once; the choice is the person's after.
    st.session_state.setdefault("team_checkins_person", linked_person)
chosen_id = st.selectbox(
    "Check in with",
    list(names),
    format_func=lambda i: names[i],
    key="team_checkins_person",
)
pair = by_id[chosen_id]

direct = pair.manager_id == actor.person_id
if direct:
    with (
        st.expander(_ui.md(f"Cadence for {pair.employee_name}: {pair.cadence_label}")),
        st.form("team_checkins_cadence"),
    ):
        options = ["", *CADENCE_LABELS]
        every = st.selectbox(
            "Cadence",
            options,
            index=options.index(pair.cadence) if pair.cadence_is_own else 0,
            format_func=lambda c: CADENCE_LABELS.get(c, "The unit's default"),
            key=f"team_checkins_every_{chosen_id}",
        )
        # The version the form was opened with, kept until a save: a change
        # someone else made since is refused, not overwritten.
        opened_key = f"team_checkins_every_version_{chosen_id}"
        opened_version = st.session_state.setdefault(opened_key, pair.pair_version)
        if st.form_submit_button("Save cadence"):
            _ui.run_action(
                lambda session: checkin_commands.set_pair_cadence(
                    session,
                    actor=actor,
                    employee_id=chosen_id,
                    every=every or None,
                    version=opened_version,
                ),
                then=lambda _: _ui.forget(opened_key),
                success="Cadence saved.",
            )

if not direct:
    last = _ui.load(
        lambda session: checkin_queries.get_my_check_ins(
            session, actor=actor, employee_id=chosen_id
        )
    )
    if last is not None:
        st.caption(_ui.md(f"{pair.employee_name}'s check-ins are run by their own manager."))
        shown = last.next_check_in.id if last.next_check_in else None
        shown = shown or (last.history[0].id if last.history else None)
        if shown is None:
            st.info("No check-ins yet.", icon=":material/forum:")
        else:
            workspace = _ui.load(
                lambda session: checkin_queries.get_check_in_workspace(
                    session, actor=actor, check_in_id=shown or 0
                )
            )
            if workspace is not None:
                _checkins_ui.check_in_panel(
                    workspace, actor=actor, key=f"team_checkins_ci{workspace.check_in.id}"
                )
elif pair.open_check_in_id is None:
    st.info(_ui.md(f"No check-in with {pair.employee_name} is open."), icon=":material/forum:")
    if st.button("Start check-in", type="primary", key="team_checkins_start"):
        _ui.run_action(
            lambda session: checkin_commands.open_next_check_in(
                session, actor=actor, employee_id=chosen_id
            ),
            success="Check-in started.",
        )
else:
    workspace = _ui.load(
        lambda session: checkin_queries.get_check_in_workspace(
            session, actor=actor, check_in_id=pair.open_check_in_id or 0
        )
    )
    if workspace is not None:
        _checkins_ui.check_in_panel(
            workspace,
            actor=actor,
            key=f"team_checkins_ci{workspace.check_in.id}",
            templates=templates,
        )
