"""Writes: cadences, templates, check-ins, agenda, notes, actions; each checked
in core.access and audited.

A completed check-in is read-only except for private notes (and the
employee's acknowledgement); action items keep their own state, so an
action carried forward can be ticked off in a later check-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete as sa_delete
from sqlalchemy import func
from sqlmodel import Session, col, select

from core.access import (
    Actor,
    Relation,
    can_acknowledge_checkin,
    can_edit_checkin_templates,
    can_prepare_checkin,
    can_run_checkin,
    can_set_pair_cadence,
    can_write_private_note,
    is_checkin_party,
    require,
)
from core.audit import record_event
from core.checkins import rules
from core.checkins.scope import (
    default_template,
    get_person,
    load_check_in,
    next_due,
    open_check_in,
    pair_row,
    relation_to,
    template_questions,
    today_utc,
)
from core.errors import NotFound, ValidationError
from core.goals.commands import record_progress
from core.modules.queries import require_module
from core.modules.rules import Module
from core.versioning import check_version, flush_versioned, touch
from db.models import (
    CheckIn,
    CheckInAction,
    CheckInItem,
    CheckInPair,
    CheckInPrivateNote,
    CheckInQuestion,
    CheckInStatus,
    CheckInTemplate,
    CheckInUnitCadence,
    Goal,
    KeyResult,
    OrgUnit,
    ProgressUpdateRead,
    utcnow,
)

TEXT_MAX = 300
ACTION_MAX = 500
NOTES_MAX = 20_000
COMMENT_MAX = 4_000
QUESTIONS_MAX = 12
STALE_CHECK_IN = (
    "Someone else changed this check-in after you opened it. Nothing was saved; "
    "reload to see their change (your input is kept)."
)
READ_ONLY = "This check-in is completed and read-only (only your private notes can change)."


def _refuse(session: Session, actor: Actor, allowed: bool, action: str, entity_id: object) -> None:
    require(
        allowed,
        session=session,
        actor=actor,
        action=action,
        entity="check_in",
        entity_id=entity_id,
        message="Only the person and their manager can do that in a check-in.",
    )


def _audit(
    actor: Actor, session: Session, action: str, entity_id: object, **detail: object
) -> None:
    record_event(
        session,
        actor_id=actor.person_id,
        action=action,
        entity="check_in",
        entity_id=entity_id,
        detail=dict(detail),
    )


def _text(value: str, column: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(f"The {column} is empty.")
    if len(text) > limit:
        raise ValidationError(f"The {column} is longer than {limit:,} characters.")
    return text


def _open_for_edit(
    session: Session, actor: Actor, check_in_id: int, action: str
) -> tuple[CheckIn, Relation]:
    check_in, relation = load_check_in(session, actor, check_in_id, action)
    _refuse(session, actor, can_prepare_checkin(actor, relation), action, check_in_id)
    if check_in.status != CheckInStatus.planned:
        raise ValidationError(READ_ONLY)
    _follow_manager(session, check_in)
    return check_in, relation


def _follow_manager(session: Session, check_in: CheckIn) -> None:
    """An open check-in moves with the pair to the person's current manager."""
    person = get_person(session, check_in.employee_id)
    if check_in.status == CheckInStatus.planned and check_in.manager_id != person.manager_id:
        check_in.manager_id = person.manager_id
        session.add(check_in)


# --- cadences ---------------------------------------------------------------


def _ensure_pair(session: Session, employee_id: int, today: date) -> CheckInPair:
    pair = pair_row(session, employee_id)
    if pair is None:
        pair = CheckInPair(employee_id=employee_id, starts_on=today)
        session.add(pair)
        session.flush()
    return pair


def set_pair_cadence(
    session: Session,
    *,
    actor: Actor,
    employee_id: int,
    every: str | None,
    version: int | None,
    today: date | None = None,
) -> None:
    """A pair's own cadence (None: back to the unit's default)."""
    get_person(session, employee_id)
    relation = relation_to(session, actor, employee_id)
    require(
        can_set_pair_cadence(actor, relation),
        session=session,
        actor=actor,
        action="set_cadence",
        entity="check_in_pair",
        entity_id=employee_id,
        message="Only the person's manager (or HR) sets their check-in cadence.",
    )
    if every is not None and every not in rules.CADENCE_LABELS:
        raise ValidationError(f"Unknown cadence {every!r}.")
    pair = _ensure_pair(session, employee_id, today or today_utc())
    if version is not None:
        check_version(pair, version, "Someone else changed this cadence; reload and try again.")
    pair.every = every
    touch(pair)
    session.add(pair)
    record_event(
        session,
        actor_id=actor.person_id,
        action="check_in_cadence.changed",
        entity="check_in_pair",
        entity_id=employee_id,
        detail={"every": every},
    )
    flush_versioned(session, "Someone else changed this cadence; reload and try again.")


def set_unit_cadence(
    session: Session, *, actor: Actor, org_unit_id: int, every: str | None
) -> None:
    """The default cadence of a unit's pairs (None: the organisation's default)."""
    require(
        can_edit_checkin_templates(actor),
        session=session,
        actor=actor,
        action="set_unit_cadence",
        entity="org_unit",
        entity_id=org_unit_id,
    )
    if session.get(OrgUnit, org_unit_id) is None:
        raise NotFound("There is no such unit.")
    if every is not None and every not in rules.CADENCE_LABELS:
        raise ValidationError(f"Unknown cadence {every!r}.")
    row = session.exec(
        select(CheckInUnitCadence).where(CheckInUnitCadence.org_unit_id == org_unit_id)
    ).first()
    if every is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(CheckInUnitCadence(org_unit_id=org_unit_id, every=every))
    else:
        row.every = every
        session.add(row)
    record_event(
        session,
        actor_id=actor.person_id,
        action="check_in_cadence.changed",
        entity="org_unit",
        entity_id=org_unit_id,
        detail={"every": every},
    )
    flush_versioned(session, "Someone else changed this cadence; reload and try again.")


# --- check-ins ---------------------------------------------------------------


def _agenda_from_template(session: Session, template: CheckInTemplate | None) -> list[str]:
    if template is None or template.id is None:
        return list(rules.DEFAULT_AGENDA)
    return template_questions(session, template.id) or list(rules.DEFAULT_AGENDA)


def open_next_check_in(
    session: Session, *, actor: Actor, employee_id: int, today: date | None = None
) -> int:
    """The pair's next check-in: the open one, or a new one on the default
    template due on the cadence's next date. Either party may open it (to
    add talking points beforehand); returns its id."""
    person = get_person(session, employee_id)
    relation = relation_to(session, actor, employee_id)
    _refuse(session, actor, can_prepare_checkin(actor, relation), "open", f"person:{employee_id}")
    require_module(session, actor=actor, module=Module.checkins, person_id=employee_id)
    if person.manager_id is None:
        raise ValidationError(f"{person.full_name} has no manager to check in with.")
    existing = open_check_in(session, employee_id)
    if existing is not None:
        _follow_manager(session, existing)
        session.flush()
        assert existing.id is not None
        return existing.id
    today = today or today_utc()
    pair = _ensure_pair(session, employee_id, today)
    template = default_template(session)
    check_in = CheckIn(
        employee_id=employee_id,
        manager_id=person.manager_id,
        template_id=template.id if template else None,
        focus=template.focus if template else pair.focus,
        due_on=next_due(session, person, today=today) or today,
    )
    session.add(check_in)
    session.flush()
    assert check_in.id is not None
    for position, text in enumerate(_agenda_from_template(session, template), start=1):
        session.add(CheckInItem(check_in_id=check_in.id, position=position, text=text))
    _audit(actor, session, "check_in.created", check_in.id, employee_id=employee_id)
    session.flush()
    return check_in.id


def schedule_check_in(
    session: Session, *, actor: Actor, check_in_id: int, version: int, due_on: date
) -> None:
    check_in, relation = _open_for_edit(session, actor, check_in_id, "schedule")
    _refuse(session, actor, can_run_checkin(actor, relation), "schedule", check_in_id)
    check_version(check_in, version, STALE_CHECK_IN)
    check_in.due_on = due_on
    session.add(check_in)
    _audit(actor, session, "check_in.scheduled", check_in_id, due_on=due_on)
    flush_versioned(session, STALE_CHECK_IN)


def change_template(
    session: Session, *, actor: Actor, check_in_id: int, version: int, template_id: int
) -> None:
    """The manager picks another template: its questions replace the old
    ones (notes kept on a question of the same wording); talking points stay."""
    check_in, relation = _open_for_edit(session, actor, check_in_id, "change_template")
    _refuse(session, actor, can_run_checkin(actor, relation), "change_template", check_in_id)
    check_version(check_in, version, STALE_CHECK_IN)
    template = session.get(CheckInTemplate, template_id)
    if template is None or not template.active:
        raise NotFound("There is no such template.")
    items = list(session.exec(select(CheckInItem).where(CheckInItem.check_in_id == check_in_id)))
    kept_notes = {i.text: i.notes for i in items if i.kind == "question" and i.notes}
    points = [i for i in items if i.kind != "question"]
    for item in items:
        if item.kind == "question":
            session.delete(item)
    session.flush()
    questions = _agenda_from_template(session, template)
    for position, text in enumerate(questions, start=1):
        session.add(
            CheckInItem(
                check_in_id=check_in_id,
                position=position,
                text=text,
                notes=kept_notes.get(text, ""),
            )
        )
    for offset, point in enumerate(sorted(points, key=lambda p: p.position), start=1):
        point.position = len(questions) + offset
        session.add(point)
    check_in.template_id = template_id
    check_in.focus = template.focus
    session.add(check_in)
    _audit(actor, session, "check_in.changed_template", check_in_id, template_id=template_id)
    flush_versioned(session, STALE_CHECK_IN)


def add_talking_point(session: Session, *, actor: Actor, check_in_id: int, text: str) -> int:
    _check_in, _ = _open_for_edit(session, actor, check_in_id, "add_talking_point")
    text = _text(text, "talking point", TEXT_MAX)
    last = session.exec(
        select(func.max(CheckInItem.position)).where(CheckInItem.check_in_id == check_in_id)
    ).one()
    item = CheckInItem(
        check_in_id=check_in_id,
        position=(last or 0) + 1,
        text=text,
        kind="talking point",
        added_by_id=actor.person_id,
    )
    session.add(item)
    _audit(actor, session, "check_in.added_talking_point", check_in_id)
    session.flush()
    assert item.id is not None
    return item.id


def remove_talking_point(session: Session, *, actor: Actor, item_id: int, version: int) -> None:
    item = session.get(CheckInItem, item_id)
    if item is None or item.kind != "talking point":
        raise NotFound("There is no such talking point.")
    _open_for_edit(session, actor, item.check_in_id, "remove_talking_point")
    if item.added_by_id != actor.person_id:
        raise ValidationError("Only whoever added a talking point removes it.")
    check_version(item, version, STALE_CHECK_IN)
    session.delete(item)
    _audit(actor, session, "check_in.removed_talking_point", item.check_in_id)
    flush_versioned(session, STALE_CHECK_IN)


def save_item_notes(
    session: Session, *, actor: Actor, item_id: int, version: int, notes: str
) -> int:
    """Shared notes on one agenda item (both parties see and write them);
    returns the item's new version."""
    item = session.get(CheckInItem, item_id)
    if item is None:
        raise NotFound("There is no such agenda item.")
    _open_for_edit(session, actor, item.check_in_id, "write_notes")
    notes = _text(notes, "notes", NOTES_MAX, required=False)
    check_version(
        item, version, f"Someone else changed the notes on “{item.text}”; reload to see them."
    )
    item.notes = notes
    touch(item)
    session.add(item)
    _audit(actor, session, "check_in.saved_notes", item.check_in_id, item_id=item_id)
    flush_versioned(session, f"Someone else changed the notes on “{item.text}”; reload.")
    return item.version


def save_private_note(
    session: Session, *, actor: Actor, check_in_id: int, text: str, version: int | None
) -> int:
    """The actor's own private note (also on a completed check-in); returns
    its version. Nobody else ever reads it."""
    _check_in, relation = load_check_in(session, actor, check_in_id, "write_private_note")
    _refuse(
        session, actor, can_write_private_note(actor, relation), "write_private_note", check_in_id
    )
    text = _text(text, "private note", NOTES_MAX, required=False)
    note = session.exec(
        select(CheckInPrivateNote).where(
            CheckInPrivateNote.check_in_id == check_in_id,
            CheckInPrivateNote.author_id == actor.person_id,
        )
    ).first()
    stale = "You changed this private note in another window; reload to see it."
    if note is None:
        if version is not None:
            raise ValidationError(stale)
        note = CheckInPrivateNote(check_in_id=check_in_id, author_id=actor.person_id, text=text)
    else:
        check_version(note, version if version is not None else -1, stale)
        note.text = text
        note.updated_at = utcnow()
    session.add(note)
    # The audit trail says a private note changed, never what it says.
    _audit(actor, session, "check_in.saved_private_note", check_in_id)
    flush_versioned(session, stale)
    return note.version


def _party_ids(session: Session, check_in: CheckIn) -> set[int]:
    person = get_person(session, check_in.employee_id)
    return {i for i in (check_in.employee_id, person.manager_id, check_in.manager_id) if i}


def add_action(
    session: Session,
    *,
    actor: Actor,
    check_in_id: int,
    text: str,
    owner_id: int,
    due_on: date | None,
) -> int:
    check_in, _ = _open_for_edit(session, actor, check_in_id, "add_action")
    text = _text(text, "action", ACTION_MAX)
    if owner_id not in _party_ids(session, check_in):
        raise ValidationError("An action is owned by the person or their manager.")
    action = CheckInAction(
        check_in_id=check_in_id,
        employee_id=check_in.employee_id,
        owner_id=owner_id,
        text=text,
        due_on=due_on,
        created_by_id=actor.person_id,
    )
    session.add(action)
    _audit(actor, session, "check_in.added_action", check_in_id, owner_id=owner_id)
    session.flush()
    assert action.id is not None
    return action.id


def set_action_done(
    session: Session, *, actor: Actor, action_id: int, version: int, done: bool
) -> None:
    """Tick an action off (or reopen it): the pair, in any of its check-ins."""
    action = session.get(CheckInAction, action_id)
    if action is None:
        raise NotFound("There is no such action.")
    relation = relation_to(session, actor, action.employee_id)
    _refuse(
        session,
        actor,
        is_checkin_party(relation) or action.owner_id == actor.person_id,
        "complete_action",
        action.check_in_id,
    )
    stale = f"Someone else changed “{action.text}”; reload and try again."
    check_version(action, version, stale)
    action.done = done
    action.done_at = utcnow() if done else None
    session.add(action)
    _audit(actor, session, "check_in.updated_action", action.check_in_id, done=done)
    flush_versioned(session, stale)


def update_key_result(
    session: Session,
    *,
    actor: Actor,
    check_in_id: int,
    key_result_id: int,
    version: int,
    value: float,
    confidence: str,
    note: str = "",
) -> ProgressUpdateRead:
    """A key-result update made in a check-in is an ordinary progress update
    (core.goals.commands.record_progress: history, author, time, checks)."""
    check_in, _ = _open_for_edit(session, actor, check_in_id, "update_key_result")
    kr = session.get(KeyResult, key_result_id)
    goal = session.get(Goal, kr.goal_id) if kr else None
    if kr is None or goal is None or goal.owner_id != check_in.employee_id:
        raise NotFound("That key result is not one of this person's goals.")
    return record_progress(
        session,
        actor=actor,
        key_result_id=key_result_id,
        version=version,
        value=value,
        confidence=confidence,
        note=note,
    )


def complete_check_in(
    session: Session, *, actor: Actor, check_in_id: int, version: int, held_on: date | None = None
) -> None:
    """The manager closes the check-in: it becomes read-only, the employee
    is asked to acknowledge it, the next one falls due on the cadence."""
    check_in, relation = _open_for_edit(session, actor, check_in_id, "complete")
    _refuse(session, actor, can_run_checkin(actor, relation), "complete", check_in_id)
    check_version(check_in, version, STALE_CHECK_IN)
    held_on = held_on or today_utc()
    check_in.status = CheckInStatus.completed.value
    check_in.held_on = held_on
    check_in.completed_at = utcnow()
    check_in.completed_by_id = actor.person_id
    check_in.manager_id = actor.person_id
    session.add(check_in)
    _audit(actor, session, "check_in.completed", check_in_id, held_on=held_on)
    flush_versioned(session, STALE_CHECK_IN)


def acknowledge_check_in(
    session: Session, *, actor: Actor, check_in_id: int, version: int, comment: str = ""
) -> None:
    """The employee confirms a completed check-in, with an optional comment."""
    check_in, relation = load_check_in(session, actor, check_in_id, "acknowledge")
    require(
        can_acknowledge_checkin(actor, relation),
        session=session,
        actor=actor,
        action="acknowledge",
        entity="check_in",
        entity_id=check_in_id,
        message="Only the person acknowledges their check-in.",
    )
    if check_in.status != CheckInStatus.completed:
        raise ValidationError(
            "This check-in is not completed yet."
            if check_in.status == CheckInStatus.planned
            else "You have acknowledged this check-in already."
        )
    check_version(check_in, version, STALE_CHECK_IN)
    check_in.status = CheckInStatus.acknowledged.value
    check_in.acknowledged_at = utcnow()
    check_in.employee_comment = _text(comment, "comment", COMMENT_MAX, required=False)
    session.add(check_in)
    _audit(actor, session, "check_in.acknowledged", check_in_id)
    flush_versioned(session, STALE_CHECK_IN)


# --- templates ----------------------------------------------------------------


def save_template(
    session: Session,
    *,
    actor: Actor,
    template_id: int | None,
    version: int | None,
    name: str,
    focus: str,
    questions: Sequence[str],
    is_default: bool = False,
    active: bool = True,
) -> int:
    """Create or replace a template (its ordered questions as a whole)."""
    require(
        can_edit_checkin_templates(actor),
        session=session,
        actor=actor,
        action="edit",
        entity="check_in_template",
        entity_id=template_id,
        message="Check-in templates are edited by HR.",
    )
    name = _text(name, "template name", 120)
    if focus not in {f.value for f in rules.Focus}:
        raise ValidationError("The focus is performance or development.")
    cleaned = [q.strip() for q in questions if q and q.strip()]
    if not cleaned:
        raise ValidationError("A template needs at least one question.")
    if len(cleaned) > QUESTIONS_MAX:
        raise ValidationError(f"At most {QUESTIONS_MAX} questions.")
    for question in cleaned:
        _text(question, "question", TEXT_MAX)
    clash = session.exec(
        select(CheckInTemplate.id).where(
            CheckInTemplate.name == name, col(CheckInTemplate.id) != (template_id or 0)
        )
    ).first()
    if clash is not None:
        raise ValidationError(f"There is already a template called {name!r}.")
    stale = f"Someone else changed the template “{name}”; reload and try again."
    if template_id is None:
        template = CheckInTemplate(name=name, focus=focus, is_default=is_default, active=active)
        session.add(template)
        session.flush()
    else:
        found = session.get(CheckInTemplate, template_id)
        if found is None:
            raise NotFound("There is no such template.")
        template = found
        check_version(template, version if version is not None else -1, stale)
        template.name, template.focus = name, focus
        template.is_default, template.active = is_default, active
        touch(template)
        session.add(template)
        session.execute(
            sa_delete(CheckInQuestion).where(col(CheckInQuestion.template_id) == template_id)
        )
    assert template.id is not None
    if is_default:
        for other in session.exec(
            select(CheckInTemplate).where(
                col(CheckInTemplate.is_default).is_(True), CheckInTemplate.id != template.id
            )
        ):
            other.is_default = False
            session.add(other)
    for position, text in enumerate(cleaned, start=1):
        session.add(CheckInQuestion(template_id=template.id, position=position, text=text))
    record_event(
        session,
        actor_id=actor.person_id,
        action="check_in_template.saved",
        entity="check_in_template",
        entity_id=template.id,
        detail={"name": name, "questions": len(cleaned)},
    )
    flush_versioned(session, stale)
    return template.id
