"""360 reviews: mine (edit raters, assess myself, read the report once
closed), the ones I am asked to answer, and — for managers and HR —
launching, approving raters, external links, closing; HR's participation."""

import os
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from app_pages import _auth, _reviews_ui, _ui
from core import access
from core.errors import ConfigError
from core.reviews import commands as rc
from core.reviews import queries as rq
from core.reviews.anonymity import GROUP_LABELS, Group
from core.runtime import unit_of_work

LINKS = "reviews_links"

actor = _auth.current_actor()
st.title("360 reviews", anchor=False)
_ui.show_flash()
st.caption(
    "Peers, direct reports and external raters answer anonymously: a group's ratings and "
    "comments are shown only with at least 3 answers (or the review's higher threshold), "
    "and a group under it is left out of every figure, “all others” included."
)

may_launch = actor.is_manager or actor.is_hr_admin
tabs = ["My reviews"] + (["Launch"] if may_launch else [])
if access.can_read_review_participation(actor):
    tabs.append("Participation")
shown_tabs = dict(zip(tabs, st.tabs(tabs), strict=True))

linked = _ui.query_id("review")


def _follow_pick() -> None:
    st.query_params["review"] = str(st.session_state["reviews_pick"])


with shown_tabs["My reviews"]:
    with _ui.shown_errors(stop=True), unit_of_work() as session:
        mine = rq.list_my_reviews(session, actor=actor)
    labels: dict[int, str] = {}
    for title, frame in (
        ("To answer", mine.to_answer),
        ("About me", mine.as_subject),
        ("Of people I manage" if not actor.is_hr_admin else "Everyone's", mine.managed),
    ):
        if frame.empty:
            continue
        st.subheader(title, anchor=False)
        st.dataframe(frame, hide_index=True, width="stretch")
        for record in frame.to_dict("records"):
            labels.setdefault(
                int(record["review"]),
                f"#{record['review']} · {record['person']} ({record['status']})",
            )
    if not labels:
        st.info("No 360 reviews for you yet.", icon=":material/diversity_3:")
        chosen = None
    else:
        # The link (?review=) is what is open: a rerun after approving or
        # closing relabels the choices ("draft" to "collecting"), and the
        # choice alone then fell back to the first review in the list.
        if linked is not None and linked in labels:
            st.session_state["reviews_pick"] = linked
        chosen = st.selectbox(
            "Open review",
            list(labels),
            format_func=labels.__getitem__,
            key="reviews_pick",
            on_change=_follow_pick,
        )
    if chosen is not None:
        review_id: int = chosen
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            view = rq.get_review(session, actor=actor, review_id=review_id)
        st.header(_ui.md(f"360 review of {view.subject_name}"), anchor=False)
        st.caption(
            _ui.md(
                f"Status: {view.status} · due {view.due_on:%d %b %Y} · "
                f"anonymity threshold {view.threshold}"
            )
        )
        if view.i_am_to_answer:
            with _ui.shown_errors(stop=True), unit_of_work() as session:
                form = rq.get_answer_form(session, actor=actor, review_id=review_id)
            st.subheader(
                "Your self-assessment" if view.is_subject else "Your answers", anchor=False
            )
            if form.group in {g.value for g in (Group.peer, Group.direct_report)}:
                st.caption(
                    _ui.md(
                        "Your answers are anonymous: they are shown only together with at "
                        f"least {view.threshold - 1} others of your group, never on their own."
                    )
                )
            elif form.group == Group.manager.value:
                st.caption("As the manager, your answers are shown with your name.")
            given = _reviews_ui.answer_form(form, prefix=f"reviews_answer_{review_id}")
            if given is not None:
                answers = given
                _ui.run_action(
                    lambda session: rc.submit_answers(
                        session, actor=actor, review_id=review_id, answers=answers
                    ),
                    success="Answers sent. Thank you.",
                )
        if view.is_subject or view.can_manage:
            st.subheader("Raters", anchor=False)
            st.dataframe(
                pd.DataFrame(
                    [{"group": GROUP_LABELS[Group(r.group)], "name": r.name} for r in view.raters],
                    columns=["group", "name"],
                ),
                hide_index=True,
                width="stretch",
            )
            if view.status != "draft":
                st.dataframe(view.counts_frame(), hide_index=True)
        if view.status == "draft" and view.groups_too_small:
            st.warning(
                _ui.md(
                    f"Fewer than {view.threshold} raters asked in: "
                    f"{', '.join(view.groups_too_small)}. Their answers would never be shown: "
                    "add raters, or remove these."
                ),
                icon=":material/visibility_off:",
            )
        if view.can_edit_raters:
            with _ui.shown_errors(stop=True), unit_of_work() as session:
                candidates = dict(
                    rq.list_rater_candidates(session, actor=actor, review_id=review_id)
                )
            add_col, remove_col = st.columns(2)
            with add_col:
                person = st.selectbox(
                    "Add a colleague",
                    list(candidates),
                    format_func=candidates.__getitem__,
                    index=None,
                    key=f"reviews_add_person_{review_id}",
                )
                group = st.radio(
                    "as",
                    [Group.peer.value, Group.direct_report.value],
                    format_func=lambda g: GROUP_LABELS[Group(g)],
                    horizontal=True,
                    key=f"reviews_add_group_{review_id}",
                )
                if st.button("Add rater", key=f"reviews_add_{review_id}", disabled=person is None):
                    _ui.run_action(
                        lambda session: rc.add_rater(
                            session,
                            actor=actor,
                            review_id=review_id,
                            group=group,
                            person_id=person,
                        ),
                        success="Rater added.",
                    )
            with remove_col:
                removable = {r.rater_id: r for r in view.raters if r.removable}
                gone = st.selectbox(
                    "Remove a rater",
                    list(removable),
                    format_func=lambda r: (
                        f"{removable[r].name} ({GROUP_LABELS[Group(removable[r].group)]})"
                    ),
                    index=None,
                    key=f"reviews_remove_pick_{review_id}",
                )
                if st.button("Remove", key=f"reviews_remove_{review_id}", disabled=gone is None):
                    _ui.run_action(
                        lambda session: rc.remove_rater(
                            session, actor=actor, review_id=review_id, rater_id=gone or 0
                        ),
                        success="Rater removed.",
                    )
        if view.can_manage and view.status in ("draft", "collecting"):
            with st.expander("Add an external rater (customer, supplier)"):
                ext_name = st.text_input("Name", key=f"reviews_ext_name_{review_id}")
                ext_email = st.text_input("E-mail", key=f"reviews_ext_email_{review_id}")
                if st.button("Add external", key=f"reviews_ext_add_{review_id}"):
                    _ui.run_action(
                        lambda session: rc.add_rater(
                            session,
                            actor=actor,
                            review_id=review_id,
                            group=Group.external.value,
                            external_name=ext_name,
                            external_email=ext_email,
                        ),
                        success="External rater added.",
                    )
        if view.can_manage and view.status == "draft":
            if access.can_set_review_threshold(actor):
                threshold = st.number_input(
                    "Anonymity threshold (locks when the review opens)",
                    min_value=3,
                    max_value=20,
                    value=view.threshold,
                    key=f"reviews_threshold_{review_id}",
                )
                if st.button("Set threshold", key=f"reviews_threshold_set_{review_id}"):
                    _ui.run_action(
                        lambda session: rc.set_review_threshold(
                            session, actor=actor, review_id=review_id, threshold=int(threshold)
                        ),
                        success="Threshold set.",
                    )
            if st.button(
                "Approve raters and open for answers",
                type="primary",
                key=f"reviews_approve_{review_id}",
            ):
                _ui.run_action(
                    lambda session: rc.approve_raters(session, actor=actor, review_id=review_id),
                    success="Raters approved: the review is open for answers.",
                )
        if view.can_manage and view.status == "collecting":
            settings = None
            try:
                settings = _ui.smtp_settings()
            except ConfigError as problem:
                st.warning(_ui.md(f"E-mail is not set up correctly: {problem}"))
            base_url = (
                os.environ.get("STRIDE_BASE_URL") or str(st.context.url or "").split("/reviews")[0]
            )
            if settings is not None and st.button(
                "E-mail a reminder to everyone who has not answered",
                icon=":material/send:",
                key=f"reviews_remind_{review_id}",
                help="Who has not answered is not shown to you: reminders go out by themselves.",
            ):
                smtp = settings
                _ui.run_action(
                    lambda session: rc.email_reminders(
                        session, actor=actor, review_id=review_id, settings=smtp, base_url=base_url
                    ),
                    success=lambda all_sent: (
                        "Reminders sent."
                        if all_sent
                        else "Reminders sent; some could not be delivered (see the server log)."
                    ),
                )
            if view.externals_waiting:
                st.subheader("External raters' links", anchor=False)
                send_mail = settings is not None and st.toggle(
                    "E-mail the links", value=True, key=f"reviews_links_mail_{review_id}"
                )
                if st.button(
                    f"Make links for {view.externals_waiting} external rater(s)",
                    key=f"reviews_links_{review_id}",
                ):
                    links = None
                    with _ui.shown_errors(), unit_of_work() as session:
                        links = rc.create_external_links(
                            session, actor=actor, review_id=review_id, base_url=base_url
                        )
                    if links is not None:
                        sent = None
                        if send_mail and settings is not None:
                            with _ui.shown_errors(), unit_of_work() as session:
                                sent = rc.email_external_links(
                                    session,
                                    actor=actor,
                                    review_id=review_id,
                                    links=links,
                                    settings=settings,
                                )
                        st.session_state[LINKS] = (review_id, links, sent)
                made = st.session_state.get(LINKS)
                if made and made[0] == review_id:
                    _id, links, sent = made
                    status = {r.to_address: r for r in sent or []}
                    st.caption(
                        "Copy each link to its rater now: links are not stored and cannot be "
                        "shown again (making new ones replaces them)."
                    )
                    st.dataframe(
                        pd.DataFrame(
                            [
                                {
                                    "name": link.name,
                                    "email": link.email,
                                    "link": link.link,
                                    "e-mail": (
                                        "sent"
                                        if link.email in status and status[link.email].sent
                                        else "not sent"
                                    ),
                                }
                                for link in links
                            ],
                            columns=["name", "email", "link", "e-mail"],
                        ),
                        hide_index=True,
                        width="stretch",
                    )
                    for link in links:
                        st.code(link.link, language=None)
            if st.button("Close and release the report", key=f"reviews_close_{review_id}"):
                _ui.run_action(
                    lambda session: rc.close_review(session, actor=actor, review_id=review_id),
                    success="Review closed: the report is released.",
                )
        if view.may_read_report:
            st.subheader("Report", anchor=False)
            report = _ui.load(
                lambda session: rq.get_review_report(session, actor=actor, review_id=review_id)
            )
            if report is not None:
                _reviews_ui.show_report(report, key=f"reviews_report_{review_id}")

if "Launch" in shown_tabs:
    with shown_tabs["Launch"]:
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            people = dict(rq.list_launchable_people(session, actor=actor))
        if not people:
            st.info("Nobody you could launch a 360 review for.")
        else:
            subject = st.selectbox(
                "Person", list(people), format_func=people.__getitem__, key="reviews_launch_person"
            )
            due = st.date_input(
                "Due on", value=date.today() + timedelta(days=21), key="reviews_launch_due"
            )
            st.caption(
                "Questions: the competencies of the person's role (a level and a comment) and "
                "two open questions. Raters suggested: their manager, peers who share the "
                "manager, their direct reports; the person adds or removes before approval."
            )
            if st.button("Launch 360 review", type="primary", key="reviews_launch_go"):
                _ui.run_action(
                    lambda session: rc.launch_review(
                        session, actor=actor, subject_id=int(subject or 0), due_on=due
                    ),
                    then=lambda new_id: st.query_params.update(review=str(new_id)),
                    success="360 review launched: the person can now check the raters.",
                )

if "Participation" in shown_tabs:
    with shown_tabs["Participation"]:
        st.caption("Response rates per review and group. Answers are never shown here.")
        with _ui.shown_errors(stop=True), unit_of_work() as session:
            participation = rq.list_review_participation(session, actor=actor)
        if participation.empty:
            st.info("No 360 reviews yet.")
        else:
            st.dataframe(
                participation,
                hide_index=True,
                width="stretch",
                column_config={
                    "response rate": st.column_config.ProgressColumn(
                        "response rate", min_value=0.0, max_value=1.0, format="percent"
                    )
                },
            )
            _ui.excel_download(
                participation, file_name="stride-360-participation.xlsx", key="reviews_part_xlsx"
            )
