"""Survey results as tables: the page's table beside each chart and the
Excel download. Only figures the results show are written: a hidden unit
is a row saying so, with no number (never a count or a mean)."""

from __future__ import annotations

import pandas as pd

from core.surveys import rules
from core.surveys.queries import SeriesResults, SurveyResults, UnitRate
from core.surveys.rules import GroupResult, QuestionResult
from db.models import QuestionKind

RESULT_COLUMNS = ["Question", "Unit", "Answers", "Mean (1–5)", "Answer counts"]
HIDDEN_MARK = "hidden"


def hidden_label(threshold: int) -> str:
    return rules.HIDDEN_LABEL.format(threshold=threshold)


def _figure_cells(group: GroupResult, threshold: int, *, as_text: bool) -> dict[str, object]:
    blank: object = "" if as_text else None
    if not group.shown:
        return {"Answers": hidden_label(threshold), "Mean (1–5)": blank, "Answer counts": ""}
    counts = "; ".join(f"{option}: {n}" for option, n in group.distribution)
    mean: object = blank
    if group.mean is not None:
        mean = f"{group.mean:.2f}" if as_text else round(group.mean, 2)
    return {"Answers": str(group.answers), "Mean (1–5)": mean, "Answer counts": counts}


def question_frame(
    question: QuestionResult, threshold: int, *, as_text: bool = True
) -> pd.DataFrame:
    """One rating or choice question: a row per unit, then the overall
    (`as_text`: means as text for a page's table; else numbers, blank when hidden)."""
    rows: list[dict[str, object]] = []
    for group in (*question.groups, *((question.overall,) if question.overall else ())):
        rows.append(
            {
                "Question": question.text,
                "Unit": group.label,
                **_figure_cells(group, threshold, as_text=as_text),
            }
        )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def question_table(question: QuestionResult, threshold: int) -> pd.DataFrame:
    """The table beside a question's chart: a row per unit, then the overall;
    the mean for a rating, a count per option for a choice (all text)."""
    rows: list[dict[str, object]] = []
    for group in (*question.groups, *((question.overall,) if question.overall else ())):
        row: dict[str, object] = {
            "Unit": group.label,
            "Answers": str(group.answers) if group.shown else hidden_label(threshold),
        }
        if question.kind == QuestionKind.rating.value:
            row["Mean (1–5)"] = "" if group.mean is None else f"{group.mean:.2f}"
        else:
            counts = dict(group.distribution)
            for option in question_options(question):
                row[option] = str(counts[option]) if group.shown else ""
        rows.append(row)
    return pd.DataFrame(rows)


def question_options(question: QuestionResult) -> list[str]:
    for group in (*question.groups, *((question.overall,) if question.overall else ())):
        if group.distribution:
            return [option for option, _n in group.distribution]
    return []


def results_frame(results: SurveyResults) -> pd.DataFrame:
    frames = [
        question_frame(q, results.threshold, as_text=False)
        for q in results.questions
        if q.kind != QuestionKind.text.value
    ]
    if not frames:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def comments_frame(results: SurveyResults) -> pd.DataFrame:
    """Shown comments, per unit, sorted (their order says nothing)."""
    rows = [
        {"Question": q.text, "Unit": g.label, "Comment": comment}
        for q in results.questions
        if q.kind == QuestionKind.text.value
        for g in q.groups
        if g.shown
        for comment in g.comments
    ]
    return pd.DataFrame(rows, columns=["Question", "Unit", "Comment"])


def rates_frame(rates: tuple[UnitRate, ...]) -> pd.DataFrame:
    rows = [
        {
            "Unit": r.unit,
            "Invited": r.invited,
            "Answered": r.answered,
            "Response rate": "" if r.rate is None else f"{r.rate:.0%}",
        }
        for r in rates
    ]
    return pd.DataFrame(rows, columns=["Unit", "Invited", "Answered", "Response rate"])


def series_frame(series: SeriesResults, question_key: str) -> pd.DataFrame:
    """One rating question's mean by round, per unit and overall (shown only:
    a hidden unit's round is left out of the chart and marked in the table)."""
    rows: list[dict[str, object]] = []
    for one in series.rounds:
        for question in one.questions:
            if question.key != question_key:
                continue
            for group in (*question.groups, *((question.overall,) if question.overall else ())):
                rows.append(
                    {
                        "Round": one.round,
                        "Unit": group.label,
                        "Answers": str(group.answers)
                        if group.shown
                        else hidden_label(series.threshold),
                        "Mean (1–5)": round(group.mean, 2) if group.mean is not None else None,
                    }
                )
    return pd.DataFrame(rows, columns=["Round", "Unit", "Answers", "Mean (1–5)"])


def workbook_sheets(results: SurveyResults) -> dict[str, pd.DataFrame]:
    return {
        "Results": results_frame(results),
        "Comments": comments_frame(results),
        "Response rates": rates_frame(results.rates),
    }


def workbook(results: SurveyResults) -> bytes:
    """The Excel download: results, comments and response rates as shown
    (every cell escaped against formulas by core.export)."""
    from core.export import workbook_bytes

    return workbook_bytes(workbook_sheets(results))
