"""360 reviews on both databases: launch, raters, answers, external links,
the report's anonymity, the current-level feed and who may read what."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from core.errors import AuthError, Busy, PermissionDenied, ValidationError
from core.reviews import commands as rc
from core.reviews import queries as rq
from core.reviews.commands import AnswerIn
from core.runtime import unit_of_work
from db.models import (
    Assessment,
    AuditEvent,
    CurrentLevel,
    ModuleSwitch,
    OrgUnit,
    ReviewAnswer,
    ReviewRater,
    ReviewResponse,
)
from tests.factories import ReviewOrg, actor_for, make_review_org

DUE = date.today() + timedelta(days=14)
BASE = "https://stride.example"


def _token(link: str) -> str:
    return parse_qs(urlparse(link).query)["review_token"][0]


def _answers(org: ReviewOrg, rank: int, comment: str) -> dict[str, AnswerIn]:
    answers = {f"c{c.id}": AnswerIn(rank, f"{comment} on {c.name}") for c in org.competencies}
    answers["strengths"] = AnswerIn(None, f"{comment}: strengths")
    return answers


def _launched(session: Session, *, peers: int = 3) -> tuple[ReviewOrg, int]:
    org = make_review_org(session, peers=peers)
    review_id = rc.launch_review(
        session, actor=actor_for(session, org.manager), subject_id=org.subject.id, due_on=DUE
    )
    return org, review_id


def _run(
    session: Session, *, peers_answering: int, externals_answering: int = 1, peers: int = 3
) -> tuple[ReviewOrg, int]:
    org, review_id = _launched(session, peers=peers)
    manager = actor_for(session, org.manager)
    subject = actor_for(session, org.subject)
    rc.add_rater(
        session,
        actor=subject,
        review_id=review_id,
        group="external",
        external_name="Cleo Customer",
        external_email="cleo@client.example",
    )
    rc.approve_raters(session, actor=manager, review_id=review_id)
    rc.submit_answers(session, actor=subject, review_id=review_id, answers=_answers(org, 3, "self"))
    rc.submit_answers(session, actor=manager, review_id=review_id, answers=_answers(org, 1, "mgr"))
    for i, peer in enumerate(org.peers[:peers_answering]):
        rc.submit_answers(
            session,
            actor=actor_for(session, peer),
            review_id=review_id,
            answers=_answers(org, 2, f"peer{i}"),
        )
    links = rc.create_external_links(session, actor=manager, review_id=review_id, base_url=BASE)
    for link in links[:externals_answering]:
        rc.submit_external_answers(
            session, token=_token(link.link), answers=_answers(org, 3, "ext")
        )
    rc.close_review(session, actor=manager, review_id=review_id)
    return org, review_id


def test_launch_suggests_manager_peers_and_reports_and_asks_role_competencies(
    session: Session,
) -> None:
    org, review_id = _launched(session)
    view = rq.get_review(session, actor=actor_for(session, org.subject), review_id=review_id)
    groups = sorted((r.group, r.name) for r in view.raters)
    assert ("manager", "Mona Manager") in groups
    assert ("self", "Sam Subject") in groups
    assert sorted(n for g, n in groups if g == "peer") == ["Peer 0", "Peer 1", "Peer 2"]
    assert sorted(n for g, n in groups if g == "direct_report") == ["Report 0", "Report 1"]
    form = rq.get_answer_form(session, actor=actor_for(session, org.subject), review_id=review_id)
    assert form.subject_name == "Sam Subject"
    assert [q.text for q in form.questions][:2] == ["Communication", "Analysis"]
    assert [q.key for q in form.questions][2:] == ["strengths", "develop"]
    assert [name for _rank, name in form.questions[0].levels] == [
        "Basic",
        "Proficient",
        "Advanced",
    ]


def test_only_managers_and_hr_launch(session: Session) -> None:
    org = make_review_org(session)
    with pytest.raises(PermissionDenied):
        rc.launch_review(
            session, actor=actor_for(session, org.peers[0]), subject_id=org.subject.id, due_on=DUE
        )
    assert rc.launch_review(
        session, actor=actor_for(session, org.hr), subject_id=org.subject.id, due_on=DUE
    )
    with pytest.raises(ValidationError):  # one open review per person
        rc.launch_review(
            session, actor=actor_for(session, org.manager), subject_id=org.subject.id, due_on=DUE
        )


def test_the_subject_edits_raters_until_the_manager_approves(session: Session) -> None:
    org, review_id = _launched(session)
    subject = actor_for(session, org.subject)
    view = rq.get_review(session, actor=subject, review_id=review_id)
    peer_row = next(r for r in view.raters if r.group == "peer")
    rc.remove_rater(session, actor=subject, review_id=review_id, rater_id=peer_row.rater_id)
    rc.add_rater(
        session, actor=subject, review_id=review_id, group="peer", person_id=org.outsider.id
    )
    manager_row = next(r for r in view.raters if r.group == "manager")
    with pytest.raises(ValidationError):
        rc.remove_rater(session, actor=subject, review_id=review_id, rater_id=manager_row.rater_id)
    with pytest.raises(PermissionDenied):
        rc.approve_raters(session, actor=subject, review_id=review_id)
    with pytest.raises(PermissionDenied):
        rc.add_rater(
            session,
            actor=actor_for(session, org.peers[1]),
            review_id=review_id,
            group="peer",
            person_id=org.hr.id,
        )
    rc.approve_raters(session, actor=actor_for(session, org.manager), review_id=review_id)
    with pytest.raises(ValidationError):
        rc.add_rater(session, actor=subject, review_id=review_id, group="peer", person_id=org.hr.id)


def test_hr_raises_the_threshold_before_it_locks(session: Session) -> None:
    org, review_id = _launched(session)
    hr = actor_for(session, org.hr)
    with pytest.raises(PermissionDenied):
        rc.set_review_threshold(
            session, actor=actor_for(session, org.manager), review_id=review_id, threshold=5
        )
    with pytest.raises(ValidationError):
        rc.set_review_threshold(session, actor=hr, review_id=review_id, threshold=2)
    rc.set_review_threshold(session, actor=hr, review_id=review_id, threshold=4)
    rc.approve_raters(session, actor=hr, review_id=review_id)
    with pytest.raises(ValidationError):
        rc.set_review_threshold(session, actor=hr, review_id=review_id, threshold=6)


def test_three_peers_are_shown_and_a_lone_external_is_left_out_of_everything(
    session: Session,
) -> None:
    org, review_id = _run(session, peers_answering=3)
    report = rq.get_review_report(
        session, actor=actor_for(session, org.subject), review_id=review_id
    )
    row = report.by_competency.iloc[0]
    assert row["self"] == 3
    assert row["manager"] == 1
    assert row["peers"] == 2
    assert row["externals"] is None or row["externals"] != row["externals"]  # hidden
    # All others = manager (1) + three peers (2): the external's 3 is not in it.
    assert row["all others"] == pytest.approx((1 + 2 * 3) / 4)
    assert row["others rated"] == 4
    assert row["self vs others"] == "blind spot"
    assert "Externals" in report.hidden_groups
    assert not report.comments["comment"].str.contains("ext").any()
    assert report.comments["comment"].str.contains("peer0").any()
    assert "Manager (Mona Manager)" in set(report.comments["from"])
    # The shown others' mean feeds the current level as a 360 rating (no rater).
    levels = session.exec(
        select(CurrentLevel).where(CurrentLevel.person_id == org.subject.id)
    ).all()
    assert {level.source for level in levels} == {"360"}


def test_two_peers_are_hidden_everywhere_totals_included(session: Session) -> None:
    org, review_id = _run(session, peers_answering=2, externals_answering=0)
    for viewer in (org.subject, org.manager):
        report = rq.get_review_report(
            session, actor=actor_for(session, viewer), review_id=review_id
        )
        row = report.by_competency.iloc[0]
        assert row["peers"] is None or row["peers"] != row["peers"]
        assert row["all others"] == 1  # the manager's rating alone
        assert row["others rated"] == 1
        assert not report.comments["comment"].str.contains("peer").any()
        assert "Peers" in report.hidden_groups
        view = rq.get_review(session, actor=actor_for(session, viewer), review_id=review_id)
        peers = next(c for c in view.counts if c.group == "peer")
        assert peers.answered is None
        assert peers.invited == 3


def test_response_counts_wait_for_the_threshold(session: Session) -> None:
    org, review_id = _launched(session)
    manager = actor_for(session, org.manager)
    rc.approve_raters(session, actor=manager, review_id=review_id)
    for peer in org.peers[:2]:
        rc.submit_answers(
            session,
            actor=actor_for(session, peer),
            review_id=review_id,
            answers=_answers(org, 2, "p"),
        )
    view = rq.get_review(session, actor=manager, review_id=review_id)
    assert next(c for c in view.counts if c.group == "peer").answered is None
    assert not hasattr(view.raters[0], "answered")
    rc.submit_answers(
        session,
        actor=actor_for(session, org.peers[2]),
        review_id=review_id,
        answers=_answers(org, 2, "p"),
    )
    view = rq.get_review(session, actor=manager, review_id=review_id)
    assert next(c for c in view.counts if c.group == "peer").answered == 3


def test_answers_are_stored_apart_from_raters_and_not_twice(session: Session) -> None:
    org, review_id = _launched(session)
    rc.approve_raters(session, actor=actor_for(session, org.manager), review_id=review_id)
    peer = actor_for(session, org.peers[0])
    rc.submit_answers(session, actor=peer, review_id=review_id, answers=_answers(org, 2, "p"))
    with pytest.raises(ValidationError):
        rc.submit_answers(session, actor=peer, review_id=review_id, answers=_answers(org, 2, "p"))
    assert set(ReviewResponse.model_fields) == {"response_id", "review_id", "group"}
    assert "person_id" not in ReviewAnswer.model_fields
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "review_answers.submitted")
    ).all()
    assert events == []  # an anonymous answer leaves no timed trace
    with pytest.raises(PermissionDenied):
        rc.submit_answers(
            session,
            actor=actor_for(session, org.outsider),
            review_id=review_id,
            answers=_answers(org, 2, "x"),
        )
    with pytest.raises(ValidationError):
        rc.submit_answers(
            session,
            actor=actor_for(session, org.peers[1]),
            review_id=review_id,
            answers={f"c{org.competencies[0].id}": AnswerIn(9, "")},
        )


def test_external_tokens_forged_reused_or_expired_get_one_message(session: Session) -> None:
    org, review_id = _launched(session)
    manager = actor_for(session, org.manager)
    for name in ("Cleo", "Carl"):
        rc.add_rater(
            session,
            actor=manager,
            review_id=review_id,
            group="external",
            external_name=name,
            external_email=f"{name.lower()}@client.example",
        )
    with pytest.raises(ValidationError):  # links only once approved
        rc.create_external_links(session, actor=manager, review_id=review_id, base_url=BASE)
    rc.approve_raters(session, actor=manager, review_id=review_id)
    with pytest.raises(PermissionDenied):
        rc.create_external_links(
            session, actor=actor_for(session, org.subject), review_id=review_id, base_url=BASE
        )
    first, second = rc.create_external_links(
        session, actor=manager, review_id=review_id, base_url=BASE
    )
    token = _token(first.link)
    stored = session.exec(select(ReviewRater.token_hash).where(ReviewRater.review_id == review_id))
    assert token not in set(stored)
    form = rq.get_external_form(session, token=token)
    assert form.subject_name == "Sam Subject"
    assert form.group == "external"
    rc.submit_external_answers(session, token=token, answers=_answers(org, 2, "ext"))
    refusals = []
    for bad in (token, token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x" * 500):
        with pytest.raises(AuthError) as refused:
            rq.get_external_form(session, token=bad)
        refusals.append(str(refused.value))
        with pytest.raises(AuthError):
            rc.submit_external_answers(session, token=bad, answers=_answers(org, 2, "again"))
    session.execute(
        update(ReviewRater.__table__)  # type: ignore[attr-defined]
        .where(col(ReviewRater.review_id) == review_id, col(ReviewRater.answered).is_(False))
        .values(token_expires_at=rc.utcnow() - timedelta(seconds=1))
    )
    with pytest.raises(AuthError) as expired:
        rq.get_external_form(session, token=_token(second.link))
    refusals.append(str(expired.value))
    assert set(refusals) == {rc.REFUSED}


def test_raw_answers_never_reach_subject_manager_or_hr(session: Session) -> None:
    org, review_id = _run(session, peers_answering=3)
    hr = actor_for(session, org.hr)
    with pytest.raises(PermissionDenied):
        rq.get_review_report(session, actor=hr, review_id=review_id)
    for outsider in (org.outsider, org.peers[0], org.reports[0]):
        with pytest.raises(PermissionDenied):
            rq.get_review_report(session, actor=actor_for(session, outsider), review_id=review_id)
    participation = rq.list_review_participation(session, actor=hr)
    assert list(participation.columns) == [
        "review",
        "person",
        "status",
        "due",
        "group",
        "invited",
        "answered",
        "response rate",
    ]
    peers = participation[participation["group"] == "Peers"].iloc[0]
    assert (peers["invited"], peers["answered"]) == (3, 3)
    with pytest.raises(PermissionDenied):
        rq.list_review_participation(session, actor=actor_for(session, org.manager))
    for viewer in (org.subject, org.manager):
        report = rq.get_review_report(
            session, actor=actor_for(session, viewer), review_id=review_id
        )
        # Every shown number is an aggregate; peer comments come sorted, unlinked to raters.
        names = {p.full_name for p in org.peers}
        flat = " ".join(str(v) for v in report.comments.to_numpy().ravel())
        assert not any(name in flat for name in names)
        peer_rows = report.comments[report.comments["from"] == "Peers"]
        for _question, comments in peer_rows.groupby("question", sort=False)["comment"]:
            assert list(comments) == sorted(comments)


def test_the_report_waits_for_closing(session: Session) -> None:
    org, review_id = _launched(session)
    with pytest.raises(ValidationError):
        rq.get_review_report(session, actor=actor_for(session, org.subject), review_id=review_id)


def test_my_reviews_lists_what_to_answer(session: Session) -> None:
    org, review_id = _launched(session)
    peer = actor_for(session, org.peers[0])
    assert rq.list_my_reviews(session, actor=peer).to_answer.empty
    rc.approve_raters(session, actor=actor_for(session, org.manager), review_id=review_id)
    mine = rq.list_my_reviews(session, actor=peer)
    assert list(mine.to_answer["review"]) == [review_id]
    managed = rq.list_my_reviews(session, actor=actor_for(session, org.manager)).managed
    assert list(managed["review"]) == [review_id]
    assert list(
        rq.list_my_reviews(session, actor=actor_for(session, org.subject)).as_subject["review"]
    ) == [review_id]


def test_home_to_dos_ask_for_answers_and_approvals(session: Session) -> None:
    from core.reviews import todos as review_todos

    org, review_id = _launched(session)
    today = date.today()
    manager = actor_for(session, org.manager)
    subject = actor_for(session, org.subject)
    peer = actor_for(session, org.peers[0])
    [approve] = review_todos.raters_to_approve(session, manager, today)
    assert approve.kind == "reviews.approve_raters"
    assert approve.query == {"review": str(review_id)}
    assert [t.kind for t in review_todos.raters_to_approve(session, subject, today)] == [
        "reviews.check_raters"
    ]
    assert review_todos.answers_waiting(session, peer, today) == []
    rc.approve_raters(session, actor=manager, review_id=review_id)
    assert review_todos.raters_to_approve(session, manager, today) == []
    [answer] = review_todos.answers_waiting(session, peer, today)
    assert answer.title == "Answer the 360 review of Sam Subject"
    assert answer.due_on == DUE
    [own] = review_todos.answers_waiting(session, subject, today)
    assert own.kind == "reviews.self_assessment"
    rc.submit_answers(session, actor=peer, review_id=review_id, answers=_answers(org, 2, "p"))
    assert review_todos.answers_waiting(session, peer, today) == []


def test_external_links_are_e_mailed_and_a_failed_send_leaves_the_link_valid(
    session: Session,
) -> None:
    from core.mail import SmtpSettings
    from tests.smtp_server import local_smtp_server

    org, review_id = _launched(session)
    manager = actor_for(session, org.manager)
    for name, email in (("Cleo", "cleo@client.example"), ("Rex", "refused@client.example")):
        rc.add_rater(
            session,
            actor=manager,
            review_id=review_id,
            group="external",
            external_name=name,
            external_email=email,
        )
    rc.approve_raters(session, actor=manager, review_id=review_id)
    links = rc.create_external_links(session, actor=manager, review_id=review_id, base_url=BASE)
    with local_smtp_server() as server:
        settings = SmtpSettings(
            host="127.0.0.1", port=server.port, from_address="hr@acme.example", security="none"
        )
        results = rc.email_external_links(
            session, actor=manager, review_id=review_id, links=links, settings=settings
        )
        [delivery] = server.wait_for(1)
    assert [r.sent for r in results] == [True, False]
    body = delivery.message.get_content()
    assert "Sam Subject" in body
    assert links[0].link in body
    # The link that was not sent still works.
    assert rq.get_external_form(session, token=_token(links[1].link)).subject_name == "Sam Subject"
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "review_links.emailed"))
    assert all("review_token" not in e.detail for e in events)


def test_erasing_a_leaver_clears_360_text_about_them(session: Session) -> None:
    from core.people.privacy import erase_person

    org, review_id = _run(session, peers_answering=3)
    org.subject.active = False
    session.add(org.subject)
    session.flush()
    erase_person(session, actor=actor_for(session, org.hr), person_id=org.subject.id)
    texts = session.exec(
        select(ReviewAnswer.comment)
        .join(ReviewResponse, col(ReviewResponse.response_id) == col(ReviewAnswer.response_id))
        .where(ReviewResponse.review_id == review_id)
    ).all()
    assert texts
    assert set(texts) == {""}
    externals = session.exec(
        select(ReviewRater).where(
            ReviewRater.review_id == review_id, ReviewRater.group == "external"
        )
    ).all()
    assert all(r.external_email is None for r in externals)


def test_reminders_go_to_those_who_have_not_answered_and_say_nothing_of_who(
    session: Session,
) -> None:
    from core.mail import SmtpSettings
    from tests.smtp_server import local_smtp_server

    org, review_id = _launched(session)
    manager = actor_for(session, org.manager)
    rc.approve_raters(session, actor=manager, review_id=review_id)
    rc.submit_answers(
        session,
        actor=actor_for(session, org.peers[0]),
        review_id=review_id,
        answers=_answers(org, 2, "p"),
    )
    with local_smtp_server() as server:
        settings = SmtpSettings(
            host="127.0.0.1", port=server.port, from_address="hr@acme.example", security="none"
        )
        outcome = rc.email_reminders(
            session, actor=manager, review_id=review_id, settings=settings, base_url=BASE
        )
        # self, manager, two peers, two reports
        deliveries = server.wait_for(6)
    assert outcome is True
    recipients = {r for d in deliveries for r in d.recipients}
    assert org.peers[0].email not in recipients
    assert org.peers[1].email in recipients
    with pytest.raises(PermissionDenied):
        rc.email_reminders(
            session,
            actor=actor_for(session, org.subject),
            review_id=review_id,
            settings=settings,
            base_url=BASE,
        )


def test_no_reminder_where_360_reviews_are_switched_off(session: Session) -> None:
    from core.mail import SmtpSettings
    from tests.factories import make_unit
    from tests.smtp_server import local_smtp_server

    org, review_id = _launched(session)
    manager = actor_for(session, org.manager)
    rc.approve_raters(session, actor=manager, review_id=review_id)
    # One peer sits in a unit that has 360 reviews switched off.
    elsewhere = make_unit(
        session, name="Team Off", parent=session.get(OrgUnit, org.subject.org_unit_id)
    )
    session.add(ModuleSwitch(org_unit_id=elsewhere.id, module="reviews", enabled=False))
    org.peers[0].org_unit_id = elsewhere.id
    session.add(org.peers[0])
    session.flush()
    with local_smtp_server() as server:
        settings = SmtpSettings(
            host="127.0.0.1", port=server.port, from_address="hr@acme.example", security="none"
        )
        assert rc.email_reminders(
            session, actor=manager, review_id=review_id, settings=settings, base_url=BASE
        )
        # self, manager, the two peers still in the team, two reports
        deliveries = server.wait_for(6)
        recipients = {r for d in deliveries for r in d.recipients}
        assert org.peers[0].email not in recipients
        assert org.peers[1].email in recipients

        # Switched off for the subject's own team: the reminder is refused.
        session.add(
            ModuleSwitch(org_unit_id=org.subject.org_unit_id, module="reviews", enabled=False)
        )
        session.flush()
        with pytest.raises(PermissionDenied):
            rc.email_reminders(
                session, actor=manager, review_id=review_id, settings=settings, base_url=BASE
            )


def test_hr_outside_the_line_runs_a_review_without_anonymous_raters_names(
    session: Session,
) -> None:
    org, review_id = _launched(session)
    view = rq.get_review(session, actor=actor_for(session, org.hr), review_id=review_id)
    anonymous = [r for r in view.raters if r.group in ("peer", "direct_report")]
    assert anonymous
    assert {r.name for r in anonymous} == {rq.ANONYMOUS_RATER}
    assert not any(r.removable for r in anonymous)
    assert "Mona Manager" in {r.name for r in view.raters}
    manager_view = rq.get_review(
        session, actor=actor_for(session, org.manager), review_id=review_id
    )
    assert "Peer 0" in {r.name for r in manager_view.raters}


def test_two_managers_closing_at_once_release_one_report(committing_engine: Engine) -> None:
    """Both click "Close" at the same moment: one closes, the other is told,
    and the 360 ratings are recorded once."""
    with unit_of_work(committing_engine) as session:
        org, review_id = _launched(session)
        manager = actor_for(session, org.manager)
        hr = actor_for(session, org.hr)
        rc.approve_raters(session, actor=manager, review_id=review_id)
        rc.submit_answers(
            session, actor=manager, review_id=review_id, answers=_answers(org, 2, "m")
        )
        subject_id = org.subject.id
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def close(actor: object) -> None:
        start.wait()
        try:
            with unit_of_work(committing_engine) as session:
                rc.close_review(session, actor=actor, review_id=review_id)  # type: ignore[arg-type]
            outcomes.append("closed")
        except (ValidationError, Busy):
            outcomes.append("refused")

    threads = [threading.Thread(target=close, args=(a,)) for a in (manager, hr)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["closed", "refused"]
    with unit_of_work(committing_engine) as session:
        fed = session.exec(
            select(Assessment).where(Assessment.person_id == subject_id, Assessment.source == "360")
        ).all()
    assert len(fed) == 2  # one per competency, once
