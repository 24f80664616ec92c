"""Reads: one check-in, my check-ins, the team's pairs, templates, adherence,
exports. Private notes are only ever read for their author."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import case as sa_case
from sqlalchemy import delete as sa_delete
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlmodel import Session, col, select

from core.access import (
    Actor,
    Relation,
    can_acknowledge_checkin,
    can_prepare_checkin,
    can_read_private_note,
    can_run_checkin,
    can_view_checkin,
    can_write_private_note,
    checkin_adherence_reach,
    require,
)
from core.checkins import rules
from core.checkins.calendar import check_in_ics
from core.checkins.read_models import (
    ActionView,
    AdherenceReport,
    AgendaItemView,
    CheckInSummary,
    CheckInView,
    MyCheckIns,
    PairStatus,
    PrivateNoteView,
)
from core.checkins.scope import (
    get_person,
    load_check_in,
    relation_to,
    template_questions,
    today_utc,
)
from core.export import workbook_bytes
from core.goals import current_cycle_id, list_cycles, list_person_goals
from core.goals.read_models import GoalView
from core.org import reports_query
from db.models import (
    CheckIn,
    CheckInAction,
    CheckInItem,
    CheckInPair,
    CheckInPrivateNote,
    CheckInStatus,
    CheckInTemplate,
    CheckInTemplateRead,
    CheckInUnitCadence,
    OrgUnit,
    Person,
)

ADHERENCE_DAYS = 90
HISTORY_LIMIT = 50


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(ids))).all()
    return {pid: name for pid, name in rows if pid is not None}


def _action_views(
    session: Session, actions: list[CheckInAction], *, carried: set[int]
) -> list[ActionView]:
    names = _names(session, {a.owner_id for a in actions})
    return [
        ActionView(
            id=a.id or 0,
            check_in_id=a.check_in_id,
            owner_id=a.owner_id,
            owner_name=names.get(a.owner_id, ""),
            text=a.text,
            due_on=a.due_on,
            done=a.done,
            version=a.version,
            carried_forward=(a.id or 0) in carried,
        )
        for a in actions
    ]


def _actions_of(session: Session, check_in: CheckIn) -> list[ActionView]:
    """Its own actions, and for an open check-in the pair's open actions of
    earlier check-ins, carried forward until done."""
    own = list(
        session.exec(
            select(CheckInAction)
            .where(CheckInAction.check_in_id == check_in.id)
            .order_by(col(CheckInAction.id))
        )
    )
    carried_rows: list[CheckInAction] = []
    if check_in.status == CheckInStatus.planned:
        candidates = list(
            session.exec(
                select(CheckInAction)
                .where(
                    CheckInAction.employee_id == check_in.employee_id,
                    col(CheckInAction.done).is_(False),
                    CheckInAction.check_in_id != check_in.id,
                )
                .order_by(col(CheckInAction.id))
            )
        )
        earlier = set(
            session.exec(
                select(CheckIn.id).where(
                    CheckIn.employee_id == check_in.employee_id,
                    CheckIn.status != CheckInStatus.planned.value,
                )
            ).all()
        )
        ids = set(
            rules.carried_forward(
                [rules.ActionState(a.id or 0, a.check_in_id, a.done) for a in candidates],
                earlier_check_in_ids=[i for i in earlier if i is not None],
            )
        )
        carried_rows = [a for a in candidates if a.id in ids]
    return _action_views(session, carried_rows, carried={a.id or 0 for a in carried_rows}) + (
        _action_views(session, own, carried=set())
    )


def _view(session: Session, actor: Actor, check_in: CheckIn, relation: Relation) -> CheckInView:
    assert check_in.id is not None
    items = list(
        session.exec(
            select(CheckInItem)
            .where(CheckInItem.check_in_id == check_in.id)
            .order_by(col(CheckInItem.position), col(CheckInItem.id))
        )
    )
    people = {check_in.employee_id} | {i.added_by_id for i in items if i.added_by_id}
    if check_in.manager_id:
        people.add(check_in.manager_id)
    names = _names(session, people)
    template = session.get(CheckInTemplate, check_in.template_id) if check_in.template_id else None
    # Only the actor's own private note is read, ever.
    note = session.exec(
        select(CheckInPrivateNote).where(
            CheckInPrivateNote.check_in_id == check_in.id,
            CheckInPrivateNote.author_id == actor.person_id,
        )
    ).first()
    may_write_private = can_write_private_note(actor, relation)
    private = None
    if may_write_private or note is not None:
        if note is not None and can_read_private_note(actor, author_id=note.author_id):
            private = PrivateNoteView(text=note.text, version=note.version)
        else:
            private = PrivateNoteView(text="", version=None)
    is_open = check_in.status == CheckInStatus.planned
    return CheckInView(
        id=check_in.id,
        employee_id=check_in.employee_id,
        employee_name=names.get(check_in.employee_id, ""),
        manager_id=check_in.manager_id,
        manager_name=names.get(check_in.manager_id) if check_in.manager_id else None,
        template_id=check_in.template_id,
        template_name=template.name if template else None,
        focus=check_in.focus,
        status=check_in.status,
        due_on=check_in.due_on,
        held_on=check_in.held_on,
        completed_at=check_in.completed_at,
        acknowledged_at=check_in.acknowledged_at,
        employee_comment=check_in.employee_comment,
        version=check_in.version,
        items=[
            AgendaItemView(
                id=i.id or 0,
                position=i.position,
                text=i.text,
                kind=i.kind,
                added_by_name=names.get(i.added_by_id) if i.added_by_id else None,
                notes=i.notes,
                version=i.version,
            )
            for i in items
        ],
        actions=_actions_of(session, check_in),
        private_note=private,
        can_prepare=is_open and can_prepare_checkin(actor, relation),
        can_run=is_open and can_run_checkin(actor, relation),
        can_acknowledge=check_in.status == CheckInStatus.completed
        and can_acknowledge_checkin(actor, relation),
        can_write_private=may_write_private,
    )


def get_check_in(session: Session, *, actor: Actor, check_in_id: int) -> CheckInView:
    check_in, relation = load_check_in(session, actor, check_in_id)
    return _view(session, actor, check_in, relation)


def _require_view_person(session: Session, actor: Actor, employee_id: int) -> Relation:
    get_person(session, employee_id)
    relation = relation_to(session, actor, employee_id)
    require(
        can_view_checkin(actor, relation),
        session=session,
        actor=actor,
        action="list",
        entity="check_in",
        entity_id=f"person:{employee_id}",
        message="You can see your own check-ins and your reports' check-ins.",
    )
    return relation


def _pair_statuses(session: Session, people: list[Person], *, today: date) -> list[PairStatus]:
    """Cadence, last held, next due, streak for each person, in a few
    grouped queries however many people."""
    ids = [p.id for p in people if p.id is not None]
    if not ids:
        return []
    pairs = {
        p.employee_id: p
        for p in session.exec(select(CheckInPair).where(col(CheckInPair.employee_id).in_(ids)))
    }
    unit_defaults = dict(
        session.exec(select(CheckInUnitCadence.org_unit_id, CheckInUnitCadence.every)).all()
    )
    held: dict[int, list[rules.HeldCheckIn]] = defaultdict(list)
    for employee_id, due_on, held_on in session.execute(
        sa_select(col(CheckIn.employee_id), col(CheckIn.due_on), col(CheckIn.held_on))
        .where(col(CheckIn.employee_id).in_(ids), col(CheckIn.held_on).is_not(None))
        .order_by(col(CheckIn.held_on))
    ):
        held[employee_id].append(rules.HeldCheckIn(due_on, held_on))
    open_ids = dict(
        session.execute(
            sa_select(col(CheckIn.employee_id), func.min(col(CheckIn.id)))
            .where(col(CheckIn.employee_id).in_(ids), col(CheckIn.status) == CheckInStatus.planned)
            .group_by(col(CheckIn.employee_id))
        ).all()
    )
    open_due = dict(
        session.execute(
            sa_select(col(CheckIn.employee_id), col(CheckIn.due_on)).where(
                col(CheckIn.id).in_(list(open_ids.values()) or [0])
            )
        ).all()
    )
    open_actions = dict(
        session.execute(
            sa_select(col(CheckInAction.employee_id), func.count())
            .where(col(CheckInAction.employee_id).in_(ids), col(CheckInAction.done).is_(False))
            .group_by(col(CheckInAction.employee_id))
        ).all()
    )
    statuses = []
    for person in people:
        assert person.id is not None
        pair = pairs.get(person.id)
        cadence = rules.effective_cadence(
            pair.every if pair else None, unit_defaults.get(person.org_unit_id)
        )
        history = held.get(person.id, [])
        last = history[-1].held_on if history else None
        due = rules.next_due_on(
            cadence=cadence, last_held_on=last, starts_on=pair.starts_on if pair else None
        )
        # A check-in scheduled for another day counts as the next date.
        if person.id in open_due and open_due[person.id] is not None and cadence != "none":
            due = open_due[person.id]
        statuses.append(
            PairStatus(
                employee_id=person.id,
                employee_name=person.full_name,
                manager_id=person.manager_id,
                cadence=cadence,
                cadence_is_own=bool(pair and pair.every),
                last_held_on=last,
                next_due_on=due,
                overdue=rules.is_overdue(due, today=today),
                days_overdue=rules.days_overdue(due, today=today),
                streak=rules.on_time_streak(history, next_due=due, today=today),
                open_check_in_id=open_ids.get(person.id),
                open_actions=int(open_actions.get(person.id, 0)),
                pair_version=pair.version if pair else None,
            )
        )
    return statuses


def get_my_check_ins(
    session: Session, *, actor: Actor, today: date | None = None, employee_id: int | None = None
) -> MyCheckIns:
    """The next check-in with its agenda, the history, the open actions."""
    today = today or today_utc()
    employee_id = employee_id or actor.person_id
    relation = _require_view_person(session, actor, employee_id)
    person = get_person(session, employee_id)
    pair = _pair_statuses(session, [person], today=today)[0]
    next_view = None
    if pair.open_check_in_id is not None:
        check_in = session.get(CheckIn, pair.open_check_in_id)
        assert check_in is not None
        next_view = _view(session, actor, check_in, relation)
    rows = session.exec(
        select(CheckIn)
        .where(CheckIn.employee_id == employee_id, CheckIn.status != CheckInStatus.planned.value)
        .order_by(col(CheckIn.held_on).desc(), col(CheckIn.id).desc())
        .limit(HISTORY_LIMIT)
    ).all()
    names = _names(session, {r.manager_id for r in rows if r.manager_id})
    history = [
        CheckInSummary(
            id=r.id or 0,
            status=r.status,
            due_on=r.due_on,
            held_on=r.held_on,
            manager_name=names.get(r.manager_id) if r.manager_id else None,
            focus=r.focus,
            acknowledged=r.status == CheckInStatus.acknowledged,
        )
        for r in rows
    ]
    return MyCheckIns(
        pair=pair,
        next_check_in=next_view,
        history=history,
        open_actions=list_open_actions(session, actor=actor, employee_id=employee_id),
        manager_name=_names(session, {person.manager_id}).get(person.manager_id)
        if person.manager_id
        else None,
    )


def list_open_actions(
    session: Session, *, actor: Actor, employee_id: int | None = None
) -> list[ActionView]:
    """A pair's open actions (default: the actor's own pair), oldest first."""
    employee_id = employee_id or actor.person_id
    _require_view_person(session, actor, employee_id)
    rows = list(
        session.exec(
            select(CheckInAction)
            .where(CheckInAction.employee_id == employee_id, col(CheckInAction.done).is_(False))
            .order_by(col(CheckInAction.due_on), col(CheckInAction.id))
        )
    )
    return _action_views(session, rows, carried=set())


INDIRECT_LIMIT = 500


def list_team_check_ins(
    session: Session, *, actor: Actor, today: date | None = None, indirect: bool = False
) -> list[PairStatus]:
    """Each direct report's pair (the actor's own check-ins to run); with
    `indirect`, also the pairs further down the line, which the actor reads
    but does not take part in (at most `INDIRECT_LIMIT` of them, by name)."""
    today = today or today_utc()
    people = list(
        session.exec(
            select(Person)
            .where(Person.manager_id == actor.person_id, col(Person.active).is_(True))
            .order_by(col(Person.full_name))
        )
    )
    if indirect:
        people += list(
            session.exec(
                select(Person)
                .where(
                    col(Person.id).in_(reports_query(actor.person_id)),
                    col(Person.manager_id) != actor.person_id,
                    col(Person.active).is_(True),
                )
                .order_by(col(Person.full_name))
                .limit(INDIRECT_LIMIT)
            )
        )
    return _pair_statuses(session, people, today=today)


def team_frame(statuses: list[PairStatus]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "person": s.employee_name,
                "cadence": s.cadence_label,
                "last held": s.last_held_on,
                "next due": s.next_due_on,
                "overdue": f"{s.days_overdue} days" if s.overdue else "",
                "on-time streak": s.streak,
                "open actions": s.open_actions,
            }
            for s in statuses
        ],
        columns=[
            "person",
            "cadence",
            "last held",
            "next due",
            "overdue",
            "on-time streak",
            "open actions",
        ],
    )


def list_open_goals(session: Session, *, actor: Actor, employee_id: int) -> list[GoalView]:
    """The person's open goals of the current cycle, with their key results,
    to show and update inside a check-in (read through the goals service)."""
    cycles = list_cycles(session)
    cycle_id = current_cycle_id(cycles, today_utc())
    if cycle_id is None:
        return []
    goals = list_person_goals(
        session, actor=actor, cycle_id=cycle_id, person_id=employee_id, with_parents=False
    )
    return [g for g in goals if g.is_open]


# --- templates ---------------------------------------------------------------


def list_templates(
    session: Session, *, include_inactive: bool = False
) -> list[CheckInTemplateRead]:
    """Templates are shared reference: everyone may read them; HR edits."""
    query = select(CheckInTemplate).order_by(
        col(CheckInTemplate.is_default).desc(), col(CheckInTemplate.name)
    )
    if not include_inactive:
        query = query.where(col(CheckInTemplate.active).is_(True))
    return [
        CheckInTemplateRead(**t.model_dump(), questions=template_questions(session, t.id or 0))
        for t in session.exec(query)
    ]


def list_unit_cadences(session: Session) -> pd.DataFrame:
    rows = session.execute(
        sa_select(col(OrgUnit.id), col(OrgUnit.name), col(CheckInUnitCadence.every))
        .join(
            CheckInUnitCadence, col(CheckInUnitCadence.org_unit_id) == col(OrgUnit.id), isouter=True
        )
        .order_by(col(OrgUnit.name))
    ).all()
    return pd.DataFrame(rows, columns=["unit_id", "unit", "cadence"])


# --- adherence ---------------------------------------------------------------


def _days_between(session: Session, later: Any, earlier: Any) -> Any:
    """Whole days from `earlier` to `later` as SQL, on either database."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return later - earlier


def get_adherence(
    session: Session, *, actor: Actor, today: date | None = None, days: int = ADHERENCE_DAYS
) -> AdherenceReport:
    """Share held on time and median days between check-ins, per team (a
    manager's direct reports) and per unit, over the last `days` days: a
    manager's line, or everyone for HR. Counted in SQL (per person: held,
    on time; per team and unit: a histogram of the gaps between consecutive
    check-ins), so 10,000 people are a few thousand small rows."""
    reach = checkin_adherence_reach(actor)
    require(
        reach is not None,
        session=session,
        actor=actor,
        action="read",
        entity="check_in_adherence",
        message="Check-in adherence is for managers (their line) and HR.",
    )
    assert reach is not None
    today = today or today_utc()
    since = today - timedelta(days=days)
    in_scope: Any = reports_query(actor.person_id) if reach == "line" else None

    def scoped(query: Any, column: Any) -> Any:
        return query if in_scope is None else query.where(column.in_(in_scope))

    held_on, due_on = col(CheckIn.held_on), col(CheckIn.due_on)
    on_time = sa_case(
        (
            due_on.is_(None)
            | (_days_between(session, held_on, due_on) <= rules.ON_TIME_GRACE_DAYS),
            1,
        ),
        else_=0,
    )
    in_period = sa_case((held_on >= since, 1), else_=0)
    # Per person, in one pass: held in the period, of those on time, last held ever.
    per_person = (
        sa_select(
            col(CheckIn.employee_id).label("employee_id"),
            func.sum(in_period).label("held"),
            func.sum(in_period * on_time).label("on_time"),
            func.max(held_on).label("last_held"),
        )
        .where(held_on.is_not(None))
        .group_by(col(CheckIn.employee_id))
        .subquery()
    )
    people = session.execute(
        scoped(
            sa_select(
                col(Person.id),
                col(Person.manager_id),
                col(Person.org_unit_id),
                col(CheckInPair.every),
                col(CheckInPair.starts_on),
                per_person.c.last_held,
                per_person.c.held,
                per_person.c.on_time,
            )
            .join(CheckInPair, col(CheckInPair.employee_id) == col(Person.id), isouter=True)
            .join(per_person, per_person.c.employee_id == col(Person.id), isouter=True)
            .where(col(Person.active).is_(True), col(Person.manager_id).is_not(None)),
            col(Person.id),
        )
    ).all()
    gaps = scoped(
        sa_select(
            col(CheckIn.employee_id).label("employee_id"),
            _days_between(
                session,
                held_on,
                func.lag(held_on).over(partition_by=col(CheckIn.employee_id), order_by=held_on),
            ).label("gap"),
        ).where(held_on.is_not(None), held_on >= since),
        col(CheckIn.employee_id),
    ).subquery()
    histogram = session.execute(
        sa_select(col(Person.manager_id), col(Person.org_unit_id), gaps.c.gap, func.count())
        .join(gaps, gaps.c.employee_id == col(Person.id))
        .where(gaps.c.gap.is_not(None), col(Person.active).is_(True))
        .group_by(col(Person.manager_id), col(Person.org_unit_id), gaps.c.gap)
    ).all()
    unit_defaults = dict(
        session.exec(select(CheckInUnitCadence.org_unit_id, CheckInUnitCadence.every)).all()
    )
    by_team: dict[int, list[int]] = defaultdict(list)
    by_unit: dict[int, list[int]] = defaultdict(list)
    per_pair: dict[int, rules.Adherence | None] = {}
    for employee_id, manager_id, unit_id, own, starts_on, last, n_held, n_on_time in people:
        by_team[manager_id].append(employee_id)
        by_unit[unit_id].append(employee_id)
        cadence = rules.effective_cadence(own, unit_defaults.get(unit_id))
        if cadence == rules.Cadence.none:
            per_pair[employee_id] = None  # not tracked: left out of the figures
            continue
        due = rules.next_due_on(cadence=cadence, last_held_on=last, starts_on=starts_on)
        per_pair[employee_id] = rules.Adherence(
            held=int(n_held or 0),
            on_time=int(n_on_time or 0),
            missed=1 if rules.is_overdue(due, today=today) else 0,
            median_days_between=None,
        )
    team_gaps: dict[int, dict[float, int]] = defaultdict(dict)
    unit_gaps: dict[int, dict[float, int]] = defaultdict(dict)
    for manager_id, unit_id, gap, n in histogram:
        for bucket, key in ((team_gaps, manager_id), (unit_gaps, unit_id)):
            bucket[key][float(gap)] = bucket[key].get(float(gap), 0) + int(n)
    names = _names(session, set(by_team))
    units = {
        unit_id: name
        for unit_id, name in session.exec(select(OrgUnit.id, OrgUnit.name)).all()
        if unit_id is not None
    }

    def table(
        groups: dict[int, list[int]],
        histograms: dict[int, dict[float, int]],
        label: str,
        label_of: dict[int, str],
    ) -> pd.DataFrame:
        out = []
        for group, members in groups.items():
            tracked = [p for p in (per_pair[e] for e in members) if p is not None]
            total = rules.combine(tracked, [])
            share = total.on_time_share
            out.append(
                {
                    label: label_of.get(group, str(group)),
                    "people": len(members),
                    "held": total.held,
                    "held on time": total.on_time,
                    "overdue now": total.missed,
                    "on-time share": round(share * 100, 1) if share is not None else None,
                    "median days between": rules.histogram_median(histograms.get(group, {})),
                }
            )
        columns = [
            label,
            "people",
            "held",
            "held on time",
            "overdue now",
            "on-time share",
            "median days between",
        ]
        frame = pd.DataFrame(out, columns=columns)
        return frame.sort_values(label).reset_index(drop=True)

    return AdherenceReport(
        reach=reach,
        since=since,
        until=today,
        by_team=table(by_team, team_gaps, "team of", names),
        by_unit=table(by_unit, unit_gaps, "unit", units),
    )


def adherence_workbook(report: AdherenceReport) -> bytes:
    return workbook_bytes({"By team": report.by_team, "By unit": report.by_unit})


# --- exports -------------------------------------------------------------------


def export_check_ins(session: Session, *, actor: Actor, employee_id: int) -> bytes:
    """A person's check-ins as a workbook (agenda with shared notes,
    actions). Private notes are never exported except the actor's own."""
    _require_view_person(session, actor, employee_id)
    sheets = check_in_sheets(session, employee_id=employee_id, private_author_id=actor.person_id)
    return workbook_bytes(sheets)


def check_in_sheets(
    session: Session, *, employee_id: int, private_author_id: int | None
) -> dict[str, pd.DataFrame]:
    """Sheets of a person's check-ins; private notes only of `private_author_id`
    (None: none at all, as in subject-access downloads made by HR)."""
    check_ins = list(
        session.exec(
            select(CheckIn).where(CheckIn.employee_id == employee_id).order_by(col(CheckIn.id))
        )
    )
    ids = [c.id for c in check_ins if c.id is not None]
    names = _names(session, {c.manager_id for c in check_ins if c.manager_id})
    items = list(
        session.exec(
            select(CheckInItem)
            .where(col(CheckInItem.check_in_id).in_(ids or [0]))
            .order_by(col(CheckInItem.check_in_id), col(CheckInItem.position))
        )
    )
    actions = list(
        session.exec(select(CheckInAction).where(CheckInAction.employee_id == employee_id))
    )
    owners = _names(session, {a.owner_id for a in actions})
    sheets = {
        "Check-ins": pd.DataFrame(
            [
                {
                    "check-in": c.id,
                    "manager": names.get(c.manager_id) if c.manager_id else None,
                    "status": c.status,
                    "focus": c.focus,
                    "due on": c.due_on,
                    "held on": c.held_on,
                    "employee comment": c.employee_comment,
                }
                for c in check_ins
            ],
            columns=[
                "check-in",
                "manager",
                "status",
                "focus",
                "due on",
                "held on",
                "employee comment",
            ],
        ),
        "Agenda and notes": pd.DataFrame(
            [
                {"check-in": i.check_in_id, "item": i.text, "kind": i.kind, "shared notes": i.notes}
                for i in items
            ],
            columns=["check-in", "item", "kind", "shared notes"],
        ),
        "Actions": pd.DataFrame(
            [
                {
                    "check-in": a.check_in_id,
                    "action": a.text,
                    "owner": owners.get(a.owner_id, ""),
                    "due on": a.due_on,
                    "done": a.done,
                }
                for a in actions
            ],
            columns=["check-in", "action", "owner", "due on", "done"],
        ),
    }
    if private_author_id is not None:
        notes = session.exec(
            select(CheckInPrivateNote).where(
                col(CheckInPrivateNote.check_in_id).in_(ids or [0]),
                CheckInPrivateNote.author_id == private_author_id,
            )
        ).all()
        sheets["My private notes"] = pd.DataFrame(
            [{"check-in": n.check_in_id, "private note": n.text} for n in notes],
            columns=["check-in", "private note"],
        )
    return sheets


@dataclass(frozen=True)
class CheckInWorkspace:
    """A check-in and, while it is open, the person's open goals to update in it."""

    check_in: CheckInView
    goals: list[GoalView]


def get_check_in_workspace(session: Session, *, actor: Actor, check_in_id: int) -> CheckInWorkspace:
    view = get_check_in(session, actor=actor, check_in_id=check_in_id)
    goals = (
        list_open_goals(session, actor=actor, employee_id=view.employee_id) if view.is_open else []
    )
    return CheckInWorkspace(check_in=view, goals=goals)


def next_check_in_ics(session: Session, *, actor: Actor, check_in_id: int) -> bytes:
    return check_in_ics(get_check_in(session, actor=actor, check_in_id=check_in_id))


def erase_check_in_text(session: Session, *, person_id: int) -> None:
    """For a leaver's erasure: the free text of their check-ins (shared
    notes, talking points, actions, comments) and every private note they
    wrote goes; dates and counts stay for adherence figures."""
    theirs = sa_select(col(CheckIn.id)).where(col(CheckIn.employee_id) == person_id)
    session.execute(
        sa_update(CheckInItem)
        .where(col(CheckInItem.check_in_id).in_(theirs))
        .values(notes="", text="(erased)")
    )
    session.execute(
        sa_update(CheckIn).where(col(CheckIn.employee_id) == person_id).values(employee_comment="")
    )
    session.execute(
        sa_update(CheckInAction)
        .where(col(CheckInAction.employee_id) == person_id)
        .values(text="(erased)")
    )
    session.execute(
        sa_delete(CheckInPrivateNote).where(
            (col(CheckInPrivateNote.author_id) == person_id)
            | col(CheckInPrivateNote.check_in_id).in_(theirs)
        )
    )


def adherence_data_stamp(session: Session) -> str:
    """Changes after any check-in, cadence or people edit (here or on another
    replica): the key that lets pages cache adherence figures safely."""
    checkins = session.execute(
        sa_select(func.count(), func.max(col(CheckIn.id)), func.sum(col(CheckIn.version)))
    ).one()
    pairs = session.execute(sa_select(func.count(), func.sum(col(CheckInPair.version)))).one()
    units = session.execute(
        sa_select(func.count(), func.sum(col(CheckInUnitCadence.version)))
    ).one()
    people = session.execute(sa_select(func.count(), func.sum(col(Person.version)))).one()
    return "|".join(str(tuple(row)) for row in (checkins, pairs, units, people))


def get_private_note(
    session: Session, *, actor: Actor, check_in_id: int, author_id: int
) -> PrivateNoteView:
    """One author's private note on a check-in: refused (and audited) for
    anyone but that author — the other party, the managers above, HR."""
    load_check_in(session, actor, check_in_id, "read_private_note")
    require(
        can_read_private_note(actor, author_id=author_id),
        session=session,
        actor=actor,
        action="read_private_note",
        entity="check_in",
        entity_id=check_in_id,
        message="Private notes are seen by their author only.",
    )
    note = session.exec(
        select(CheckInPrivateNote).where(
            CheckInPrivateNote.check_in_id == check_in_id,
            CheckInPrivateNote.author_id == author_id,
        )
    ).first()
    return (
        PrivateNoteView(text=note.text, version=note.version)
        if note
        else PrivateNoteView(text="", version=None)
    )
