"""Append-only audit trail: every change and every refusal leaves a row."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.access import Actor, can_read_audit_log, require
from core.imports import column_limit
from core.text import LIKE_ESCAPE, contains_pattern
from db.models import AuditEvent, Person

AUDIT_PAGE_LIMIT = 5_000
ENTITY_ID_MAX = column_limit(AuditEvent, "entity_id")
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


def list_audit_events(
    session: Session,
    *,
    actor: Actor,
    actions: list[str] | None = None,
    actor_search: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = AUDIT_PAGE_LIMIT,
) -> pd.DataFrame:
    """Newest first, at most `limit` rows, as a table ready to show or export."""
    require(can_read_audit_log(actor), session=session, actor=actor, action="read", entity="audit")
    query = (
        sa_select(
            col(AuditEvent.id),
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
    rows = session.execute(query).all()
    return pd.DataFrame(
        rows, columns=["id", "at (UTC)", "actor", "action", "entity", "entity id", "detail"]
    )
