"""Continuous feedback on both databases: who reads what, the request flow,
wrong ids, text limits, audit, to-dos, subject access and erasure."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlmodel import Session, select

from core.errors import NotFound, PermissionDenied, ValidationError
from core.feedback import commands, queries
from core.feedback.todos import feedback_requests_to_answer
from core.people.privacy import erase_person, get_subject_access
from db.models import AuditEvent, Feedback, FeedbackCreate, FeedbackRequest
from tests.factories import (
    SmallOrg,
    actor_for,
    make_competency,
    make_cycle,
    make_feedback,
    make_feedback_request,
    make_framework,
    make_goal,
    make_scale,
    make_small_org,
)


@pytest.fixture
def org(session: Session) -> SmallOrg:
    return make_small_org(session)


def _texts(frame) -> set[str]:  # type: ignore[no-untyped-def]
    return set(frame["feedback"])


def _give(session: Session, org: SmallOrg, visibility: str) -> str:
    """The peer gives the report feedback of this visibility; returns its text."""
    text = f"{visibility} note for Rita"
    commands.create_feedback(
        session,
        actor=actor_for(session, org.peer),
        feedback_in=FeedbackCreate(
            receiver_id=org.report.id or 0, kind="praise", text=text, visibility=visibility
        ),
    )
    return text


def test_each_person_reads_only_what_the_visibility_allows(session: Session, org: SmallOrg) -> None:
    private, managers, public = (_give(session, org, v) for v in ("private", "managers", "public"))
    everything = {private, managers, public}

    def received_by_report(viewer) -> set[str]:  # type: ignore[no-untyped-def]
        return _texts(
            queries.list_feedback_received(
                session, actor=actor_for(session, viewer), person_id=org.report.id
            )
        )

    assert _texts(
        queries.list_feedback_received(session, actor=actor_for(session, org.report))
    ) == (everything)
    assert _texts(queries.list_feedback_given(session, actor=actor_for(session, org.peer))) == (
        everything
    )
    assert received_by_report(org.manager) == {managers, public}
    assert received_by_report(org.ceo) == {managers, public}  # up the chain
    assert received_by_report(org.hr) == {public}  # HR has no right of its own
    assert received_by_report(org.outsider) == {public}
    assert received_by_report(org.lead) == {public}  # a peer, not their manager
    feed = queries.list_public_feed(session, actor=actor_for(session, org.outsider))
    assert public in set(feed["feedback"])
    assert not {private, managers} & set(feed["feedback"])


def test_single_items_are_refused_and_the_refusal_is_audited(
    session: Session, org: SmallOrg
) -> None:
    item = make_feedback(session, giver=org.peer, receiver=org.report, visibility="private")
    for viewer in (org.manager, org.hr, org.outsider):
        with pytest.raises(PermissionDenied, match="not shared with you"):
            queries.get_feedback(
                session, actor=actor_for(session, viewer), feedback_id=item.id or 0
            )
    assert queries.get_feedback(
        session, actor=actor_for(session, org.report), feedback_id=item.id or 0
    )
    denials = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.entity == "feedback"
        )
    ).all()
    assert len(denials) == 3
    shared = make_feedback(session, giver=org.peer, receiver=org.report, visibility="managers")
    assert queries.get_feedback(
        session, actor=actor_for(session, org.manager), feedback_id=shared.id or 0
    )
    with pytest.raises(PermissionDenied):
        queries.get_feedback(session, actor=actor_for(session, org.hr), feedback_id=shared.id or 0)
    with pytest.raises(NotFound):
        queries.get_feedback(session, actor=actor_for(session, org.hr), feedback_id=10**9)


def test_giving_feedback_is_validated_and_audited(session: Session, org: SmallOrg) -> None:
    peer = actor_for(session, org.peer)

    def give(**fields: object) -> object:
        values: dict[str, object] = {
            "receiver_id": org.report.id,
            "kind": "coaching",
            "text": "Try the checklist",
            "visibility": "managers",
            **fields,
        }
        return commands.create_feedback(session, actor=peer, feedback_in=FeedbackCreate(**values))

    with pytest.raises(ValidationError, match="100,000 characters"):
        give(text="x" * 100_000)
    with pytest.raises(ValidationError, match="Write the feedback"):
        give(text="   ")
    with pytest.raises(ValidationError):
        give(visibility="hr")
    with pytest.raises(PermissionDenied):
        give(receiver_id=org.peer.id)
    with pytest.raises(NotFound):
        give(receiver_id=10**9)
    odd = give(text="![x](//h/i) =1+1")
    stored = session.get(Feedback, odd.id)  # type: ignore[attr-defined]
    assert stored is not None
    assert stored.text == "![x](//h/i) =1+1"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "feedback.created")).one()
    assert event.entity_id == str(stored.id)
    assert "![x]" not in event.detail  # the text stays out of the audit log


def test_links_to_goals_the_giver_cannot_see_are_refused(session: Session, org: SmallOrg) -> None:
    cycle = make_cycle(session)
    goal = make_goal(session, cycle=cycle, owner=org.report, title="Rita's private goal")
    scale = make_scale(session)
    competency = make_competency(session, framework=make_framework(session, scale=scale))
    feedback_in = FeedbackCreate(
        receiver_id=org.report.id or 0,
        text="Good progress",
        goal_id=goal.id,
        competency_id=competency.id,
    )
    with pytest.raises(PermissionDenied, match="can't see that goal"):
        commands.create_feedback(
            session, actor=actor_for(session, org.peer), feedback_in=feedback_in
        )
    assert (
        queries.list_goal_choices(
            session, actor=actor_for(session, org.peer), receiver_id=org.report.id or 0
        )
        == {}
    )
    manager = actor_for(session, org.manager)
    assert goal.id in queries.list_goal_choices(
        session, actor=manager, receiver_id=org.report.id or 0
    )
    commands.create_feedback(session, actor=manager, feedback_in=feedback_in)
    received = queries.list_feedback_received(session, actor=actor_for(session, org.report))
    assert list(received["goal"]) == ["Rita's private goal"]
    assert list(received["competency"]) == [competency.name]


def test_request_flow_about_yourself(session: Session, org: SmallOrg) -> None:
    rita = actor_for(session, org.report)
    made = commands.create_feedback_request(
        session,
        actor=rita,
        subject_id=org.report.id or 0,
        asked_ids=[org.peer.id or 0, org.lead.id or 0],
        question="How was my demo?",
    )
    assert [r.asked_id for r in made] == [org.peer.id, org.lead.id]
    peer = actor_for(session, org.peer)
    waiting = queries.list_open_requests_for(session, actor=peer)
    assert list(waiting["question"]) == ["How was my demo?"]
    [todo] = feedback_requests_to_answer(session, peer, date.today())
    assert todo.page == "feedback"
    assert todo.query == {"request": str(made[0].id)}
    shown = queries.get_request_to_answer(session, actor=peer, request_id=made[0].id)
    assert shown.visibilities == ("private", "managers", "public")
    answer = commands.answer_feedback_request(
        session,
        actor=peer,
        request_id=made[0].id,
        kind="praise",
        text="Clear and short",
        visibility="private",
    )
    assert answer.receiver_id == org.report.id
    assert answer.request_id == made[0].id
    assert queries.list_open_requests_for(session, actor=peer).empty
    assert feedback_requests_to_answer(session, peer, date.today()) == []
    with pytest.raises(ValidationError, match="already answered"):
        commands.answer_feedback_request(
            session,
            actor=peer,
            request_id=made[0].id,
            kind="praise",
            text="Again",
            visibility="private",
        )
    lead = actor_for(session, org.lead)
    commands.decline_feedback_request(session, actor=lead, request_id=made[1].id)
    with pytest.raises(ValidationError, match="declined"):
        commands.decline_feedback_request(session, actor=lead, request_id=made[1].id)
    sent = queries.list_requests_sent(session, actor=rita)
    assert sorted(sent["status"]) == ["answered", "declined"]
    actions = set(session.exec(select(AuditEvent.action)).all())
    assert {
        "feedback_request.created",
        "feedback_request.answered",
        "feedback_request.declined",
        "feedback.created",
    } <= actions


def test_a_manager_asks_about_a_report_only(session: Session, org: SmallOrg) -> None:
    manager = actor_for(session, org.manager)
    [request] = commands.create_feedback_request(
        session,
        actor=manager,
        subject_id=org.indirect.id or 0,  # an indirect report counts
        asked_ids=[org.peer.id or 0],
        question="How is Ivy settling in?",
    )
    for someone_else in (org.outsider, org.ceo, org.hr):
        with pytest.raises(PermissionDenied, match="yourself or about people who report to you"):
            commands.create_feedback_request(
                session,
                actor=manager,
                subject_id=someone_else.id or 0,
                asked_ids=[org.peer.id or 0],
                question="?",
            )
    with pytest.raises(PermissionDenied):  # HR is no exception
        commands.create_feedback_request(
            session,
            actor=actor_for(session, org.hr),
            subject_id=org.report.id or 0,
            asked_ids=[org.peer.id or 0],
            question="?",
        )
    peer = actor_for(session, org.peer)
    assert queries.get_request_to_answer(
        session, actor=peer, request_id=request.id
    ).visibilities == (
        "managers",
        "public",
    )
    with pytest.raises(ValidationError, match="at least with the receiver and their managers"):
        commands.answer_feedback_request(
            session,
            actor=peer,
            request_id=request.id,
            kind="praise",
            text="Fine",
            visibility="private",
        )
    commands.answer_feedback_request(
        session,
        actor=peer,
        request_id=request.id,
        kind="praise",
        text="Settling well",
        visibility="managers",
    )
    seen = queries.list_feedback_received(session, actor=manager, person_id=org.indirect.id)
    assert list(seen["feedback"]) == ["Settling well"]


def test_request_input_is_checked(session: Session, org: SmallOrg) -> None:
    rita = actor_for(session, org.report)

    def ask(asked: list[int], question: str = "How am I doing?") -> object:
        return commands.create_feedback_request(
            session, actor=rita, subject_id=org.report.id or 0, asked_ids=asked, question=question
        )

    with pytest.raises(ValidationError, match="at least one"):
        ask([])
    with pytest.raises(ValidationError, match="yourself"):
        ask([org.report.id or 0])
    with pytest.raises(ValidationError, match="question"):
        ask([org.peer.id or 0], "q" * 100_000)
    with pytest.raises(NotFound):
        ask([10**9])


def test_wrong_request_ids_get_clear_messages(session: Session, org: SmallOrg) -> None:
    request = make_feedback_request(session, requester=org.report, asked=org.peer)
    with pytest.raises(NotFound, match="no such feedback request"):
        queries.get_request_to_answer(session, actor=actor_for(session, org.peer), request_id=10**9)
    for intruder in (org.manager, org.hr, org.report):
        with pytest.raises(PermissionDenied, match="sent to someone else"):
            commands.answer_feedback_request(
                session,
                actor=actor_for(session, intruder),
                request_id=request.id or 0,
                kind="praise",
                text="Sneaky",
                visibility="public",
            )
    assert session.exec(select(Feedback).where(Feedback.text == "Sneaky")).first() is None
    stored = session.get(FeedbackRequest, request.id)
    assert stored is not None
    assert stored.status == "open"


def test_subject_access_holds_named_feedback_and_erasure_clears_its_text(
    session: Session, org: SmallOrg
) -> None:
    make_feedback(session, giver=org.peer, receiver=org.report, text="Rita rushed the release")
    make_feedback(session, giver=org.report, receiver=org.peer, text="Pete helped a lot")
    make_feedback_request(
        session, requester=org.manager, subject=org.report, asked=org.peer, question="Is Rita ok?"
    )
    make_feedback_request(session, requester=org.peer, asked=org.report)
    hr = actor_for(session, org.hr)
    document = json.loads(
        get_subject_access(session, actor=hr, person_id=org.report.id or 0).json()
    )
    assert document["Feedback received"][0]["from"] == "Pete Peer"
    assert document["Feedback received"][0]["feedback"] == "Rita rushed the release"
    assert document["Feedback given"][0]["to"] == "Pete Peer"
    org.report.active = False
    session.add(org.report)
    session.flush()
    erase_person(session, actor=hr, person_id=org.report.id or 0)
    texts = set(session.exec(select(Feedback.text)).all())
    assert "Rita rushed the release" not in texts
    assert "Pete helped a lot" in texts  # about someone else: kept
    questions = set(session.exec(select(FeedbackRequest.question)).all())
    assert "Is Rita ok?" not in questions
    statuses = set(session.exec(select(FeedbackRequest.status)).all())
    assert statuses == {"declined"}
    peer = actor_for(session, org.peer)
    assert feedback_requests_to_answer(session, peer, date.today()) == []


def test_the_received_export_escapes_formulas(session: Session, org: SmallOrg) -> None:
    from openpyxl import load_workbook

    from core.export import dataframe_to_xlsx

    make_feedback(session, giver=org.peer, receiver=org.report, text="=1+1")
    frame = queries.list_feedback_received(session, actor=actor_for(session, org.report))
    sheet = load_workbook(io.BytesIO(dataframe_to_xlsx(frame.drop(columns=["id"])))).active
    assert sheet is not None
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'=1+1" in values
    assert "=1+1" not in values


def test_of_two_simultaneous_answers_only_one_is_kept(session: Session, org: SmallOrg) -> None:
    from sqlalchemy import update

    request = make_feedback_request(session, requester=org.report, asked=org.peer)
    # Another session answers it after this one has read it as open.
    session.execute(
        update(FeedbackRequest)
        .where(FeedbackRequest.id == request.id)  # type: ignore[arg-type]
        .values(status="answered")
        .execution_options(synchronize_session=False)
    )
    assert request.status == "open"  # what this session still believes
    with pytest.raises(ValidationError, match="just been answered"):
        commands.answer_feedback_request(
            session,
            actor=actor_for(session, org.peer),
            request_id=request.id or 0,
            kind="praise",
            text="Second answer",
            visibility="private",
        )
