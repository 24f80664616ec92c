"""Feedback: give praise, constructive feedback or coaching to anyone; ask for
feedback about yourself (or, as a manager, about a report); answer what you
were asked; read what you received and gave, and what is shared with everyone."""

import streamlit as st

from app_pages import _auth, _ui
from core.feedback import commands, queries, rules
from core.runtime import unit_of_work
from db.models import FeedbackCreate

actor = _auth.current_actor()
st.title("Feedback", anchor=False)
_ui.show_flash()
st.caption(
    "Feedback here is named: the receiver sees who gave it. Give it soon after the moment "
    "it is about — timely feedback counts for more than feedback on month-old events."
)

# A request a link names (?request=5, as Home's to-dos do).
linked_request = _ui.query_id("request")


def _answered(request_id: int) -> None:
    """Once answered or declined, the link has done its job: drop it, so the
    rerun shows the next request instead of "already answered"."""
    _ui.forget(f"feedback_answer_text_{request_id}", "feedback_answer_pick")
    if st.query_params.get("request") == str(request_id):
        del st.query_params["request"]


with _ui.shown_errors(stop=True), unit_of_work() as session:
    open_requests = queries.list_open_requests_for(session=session, actor=actor)
    people = queries.list_feedback_people(session=session, actor=actor)
    subjects = queries.list_request_subjects(session=session, actor=actor)
    competencies = queries.list_competency_choices(session=session, actor=actor)

answer_tab = f"Requests for me ({len(open_requests)})"
reports = {p: name for p, name in subjects.items() if p != actor.person_id}
tab_names = ["Give feedback", "Ask for feedback", answer_tab, "Received", "Given", "Organisation"]
if reports:
    tab_names.append("My reports")
tabs = dict(
    zip(
        tab_names,
        st.tabs(tab_names, default=answer_tab if linked_request is not None else None),
        strict=True,
    )
)

with tabs["Give feedback"]:
    give_fields = ("feedback_give_text", "feedback_give_goal", "feedback_give_competency")
    receiver_id = st.selectbox(
        "To",
        options=list(people),
        format_func=people.__getitem__,
        index=None,
        placeholder="Choose a person",
        key="feedback_give_to",
    )
    kind = st.radio(
        "Kind",
        options=list(rules.KINDS),
        format_func=rules.KIND_LABELS.__getitem__,
        horizontal=True,
        key="feedback_give_kind",
    )
    visibility = st.radio(
        "Who may read it",
        options=list(rules.VISIBILITIES),
        format_func=rules.VISIBILITY_LABELS.__getitem__,
        key="feedback_give_visibility",
    )
    goals: dict[int, str] = {}
    if receiver_id is not None:
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            goals = queries.list_goal_choices(session=session, actor=actor, receiver_id=receiver_id)
    goal_id = st.selectbox(
        "About a goal (optional)",
        options=list(goals),
        format_func=goals.__getitem__,
        index=None,
        placeholder="No goal" if goals else "No goal of theirs that you can see",
        key=give_fields[1],
    )
    competency_id = st.selectbox(
        "About a competency (optional)",
        options=list(competencies),
        format_func=competencies.__getitem__,
        index=None,
        placeholder="No competency",
        key=give_fields[2],
    )
    # No max_chars: a pasted text over the limit gets core's clear message
    # and stays in the box, instead of being cut short without a word.
    text = st.text_area(
        "Feedback",
        help=f"At most {rules.MAX_FEEDBACK_CHARS:,} characters.",
        placeholder="What happened, what it changed, what to keep or try next.",
        key=give_fields[0],
    )
    if st.button("Send feedback", type="primary", key="feedback_give_send"):
        if receiver_id is None:
            st.error("Choose whom the feedback is for.")
        else:
            feedback_in = FeedbackCreate(
                receiver_id=receiver_id,
                kind=kind,
                text=text,
                visibility=visibility,
                goal_id=goal_id,
                competency_id=competency_id,
            )
            _ui.run_action(
                lambda session: commands.create_feedback(
                    session=session, actor=actor, feedback_in=feedback_in
                ),
                success=f"Feedback sent to {_ui.md(people[receiver_id])}.",
                then=lambda _: _ui.forget(*give_fields),
            )

with tabs["Ask for feedback"]:
    ask_fields = ("feedback_ask_people", "feedback_ask_question")
    subject_id = st.selectbox(
        "About",
        options=list(subjects),
        format_func=subjects.__getitem__,
        key="feedback_ask_about",
    )
    askable = {p: name for p, name in people.items() if p != subject_id}
    asked = st.multiselect(
        "Ask",
        options=list(askable),
        format_func=askable.__getitem__,
        max_selections=rules.MAX_ASKED_AT_ONCE,
        key=ask_fields[0],
    )
    question = st.text_area(
        "Question",
        help=f"At most {rules.MAX_QUESTION_CHARS:,} characters.",
        placeholder="What would you like them to tell you about?",
        key=ask_fields[1],
    )
    if subject_id is not None and subject_id != actor.person_id:
        st.caption("Their answers are shared with the person and their managers, you included.")
    if st.button("Send request", type="primary", key="feedback_ask_send") and subject_id:
        about: int = subject_id
        _ui.run_action(
            lambda session: commands.create_feedback_request(
                session=session,
                actor=actor,
                subject_id=about,
                asked_ids=[int(p) for p in asked],
                question=question,
            ),
            success=lambda made: f"Asked {len(made)} people for feedback.",
            then=lambda _: _ui.forget(*ask_fields),
        )
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        sent = queries.list_requests_sent(session=session, actor=actor)
    st.subheader("Requests I sent", anchor=False)
    if sent.empty:
        st.info("You haven't asked anyone for feedback yet.")
    else:
        st.dataframe(sent.drop(columns=["id"]), hide_index=True, width="stretch")

with tabs[answer_tab]:
    labels = {
        int(r["id"]): f"{r['asked by']} — about {r['about']}"
        for r in open_requests.to_dict("records")
    }
    if linked_request is not None and linked_request not in labels:
        # Says why: no such request, someone else's, or already answered.
        with _ui.shown_errors(), unit_of_work() as session:
            queries.get_request_to_answer(session=session, actor=actor, request_id=linked_request)
    if not labels:
        st.info("Nobody is waiting for feedback from you.", icon=":material/forum:")
    else:
        if linked_request in labels and (
            st.session_state.get("feedback_answer_linked") != linked_request
        ):
            # The first run with a new link chooses its request.
            st.session_state["feedback_answer_linked"] = linked_request
            st.session_state["feedback_answer_pick"] = linked_request
        chosen = st.selectbox(
            "Request",
            options=list(labels),
            format_func=labels.__getitem__,
            key="feedback_answer_pick",
        )
        if chosen is not None:
            request_id: int = chosen
            with _ui.shown_errors(stop=True), unit_of_work() as session:
                request = queries.get_request_to_answer(
                    session=session, actor=actor, request_id=request_id
                )
            st.markdown(f"**{_ui.md(request.requester)} asks about {_ui.md(request.subject)}:**")
            st.text(request.question)
            answer_kind = st.radio(
                "Kind",
                options=list(rules.KINDS),
                format_func=rules.KIND_LABELS.__getitem__,
                horizontal=True,
                key=f"feedback_answer_kind_{request_id}",
            )
            answer_visibility = st.radio(
                "Who may read it",
                options=list(request.visibilities),
                format_func=rules.VISIBILITY_LABELS.__getitem__,
                key=f"feedback_answer_visibility_{request_id}",
            )
            answer_text = st.text_area(
                "Your feedback",
                help=f"At most {rules.MAX_FEEDBACK_CHARS:,} characters.",
                key=f"feedback_answer_text_{request_id}",
            )
            send_col, decline_col, _ = st.columns([1, 1, 3])
            if send_col.button("Send answer", type="primary", key="feedback_answer_send"):
                _ui.run_action(
                    lambda session: commands.answer_feedback_request(
                        session=session,
                        actor=actor,
                        request_id=request_id,
                        kind=answer_kind,
                        text=answer_text,
                        visibility=answer_visibility,
                    ),
                    success=f"Feedback sent to {_ui.md(request.subject)}.",
                    then=lambda _: _answered(request_id),
                )
            if decline_col.button("Decline", key="feedback_answer_decline"):
                _ui.run_action(
                    lambda session: commands.decline_feedback_request(
                        session=session, actor=actor, request_id=request_id
                    ),
                    success="Request declined.",
                    then=lambda _: _answered(request_id),
                )

with tabs["Received"]:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        received = queries.list_feedback_received(session=session, actor=actor)
    if received.empty:
        st.info("No feedback for you yet — ask for some under *Ask for feedback*.")
    else:
        st.dataframe(received.drop(columns=["id"]), hide_index=True, width="stretch")
        _ui.excel_download(
            received.drop(columns=["id"]),
            file_name="feedback-received.xlsx",
            sheet_name="Feedback received",
            key="feedback_received_download",
        )

with tabs["Given"]:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        given = queries.list_feedback_given(session=session, actor=actor)
    if given.empty:
        st.info("You haven't given feedback yet — start under *Give feedback*.")
    else:
        st.dataframe(given.drop(columns=["id"]), hide_index=True, width="stretch")

with tabs["Organisation"]:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        feed = queries.list_public_feed(session=session, actor=actor)
    st.caption("Feedback its givers shared with the whole organisation, newest first.")
    if feed.empty:
        st.info("Nothing has been shared with everyone yet.")
    else:
        st.dataframe(feed.drop(columns=["id"]), hide_index=True, width="stretch")

if "My reports" in tabs:
    with tabs["My reports"]:
        st.caption(
            "Feedback your reports received that is shared with their managers or with "
            "everyone — answers to your requests about them included. Private feedback "
            "stays between giver and receiver."
        )
        report_id = st.selectbox(
            "Report",
            options=list(reports),
            format_func=reports.__getitem__,
            index=None,
            placeholder="Choose a report",
            key="feedback_report_pick",
        )
        if report_id is not None:
            with _ui.shown_errors(stop=True), unit_of_work() as session:
                theirs = queries.list_feedback_received(
                    session=session, actor=actor, person_id=report_id
                )
            if theirs.empty:
                st.info("Nothing shared with managers yet.")
            else:
                st.dataframe(theirs.drop(columns=["id"]), hide_index=True, width="stretch")
