"""Append-only audit trail: every change and every refusal leaves a row."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, literal, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core import audit_sentences as sentences
from core.access import Actor, can_read_audit_log, require
from core.text import LIKE_ESCAPE, contains_pattern
from db.models import (
    AuditEvent,
    Competency,
    Framework,
    Goal,
    GoalCycle,
    KeyResult,
    LearningAssignment,
    LearningItem,
    OrgUnit,
    Person,
    Position,
    Scale,
)

if TYPE_CHECKING:
    import pandas as pd

AUDIT_PAGE_LIMIT = 5_000
# Read from the column (as core.imports.column_limit does) without importing
# the workbook machinery: every sign-in imports this module.
ENTITY_ID_MAX: int = AuditEvent.__table__.c.entity_id.type.length  # type: ignore[attr-defined]
# `entity.past_tense_verb` (goal.created, role_map.saved, account.signed_in),
# so the audit log's action filter reads as a list of things that happened.
ACTION_NAME = re.compile(r"^[a-z0-9_]+\.([a-z]+ed|reset)(_[a-z]+)*$")


def record_event(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: object = None,
    detail: dict[str, Any] | None = None,
) -> None:
    if not ACTION_NAME.match(action):
        raise ValueError(f"Audit action {action!r} is not named entity.past_tense_verb")
    detail = dict(detail or {})
    stored_id = None if entity_id is None else str(entity_id)
    if stored_id is not None and len(stored_id) > ENTITY_ID_MAX:
        detail.setdefault("entity_id", stored_id)
        stored_id = short_entity_id(stored_id)
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            entity=entity,
            entity_id=stored_id,
            detail=json.dumps(detail, default=str, ensure_ascii=False),
        )
    )


def short_entity_id(value: str) -> str:
    """Codes may be longer than the audit column (PostgreSQL would refuse the
    whole action over its audit row). Keep a readable prefix and a hash of the
    full id, so the same long id always gives the same short one and two long
    ids sharing a prefix stay apart; the full id goes into the detail."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:12]
    return f"{value[: ENTITY_ID_MAX - len(digest) - 1]}~{digest}"


def list_audit_actions(session: Session, *, actor: Actor) -> list[str]:
    require(can_read_audit_log(actor), session=session, actor=actor, action="read", entity="audit")
    rows = session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return list(rows)


AUDIT_COLUMNS = ["at", "who", "what", "action"]


def list_audit_events(
    session: Session,
    *,
    actor: Actor,
    actions: list[str] | None = None,
    actor_search: str | None = None,
    person_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = AUDIT_PAGE_LIMIT,
) -> pd.DataFrame:
    """Newest first, at most `limit` rows, each event as a sentence with names
    (core.audit_sentences), ready to show or export. `at` is UTC (aware);
    pages show it in the viewer's zone (core.timezones). `person_id` keeps
    the events done by that person; `actor_search` those whose actor's
    name contains the text; dates are whole UTC days, both ends included."""
    require(can_read_audit_log(actor), session=session, actor=actor, action="read", entity="audit")
    query = (
        sa_select(
            col(AuditEvent.at),
            col(Person.full_name),
            col(AuditEvent.action),
            col(AuditEvent.entity),
            col(AuditEvent.entity_id),
            col(AuditEvent.detail),
        )
        .join(Person, col(Person.id) == col(AuditEvent.actor_id), isouter=True)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    if actions:
        query = query.where(col(AuditEvent.action).in_(actions))
    if person_id is not None:
        query = query.where(col(AuditEvent.actor_id) == person_id)
    if actor_search:
        query = query.where(
            col(Person.full_name).ilike(contains_pattern(actor_search), escape=LIKE_ESCAPE)
        )
    if since:
        query = query.where(col(AuditEvent.at) >= datetime.combine(since, time.min, tzinfo=UTC))
    if until:
        query = query.where(
            col(AuditEvent.at) < datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
        )
    import pandas as pd  # late: the sign-in page needs this module, not pandas

    rows = session.execute(query).all()
    facts = [
        sentences.EventFacts(
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=sentences.parse_detail(detail),
            actor=name,
        )
        for _, name, action, entity, entity_id, detail in rows
    ]
    names = resolve_names(session, sentences.merge_references(facts))
    return pd.DataFrame(
        [
            (
                pd.Timestamp(at).tz_localize(UTC) if at.tzinfo is None else pd.Timestamp(at),
                fact.actor or sentences.SOMEONE,
                sentences.sentence(fact, names),
                fact.action,
            )
            for (at, *_), fact in zip(rows, facts, strict=True)
        ],
        columns=AUDIT_COLUMNS,
    )


def _ids(keys: set[str]) -> list[int]:
    return [int(k) for k in keys if k.lstrip("-").isdigit()]


def resolve_names(session: Session, wanted: dict[str, set[str]]) -> sentences.Names:
    """Every id and code a page of events names, in one query (a UNION ALL
    of one small indexed lookup per kind): (kind, key, name) rows."""
    as_text = lambda column: cast(column, String)  # noqa: E731
    parts: list[Any] = []

    def add(kind: str, key: Any, name: Any, source: Any, where: Any) -> None:
        parts.append(
            sa_select(literal(kind).label("kind"), key.label("key"), name.label("name"))
            .select_from(source)
            .where(where)
        )

    s = sentences
    by_id: list[tuple[str, Any, Any, Any]] = [
        (s.PERSON, Person, Person.id, Person.full_name),
        (s.GOAL, Goal, Goal.id, Goal.title),
        (s.KEY_RESULT, KeyResult, KeyResult.id, KeyResult.title),
        (s.GOAL_CYCLE, GoalCycle, GoalCycle.id, GoalCycle.name),
        (s.COMPETENCY, Competency, Competency.id, Competency.name),
        (s.FRAMEWORK, Framework, Framework.id, Framework.name),
        (s.SCALE, Scale, Scale.id, Scale.name),
        (s.LEARNING_ITEM, LearningItem, LearningItem.id, LearningItem.title),
        (s.ORG_UNIT, OrgUnit, OrgUnit.id, OrgUnit.name),
    ]
    for kind, model, id_column, name in by_id:
        ids = _ids(wanted.get(kind, set()))
        if ids:
            add(kind, as_text(col(id_column)), col(name), model, col(id_column).in_(ids))
    codes = sorted(wanted.get(s.POSITION_CODE, set()))
    if codes:
        add(
            s.POSITION_CODE,
            col(Position.code),
            col(Position.title),
            Position,
            col(Position.code).in_(codes),
        )
    codes = sorted(wanted.get(s.FRAMEWORK_CODE, set()))
    if codes:
        add(
            s.FRAMEWORK_CODE,
            col(Framework.code),
            col(Framework.name),
            Framework,
            col(Framework.code).in_(codes),
        )
    qualified = [k.split(":", 1) for k in wanted.get(s.COMPETENCY_CODE, set()) if ":" in k]
    frameworks = _ids({f for f, _ in qualified})
    if frameworks:
        key = as_text(col(Competency.framework_id)) + literal(":") + col(Competency.code)
        add(
            s.COMPETENCY_CODE,
            key,
            col(Competency.name),
            Competency,
            col(Competency.framework_id).in_(frameworks)
            & col(Competency.code).in_(sorted({c for _, c in qualified})),
        )
    assignments = _ids(
        wanted.get(s.ASSIGNMENT_ITEM, set()) | wanted.get(s.ASSIGNMENT_PERSON, set())
    )
    if assignments:
        assignment = LearningAssignment.__table__  # type: ignore[attr-defined]
        item_of = assignment.join(
            LearningItem.__table__,  # type: ignore[attr-defined]
            col(LearningItem.id) == col(LearningAssignment.item_id),
        )
        person_of = assignment.join(
            Person.__table__,  # type: ignore[attr-defined]
            col(Person.id) == col(LearningAssignment.person_id),
        )
        chosen = col(LearningAssignment.id).in_(assignments)
        key = as_text(col(LearningAssignment.id))
        add(s.ASSIGNMENT_ITEM, key, col(LearningItem.title), item_of, chosen)
        add(s.ASSIGNMENT_PERSON, key, col(Person.full_name), person_of, chosen)
    if not parts:
        return sentences.Names()
    found: dict[str, dict[str, str]] = {}
    for kind, key, name in session.execute(union_all(*parts)).all():
        found.setdefault(kind, {})[str(key)] = name
    return sentences.Names(by_kind=found)


def record_download(
    session: Session, *, actor: Actor, what: str, file_name: str, rows: int | None = None
) -> None:
    """A file was really downloaded (the button's click, not the page's
    rerun that prepared it): `<what>.exported`, naming the file."""
    # Within the action column with ".exported" (PostgreSQL refuses longer).
    entity = (re.sub(r"[^a-z0-9_]+", "_", what.lower()).strip("_") or "file")[:50].rstrip("_")
    detail: dict[str, Any] = {"file": file_name}
    if rows is not None:
        detail["rows"] = rows
    record_event(
        session,
        actor_id=actor.person_id,
        action=f"{entity}.exported",
        entity=entity,
        detail=detail,
    )
