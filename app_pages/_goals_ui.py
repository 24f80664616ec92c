"""Widgets shared by the goal pages: the cycle picker, key-result inputs and
the goal card with its actions. Every action calls one core function."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from sqlmodel import Session

from app_pages import _ui
from core import goals as goal_service
from core import timezones
from core.access import Actor
from core.display import readable
from core.errors import StaleEdit
from core.goals import DESCRIPTION_MAX, GoalView
from core.goals.rules import GOAL_RATINGS, STALE_AFTER_TEXT
from core.runtime import unit_of_work
from db.models import GoalCreate, GoalStatus, GoalUpdate

KR_SLOTS = 3
METRIC_LABELS = {
    "number": "number",
    "percent": "percent",
    "currency": "currency",
    "boolean": "yes/no",
}


def page_head(title: str, prefix: str) -> int | None:
    """The head every goal page starts with: title, any flash, the cycle picker."""
    st.title(title, anchor=False)
    _ui.show_flash()
    return pick_cycle(prefix)


def linked_goal(actor: Actor, prefix: str) -> GoalView | None:
    """The goal a link names (`?goal=12`, as Home's to-dos do), read by core
    (which checks the actor may see it). The first run with a new link moves
    the page's cycle picker to the goal's cycle; call it before `pick_cycle`.
    A wrong or foreign id shows core's message and gives None."""
    goal_id = _ui.query_id("goal")
    if goal_id is None:
        return None
    detail = _ui.load(
        lambda session: goal_service.get_goal(session=session, actor=actor, goal_id=goal_id)
    )
    if detail is None:
        return None
    if st.session_state.get(f"{prefix}_linked") != goal_id:
        st.session_state[f"{prefix}_linked"] = goal_id
        st.session_state[f"{prefix}_cycle"] = detail.goal.cycle_id
    return detail.goal


def pick_cycle(prefix: str) -> int | None:
    with unit_of_work() as session:
        cycles = goal_service.list_cycles(session)
    if not cycles:
        st.info("There is no goal cycle yet. HR creates cycles on the Goal report page.")
        return None
    labels = {c.id: f"{c.name} ({c.starts_on:%d %b} – {c.ends_on:%d %b %Y})" for c in cycles}
    default = goal_service.current_cycle_id(cycles, date.today())
    st.session_state.setdefault(f"{prefix}_cycle", default)
    return st.selectbox(
        "Goal cycle", options=list(labels), format_func=labels.__getitem__, key=f"{prefix}_cycle"
    )


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} %"


def key_result_inputs(prefix: str, slots: int = KR_SLOTS) -> list[dict[str, Any]]:
    """Up to `slots` key results; a slot without a title is left out."""
    rows = []
    for index in range(1, slots + 1):
        st.markdown(_ui.md(f"Key result {index}" + (" (optional)" if index > 1 else "")))
        title_col, metric_col, start_col, target_col, unit_col = st.columns([4, 2, 1.3, 1.3, 1.2])
        title = title_col.text_input(
            "Title", key=f"{prefix}_kr{index}_title", placeholder="e.g. Cut p95 latency"
        )
        metric = metric_col.selectbox(
            "Metric",
            list(METRIC_LABELS),
            format_func=METRIC_LABELS.__getitem__,
            key=f"{prefix}_kr{index}_metric",
        )
        start = start_col.number_input("Start", value=0.0, key=f"{prefix}_kr{index}_start")
        target = target_col.number_input("Target", value=100.0, key=f"{prefix}_kr{index}_target")
        unit = unit_col.text_input("Unit", key=f"{prefix}_kr{index}_unit", max_chars=20)
        if title.strip():
            rows.append(
                {
                    "title": title,
                    "metric": metric,
                    "start_value": start,
                    "target_value": target,
                    "current_value": start,
                    "unit": unit,
                    "weight": 1.0,
                }
            )
    return rows


def new_goal_form(
    *,
    actor: Actor,
    prefix: str,
    cycle_id: int,
    level: str,
    owners: list[tuple[int, str]] | None = None,
    unit_id: int | None = None,
) -> None:
    """Create a goal (individual for an owner, or team/company for a unit)."""
    owner_id: int | None = None
    if owners:
        names = dict(owners)
        owner_id = st.selectbox(
            "For", list(names), format_func=names.__getitem__, key=f"{prefix}_owner"
        )
    with unit_of_work() as session:
        targets = goal_service.list_alignment_targets(
            session=session, actor=actor, cycle_id=cycle_id, level=level, org_unit_id=unit_id
        )
    target_labels = dict(targets)
    with st.form(f"{prefix}_form", clear_on_submit=False):
        title = st.text_input("Goal", key=f"{prefix}_title", max_chars=200)
        description = st.text_area(
            "Why it matters (optional)", key=f"{prefix}_description", max_chars=DESCRIPTION_MAX
        )
        kind_col, status_col, due_col = st.columns(3)
        kind = kind_col.radio(
            "Kind", list(goal_service.KINDS), horizontal=True, key=f"{prefix}_kind"
        )
        status = status_col.radio(
            "Status", list(goal_service.STATUS_CHOICES), horizontal=True, key=f"{prefix}_status"
        )
        due_on = due_col.date_input("Due", value=None, key=f"{prefix}_due")
        parent_id = st.selectbox(
            "Aligned to",
            list(target_labels),
            format_func=target_labels.__getitem__,
            index=None,
            placeholder="Not aligned" if level != "company" else "Company goals are the top",
            key=f"{prefix}_parent",
            disabled=level == "company",
        )
        key_results = key_result_inputs(prefix)
        submitted = st.form_submit_button("Create goal", type="primary")
    if not submitted:
        return
    goal_in = GoalCreate(
        title=title,
        description=description,
        level=level,
        kind=kind,
        status=status,
        owner_id=owner_id,
        org_unit_id=unit_id,
        parent_id=parent_id,
        cycle_id=cycle_id,
        due_on=due_on,
    )
    _ui.run_action(
        lambda session: goal_service.create_goal(
            session=session, actor=actor, goal_in=goal_in, key_results=key_results
        ),
        then=lambda _: _forget(f"{prefix}_"),
        success=lambda created: f"Goal created: {_ui.md(created.title)}",
    )


def _forget(prefix: str, *, keep: tuple[str, ...] = ()) -> None:
    for name in [k for k in st.session_state if str(k).startswith(prefix) and k not in keep]:
        del st.session_state[name]


def _flags(goal: GoalView) -> str:
    flags = [goal.status, goal.kind]
    if goal.at_risk:
        flags.append("⚠ at risk")
    if goal.stale:
        flags.append(f"⏱ no update in {STALE_AFTER_TEXT}")
    if goal.final_rating:
        flags.append(f"rated {goal.final_rating} · {GOAL_RATINGS[goal.final_rating]}")
    return " · ".join(flags)


def key_result_table(goal: GoalView) -> None:
    if not goal.key_results:
        st.caption("No key results yet.")
        return
    frame = pd.DataFrame(
        [
            {
                "key result": kr.title + (" ↓" if kr.decreasing else ""),
                "start": kr.shown(kr.start_value),
                "current": kr.shown(kr.current_value),
                "target": kr.shown(kr.target_value),
                "weight": kr.weight,
                "progress": kr.progress,
                "confidence": kr.last_confidence or "",
            }
            for kr in goal.key_results
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "progress": st.column_config.ProgressColumn(
                "progress", min_value=0, max_value=100, format="%.0f%%"
            ),
            "key result": st.column_config.TextColumn(
                "key result", help="↓ marks a decreasing target: lower is better"
            ),
        },
    )


def goal_card(
    goal: GoalView,
    *,
    actor: Actor,
    prefix: str,
    expanded: bool = False,
    on_closed: Callable[[str], object] | None = None,
) -> None:
    """One goal with its key results and, if the actor may edit it, actions.
    `on_closed(status)` runs after the goal was closed, before the rerun."""
    key = f"{prefix}_{goal.id}"
    with st.container(border=True, key=f"{key}_card"):
        head, number = st.columns([5, 1])
        head.markdown(f"**{_ui.md(goal.title)}**")
        head.caption(
            _ui.md(_flags(goal) + (f" · {goal.holder}" if goal.level != "individual" else ""))
        )
        number.metric("Progress", percent(goal.rolled_up), label_visibility="collapsed")
        st.progress(int(goal.rolled_up or 0) / 100)
        if goal.parent_title:
            st.caption(
                _ui.md(
                    f"Aligned to {goal.parent_title} (rolled-up progress "
                    f"{percent(goal.parent_progress)})"
                )
            )
        # Drawn only while open: a page of cards each holding its key-result
        # table, action forms and history took the browser seconds to lay out.
        st.session_state.setdefault(f"{key}_details", expanded)
        details = st.expander("Key results and actions", key=f"{key}_details", on_change="rerun")
        if details.open:
            with details:
                if goal.description:
                    st.markdown(_ui.md(goal.description))
                key_result_table(goal)
                if goal.can_edit:
                    _actions(goal, actor=actor, key=key, on_closed=on_closed)
                history(goal, actor=actor, key=key)


def _opened(goal: GoalView, key: str) -> GoalView:
    """The goal as this person first saw it on this card. Its versions go with
    every action, so a change someone made since is refused, not overwritten;
    it is kept until this person saves or reloads."""
    opened: GoalView = st.session_state.setdefault(f"{key}_opened", goal)
    return opened


def _stale_notice(key: str) -> None:
    """A refused edit's explanation, kept (with the input) until a reload. It
    fills a slot that is there on every run, so the tabs below keep their
    place and the tab with the kept input stays open."""
    slot = st.empty()
    notice = st.session_state.get(f"{key}_stale")
    if not notice:
        return
    with slot.container():
        st.warning(_ui.md(notice), icon=":material/sync_problem:")
        if st.button("Reload this goal", key=f"{key}_reload", icon=":material/refresh:"):
            _forget(f"{key}_", keep=(f"{key}_history", f"{key}_details"))
            st.rerun()


def _act(
    key: str,
    opened: GoalView,
    actor: Actor,
    action: Callable[[Session], object],
    *,
    on_done: Callable[[], object] | None = None,
) -> None:
    """Run one card action; after a save the card starts afresh (new versions,
    empty forms); a stale edit is explained and the input kept."""

    def refused(_: StaleEdit) -> None:
        explained = _ui.load(
            lambda session: goal_service.describe_goal_change(
                session=session, actor=actor, opened=opened
            )
        )
        st.session_state[f"{key}_stale"] = explained or "Someone else changed this goal."
        st.rerun()

    def done(_: object) -> None:
        _forget(f"{key}_", keep=(f"{key}_history", f"{key}_details"))
        if on_done is not None:
            on_done()

    _ui.run_action(action, then=done, on_stale=refused, success="Saved.")


def _actions(
    goal: GoalView, *, actor: Actor, key: str, on_closed: Callable[[str], object] | None
) -> None:
    opened = _opened(goal, key)
    _stale_notice(key)
    update_tab, add_tab, edit_tab, close_tab = st.tabs(
        ["Update progress", "Add key result", "Edit", "Close"]
    )
    krs = {kr.id: kr for kr in opened.key_results}
    with update_tab:
        if not opened.is_open:
            st.caption("This goal is closed; reopen it under Edit to update it.")
        elif not krs:
            st.caption("Add a key result first.")
        else:
            # Selectbox options are plain text: no escaping.
            kr_id = st.selectbox(
                "Key result",
                list(krs),
                format_func=lambda i: krs[i].title,
                key=f"{key}_update_kr",
            )
            chosen = krs[kr_id]
            with st.form(f"{key}_update_form"):
                if chosen.metric == "boolean":
                    value = 1.0 if st.checkbox("Done", value=chosen.current_value >= 0.5) else 0.0
                else:
                    value = st.number_input(
                        f"New value ({_ui.md(chosen.unit or chosen.metric)})",
                        value=float(chosen.current_value),
                        key=f"{key}_update_value_{kr_id}",
                    )
                confidence = st.radio(
                    "Confidence",
                    goal_service.CONFIDENCES,
                    horizontal=True,
                    key=f"{key}_update_confidence",
                )
                note = st.text_input("Note", key=f"{key}_update_note", max_chars=2000)
                if st.form_submit_button("Save update", type="primary"):
                    _act(
                        key,
                        opened,
                        actor,
                        lambda session: goal_service.record_progress(
                            session=session,
                            actor=actor,
                            key_result_id=chosen.id,
                            version=chosen.version,
                            value=value,
                            confidence=confidence,
                            note=note,
                        ),
                    )
    with add_tab, st.form(f"{key}_add_form"):
        new_krs = key_result_inputs(f"{key}_add", slots=1)
        if st.form_submit_button("Add key result"):
            if not new_krs:
                st.warning("Give the key result a title.")
            else:
                _act(
                    key,
                    opened,
                    actor,
                    lambda session: goal_service.add_key_result(
                        session=session,
                        actor=actor,
                        goal_id=opened.id,
                        version=opened.version,
                        key_result=new_krs[0],
                    ),
                )
    with edit_tab, st.form(f"{key}_edit_form"):
        # Defaults come from the opened goal: they stay put while someone else
        # saves, so the widgets keep this person's input across reruns.
        title = st.text_input("Goal", value=opened.title, max_chars=200, key=f"{key}_edit_title")
        description = st.text_area(
            "Why it matters",
            value=opened.description,
            key=f"{key}_edit_description",
            max_chars=DESCRIPTION_MAX,
        )
        kinds = list(goal_service.KINDS)
        kind = st.radio(
            "Kind",
            kinds,
            index=kinds.index(opened.kind),
            horizontal=True,
            key=f"{key}_edit_kind",
        )
        statuses = list(goal_service.STATUS_CHOICES)
        status = st.radio(
            "Status",
            statuses,
            index=statuses.index(opened.status) if opened.status in statuses else 0,
            horizontal=True,
            key=f"{key}_edit_status",
            help="Choosing a status here reopens a closed goal.",
        )
        due_on = st.date_input("Due", value=opened.due_on, key=f"{key}_edit_due")
        if st.form_submit_button("Save goal"):
            changes = GoalUpdate(
                title=title,
                description=description,
                kind=kind,
                status=status if status != opened.status else None,
                due_on=due_on,
            )
            _act(
                key,
                opened,
                actor,
                lambda session: goal_service.update_goal(
                    session=session,
                    actor=actor,
                    goal_id=opened.id,
                    version=opened.version,
                    changes=changes,
                ),
            )
    with close_tab:
        if not opened.is_open:
            st.caption("Already closed.")
        else:
            with st.form(f"{key}_close_form"):
                outcome = st.radio(
                    "Outcome",
                    list(goal_service.CLOSING_STATUSES),
                    horizontal=True,
                    key=f"{key}_outcome",
                )
                rating = st.select_slider(
                    "Final rating",
                    options=list(GOAL_RATINGS),
                    value=3,
                    format_func=lambda r: f"{r} · {GOAL_RATINGS[r]}",
                    key=f"{key}_rating",
                )
                if st.form_submit_button("Close goal"):
                    _act(
                        key,
                        opened,
                        actor,
                        lambda session: goal_service.close_goal(
                            session=session,
                            actor=actor,
                            goal_id=opened.id,
                            version=opened.version,
                            status=outcome,
                            final_rating=rating if outcome == GoalStatus.completed else None,
                        ),
                        on_done=None if on_closed is None else lambda: on_closed(outcome),
                    )


def history(goal: GoalView, *, actor: Actor, key: str) -> None:
    if not st.toggle("Show history", key=f"{key}_history"):
        return
    detail = _ui.load(
        lambda session: goal_service.get_goal(session=session, actor=actor, goal_id=goal.id)
    )
    if detail is not None:
        zone = _ui.viewer_zone()
        frame = timezones.localise(detail.history_frame(), ["at"], zone)
        if not frame.empty:
            st.altair_chart(history_chart(frame), width="stretch")
        shown = readable(frame, digits=2)
        # The time stays a time (wall clock in the viewer's zone), formatted
        # by its column; readable() would cut it to the day.
        shown["at"] = frame["at"]
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={
                "progress": st.column_config.NumberColumn(format="%.0f%%"),
                "at": st.column_config.DatetimeColumn(
                    f"at ({timezones.zone_label(zone)})", format="D MMM YYYY, HH:mm"
                ),
            },
        )


def history_chart(frame: pd.DataFrame) -> alt.Chart:
    """Progress over time per key result. Updates from a single day get an
    axis of hours within a day around them (not ticks every half second);
    longer histories are labelled by day."""
    times = pd.to_datetime(frame["at"], utc=True)
    short = times.max() - times.min() < pd.Timedelta(days=2)
    # The scale is rounded out to whole days: updates from a single day get
    # that day's hours as ticks, never ticks every half second.
    axis = alt.Axis(format="%d %b %H:%M" if short else "%d %b", labelAngle=0, tickCount=6)
    scale = alt.Scale(nice="day")
    return (
        # As ISO text: Vega reads pandas' microsecond timestamps from Arrow
        # wrongly (every update landed within a second: ".500" ticks).
        alt.Chart(frame.assign(at=times.dt.strftime("%Y-%m-%dT%H:%M:%SZ")))
        .mark_line(point=True)
        .encode(
            x=alt.X("at:T", title=None, axis=axis, scale=scale),
            y=alt.Y(
                "progress:Q",
                title="progress",
                scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(format=".0f", labelExpr="datum.label + ' %'"),
            ),
            color=alt.Color(
                "key result:N", legend=alt.Legend(orient="bottom", labelLimit=0, title=None)
            ),
            tooltip=[
                alt.Tooltip("at:T", title="when", format="%d %b %Y %H:%M"),
                alt.Tooltip("key result:N"),
                alt.Tooltip("value:Q", format=",.2~f"),
                alt.Tooltip("progress:Q", format=".0f"),
                alt.Tooltip("confidence:N"),
                alt.Tooltip("note:N"),
                alt.Tooltip("by:N"),
            ],
        )
        .properties(height=220, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    )
