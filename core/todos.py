"""One to-do list for Home, which every feature registers into.

A feature adds a module (for example `core/goals/todos.py`) with one or more
functions decorated by `@todo_source("goals")`, and names that module in
`SOURCE_MODULES`. `list_todos` imports the named modules, asks every source for
the signed-in person's to-dos and returns them in one order: overdue first,
then by due date, then by priority. Sources check access themselves the way
queries do (they only ever return the actor's own work), and see the same
`today` so a list never straddles midnight.

A source must stay cheap at 10,000 people: a handful of queries for the
actor's whole list (grouped in SQL), never one per goal or per person. It
groups what belongs together (one to-do per goal or per report, not per key
result or competency) so the list stays short enough to act on, and links to
the page where the work is done with the query parameters that open the item
there. Time rules use `as_of(today)` and due dates `urgency_for`, so every
source ranks alike.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from core.access import Actor
from core.modules.rules import module_allows

# Modules whose import registers to-do sources; a new feature adds its own.
SOURCE_MODULES: tuple[str, ...] = (
    "core.goals.todos",
    "core.assessments.todos",
    "core.learning.todos",
    "core.checkins.todos",
    "core.feedback.todos",
    "core.reviews.todos",
    "core.surveys.todos",
    "core.experiments.todos",
)

# A dated to-do becomes "due soon" this many days before its date.
DUE_SOON_DAYS = 14


class Urgency(enum.IntEnum):
    """Lower sorts first."""

    overdue = 0
    due_soon = 1
    waiting = 2


@dataclass(frozen=True)
class Todo:
    """Something the signed-in person should do, and where it is done.

    `title` and `detail` are plain text (pages escape them); `page` is a page
    key of core.access.PAGES and `query` the query parameters that open the
    item there (for example {"goal": "12"}).
    """

    module: str  # the practice it belongs to: goals, competencies, learning, check-ins…
    kind: str  # stable identifier, e.g. "goals.key_result_stale"
    title: str
    page: str
    urgency: Urgency = Urgency.waiting
    due_on: date | None = None
    detail: str = ""
    query: Mapping[str, str] = field(default_factory=dict)


TodoSource = Callable[[Session, Actor, date], list[Todo]]


def urgency_for(due_on: date | None, *, today: date, soon_days: int = DUE_SOON_DAYS) -> Urgency:
    """Overdue after its date, due soon within `soon_days` of it, else waiting."""
    if due_on is None:
        return Urgency.waiting
    if due_on < today:
        return Urgency.overdue
    if due_on <= today + timedelta(days=soon_days):
        return Urgency.due_soon
    return Urgency.waiting


def as_of(today: date, *, now: datetime | None = None) -> datetime:
    """The instant time rules (such as "no update in three weeks") are judged
    at for a list of `today`: the present moment when `today` is the current
    UTC day, so Home agrees with the pages that judge by the clock; otherwise
    the end of `today` (a list for another day, as in tests)."""
    now = now or datetime.now(UTC)
    if now.date() == today:
        return now
    return datetime.combine(today, time.max, tzinfo=UTC)


_SOURCES: dict[str, tuple[str, TodoSource]] = {}


def todo_source(module: str) -> Callable[[TodoSource], TodoSource]:
    """Register a function `(session, actor, today) -> list[Todo]`."""

    def register(source: TodoSource) -> TodoSource:
        _SOURCES[f"{source.__module__}.{source.__qualname__}"] = (module, source)
        return source

    return register


def registered_sources() -> dict[str, str]:
    """Source name → module, after loading every source module."""
    _load_sources()
    return {name: module for name, (module, _source) in _SOURCES.items()}


def _load_sources() -> None:
    for name in SOURCE_MODULES:
        importlib.import_module(name)


def sort_todos(todos: list[Todo]) -> list[Todo]:
    """Overdue first, then soonest due (undated last), then by kind and title."""
    return sorted(
        todos,
        key=lambda todo: (
            todo.urgency,
            todo.due_on is None,
            todo.due_on or date.max,
            todo.kind,
            todo.title,
        ),
    )


def list_todos(
    *,
    session: Session,
    actor: Actor,
    today: date,
    modules: frozenset[str] | None = None,
) -> list[Todo]:
    """The actor's to-dos from every registered source whose practice is on
    for them (`modules`, by default the actor's own: core.modules)."""
    _load_sources()
    allowed = actor.modules if modules is None else modules
    found: list[Todo] = []
    for module, source in _SOURCES.values():
        if not module_allows(allowed, module):
            continue
        found.extend(source(session, actor, today))
    return sort_todos(found)
