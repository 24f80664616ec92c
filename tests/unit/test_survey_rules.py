"""Survey rules (pure): templates, audiences, reporting units, answer checks, results."""

from __future__ import annotations

from datetime import date

import pytest

from core.surveys import rules
from core.surveys.rules import AnswerIn, AnswerRow, QuestionSpec
from db.models import QuestionKind, SurveyKind

# company 1 → division 2 → department 3 → team 4; team 5 directly under division 2
PARENTS: dict[int, int | None] = {1: None, 2: 1, 3: 2, 4: 3, 5: 2}
KINDS = {1: "company", 2: "division", 3: "department", 4: "team", 5: "team"}
QUESTIONS = [
    QuestionSpec(1, "help", QuestionKind.rating.value, "My check-ins help me."),
    QuestionSpec(2, "cadence", QuestionKind.choice.value, "Cadence", rules.CADENCE_OPTIONS),
    QuestionSpec(3, "comment", QuestionKind.text.value, "Anything else?"),
]


def test_templates_carry_the_issues_questions() -> None:
    title, intro, questions = rules.template(SurveyKind.pulse)
    assert title == "Check-ins pulse"
    assert "anonymous" in intro
    assert [q.key for q in questions] == ["checkins_help", "cadence", "urgent_feedback", "comment"]
    assert questions[1].options == ("Too frequent", "About right", "Too rare")
    _title, _intro, practices = rules.template("prioritisation")
    assert len([q for q in practices if q.kind is QuestionKind.rating]) == 6


def test_the_threshold_is_three_or_more_and_locks_once_open() -> None:
    assert rules.threshold_problem(3, status="draft") is None
    assert rules.threshold_problem(2, status="draft") is not None
    assert rules.threshold_problem(21, status="draft") is not None
    assert rules.threshold_problem(4, status="open") is not None


@pytest.mark.parametrize(
    ("unit", "level", "expected"),
    [
        (4, "team", 4),
        (4, "department", 3),
        (4, "division", 2),
        (5, "department", 2),
        (1, "team", 1),
    ],
)
def test_people_are_reported_under_their_unit_at_the_level(
    unit: int, level: str, expected: int
) -> None:
    assert rules.reporting_unit(unit, parents=PARENTS, kinds=KINDS, level=level) == expected


def test_audiences_units_below_and_roles() -> None:
    assert rules.descendants([3], parents=PARENTS) == {3, 4}
    people = [(10, 1, None), (11, 2, 10), (12, 4, 11), (13, 4, 12), (14, 5, 11)]
    assert rules.audience_people(people, unit_ids=None, role="everyone") == [10, 11, 12, 13, 14]
    assert rules.audience_people(people, unit_ids=None, role="managers") == [10, 11, 12]
    # Senior leaders: managers of at least one manager.
    assert rules.audience_people(people, unit_ids=None, role="senior_leaders") == [10, 11]
    assert rules.audience_people(people, unit_ids={4}, role="everyone") == [12, 13]


def test_answers_are_checked_and_text_kept_as_typed() -> None:
    rows = rules.cleaned_answers(
        QUESTIONS,
        {"help": AnswerIn(rating=4), "comment": AnswerIn(text="  =1+1 ![x](//h/i) ")},
    )
    assert rows == [(1, 4, None, ""), (3, None, None, "=1+1 ![x](//h/i)")]
    with pytest.raises(ValueError, match="1 to 5"):
        rules.cleaned_answers(QUESTIONS, {"help": AnswerIn(rating=0)})
    with pytest.raises(ValueError, match="one of the options"):
        rules.cleaned_answers(QUESTIONS, {"cadence": AnswerIn(choice="Daily")})
    with pytest.raises(ValueError, match="10,000"):
        rules.cleaned_answers(QUESTIONS, {"comment": AnswerIn(text="x" * 10_001)})
    with pytest.raises(ValueError, match="does not ask"):
        rules.cleaned_answers(QUESTIONS, {"other": AnswerIn(rating=3)})
    with pytest.raises(ValueError, match="at least one"):
        rules.cleaned_answers(QUESTIONS, {"comment": AnswerIn(text="   ")})


def _rows(unit: str, count: int, rating: int, choice: str) -> list[AnswerRow]:
    rows = []
    for i in range(count):
        rid = f"{unit}-{i}"
        rows += [
            AnswerRow(rid, unit, "help", rating),
            AnswerRow(rid, unit, "cadence", None, choice),
            AnswerRow(rid, unit, "comment", text=f"c{i}" if i < 3 else ""),
        ]
    return rows


def test_results_by_unit_hide_small_units_everywhere() -> None:
    rows = _rows("a", 4, 4, "Too rare") + _rows("b", 2, 1, "Too frequent")
    results = rules.question_results(
        QUESTIONS, rows, groups=[("a", "Unit A"), ("b", "Unit B")], threshold=3
    )
    help_, cadence, comment = results
    assert help_.group("a").mean == 4  # type: ignore[union-attr]
    assert help_.group("b").answers is None  # type: ignore[union-attr]
    assert help_.overall is not None
    assert help_.overall.mean == 4
    assert cadence.overall is not None
    assert dict(cadence.overall.distribution) == {
        "Too frequent": 0,
        "About right": 0,
        "Too rare": 4,
    }
    assert comment.overall is None  # comments are read per unit
    assert comment.group("a").comments == ("c0", "c1", "c2")  # type: ignore[union-attr]
    assert comment.group("b").answers is None  # type: ignore[union-attr]


def test_an_open_survey_takes_answers_through_its_closing_day() -> None:
    closes = date(2027, 1, 31)
    assert rules.takes_answers("open", closes, today=date(2027, 1, 31))
    assert not rules.takes_answers("open", closes, today=date(2027, 2, 1))
    assert rules.takes_answers("open", None, today=date(2099, 1, 1))
    assert not rules.takes_answers("draft", None, today=date(2027, 1, 1))
    assert not rules.takes_answers("closed", closes, today=date(2027, 1, 1))
