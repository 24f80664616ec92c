"""Continuous feedback for the demo organisation and for generated ones.

Feedback flows mostly between people who work together: a manager and their
reports, and peers who share a manager; now and then across teams. Praise is
often shared with everyone, constructive feedback and coaching mostly stay
with the receiver (and their managers). Histories are laid out over the six
weeks before the seeding moment, so the feed looks current.

The demo adds named stories the README's accounts meet: Emma has received
feedback of every kind and has asked her peers about herself (one answered,
one still open); a peer's request waits for Emma and one of Maya's reports
waits for Maya, so both see a feedback to-do on Home.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from db.models import (
    Competency,
    CompetencyKind,
    Feedback,
    FeedbackKind,
    FeedbackRequest,
    FeedbackRequestStatus,
    FeedbackVisibility,
    Person,
    UserAccount,
    utcnow,
)
from seed.org import Progress

DEMO_FEEDBACK_SEED = 20261203
HISTORY_DAYS = 42
BATCH = 2_000

_TEXTS: dict[str, list[str]] = {
    FeedbackKind.praise.value: [
        "Thanks for jumping in on the release issue, {name} — you kept everyone calm and "
        "it was fixed before customers noticed.",
        "Your walkthrough at the team meeting was clear and well prepared, {name}.",
        "Great job pairing with the newcomers this week; they were productive on day two.",
        "The way you handled the difficult customer call was a model for all of us.",
        "Thank you for the careful review, {name}: it caught two real problems early.",
        "You made the planning session far shorter by preparing the options beforehand.",
    ],
    FeedbackKind.constructive.value: [
        "In Tuesday's meeting the decision got lost in detail; a one-line summary at the "
        "start would help, {name}.",
        "The status update arrived after the deadline we agreed; a heads-up the day before "
        "would have let me re-plan.",
        "Your comments in review were right but terse; a sentence of why makes them land.",
        "Two tickets were closed without notes; others could not tell what had been done.",
    ],
    FeedbackKind.coaching.value: [
        "Next time you present, try starting with the question you want the room to answer.",
        "Consider blocking an hour a week for the backlog you keep postponing, {name}.",
        "You are ready to lead the next retrospective — want to prepare it together?",
        "Try asking the customer what success looks like before proposing a fix.",
    ],
}
_KIND_WEIGHTS = [
    (FeedbackKind.praise.value, 0.5),
    (FeedbackKind.constructive.value, 0.25),
    (FeedbackKind.coaching.value, 0.25),
]
_VISIBILITY_WEIGHTS: dict[str, list[tuple[str, float]]] = {
    FeedbackKind.praise.value: [
        (FeedbackVisibility.public.value, 0.5),
        (FeedbackVisibility.managers.value, 0.3),
        (FeedbackVisibility.private.value, 0.2),
    ],
    FeedbackKind.constructive.value: [
        (FeedbackVisibility.private.value, 0.5),
        (FeedbackVisibility.managers.value, 0.5),
    ],
    FeedbackKind.coaching.value: [
        (FeedbackVisibility.private.value, 0.4),
        (FeedbackVisibility.managers.value, 0.6),
    ],
}
_QUESTIONS = [
    "How did I do running the last planning session?",
    "What should I keep doing, and what should I change, in how I work with your team?",
    "How clear were my updates during the last project?",
    "What is one thing I could do to make our hand-overs smoother?",
]


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _competency_ids(session: Session) -> list[int]:
    return [
        cid
        for cid in session.exec(
            select(Competency.id)
            .where(col(Competency.kind) != CompetencyKind.cluster.value)
            .order_by(col(Competency.id))
        ).all()
        if cid is not None
    ]


def feedback_rows(
    session: Session,
    rng: random.Random,
    *,
    now: datetime,
    per_person: float = 1.5,
    request_share: float = 0.15,
    progress: Progress | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Feedback and open requests for every active person, as row dicts:
    two queries to read the organisation, none per person."""
    report = progress or (lambda _label, _share: None)
    people = [
        (pid, manager_id, name)
        for pid, manager_id, name in session.exec(
            select(Person.id, Person.manager_id, Person.full_name)
            .where(col(Person.active).is_(True))
            .order_by(col(Person.id))
        ).all()
        if pid is not None
    ]
    if len(people) < 2:
        return [], []
    competencies = _competency_ids(session)
    reports: dict[int, list[int]] = defaultdict(list)
    for pid, manager_id, _name in people:
        if manager_id is not None:
            reports[manager_id].append(pid)
    ids = [pid for pid, _, _ in people]
    feedback: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []
    for index, (receiver, manager_id, name) in enumerate(people):
        if index % 1000 == 0:
            report("Feedback", index / len(people))
        first = name.split(" ")[0]
        peers = [p for p in reports.get(manager_id or -1, []) if p != receiver]
        circle = [*peers, *reports.get(receiver, [])] + ([manager_id] if manager_id else [])
        count = int(per_person) + (rng.random() < per_person - int(per_person))
        for _ in range(count):
            giver = rng.choice(circle) if circle and rng.random() < 0.85 else rng.choice(ids)
            if giver == receiver:
                continue
            kind = _pick(rng, _KIND_WEIGHTS)
            feedback.append(
                {
                    "giver_id": giver,
                    "receiver_id": receiver,
                    "kind": kind,
                    "text": rng.choice(_TEXTS[kind]).format(name=first),
                    "visibility": _pick(rng, _VISIBILITY_WEIGHTS[kind]),
                    "goal_id": None,
                    "competency_id": rng.choice(competencies)
                    if competencies and rng.random() < 0.3
                    else None,
                    "request_id": None,
                    "created_at": now - timedelta(minutes=rng.randint(60, HISTORY_DAYS * 24 * 60)),
                }
            )
        if circle and rng.random() < request_share:
            asked = rng.choice(circle)
            requests.append(
                {
                    "requester_id": receiver,
                    "subject_id": receiver,
                    "asked_id": asked,
                    "question": rng.choice(_QUESTIONS),
                    "status": FeedbackRequestStatus.open.value,
                    "created_at": now - timedelta(minutes=rng.randint(60, 14 * 24 * 60)),
                    "closed_at": None,
                }
            )
    return feedback, requests


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(table), rows[start : start + BATCH])


def generate_feedback(session: Session, rng: random.Random, progress: Progress) -> None:
    """Generator step (seed.generate): feedback and open requests at any scale."""
    progress("Feedback", 0.0)
    feedback, requests = feedback_rows(session, rng, now=utcnow(), progress=progress)
    _insert(session, Feedback, feedback)
    _insert(session, FeedbackRequest, requests)
    session.flush()
    progress("Feedback", 1.0)


def _by_username(session: Session) -> dict[str, int]:
    return dict(session.exec(select(UserAccount.username, UserAccount.person_id)).all())


def seed_demo_feedback(session: Session, *, now: datetime | None = None) -> None:
    """The demo step: feedback across Northwind Labs, and the named stories."""
    now = now or utcnow()
    rng = random.Random(DEMO_FEEDBACK_SEED)
    feedback, _requests = feedback_rows(session, rng, now=now, per_person=2.0, request_share=0.0)
    _insert(session, Feedback, feedback)
    users = _by_username(session)
    emma, maya = users.get("emma"), users.get("maya")
    if emma is None or maya is None:
        session.flush()
        return
    team = [
        pid
        for pid in session.exec(
            select(Person.id).where(Person.manager_id == maya).order_by(col(Person.id))
        ).all()
        if pid is not None and pid != emma
    ]
    competencies = _competency_ids(session)
    story = [
        (maya, emma, FeedbackKind.praise.value, FeedbackVisibility.public.value, 2,
         "Emma, the new deployment checklist cut our release time in half. Thank you!"),
        (maya, emma, FeedbackKind.coaching.value, FeedbackVisibility.managers.value, 9,
         "Try writing the design note before the first pull request; it saves review rounds."),
        (team[0], emma, FeedbackKind.constructive.value, FeedbackVisibility.private.value, 5,
         "The hand-over notes for the on-call week were thin; a list of open alerts would help."),
        (emma, team[1], FeedbackKind.praise.value, FeedbackVisibility.public.value, 3,
         "Thanks for unblocking the test environment on Friday evening."),
    ]  # fmt: skip
    for giver, receiver, kind, visibility, days, text in story:
        session.add(
            Feedback(
                giver_id=giver,
                receiver_id=receiver,
                kind=kind,
                visibility=visibility,
                text=text,
                competency_id=competencies[0] if competencies and kind != "praise" else None,
                created_at=now - timedelta(days=days),
            )
        )
    question = "What should I keep doing, and what should I change, in how I hand over work?"
    answered = FeedbackRequest(
        requester_id=emma,
        subject_id=emma,
        asked_id=team[2],
        question=question,
        status=FeedbackRequestStatus.answered.value,
        created_at=now - timedelta(days=8),
        closed_at=now - timedelta(days=6),
    )
    session.add(answered)
    session.flush()
    session.add(
        Feedback(
            giver_id=team[2],
            receiver_id=emma,
            kind=FeedbackKind.praise.value,
            visibility=FeedbackVisibility.private.value,
            text="Keep the short written summaries; add who owns each open item.",
            request_id=answered.id,
            created_at=now - timedelta(days=6),
        )
    )
    session.add_all(
        [
            # Emma waits for one peer; one peer waits for Emma; a report waits for Maya.
            FeedbackRequest(
                requester_id=emma,
                subject_id=emma,
                asked_id=team[3],
                question=question,
                created_at=now - timedelta(days=2),
            ),
            FeedbackRequest(
                requester_id=team[0],
                subject_id=team[0],
                asked_id=emma,
                question="How was working with me on the incident review last week?",
                created_at=now - timedelta(days=1),
            ),
            FeedbackRequest(
                requester_id=team[1],
                subject_id=team[1],
                asked_id=maya,
                question="Am I ready to lead the next sprint planning on my own?",
                created_at=now - timedelta(days=9),
            ),
            # Maya asked about one of her reports; the peer answers to both.
            FeedbackRequest(
                requester_id=maya,
                subject_id=team[2],
                asked_id=team[3],
                question="How has the on-call rotation gone with them this month?",
                created_at=now - timedelta(days=3),
            ),
        ]
    )
    session.flush()
