"""Learning: my assignments and recommendations for my gaps; managers assign
items to the people who need them most; HR keeps the catalogue."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from app_pages import _auth, _ui
from core import access, learning
from core.display import FLAG_BADGES, badges, readable
from core.runtime import unit_of_work
from db.models import LearningItemCreate

actor = _auth.current_actor()
# Name columns stay in view when a grid scrolls sideways.
PINNED = {
    "person": st.column_config.TextColumn("person", pinned=True),
    "item": st.column_config.TextColumn("item", pinned=True),
}


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """For display: flags as badges ("⚠ overdue"), no None/NaN, rounded."""
    return readable(badges(frame, FLAG_BADGES))


st.title("Learning", anchor=False)
_ui.show_flash()
st.caption(
    "Finishing a course doesn't change your level by itself: a gap closes when a new "
    "assessment (yours or your manager's) shows it."
)

# An assignment a link names (?assignment=5, as Home's to-dos do).
linked_assignment = _ui.query_id("assignment")
may_assign = access.has(actor, access.Capability.assign_learning)
tabs = ["My learning", "Catalogue"] + (["Assign to my team"] if may_assign else [])
shown_tabs = dict(zip(tabs, st.tabs(tabs), strict=True))

with shown_tabs["My learning"]:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        mine = learning.list_assignments(session=session, actor=actor)
        recommended = learning.recommend_learning(session=session, actor=actor)
    st.subheader("Assigned to me", anchor=False)
    mine_ids = {int(i) for i in mine["id"]}
    if linked_assignment is not None and linked_assignment not in mine_ids:
        st.warning("The linked assignment is not one of yours, or it no longer exists.")
    if mine.empty:
        st.info(
            "Nothing assigned to you yet — pick something from the *Catalogue* tab, or "
            "start with the recommendations for your gaps below.",
            icon=":material/school:",
        )
    else:
        st.dataframe(
            _shown(mine.drop(columns=["id", "version", "person"])),
            hide_index=True,
            column_config=PINNED,
        )
        labels = {int(r["id"]): f"{r['item']} ({r['status']})" for r in mine.to_dict("records")}
        if linked_assignment in mine_ids and (
            st.session_state.get("learning_mine_linked") != linked_assignment
        ):
            # The first run with a new link chooses its assignment for updating.
            st.session_state["learning_mine_linked"] = linked_assignment
            st.session_state["learning_mine_pick"] = linked_assignment
        chosen = st.selectbox(
            "Update", options=list(labels), format_func=labels.__getitem__, key="learning_mine_pick"
        )
        current = (
            str(mine.loc[mine["id"] == chosen, "status"].iloc[0]) if chosen is not None else None
        )
        status = st.radio(
            "Status",
            options=learning.SELF_STATUSES,
            # Opens on the chosen assignment's own status, not the first option.
            index=learning.SELF_STATUSES.index(current) if current in learning.SELF_STATUSES else 0,
            horizontal=True,
            key=f"learning_mine_status_{chosen}",
        )
        if chosen is not None:
            # The version this person saw when choosing it, not the one on the
            # run that saves: someone else's change meanwhile is refused.
            opened_key = f"learning_mine_opened_{chosen}"
            version = st.session_state.setdefault(
                opened_key, int(mine.loc[mine["id"] == chosen, "version"].iloc[0])
            )
        if st.button("Save status", key="learning_mine_save") and chosen is not None:
            assignment_id: int = chosen
            _ui.run_action(
                lambda session: learning.update_assignment_status(
                    session=session,
                    actor=actor,
                    assignment_id=assignment_id,
                    status=status,
                    version=version,
                ),
                then=lambda _: _ui.forget(opened_key),
                success="Status saved.",
            )
    st.subheader("Recommended for my gaps", anchor=False)
    if recommended.empty:
        st.info("No known gaps with matching learning items. Assess yourself under *My skills*.")
    else:
        st.dataframe(
            _shown(recommended.drop(columns=["item_id"])),
            hide_index=True,
            width="stretch",
            column_config={"link": st.column_config.LinkColumn("link")},
        )

with shown_tabs["Catalogue"]:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        catalogue = learning.list_learning_items(session=session, actor=actor)
    st.dataframe(
        _shown(catalogue.drop(columns=["id", "competency_id", "target rank"])),
        hide_index=True,
        width="stretch",
        column_config={"link": st.column_config.LinkColumn("link")},
    )
    if access.has(actor, access.Capability.edit_learning_catalogue):
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            competencies = learning.list_competency_levels(session=session, actor=actor)
        st.subheader("Add a learning item", anchor=False)
        competency_id = st.selectbox(
            "Competency",
            options=list(competencies),
            format_func=lambda c: competencies[c][0],
            key="learning_new_competency",
        )
        levels: dict[int, str] = (
            dict(competencies[competency_id][1]) if competency_id is not None else {}
        )
        # Cleared only once the item is saved: a refused one keeps its input.
        item_fields = ("learning_new_title", "learning_new_url", "learning_new_hours")
        with st.form("learning_new_item"):
            title = st.text_input("Title", max_chars=200, key=item_fields[0])
            url = st.text_input("Link (https://…)", max_chars=500, key=item_fields[1])
            target = st.selectbox(
                "Helps reach", options=list(levels), format_func=lambda v: levels[v]
            )
            hours = st.number_input(
                "Hours", min_value=0.0, max_value=1000.0, value=2.0, step=0.5, key=item_fields[2]
            )
            if st.form_submit_button("Add item") and competency_id is not None:
                item_in = LearningItemCreate(
                    title=title,
                    url=url,
                    competency_id=competency_id,
                    target_value_id=int(target or 0),
                    hours=hours,
                )
                _ui.run_action(
                    lambda session: learning.create_learning_item(
                        session=session, actor=actor, item_in=item_in
                    ),
                    success=lambda created: f"Added “{_ui.md(created.title)}”.",
                    then=lambda _created: _ui.forget(*item_fields),
                )

if "Assign to my team" in shown_tabs:
    with shown_tabs["Assign to my team"]:
        items = {
            int(r["id"]): f"{r['title']} — {r['competency']}, to {r['target level']}"
            for r in catalogue.to_dict("records")
        }
        item_id = st.selectbox(
            "Learning item",
            options=list(items),
            format_func=items.__getitem__,
            index=None,
            placeholder="Choose an item",
            key="learning_assign_item",
        )
        if item_id is not None:
            with _ui.shown_errors(stop=True), unit_of_work() as session:
                candidates = learning.rank_people_for_item(
                    session=session, actor=actor, item_id=item_id
                )
            if candidates.empty:
                st.info("Nobody in your team needs this item's competency below its level.")
            else:
                st.caption("Most relevant first: the biggest known gap, then unknown levels.")
                st.dataframe(
                    _shown(candidates.drop(columns=["person_id"])),
                    hide_index=True,
                    column_config=PINNED,
                )
                names = dict(zip(candidates["person_id"], candidates["person"], strict=True))
                suggested = learning.suggested_assignees(candidates)
                with st.form("learning_assign_form"):
                    people = st.multiselect(
                        "Assign to",
                        options=list(names),
                        default=suggested,
                        format_func=names.__getitem__,
                    )
                    due_on = st.date_input("Due on", value=date.today() + timedelta(days=30))
                    if st.form_submit_button("Assign", type="primary"):
                        assigned_item: int = item_id
                        _ui.run_action(
                            lambda session: learning.assign_learning(
                                session=session,
                                actor=actor,
                                item_id=assigned_item,
                                person_ids=[int(p) for p in people],
                                due_on=due_on,
                            ),
                            success=lambda made: f"Assigned to {made} people.",
                        )
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            team_assignments = learning.list_assignments(session=session, actor=actor, team=True)
        st.subheader("My team's learning", anchor=False)
        st.dataframe(
            _shown(team_assignments.drop(columns=["id", "version"])),
            hide_index=True,
            column_config=PINNED,
        )
        _ui.excel_download(
            team_assignments.drop(columns=["id", "version"]),
            file_name="team-learning.xlsx",
            key="learning_team_download",
        )
