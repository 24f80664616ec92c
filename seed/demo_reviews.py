"""Demo 360 reviews, made through the real services (so they obey the
anonymity rules exactly as the app does).

In the Platform team (Maya's):
- a closed review where three peers, Maya and an external customer answered:
  the peer group is shown, the lone external is left out of every figure;
- a closed review where only two peers answered: the peer group stays
  hidden everywhere, "all others" included;
- an open review Emma is asked to answer as a peer (a to-do on her Home).
And Maya's own closed review: Daniel, three peer leads and four of her reports.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlmodel import Session, col, select

from core.access import Actor
from core.auth import actor_for_person
from core.reviews import commands as rc
from core.reviews.commands import AnswerIn, list_review_questions
from core.reviews.queries import get_answer_form
from db.models import OrgUnit, Person, ReviewRater, ScaleValue, UserAccount

DEMO_TODAY = date(2026, 11, 1)
SEED = 360

_COMMENTS = {
    "strengths": [
        "Explains complex things simply.",
        "Reliable: what is promised gets done.",
        "Helps others without being asked.",
        "Calm under pressure.",
        "Asks the questions nobody else asks.",
    ],
    "develop": [
        "Could delegate more.",
        "Share progress earlier, not only at the end.",
        "Speak up more in planning meetings.",
        "Write things down for the rest of the team.",
        "Take on a stretch project.",
    ],
}


def _actor(session: Session, person: Person) -> Actor:
    username = session.exec(
        select(UserAccount.username).where(UserAccount.person_id == person.id)
    ).one()
    return actor_for_person(session, person=person, username=username)


def _person(session: Session, username: str) -> Person:
    return session.exec(
        select(Person)
        .join(UserAccount, col(UserAccount.person_id) == col(Person.id))
        .where(UserAccount.username == username)
    ).one()


def _answers(
    session: Session, actor: Actor, review_id: int, rng: random.Random, bias: int
) -> dict[str, AnswerIn]:
    form = get_answer_form(session, actor=actor, review_id=review_id)
    answers: dict[str, AnswerIn] = {}
    for question in form.questions:
        if question.rated:
            ranks = [rank for rank, _name in question.levels]
            middle = len(ranks) // 2 + bias
            rank = ranks[max(0, min(len(ranks) - 1, middle + rng.choice([-1, 0, 0, 1])))]
            answers[question.key] = AnswerIn(rank, "")
        else:
            answers[question.key] = AnswerIn(None, rng.choice(_COMMENTS.get(question.key, [""])))
    return answers


def _run_review(
    session: Session,
    *,
    launcher: Actor,
    subject: Person,
    answering: dict[str, int],
    externals: int,
    rng: random.Random,
    close: bool,
    due_on: date,
) -> int:
    """Launch, approve, let `answering[group]` raters of each group answer and
    `externals` external raters, then close."""
    assert subject.id is not None
    review_id = rc.launch_review(
        session,
        actor=launcher,
        subject_id=subject.id,
        due_on=due_on,
        today=due_on - timedelta(days=30),
    )
    for number in range(externals):
        rc.add_rater(
            session,
            actor=launcher,
            review_id=review_id,
            group="external",
            external_name=f"Customer {number + 1}",
            external_email=f"customer{number + 1}@client.example",
        )
    rc.approve_raters(session, actor=launcher, review_id=review_id)
    raters = session.exec(
        select(ReviewRater)
        .where(ReviewRater.review_id == review_id, col(ReviewRater.person_id).is_not(None))
        .order_by(col(ReviewRater.id))
    ).all()
    left = dict(answering)
    for rater in raters:
        if left.get(rater.group, 0) <= 0:
            continue
        left[rater.group] -= 1
        person = session.get(Person, rater.person_id)
        assert person is not None
        actor = _actor(session, person)
        bias = 1 if rater.group == "self" else 0
        rc.submit_answers(
            session,
            actor=actor,
            review_id=review_id,
            answers=_answers(session, actor, review_id, rng, bias),
        )
    if externals:
        links = rc.create_external_links(
            session, actor=launcher, review_id=review_id, base_url="http://localhost:8501"
        )
        for link in links:
            token = link.link.rpartition("review_token=")[2]
            rc.submit_external_answers(
                session, token=token, answers=_external_answers(session, review_id, rng)
            )
    if close:
        rc.close_review(session, actor=launcher, review_id=review_id)
    return review_id


def _external_answers(session: Session, review_id: int, rng: random.Random) -> dict[str, AnswerIn]:
    answers: dict[str, AnswerIn] = {}
    for question in list_review_questions(session, review_id=review_id):
        if question.scale_id is None:
            answers[question.key] = AnswerIn(None, rng.choice(_COMMENTS.get(question.key, [""])))
            continue
        ranks = sorted(
            session.exec(
                select(ScaleValue.rank).where(ScaleValue.scale_id == question.scale_id)
            ).all()
        )
        answers[question.key] = AnswerIn(rng.choice(ranks), "")
    return answers


def seed_demo_reviews(session: Session) -> None:
    rng = random.Random(SEED)
    maya = _person(session, "maya")
    emma = _person(session, "emma")
    daniel = _person(session, "daniel")
    platform = session.exec(select(OrgUnit).where(OrgUnit.code == "PLAT")).one()
    team = session.exec(
        select(Person)
        .where(
            Person.manager_id == maya.id,
            Person.org_unit_id == platform.id,
            Person.id != emma.id,
        )
        .order_by(col(Person.employee_code))
    ).all()
    if len(team) < 3:
        return
    manager = _actor(session, maya)
    closed_due = DEMO_TODAY - timedelta(days=10)
    # Peers shown (3 answered), the single external hidden.
    _run_review(
        session,
        launcher=manager,
        subject=team[0],
        answering={"self": 1, "manager": 1, "peer": 3},
        externals=1,
        rng=rng,
        close=True,
        due_on=closed_due,
    )
    # Two peers only: the peer group stays hidden, totals included.
    _run_review(
        session,
        launcher=manager,
        subject=team[1],
        answering={"self": 1, "manager": 1, "peer": 2},
        externals=0,
        rng=rng,
        close=True,
        due_on=closed_due,
    )
    # Open: Emma (a peer) has not answered yet.
    review_id = _run_review(
        session,
        launcher=manager,
        subject=team[2],
        answering={"self": 1, "manager": 1},
        externals=0,
        rng=rng,
        close=False,
        due_on=DEMO_TODAY + timedelta(days=60),
    )
    assert review_id
    # Maya's own, launched by her director.
    _run_review(
        session,
        launcher=_actor(session, daniel),
        subject=maya,
        answering={"self": 1, "manager": 1, "peer": 3, "direct_report": 4},
        externals=0,
        rng=rng,
        close=True,
        due_on=closed_due,
    )
