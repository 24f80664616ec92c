"""The check-in panel shared by My check-ins and Team check-ins.

The panel shows the check-in as this person first opened it (kept in session
state): its versions go with every save, so a change the other party made
since is refused instead of overwritten, with the input kept. After a save
(or Reload) the panel starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st
from sqlmodel import Session

from app_pages import _ui
from core.access import Actor
from core.checkins import commands as checkin_commands
from core.checkins.queries import CheckInWorkspace
from core.checkins.read_models import ActionView, CheckInView
from core.checkins.rules import CADENCE_LABELS
from core.errors import StaleEdit
from core.goals import CONFIDENCES
from db.models import CheckInTemplateRead

STATUS_LABELS = {
    "planned": "Planned",
    "completed": "Completed — waiting for acknowledgement",
    "acknowledged": "Completed and acknowledged",
}


def cadence_label(cadence: str) -> str:
    return CADENCE_LABELS.get(cadence, cadence)


def _forget_prefix(prefix: str) -> None:
    for name in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[name]


def opened(workspace: CheckInWorkspace, key: str) -> CheckInWorkspace:
    kept: CheckInWorkspace = st.session_state.setdefault(f"{key}_opened", workspace)
    return kept


def _act(key: str, action: Callable[[Session], object], success: str = "Saved.") -> None:
    def refused(problem: StaleEdit) -> None:
        st.session_state[f"{key}_stale"] = str(problem)
        st.rerun()

    _ui.run_action(
        action, then=lambda _: _forget_prefix(f"{key}_"), on_stale=refused, success=success
    )


def _stale_notice(key: str) -> None:
    notice = st.session_state.get(f"{key}_stale")
    reload = st.button("Reload", key=f"{key}_reload", icon=":material/refresh:")
    if notice:
        st.warning(_ui.md(notice), icon=":material/sync_problem:")
    if reload:
        _forget_prefix(f"{key}_")
        st.rerun()


def _header(view: CheckInView) -> None:
    who = f"{view.employee_name} with {view.manager_name or 'no manager'}"
    st.subheader(_ui.md(f"Check-in: {who}"), anchor=False)
    parts = [STATUS_LABELS.get(view.status, view.status), f"focus: {view.focus}"]
    if view.due_on:
        parts.append(f"due {view.due_on:%d %b %Y}")
    if view.held_on:
        parts.append(f"held {view.held_on:%d %b %Y}")
    if view.template_name:
        parts.append(f"template: {view.template_name}")
    st.caption(_ui.md(" · ".join(parts)))


def _agenda(view: CheckInView, *, actor: Actor, key: str) -> None:
    st.markdown("**Agenda**")
    for number, item in enumerate(view.items, start=1):
        label = f"{number}. {item.text}"
        if item.kind == "talking point":
            label += f" — talking point from {item.added_by_name or 'someone'}"
        with st.container(border=True):
            st.markdown(_ui.md(label))
            if view.can_prepare:
                with st.form(f"{key}_notes_{item.id}"):
                    notes = st.text_area(
                        "Shared notes",
                        value=item.notes,
                        key=f"{key}_notes_text_{item.id}",
                        height=80,
                    )
                    if st.form_submit_button("Save notes"):
                        _save_notes(key, actor, item.id, item.version, notes)
            elif item.notes:
                st.text(item.notes)
            else:
                st.caption("No shared notes.")
    if view.can_prepare:
        with st.form(f"{key}_point", clear_on_submit=True):
            text = st.text_input("Add a talking point", key=f"{key}_point_text", max_chars=300)
            if st.form_submit_button("Add to the agenda"):
                _act(
                    key,
                    lambda session: checkin_commands.add_talking_point(
                        session, actor=actor, check_in_id=view.id, text=text
                    ),
                    success="Talking point added.",
                )


def _goals(workspace: CheckInWorkspace, *, actor: Actor, key: str) -> None:
    view = workspace.check_in
    if not view.is_open:
        return
    st.markdown("**Open goals and key results**")
    if not workspace.goals:
        st.caption("No open goals in the current cycle.")
        return
    for goal in workspace.goals:
        with st.expander(_ui.md(f"{goal.title} · {round(goal.progress or 0)}%")):
            for kr in goal.key_results:
                st.markdown(
                    _ui.md(
                        f"{kr.title}: {kr.shown(kr.current_value)} of {kr.shown(kr.target_value)}"
                    )
                )
                if not (view.can_prepare and goal.can_edit):
                    continue
                with st.form(f"{key}_kr_{kr.id}"):
                    value = st.number_input(
                        "New value", value=float(kr.current_value), key=f"{key}_kr_value_{kr.id}"
                    )
                    confidence = st.radio(
                        "Confidence", CONFIDENCES, horizontal=True, key=f"{key}_kr_conf_{kr.id}"
                    )
                    note = st.text_input("Note", key=f"{key}_kr_note_{kr.id}", max_chars=2000)
                    if st.form_submit_button("Save update"):
                        _update_key_result(
                            key, actor, view.id, kr.id, kr.version, value, confidence, note
                        )


def _save_notes(key: str, actor: Actor, item_id: int, version: int, notes: str) -> None:
    _act(
        key,
        lambda session: checkin_commands.save_item_notes(
            session, actor=actor, item_id=item_id, version=version, notes=notes
        ),
    )


def _toggle_action(key: str, actor: Actor, action: ActionView) -> None:
    _act(
        key,
        lambda session: checkin_commands.set_action_done(
            session, actor=actor, action_id=action.id, version=action.version, done=not action.done
        ),
    )


def _update_key_result(
    key: str,
    actor: Actor,
    check_in_id: int,
    key_result_id: int,
    version: int,
    value: float,
    confidence: str,
    note: str,
) -> None:
    """An ordinary progress update (core.goals), made inside the check-in."""
    _act(
        key,
        lambda session: checkin_commands.update_key_result(
            session,
            actor=actor,
            check_in_id=check_in_id,
            key_result_id=key_result_id,
            version=version,
            value=value,
            confidence=confidence,
            note=note,
        ),
        success="Progress updated.",
    )


def action_line(action: ActionView) -> str:
    due = f", due {action.due_on:%d %b %Y}" if action.due_on else ""
    carried = " (carried forward)" if action.carried_forward else ""
    return f"{action.text} — {action.owner_name}{due}{carried}"


def _actions(view: CheckInView, *, actor: Actor, key: str) -> None:
    st.markdown("**Action items**")
    if not view.actions:
        st.caption("No action items yet.")
    for action in view.actions:
        first, second = st.columns([5, 1])
        first.markdown(_ui.md(("✓ " if action.done else "") + action_line(action)))
        if view.can_prepare and second.button(
            "Reopen" if action.done else "Done", key=f"{key}_action_{action.id}"
        ):
            _toggle_action(key, actor, action)
    if not view.can_prepare:
        return
    owners = {view.employee_id: view.employee_name}
    if view.manager_id:
        owners[view.manager_id] = view.manager_name or "Manager"
    with st.form(f"{key}_new_action", clear_on_submit=True):
        text = st.text_input("New action item", key=f"{key}_action_text", max_chars=500)
        left, right = st.columns(2)
        owner = left.selectbox(
            "Owner", list(owners), format_func=lambda i: owners[i], key=f"{key}_action_owner"
        )
        due_on = right.date_input("Due", value=None, key=f"{key}_action_due")
        if st.form_submit_button("Add action item"):
            _act(
                key,
                lambda session: checkin_commands.add_action(
                    session,
                    actor=actor,
                    check_in_id=view.id,
                    text=text,
                    owner_id=owner,
                    due_on=due_on,
                ),
                success="Action item added.",
            )


def _private(view: CheckInView, *, actor: Actor, key: str) -> None:
    note = view.private_note
    if note is None or not view.can_write_private:
        return
    with st.form(f"{key}_private"):
        text = st.text_area(
            "My private notes",
            value=note.text,
            key=f"{key}_private_text",
            help="Only you ever see these: not the other person, not HR, not exports.",
        )
        if st.form_submit_button("Save private notes"):
            _act(
                key,
                lambda session: checkin_commands.save_private_note(
                    session, actor=actor, check_in_id=view.id, text=text, version=note.version
                ),
            )


def _run(
    view: CheckInView, templates: list[CheckInTemplateRead], *, actor: Actor, key: str
) -> None:
    if not view.can_run:
        return
    with st.expander("Template and date"):
        names = {t.id: t.name for t in templates}
        if names:
            current = list(names).index(view.template_id) if view.template_id in names else 0
            with st.form(f"{key}_template"):
                chosen = st.selectbox(
                    "Template",
                    list(names),
                    index=current,
                    format_func=lambda i: names[i],
                    key=f"{key}_template_pick",
                )
                if st.form_submit_button("Use this template"):
                    _act(
                        key,
                        lambda session: checkin_commands.change_template(
                            session,
                            actor=actor,
                            check_in_id=view.id,
                            version=view.version,
                            template_id=chosen,
                        ),
                    )
        with st.form(f"{key}_schedule"):
            due_on = st.date_input("Planned for", value=view.due_on, key=f"{key}_due")
            if st.form_submit_button("Save date") and due_on:
                _act(
                    key,
                    lambda session: checkin_commands.schedule_check_in(
                        session,
                        actor=actor,
                        check_in_id=view.id,
                        version=view.version,
                        due_on=due_on,
                    ),
                )


def _complete(view: CheckInView, *, actor: Actor, key: str) -> None:
    if not view.can_run:
        return
    with st.form(f"{key}_complete"):
        held_on = st.date_input("Held on", value=date.today(), key=f"{key}_held")
        st.caption("Completing makes the check-in read-only (except private notes).")
        if st.form_submit_button("Complete check-in", type="primary"):
            _act(
                key,
                lambda session: checkin_commands.complete_check_in(
                    session,
                    actor=actor,
                    check_in_id=view.id,
                    version=view.version,
                    held_on=held_on,
                ),
                success="Check-in completed.",
            )


def _acknowledge(view: CheckInView, *, actor: Actor, key: str) -> None:
    if view.employee_comment:
        st.markdown(_ui.md(f"Comment from {view.employee_name}:"))
        st.text(view.employee_comment)
    if not view.can_acknowledge:
        return
    with st.form(f"{key}_ack"):
        comment = st.text_area("Comment (optional)", key=f"{key}_ack_comment", max_chars=4000)
        if st.form_submit_button("Acknowledge", type="primary"):
            _act(
                key,
                lambda session: checkin_commands.acknowledge_check_in(
                    session,
                    actor=actor,
                    check_in_id=view.id,
                    version=view.version,
                    comment=comment,
                ),
                success="Check-in acknowledged.",
            )


def check_in_panel(
    workspace: CheckInWorkspace,
    *,
    actor: Actor,
    key: str,
    templates: list[CheckInTemplateRead] | None = None,
) -> None:
    """Everything about one check-in: agenda and notes, goals, actions,
    private notes, and completing or acknowledging it."""
    workspace = opened(workspace, key)
    view = workspace.check_in
    _header(view)
    _stale_notice(key)
    _run(view, templates or [], actor=actor, key=key)
    _agenda(view, actor=actor, key=key)
    _goals(workspace, actor=actor, key=key)
    _actions(view, actor=actor, key=key)
    _private(view, actor=actor, key=key)
    _complete(view, actor=actor, key=key)
    _acknowledge(view, actor=actor, key=key)
