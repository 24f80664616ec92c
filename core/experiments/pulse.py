"""Pulse answers per arm, through the surveys' segments contract
(core.surveys.segments).

When someone answers a survey, `experiment_segmenter` tags the anonymous
response with the arm they are in on that day, for each running experiment
whose period covers it: key `experiment:<id>`, value the arm's label, e.g.
"A (Weekly)". The results then ask surveys for the answers by that tag
(`list_results_by_segment`), which keeps its anonymity rule: an arm with
fewer answers than the survey's threshold (at least 3) is hidden.

Registered on import; core.runtime imports this module when the app starts.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlmodel import Session, col, select

from core.access import Actor
from core.surveys.rules import GroupResult
from core.surveys.segments import list_results_by_segment, register_segmenter
from db.models import Experiment, ExperimentStatus, QuestionKind, SurveyResponse, SurveyResponseTag

PULSE_COLUMNS = ["Question", "A", "B", "Answers A", "Answers B"]


def segment_key(experiment_id: int) -> str:
    return f"experiment:{experiment_id}"


@register_segmenter
def experiment_segmenter(session: Session, *, person_id: int, on: date) -> dict[str, str]:
    """{"experiment:<id>": arm label} for each running experiment the person
    is in on `on` (a pure read)."""
    from core.experiments.rules import Arm, arm_label
    from core.experiments.scope import experiment_people

    tags: dict[str, str] = {}
    for experiment in session.exec(
        select(Experiment).where(
            Experiment.status == ExperimentStatus.running.value,
            col(Experiment.starts_on) <= on,
            col(Experiment.ends_on) >= on,
        )
    ).all():
        assert experiment.id is not None
        arm = experiment_people(session, experiment).get(person_id)
        if arm is not None:
            cadence = experiment.variant_a if arm == Arm.a else experiment.variant_b
            tags[segment_key(experiment.id)] = arm_label(arm, cadence)
    return tags


def _figure(group: GroupResult | None, kind: str, threshold: int) -> tuple[str, str]:
    """What an arm's group shows for one question, and its answer count."""
    if group is None:
        return "—", "0"
    if not group.shown:
        return f"hidden (under {threshold} answers)", f"under {threshold}"
    if kind == QuestionKind.rating.value and group.mean is not None:
        return f"{group.mean:.1f} of 5", str(group.answers)
    if group.distribution:
        option, count = max(group.distribution, key=lambda pair: pair[1])
        return f"{option} ({count} of {group.answers})", str(group.answers)
    return "—", str(group.answers)


def pulse_table(
    session: Session, *, actor: Actor, experiment: Experiment, label_a: str, label_b: str
) -> pd.DataFrame:
    """One row per question answered by anyone tagged with the experiment's arms."""
    assert experiment.id is not None
    key = segment_key(experiment.id)
    survey_ids = sorted(
        set(
            session.exec(
                select(SurveyResponse.survey_id)
                .join(
                    SurveyResponseTag,
                    col(SurveyResponseTag.response_id) == col(SurveyResponse.response_id),
                )
                .where(SurveyResponseTag.key == key)
                .distinct()
            ).all()
        )
    )
    if not survey_ids:
        return pd.DataFrame(columns=PULSE_COLUMNS)
    results = list_results_by_segment(session, actor=actor, survey_ids=survey_ids, key=key)
    rows = []
    for question in results.questions:
        a, answers_a = _figure(question.group(label_a), question.kind, results.threshold)
        b, answers_b = _figure(question.group(label_b), question.kind, results.threshold)
        rows.append(
            {
                "Question": question.text,
                "A": a,
                "B": b,
                "Answers A": answers_a,
                "Answers B": answers_b,
            }
        )
    return pd.DataFrame(rows, columns=PULSE_COLUMNS)
