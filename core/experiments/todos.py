"""Home's to-dos from cadence experiments (HR): a running experiment whose
period has ended waits to be finished (its cadences are still the arms'),
and a draft whose first day has come waits to be started. One query."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from core.access import Actor, can_run_experiments
from core.todos import Todo, Urgency, todo_source, urgency_for
from db.models import Experiment, ExperimentStatus


@todo_source("experiments")
def experiments_to_move_on(session: Session, actor: Actor, today: date) -> list[Todo]:
    if not can_run_experiments(actor):
        return []
    rows = session.execute(
        sa_select(
            col(Experiment.id),
            col(Experiment.name),
            col(Experiment.status),
            col(Experiment.starts_on),
            col(Experiment.ends_on),
        )
        .where(
            (
                (col(Experiment.status) == ExperimentStatus.running.value)
                & (col(Experiment.ends_on) < today)
            )
            | (
                (col(Experiment.status) == ExperimentStatus.draft.value)
                & (col(Experiment.starts_on) <= today)
            )
        )
        .order_by(col(Experiment.id))
    ).all()
    todos = []
    for experiment_id, name, status, starts_on, ends_on in rows:
        running = status == ExperimentStatus.running.value
        todos.append(
            Todo(
                module="experiments",
                kind="experiments.finish" if running else "experiments.start",
                title=f"{'Finish' if running else 'Start'} the experiment “{name}”",
                detail=(
                    f"Its period ended on {ends_on:%d %b %Y}; finishing puts the cadences back."
                    if running
                    else f"It was planned to start on {starts_on:%d %b %Y}."
                ),
                page="experiments",
                query={"experiment": str(experiment_id)},
                due_on=ends_on if running else starts_on,
                urgency=Urgency.overdue if running else urgency_for(starts_on, today=today),
            )
        )
    return todos
