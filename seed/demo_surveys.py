"""Demo rollout surveys, made through the real services (so they obey the
anonymity rules exactly as the app does).

- "Which practices matter most?" (closed): every manager was asked, results
  by division. Product & Technology and Commercial have enough answers to
  show; Operations & People (two managers) and the CEO's company unit stay
  hidden everywhere, the overall included.
- "Check-ins pulse" in the pilot divisions (Product & Technology and
  Commercial, where check-ins are on), results by team: round 1 closed
  eight weeks ago, round 2 is open now and already shows a better score.
  IT Support answered too rarely to be shown; the directors, reported
  under their division alone, are hidden too. Emma and most of Platform
  have not answered round 2 yet (a to-do on their Home).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from sqlmodel import Session, col, select

from core.access import Actor
from core.auth import actor_for_person
from core.surveys import commands as sc
from core.surveys.queries import question_specs
from core.surveys.rules import AnswerIn, AudienceRole, ReportBy
from db.models import (
    OrgUnit,
    Person,
    QuestionKind,
    Survey,
    SurveyInvitation,
    SurveyKind,
    UserAccount,
)
from seed.demo_modules import PILOT_DIVISION, WIDENED_DIVISION

SEED = 1402
_COMMENTS = [
    "Shorter agendas would help.",
    "Monthly is enough for our team.",
    "The action items are the most useful part.",
    "Please keep the template short.",
    "I would like more time on development, less on status.",
    "=1+1 (typed as an answer, shown as text)",
]
# Who does not answer, by team code: IT Support mostly stays silent (hidden);
# in round 2 Platform, Emma's team, has only begun.
_SILENT_ROUND_1 = {"ITS": 4}
_SILENT_ROUND_2 = {"ITS": 5, "PLAT": 4}


def _hr(session: Session) -> Actor:
    person, username = session.exec(
        select(Person, UserAccount.username)
        .join(UserAccount, col(UserAccount.person_id) == col(Person.id))
        .where(UserAccount.username == "hana")
    ).one()
    return actor_for_person(session, person=person, username=username)


def _respondent(person_id: int) -> Actor:
    # Submitting needs only who answers; roles and practices play no part.
    return Actor(
        person_id=person_id, username="", full_name="", is_hr_admin=False, is_manager=False
    )


def _invitees(session: Session, survey_id: int) -> list[tuple[int, str]]:
    """(person id, unit code) of everyone asked, in a fixed order."""
    return list(
        session.exec(
            select(SurveyInvitation.person_id, OrgUnit.code)
            .join(Person, col(Person.id) == col(SurveyInvitation.person_id))
            .join(OrgUnit, col(OrgUnit.id) == col(Person.org_unit_id))
            .where(SurveyInvitation.survey_id == survey_id)
            .order_by(col(SurveyInvitation.person_id))
        ).all()
    )


def _answer_all(
    session: Session,
    survey_id: int,
    *,
    rng: random.Random,
    mean: dict[str, float],
    cadence: list[str],
    silent: dict[str, int],
    skip_usernames: frozenset[str] = frozenset(),
) -> None:
    questions = question_specs(session, survey_id)
    skipped = dict(silent)
    skip_ids = set(
        session.exec(
            select(UserAccount.person_id).where(col(UserAccount.username).in_(skip_usernames))
        ).all()
    )
    for person_id, unit_code in _invitees(session, survey_id):
        if person_id in skip_ids:
            continue
        if skipped.get(unit_code, 0) > 0:
            skipped[unit_code] -= 1
            continue
        answers: dict[str, AnswerIn] = {}
        for question in questions:
            if question.kind == QuestionKind.rating.value:
                centre = mean.get(question.key, 3.5)
                rating = round(centre + rng.choice([-1.0, -0.5, 0.0, 0.0, 0.5, 1.0]))
                answers[question.key] = AnswerIn(rating=max(1, min(5, rating)))
            elif question.kind == QuestionKind.choice.value:
                answers[question.key] = AnswerIn(choice=rng.choice(cadence))
            elif rng.random() < 0.5:
                answers[question.key] = AnswerIn(text=rng.choice(_COMMENTS))
        sc.submit_answers(
            session, actor=_respondent(person_id), survey_id=survey_id, answers=answers
        )


def _dates(session: Session, survey_id: int, opened: date, closes: date | None) -> int:
    """Backdate a draft; returns its new version."""
    survey = session.get(Survey, survey_id)
    assert survey is not None
    survey.opens_on, survey.closes_on = opened, closes
    session.add(survey)
    session.flush()
    return survey.version


# Days before today each survey opened and closed (negative: still ahead).
PRIORITIES_WINDOW = (140, 126)
ROUND_1_WINDOW = (63, 49)
ROUND_2_WINDOW = (5, -9)  # open today


def _hold(
    session: Session,
    hr: Actor,
    survey_id: int,
    *,
    window: tuple[int, int],
    answer: Callable[[int], None],
    close: bool = True,
) -> None:
    """Open a survey on its dates, let `answer` fill it, then close it
    (unless it is the round still open), the way HR would."""
    today = date.today()  # like the rollout plan: dates read from the seeding moment
    opened, closes = (today - timedelta(days=days) for days in window)
    # The closing day is set once the answers are in: a past one would refuse them.
    version = _dates(session, survey_id, opened, None)
    sc.open_survey(session, actor=hr, survey_id=survey_id, version=version)
    answer(survey_id)
    version = _dates(session, survey_id, opened, closes)
    if close:
        sc.close_survey(session, actor=hr, survey_id=survey_id, version=version)


def seed_demo_surveys(session: Session) -> None:
    rng = random.Random(SEED)
    hr = _hr(session)
    units = {name: uid for uid, name in session.exec(select(OrgUnit.id, OrgUnit.name)).all()}

    priorities = sc.create_survey(
        session,
        actor=hr,
        kind=SurveyKind.prioritisation,
        audience=sc.Audience((), AudienceRole.managers),
        report_by=ReportBy.division,
    )
    _hold(
        session,
        hr,
        priorities.id,
        window=PRIORITIES_WINDOW,
        answer=lambda survey_id: _answer_all(
            session,
            survey_id,
            rng=rng,
            mean={
                "practice_checkins": 4.4,
                "practice_feedback": 4.0,
                "practice_okrs": 3.4,
                "practice_learning": 3.6,
                "practice_competencies": 2.8,
                "practice_reviews": 2.5,
            },
            cadence=[],
            silent={},
        ),
    )

    pilot = (units[PILOT_DIVISION], units[WIDENED_DIVISION])
    first = sc.create_survey(
        session,
        actor=hr,
        kind=SurveyKind.pulse,
        audience=sc.Audience(tuple(u for u in pilot if u is not None), AudienceRole.everyone),
        report_by=ReportBy.team,
    )
    _hold(
        session,
        hr,
        first.id,
        window=ROUND_1_WINDOW,
        answer=lambda survey_id: _answer_all(
            session,
            survey_id,
            rng=rng,
            mean={"checkins_help": 3.0, "urgent_feedback": 2.8},
            cadence=["Too frequent", "Too frequent", "About right", "Too rare"],
            silent=_SILENT_ROUND_1,
        ),
    )
    second = sc.create_next_round(session, actor=hr, survey_id=first.id)
    _hold(
        session,
        hr,
        second.id,
        window=ROUND_2_WINDOW,
        answer=lambda survey_id: _answer_all(
            session,
            survey_id,
            rng=rng,
            mean={"checkins_help": 3.9, "urgent_feedback": 3.5},
            cadence=["About right", "About right", "About right", "Too frequent"],
            silent=_SILENT_ROUND_2,
            skip_usernames=frozenset({"emma"}),
        ),
        close=False,
    )


# --- at any scale (seed.generate) ---------------------------------------------------


def _bulk_answers(
    session: Session,
    survey_id: int,
    *,
    rng: random.Random,
    share: float,
    mean: dict[str, float],
    cadence: list[str],
) -> None:
    """Store answers the way `submit_answers` does (an anonymous response
    per answering invitation, the invitation marked answered), in bulk."""
    from sqlalchemy import insert, update

    from db.models import SurveyAnswer, SurveyResponse

    questions = question_specs(session, survey_id)
    invitations = session.exec(
        select(SurveyInvitation.id, SurveyInvitation.reporting_unit_id)
        .where(SurveyInvitation.survey_id == survey_id)
        .order_by(col(SurveyInvitation.id))
    ).all()
    # Some units answer far less (and stay hidden).
    quiet = {unit for _id, unit in invitations if rng.random() < 0.15}
    answered: list[int] = []
    responses: list[dict[str, object]] = []
    answers: list[dict[str, object]] = []
    for invitation_id, unit in invitations:
        if rng.random() > (share / 4 if unit in quiet else share):
            continue
        assert invitation_id is not None
        answered.append(invitation_id)
        response_id = f"{rng.getrandbits(128):032x}"
        responses.append(
            {"response_id": response_id, "survey_id": survey_id, "reporting_unit_id": unit}
        )
        for question in questions:
            row: dict[str, object] = {
                "response_id": response_id,
                "question_id": question.id,
                "rating": None,
                "choice": None,
                "text": "",
            }
            if question.kind == QuestionKind.rating.value:
                centre = mean.get(question.key, 3.5)
                row["rating"] = max(1, min(5, round(centre + rng.choice([-1, -0.5, 0, 0.5, 1]))))
            elif question.kind == QuestionKind.choice.value:
                row["choice"] = rng.choice(cadence)
            elif rng.random() < 0.3:
                row["text"] = rng.choice(_COMMENTS)
            else:
                continue
            answers.append(row)
    if responses:
        session.execute(insert(SurveyResponse.__table__), responses)  # type: ignore[attr-defined]
        session.execute(insert(SurveyAnswer.__table__), answers)  # type: ignore[attr-defined]
        for start in range(0, len(answered), 500):
            session.execute(
                update(SurveyInvitation.__table__)  # type: ignore[attr-defined]
                .where(col(SurveyInvitation.id).in_(answered[start : start + 500]))
                .values(answered=True)
            )
    session.flush()


def generate_surveys(
    session: Session, rng: random.Random, progress: Callable[[str, float], None]
) -> None:
    """The generator step: the demo's three surveys at any scale — managers'
    priorities by division, and a two-round pulse in the first two divisions
    by department (round 2 open)."""
    hr_id = session.exec(
        select(Person.id).where(col(Person.is_hr_admin).is_(True)).order_by(col(Person.id))
    ).first()
    if hr_id is None:
        return
    hr = Actor(person_id=hr_id, username="", full_name="", is_hr_admin=True, is_manager=False)
    divisions = session.exec(
        select(OrgUnit.id).where(OrgUnit.kind == "division").order_by(col(OrgUnit.id))
    ).all()
    priorities = sc.create_survey(
        session,
        actor=hr,
        kind=SurveyKind.prioritisation,
        audience=sc.Audience((), AudienceRole.managers),
        report_by=ReportBy.division,
    )
    _hold(
        session,
        hr,
        priorities.id,
        window=PRIORITIES_WINDOW,
        answer=lambda survey_id: _bulk_answers(
            session, survey_id, rng=rng, share=0.8, mean={"practice_checkins": 4.3}, cadence=[]
        ),
    )
    progress("Surveys", 0.3)
    pilot = tuple(u for u in divisions[:2] if u is not None)
    first = sc.create_survey(
        session,
        actor=hr,
        kind=SurveyKind.pulse,
        audience=sc.Audience(pilot, AudienceRole.everyone),
        report_by=ReportBy.department,
    )
    _hold(
        session,
        hr,
        first.id,
        window=ROUND_1_WINDOW,
        answer=lambda survey_id: _bulk_answers(
            session,
            survey_id,
            rng=rng,
            share=0.7,
            mean={"checkins_help": 3.0, "urgent_feedback": 2.8},
            cadence=["Too frequent", "About right", "Too rare"],
        ),
    )
    progress("Surveys", 0.6)
    second = sc.create_next_round(session, actor=hr, survey_id=first.id)
    _hold(
        session,
        hr,
        second.id,
        window=ROUND_2_WINDOW,
        answer=lambda survey_id: _bulk_answers(
            session,
            survey_id,
            rng=rng,
            share=0.5,
            mean={"checkins_help": 3.9, "urgent_feedback": 3.5},
            cadence=["About right", "About right", "Too frequent"],
        ),
        close=False,
    )
    progress("Surveys", 1.0)
