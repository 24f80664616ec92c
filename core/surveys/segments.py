"""Segments of survey answers: the contract other features build on.

Contract (stable; experiments depend on it):

- `register_segmenter(fn)` registers `fn(session, *, person_id: int, on: date)
  -> dict[str, str]`, called when a person submits a survey's answers (`on`
  is the day they answer). It returns tags for that respondent, e.g.
  `{"experiment:7": "weekly"}`. Keys and values are at most 60 characters;
  a tag outside the limit is left off that response and logged as a
  warning, never failing the person's submit (an analysis must not cost an
  answer). Segmenters must be pure reads;
  their tags are stored on the anonymous response (`SurveyResponseTag`),
  never with the person. Usable as a decorator.
- `list_results_by_segment(session, *, actor, survey_ids, key) ->
  SegmentResults` gives, per question (by question key, across the given
  surveys, e.g. the rounds of a pulse), the anonymised aggregates per tag
  value of `key` (responses without the tag form the group "" labelled
  "No tag"). HR only (`manage_surveys`), refused and logged for others.

Anonymity (the same rule as every survey result, `core.anonymity`): per
survey and question, the segments split only the answers of the reporting
units shown on the results page; a tag value is kept only with at least
the survey's threshold of answers there, and so that the answers left out
are none or at least the threshold (else the shown unit total minus the
shown segments would give them away). A value's figure across surveys adds
only the surveys where it was kept, so comparing one call with another
over fewer surveys never uncovers a hidden part. Free-text answers are not
split by segment (comments stay on the results page, per unit).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlmodel import Session, col, select

from core.access import Actor
from core.surveys import queries, rules
from core.surveys.rules import AnswerRow, QuestionResult, QuestionSpec
from db.models import QuestionKind, Survey, SurveyResponse, SurveyResponseTag

MAX_TAG = 60
_log = logging.getLogger(__name__)
NO_TAG = ""
NO_TAG_LABEL = "No tag"


class Segmenter(Protocol):
    def __call__(self, session: Session, *, person_id: int, on: date) -> dict[str, str]: ...


_SEGMENTERS: list[Callable[..., dict[str, str]]] = []


def register_segmenter(fn: Segmenter) -> Segmenter:
    """Register `fn`; registering the same function twice keeps one."""
    if fn not in _SEGMENTERS:
        _SEGMENTERS.append(fn)
    return fn


def unregister_segmenter(fn: Segmenter) -> None:
    """For tests: take a segmenter out again."""
    if fn in _SEGMENTERS:
        _SEGMENTERS.remove(fn)


def tags_for(session: Session, *, person_id: int, on: date) -> dict[str, str]:
    """Every registered segmenter's tags for a respondent (later ones win a
    clash of keys)."""
    tags: dict[str, str] = {}
    for segmenter in _SEGMENTERS:
        for key, value in segmenter(session, person_id=person_id, on=on).items():
            if not key or len(key) > MAX_TAG or len(value) > MAX_TAG:
                _log.warning(
                    "Segment tag left off: %s gave a key or value outside 1 to %s characters.",
                    getattr(segmenter, "__qualname__", segmenter),
                    MAX_TAG,
                )
                continue
            tags[key] = value
    return tags


def store_tags(session: Session, *, response_id: str, tags: dict[str, str]) -> None:
    for key, value in sorted(tags.items()):
        session.add(SurveyResponseTag(response_id=response_id, key=key, value=value))


@dataclass(frozen=True)
class SegmentResults:
    """Per question key, one group per tag value (`GroupResult.answers` None:
    hidden); `values` in order, "" (no tag) last. No overall: the unit
    overall is on the results page."""

    key: str
    survey_ids: tuple[int, ...]
    threshold: int
    values: tuple[str, ...]
    questions: tuple[QuestionResult, ...]


def label_of(value: str) -> str:
    return NO_TAG_LABEL if value == NO_TAG else value


def list_results_by_segment(
    session: Session, *, actor: Actor, survey_ids: list[int], key: str
) -> SegmentResults:
    """The answers of `survey_ids` by the tag `key` (rules in the module docstring)."""
    queries._require_manage(
        session, actor, "read results by segment", ",".join(map(str, survey_ids))
    )
    surveys = session.exec(select(Survey).where(col(Survey.id).in_(survey_ids))).all()
    surveys = sorted(surveys, key=lambda s: (s.round, s.id or 0))
    ids = [s.id for s in surveys if s.id is not None]
    threshold = max([rules.MIN_THRESHOLD, *(s.threshold for s in surveys)])
    tags: dict[str, str] = dict(
        session.exec(
            select(SurveyResponseTag.response_id, SurveyResponseTag.value)
            .join(
                SurveyResponse,
                col(SurveyResponse.response_id) == col(SurveyResponseTag.response_id),
            )
            .where(col(SurveyResponse.survey_id).in_(ids), SurveyResponseTag.key == key)
        ).all()
    )
    rows_by_survey = queries.answer_rows(session, ids)
    questions: dict[str, QuestionSpec] = {}
    kept_rows: list[AnswerRow] = []
    kept: dict[str, set[str]] = defaultdict(set)
    present: set[str] = set()
    for survey in surveys:
        assert survey.id is not None
        specs = [
            q
            for q in queries.question_specs(session, survey.id)
            if q.kind != QuestionKind.text.value
        ]
        rates = queries.unit_rates(session, survey.id)
        rows = rows_by_survey.get(survey.id, [])
        by_question: dict[str, list[AnswerRow]] = defaultdict(list)
        for row in rows:
            by_question[row.question].append(row)
        for spec in specs:
            questions[spec.key] = spec  # the latest wording wins
            mine = by_question.get(spec.key, [])
            units = rules.shown_groups_of(
                spec,
                mine,
                order=[g for g, _l in queries.unit_groups(rates)],
                threshold=survey.threshold,
            )
            regrouped = [
                AnswerRow(
                    r.response_id, tags.get(r.response_id, NO_TAG), r.question, r.rating, r.choice
                )
                for r in mine
                if r.group in units
            ]
            shown_values = rules.segment_groups_shown(spec, regrouped, threshold=survey.threshold)
            kept[spec.key] |= shown_values
            present |= {r.group for r in regrouped}
            kept_rows.extend(r for r in regrouped if r.group in shown_values)
    seen = present | set(tags.values())
    values = tuple(sorted(v for v in seen if v != NO_TAG)) + ((NO_TAG,) if NO_TAG in seen else ())
    results = rules.question_results(
        list(questions.values()),
        kept_rows,
        groups=[(v, label_of(v)) for v in values],
        threshold=threshold,
        with_overall=False,
        shown_only={k: frozenset(v) for k, v in kept.items()},
    )
    return SegmentResults(key, tuple(ids), threshold, values, tuple(results))
