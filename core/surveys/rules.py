"""Rollout surveys as pure rules (no I/O): templates, audiences, reporting
units, answer checks and the anonymised results.

Results are built by `core.anonymity` (the rules 360 reviews use): every
respondent is anonymous, grouped by the reporting unit fixed on their
invitation when the survey opened. Per question, a unit is shown only with
at least `threshold` answers to it; the overall figure is over the shown
units only, so no hidden unit can be found by subtracting shown figures.
Comments are shown per unit from the threshold on, sorted. A second
partition of the same answers (segments, core.surveys.segments) starts
from the shown units' answers and hides its groups so that what it leaves
out is empty or itself reaches the threshold.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from core import anonymity as shared
from core.anonymity import MAX_THRESHOLD, MIN_THRESHOLD, Aggregate
from db.models import QuestionKind, SurveyKind, SurveyStatus

MAX_TEXT = 10_000
OVERALL = "overall"
OVERALL_LABEL = "All shown units"
HIDDEN_LABEL = "fewer than {threshold} answers — hidden"
RATING_VALUES: tuple[int, ...] = (1, 2, 3, 4, 5)
RATING_LABELS: dict[str, tuple[str, str]] = {
    SurveyKind.prioritisation.value: ("1 = not important", "5 = essential"),
    SurveyKind.pulse.value: ("1 = strongly disagree", "5 = strongly agree"),
}
KIND_LABELS: dict[str, str] = {
    SurveyKind.prioritisation.value: "Prioritisation",
    SurveyKind.pulse.value: "Process pulse",
}
STATUS_LABELS: dict[str, str] = {
    SurveyStatus.draft.value: "Draft",
    SurveyStatus.open.value: "Open",
    SurveyStatus.closed.value: "Closed",
}


class ReportBy(enum.StrEnum):
    division = "division"
    department = "department"
    team = "team"


# How deep a unit kind sits; a person is reported under their nearest unit
# at or above the chosen level.
LEVEL_DEPTH: dict[str, int] = {"company": 0, "division": 1, "department": 2, "team": 3}


class AudienceRole(enum.StrEnum):
    everyone = "everyone"
    managers = "managers"  # people with at least one active direct report
    senior_leaders = "senior_leaders"  # managers of at least one manager


AUDIENCE_ROLE_LABELS: dict[str, str] = {
    AudienceRole.everyone.value: "Everyone",
    AudienceRole.managers.value: "Managers (people with reports)",
    AudienceRole.senior_leaders.value: "Senior leaders (managers of managers)",
}


@dataclass(frozen=True)
class QuestionDraft:
    key: str
    kind: QuestionKind
    text: str
    options: tuple[str, ...] = ()


PRACTICES: tuple[tuple[str, str], ...] = (
    ("checkins", "regular check-ins with your manager"),
    ("okrs", "goals and OKRs"),
    ("feedback", "continuous feedback"),
    ("reviews", "360 reviews"),
    ("competencies", "competency frameworks"),
    ("learning", "learning and development plans"),
)
CADENCE_OPTIONS: tuple[str, ...] = ("Too frequent", "About right", "Too rare")


def template(kind: SurveyKind | str) -> tuple[str, str, list[QuestionDraft]]:
    """A survey kind's prefilled title, introduction and questions (HR edits
    the wording before opening)."""
    if SurveyKind(kind) is SurveyKind.prioritisation:
        questions = [
            QuestionDraft(
                f"practice_{key}", QuestionKind.rating, f"How much would {label} help you?"
            )
            for key, label in PRACTICES
        ]
        questions.append(
            QuestionDraft("comment", QuestionKind.text, "Anything else we should prioritise?")
        )
        return (
            "Which practices matter most?",
            "Help us choose what to roll out first. Your answers are anonymous: results are "
            "shown only for groups of at least three answers.",
            questions,
        )
    return (
        "Check-ins pulse",
        "A few questions on how check-ins work for you after the trial. Your answers are "
        "anonymous: results are shown only for groups of at least three answers.",
        [
            QuestionDraft("checkins_help", QuestionKind.rating, "My check-ins help me."),
            QuestionDraft(
                "cadence", QuestionKind.choice, "The check-in cadence is…", CADENCE_OPTIONS
            ),
            QuestionDraft(
                "urgent_feedback",
                QuestionKind.rating,
                "I get feedback soon enough on urgent work.",
            ),
            QuestionDraft("comment", QuestionKind.text, "Anything you would change?"),
        ],
    )


def takes_answers(status: SurveyStatus | str, closes_on: date | None, *, today: date) -> bool:
    """An open survey takes answers through its closing day; after it, the
    survey is over for the people asked, even before HR closes it."""
    return SurveyStatus(status) is SurveyStatus.open and (closes_on is None or today <= closes_on)


def threshold_problem(new: int, *, status: SurveyStatus | str) -> str | None:
    """Why `new` cannot be the survey's threshold now, or None when it can."""
    if SurveyStatus(status) is not SurveyStatus.draft:
        return "The anonymity threshold is locked once the survey is open."
    if new < MIN_THRESHOLD:
        return f"The anonymity threshold cannot be lower than {MIN_THRESHOLD}."
    if new > MAX_THRESHOLD:
        return f"The anonymity threshold can be at most {MAX_THRESHOLD}."
    return None


def reporting_unit(
    unit_id: int,
    *,
    parents: Mapping[int, int | None],
    kinds: Mapping[int, str],
    level: ReportBy | str,
) -> int:
    """The unit a person of `unit_id` is reported under: the nearest unit at
    or above `level` (a person sitting in a division is reported under it
    when the survey reports by department)."""
    depth = LEVEL_DEPTH[ReportBy(level).value]
    current: int | None = unit_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        if LEVEL_DEPTH.get(kinds.get(current, "team"), 3) <= depth:
            return current
        current = parents.get(current)
    return unit_id


def descendants(unit_ids: Iterable[int], *, parents: Mapping[int, int | None]) -> set[int]:
    """The units and every unit below them."""
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in parents.items():
        if parent is not None:
            children[parent].append(child)
    found: set[int] = set()
    stack = list(unit_ids)
    while stack:
        unit = stack.pop()
        if unit in found:
            continue
        found.add(unit)
        stack.extend(children.get(unit, []))
    return found


def audience_people(
    people: Iterable[tuple[int, int, int | None]],
    *,
    unit_ids: set[int] | None,
    role: AudienceRole | str,
) -> list[int]:
    """Active people `(id, unit, manager)` in the chosen units (None: the whole
    organisation) who hold the role: managers have a direct report, senior
    leaders have a report who is a manager."""
    rows = list(people)
    managers = {manager for _id, _unit, manager in rows if manager is not None}
    seniors = {manager for pid, _unit, manager in rows if manager is not None and pid in managers}
    wanted = AudienceRole(role)
    chosen = []
    for pid, unit, _manager in rows:
        if unit_ids is not None and unit not in unit_ids:
            continue
        if wanted is AudienceRole.managers and pid not in managers:
            continue
        if wanted is AudienceRole.senior_leaders and pid not in seniors:
            continue
        chosen.append(pid)
    return sorted(chosen)


# --- answers -----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerIn:
    """One answer as a form gives it: a rating, a choice or a text."""

    rating: int | None = None
    choice: str | None = None
    text: str = ""


@dataclass(frozen=True)
class QuestionSpec:
    id: int
    key: str
    kind: str
    text: str
    options: tuple[str, ...] = ()


def answer_problem(question: QuestionSpec, given: AnswerIn) -> str | None:
    kind = QuestionKind(question.kind)
    if kind is QuestionKind.rating and given.rating not in (None, *RATING_VALUES):
        return f"Choose 1 to 5 for “{question.text}”."
    if kind is QuestionKind.choice and given.choice not in (None, *question.options):
        return f"Choose one of the options for “{question.text}”."
    if kind is QuestionKind.text and len(given.text or "") > MAX_TEXT:
        return f"“{question.text}” takes at most {MAX_TEXT:,} characters."
    return None


def cleaned_answers(
    questions: Sequence[QuestionSpec], answers: Mapping[str, AnswerIn]
) -> list[tuple[int, int | None, str | None, str]]:
    """(question id, rating, choice, text) rows to store, or ValueError with
    a message for people. Text is kept as typed (`=1+1` stays text); pages
    render it escaped and exports escape formulas."""
    known = {q.key for q in questions}
    if set(answers) - known:
        raise ValueError("An answer names a question this survey does not ask.")
    rows: list[tuple[int, int | None, str | None, str]] = []
    for question in questions:
        given = answers.get(question.key, AnswerIn())
        problem = answer_problem(question, given)
        if problem:
            raise ValueError(problem)
        kind = QuestionKind(question.kind)
        rating = given.rating if kind is QuestionKind.rating else None
        choice = given.choice if kind is QuestionKind.choice else None
        text = (given.text or "").strip() if kind is QuestionKind.text else ""
        if rating is None and choice is None and not text:
            continue
        rows.append((question.id, rating, choice, text))
    if not rows:
        raise ValueError("Answer at least one question before sending.")
    return rows


# --- results -----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    """One stored answer as the result rules take it: its response, the
    group it is reported under (a unit id or a segment value) and what it says."""

    response_id: str
    group: str
    question: str
    rating: int | None = None
    choice: str | None = None
    text: str = ""


@dataclass(frozen=True)
class GroupResult:
    """What may be shown of one group's answers to one question. `answers`
    is None when the group is hidden (under threshold)."""

    group: str
    label: str
    answers: int | None
    mean: float | None = None
    distribution: tuple[tuple[str, int], ...] = ()
    comments: tuple[str, ...] = ()
    figure: Aggregate | None = None
    # The groups (and how many answers of each) this result rests on.
    contributions: Mapping[str, int] = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        return self.answers is not None


@dataclass(frozen=True)
class QuestionResult:
    key: str
    text: str
    kind: str
    groups: tuple[GroupResult, ...]
    overall: GroupResult | None

    def group(self, group: str) -> GroupResult | None:
        for result in self.groups:
            if result.group == group:
                return result
        return None


def _given(rows: Sequence[AnswerRow], kind: str) -> int:
    if kind == QuestionKind.rating.value:
        return sum(r.rating is not None for r in rows)
    if kind == QuestionKind.choice.value:
        return sum(r.choice is not None for r in rows)
    return sum(bool(r.text.strip()) for r in rows)


def _shown_group(
    question: QuestionSpec, who: str, label: str, parts: Mapping[str, Sequence[AnswerRow]]
) -> GroupResult:
    rows = [r for part in parts.values() for r in part]
    contributions = {g: _given(part, question.kind) for g, part in parts.items()}
    kind = QuestionKind(question.kind)
    if kind is QuestionKind.rating:
        ratings = {g: [r.rating for r in part if r.rating is not None] for g, part in parts.items()}
        figure = shared.aggregate(question.key, who, ratings)
        return GroupResult(
            who, label, figure.n, mean=figure.mean, figure=figure, contributions=contributions
        )
    if kind is QuestionKind.choice:
        counts = {option: 0 for option in question.options}
        for row in rows:
            if row.choice is not None:
                counts[row.choice] = counts.get(row.choice, 0) + 1
        return GroupResult(
            who,
            label,
            sum(counts.values()),
            distribution=tuple(counts.items()),
            contributions=contributions,
        )
    texts = tuple(sorted(r.text.strip() for r in rows if r.text.strip()))
    return GroupResult(who, label, len(texts), comments=texts, contributions=contributions)


def shown_groups_of(
    question: QuestionSpec,
    rows: Iterable[AnswerRow],
    *,
    order: Sequence[str],
    threshold: int,
) -> frozenset[str]:
    """The groups whose answers to `question` reach the threshold."""
    threshold = shared.effective_threshold(threshold)
    by_group: dict[str, list[AnswerRow]] = defaultdict(list)
    for row in rows:
        by_group[row.group].append(row)
    anonymous = set(order) | set(by_group)
    return frozenset(
        g
        for g in order
        if shared.enough(
            _given(by_group.get(g, []), question.kind),
            group=g,
            threshold=threshold,
            anonymous=anonymous,
        )
    )


def question_results(
    questions: Sequence[QuestionSpec],
    rows: Iterable[AnswerRow],
    *,
    groups: Sequence[tuple[str, str]],
    threshold: int,
    with_overall: bool = True,
    shown_only: Mapping[str, frozenset[str]] | None = None,
) -> list[QuestionResult]:
    """Per question, every group in `groups` ((id, label), in order) shown or
    hidden, and the overall over the shown groups only (free text has no
    overall: comments are read per group). `shown_only` (question key →
    groups) narrows the groups that may be shown further, as segments need."""
    threshold = shared.effective_threshold(threshold)
    by_question: dict[str, dict[str, list[AnswerRow]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_question[row.question][row.group].append(row)
    order = [g for g, _label in groups]
    results: list[QuestionResult] = []
    for question in questions:
        mine = by_question.get(question.key, {})
        flat = [r for part in mine.values() for r in part]
        shown = shown_groups_of(question, flat, order=order, threshold=threshold)
        if shown_only is not None:
            shown = shown & shown_only.get(question.key, frozenset())
        group_results: list[GroupResult] = []
        parts: dict[str, list[AnswerRow]] = {}
        for group, label in groups:
            if group in shown:
                group_results.append(_shown_group(question, group, label, {group: mine[group]}))
                parts[group] = mine[group]
            else:
                group_results.append(GroupResult(group, label, None))
        overall = None
        if with_overall and parts and question.kind != QuestionKind.text.value:
            overall = _shown_group(question, OVERALL, OVERALL_LABEL, parts)
        results.append(
            QuestionResult(
                question.key, question.text, question.kind, tuple(group_results), overall
            )
        )
    return results


def segment_groups_shown(
    question: QuestionSpec,
    rows: Iterable[AnswerRow],
    *,
    threshold: int,
) -> frozenset[str]:
    """The segment values of one survey's question that may be shown, when
    `rows` are the answers of its shown units (whose total is shown on the
    results page): each reaches the threshold and what is left out is
    empty or reaches it too (`core.anonymity.suppress_complement`)."""
    sizes: dict[str, int] = defaultdict(int)
    by_group: dict[str, list[AnswerRow]] = defaultdict(list)
    for row in rows:
        by_group[row.group].append(row)
    for group, part in by_group.items():
        sizes[group] = _given(part, question.kind)
    return shared.suppress_complement(sizes, threshold=threshold)


def response_rate(invited: int, answered: int) -> float | None:
    return None if invited == 0 else answered / invited
