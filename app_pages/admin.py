"""Admin (HR): people in a grid, passwords and locks, the audit log."""

from datetime import date, timedelta

import streamlit as st

from app_pages import _auth, _ui
from core import audit, auth, timezones
from core.people import get_people_grid, save_people_grid
from core.runtime import unit_of_work

actor = _auth.current_actor()
st.title("Admin", anchor=False)
_ui.show_flash()
people_tab, accounts_tab, audit_tab = st.tabs(["People", "Accounts", "Audit log"])

with people_tab:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        grid = get_people_grid(session=session, actor=actor)
    st.caption(
        "Edit cells, add rows at the bottom, or delete rows to deactivate people. "
        "Nothing is saved until you press Save; a save is all or nothing."
    )
    # The frame shown is kept so the save can check versions against it.
    shown = st.session_state.setdefault("admin_people_shown", grid.frame)
    _ui.grid_editor(
        "admin_people",
        shown,
        lambda session, changes: save_people_grid(
            session=session, actor=actor, shown=shown, changes=changes
        ),
        num_rows="dynamic",
        width="stretch",
        disabled=["id", "locked", "version"],
        column_config={
            "id": None,
            "version": None,
            "employee_code": st.column_config.TextColumn("code", required=True, max_chars=40),
            "full_name": st.column_config.TextColumn("name", required=True, max_chars=200),
            "email": st.column_config.TextColumn("e-mail", required=True, max_chars=254),
            "username": st.column_config.TextColumn("username", help="Only for new people"),
            "org_unit": st.column_config.SelectboxColumn(
                "unit", options=grid.org_unit_codes, required=True
            ),
            "position": st.column_config.SelectboxColumn("position", options=grid.position_codes),
            "manager_code": st.column_config.TextColumn("manager code"),
            "hire_date": st.column_config.DateColumn("hired"),
            "years_experience": st.column_config.NumberColumn(
                "years exp.", min_value=0, max_value=70, step=0.5
            ),
            "active": st.column_config.CheckboxColumn("active"),
            "is_hr_admin": st.column_config.CheckboxColumn("HR admin"),
            "locked": st.column_config.CheckboxColumn("locked"),
        },
    )
    _ui.excel_download(
        grid.frame.drop(columns=["version"]),
        file_name="people.xlsx",
        sheet_name="People",
        key="admin_people_download",
    )

with accounts_tab:
    labels = {
        int(record["id"]): f"{record['full_name']} ({record['username'] or 'no account'})"
        + (" · locked" if record["locked"] else "")
        for record in grid.frame.to_dict("records")
    }
    person_id = st.selectbox(
        "Person",
        options=list(labels),
        format_func=labels.__getitem__,
        key="admin_account_person",
        index=None,
        placeholder="Choose someone",
    )
    # Cleared only once the reset is saved: a refused one keeps its input.
    with st.form("admin_reset_password"):
        new_password = st.text_input(
            "New password",
            type="password",
            help=f"At least {auth.MIN_PASSWORD_LENGTH} characters. Their open sessions end.",
            key="admin_new_password",
        )
        if st.form_submit_button("Reset password") and person_id is not None:
            chosen_id: int = person_id
            _ui.run_action(
                lambda session: auth.reset_password(
                    session=session, actor=actor, person_id=chosen_id, new_password=new_password
                ),
                success="Password reset. Give it to them in person or by phone.",
                then=lambda _done: _ui.forget("admin_new_password"),
            )
    if st.button("Unlock account", key="admin_unlock", disabled=person_id is None):
        _ui.run_action(
            lambda session: auth.unlock_account(
                session=session, actor=actor, person_id=int(person_id or 0)
            ),
            success="Account unlocked.",
        )

with audit_tab:
    with unit_of_work() as session:
        known_actions = audit.list_audit_actions(session=session, actor=actor)
    filter_actions, filter_actor, filter_dates = st.columns([2, 2, 2])
    chosen_actions = filter_actions.multiselect(
        "Actions",
        known_actions,
        key="admin_audit_actions",
        format_func=lambda action: action.replace("_", " ").replace(".", ": ", 1),
    )
    actor_search = filter_actor.text_input("Done by (name contains)", key="admin_audit_actor")
    period = filter_dates.date_input(
        "Between",
        value=(date.today() - timedelta(days=30), date.today()),
        key="admin_audit_period",
    )
    since, until = period if isinstance(period, tuple) and len(period) == 2 else (None, None)
    with unit_of_work() as session:
        events = audit.list_audit_events(
            session=session,
            actor=actor,
            actions=chosen_actions,
            actor_search=actor_search,
            since=since,
            until=until,
        )
    zone = _ui.viewer_zone()
    shown = timezones.localise(events, ["at"], zone)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "at": st.column_config.DatetimeColumn(
                f"when ({timezones.zone_label(zone)})", format="D MMM YYYY, HH:mm:ss", width=170
            ),
            "who": st.column_config.TextColumn("who", width="medium"),
            "what": st.column_config.TextColumn("what happened", width="large"),
            "action": st.column_config.TextColumn("action", width="small"),
        },
    )
    st.caption(
        f"{len(events)} events (newest first, at most {audit.AUDIT_PAGE_LIMIT}); "
        f"times in {timezones.zone_label(zone)}."
    )
    _ui.excel_download(
        shown.rename(columns={"at": f"at ({timezones.zone_label(zone)})"}),
        file_name="audit-log.xlsx",
        sheet_name="Audit log",
        key="admin_audit_download",
    )
