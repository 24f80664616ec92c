"""HR import and export of units, positions and people: dry-run preview,
all-or-nothing commit, and the same files back out.

`import_files` reads the files, `import_rules` plans the change (pure); this
module loads what the database holds, writes a plan in one transaction with
bulk statements (10,000 people in seconds, not a query per row), and audits.
Imported people get accounts without a password: HR invites them, so no
password is hashed at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from core.access import Actor, can_administer_people, require
from core.assessments.summary import tracking_people, tracking_unit_moves
from core.audit import record_event
from core.auth import NO_PASSWORD, normalise_username
from core.errors import AuthError, RowError, ValidationError
from core.export import workbook_bytes
from core.org import is_manager
from core.people.import_files import (
    SHEET_PEOPLE,
    SHEET_POSITIONS,
    SHEET_UNITS,
    TEMPLATE_COLUMNS,
    UploadedFile,
    read_batch,
)
from core.people.import_rules import (
    Change,
    ImportPlan,
    PersonState,
    PositionState,
    Snapshot,
    UnitState,
    plan_import,
)
from db.models import JobFamily, OrgUnit, Person, Position, UserAccount

Progress = Callable[[str, float], None]
DEFAULT_FAMILY = "Unassigned"


@dataclass
class PeopleImportPreview:
    """What an import would do; `errors` non-empty means it cannot be committed."""

    plan: ImportPlan
    errors: list[RowError] = field(default_factory=list)

    @property
    def can_commit(self) -> bool:
        return not self.errors and not self.plan.is_empty

    def summary_frame(self) -> pd.DataFrame:
        rows = [
            {"entity": entity, **{k: counts.get(k, 0) for k in _COUNT_KINDS}}
            for entity, counts in sorted(self.plan.counts().items())
        ]
        return pd.DataFrame(rows, columns=["entity", *_COUNT_KINDS])

    def changes_frame(self) -> pd.DataFrame:
        """Field by field, for the preview table."""
        rows = []
        for kind, changes in (
            ("create", self.plan.creates),
            ("update", self.plan.updates),
            ("deactivate", self.plan.deactivations),
        ):
            for change in changes:
                # Whom or what a row is about, not only its code.
                label = next(
                    (
                        str(change.values[key])
                        for key in ("full_name", "name", "title")
                        if change.values.get(key)
                    ),
                    "",
                )
                row = {"change": kind, "entity": change.entity, "id": change.code, "name": label}
                if change.is_create:
                    rows.append(row)
                for name, before, after in change.fields:
                    rows.append(
                        {
                            **row,
                            "field": name,
                            "before": "" if before is None else str(before),
                            "after": "" if after is None else str(after),
                        }
                    )
        return pd.DataFrame(
            rows, columns=["change", "entity", "id", "name", "field", "before", "after"]
        )

    def errors_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"where": str(e.row), "column": e.column, "problem": e.message} for e in self.errors],
            columns=["where", "column", "problem"],
        )


_COUNT_KINDS = ["create", "update", "deactivate", "unchanged"]


@dataclass(frozen=True)
class PeopleImportResult:
    counts: dict[str, dict[str, int]]

    def summary(self) -> str:
        parts = []
        for entity, counts in sorted(self.counts.items()):
            done = ", ".join(
                f"{n} {kind}d" for kind, n in counts.items() if n and kind != "unchanged"
            )
            if done:
                parts.append(f"{entity}: {done}")
        return "Imported. " + ("; ".join(parts) if parts else "Nothing changed.")


def _require_hr(session: Session, actor: Actor, action: str) -> None:
    require(
        can_administer_people(actor),
        session=session,
        actor=actor,
        action=action,
        entity="people",
        message="Only HR admins import and export people.",
    )


def command_line_actor(session: Session, *, username: str) -> Actor:
    """The HR admin a command-line import runs as (and is audited as)."""
    row = session.execute(
        sa_select(col(Person.id), col(Person.full_name), col(Person.is_hr_admin))
        .join(UserAccount, col(UserAccount.person_id) == col(Person.id))
        .where(col(UserAccount.username) == normalise_username(username), col(Person.active))
    ).first()
    if row is None or not row[2]:
        raise AuthError(f"{username!r} is not an active HR admin.")
    return Actor(
        person_id=row[0],
        username=normalise_username(username),
        full_name=row[1],
        is_hr_admin=True,
        is_manager=is_manager(session, person_id=row[0]),
    )


def load_snapshot(session: Session) -> Snapshot:
    families = dict(session.execute(sa_select(col(JobFamily.id), col(JobFamily.name))).all())
    units = {
        code: UnitState(id=uid, code=code, name=name, parent_id=parent, kind=kind, active=active)
        for uid, code, name, parent, kind, active in session.execute(
            sa_select(
                col(OrgUnit.id),
                col(OrgUnit.code),
                col(OrgUnit.name),
                col(OrgUnit.parent_id),
                col(OrgUnit.kind),
                col(OrgUnit.active),
            )
        ).all()
    }
    positions = {
        code: PositionState(
            id=pid, code=code, title=title, family=families.get(family, ""), active=active
        )
        for pid, code, title, family, active in session.execute(
            sa_select(
                col(Position.id),
                col(Position.code),
                col(Position.title),
                col(Position.job_family_id),
                col(Position.active),
            )
        ).all()
    }
    usernames = dict(
        session.execute(sa_select(col(UserAccount.person_id), col(UserAccount.username))).all()
    )
    people: dict[str, PersonState] = {}
    for row in session.execute(
        sa_select(
            col(Person.id),
            col(Person.employee_code),
            col(Person.full_name),
            col(Person.email),
            col(Person.org_unit_id),
            col(Person.position_id),
            col(Person.manager_id),
            col(Person.appraiser_id),
            col(Person.active),
            col(Person.hire_date),
        )
    ).all():
        pid, code, name, email, unit, position, manager, appraiser, active, hired = row
        people[code] = PersonState(
            id=pid,
            code=code,
            full_name=name,
            email=email,
            username=usernames.get(pid),
            unit_id=unit,
            position_id=position,
            manager_id=manager,
            appraiser_id=appraiser,
            active=active,
            hire_date=hired,
        )
    return Snapshot(
        units=units,
        positions=positions,
        people=people,
        usernames={p.username: p.code for p in people.values() if p.username},
        emails={p.email: p.code for p in people.values()},
    )


def preview_people_import(
    session: Session, *, actor: Actor, files: Sequence[UploadedFile], sync: bool = False
) -> PeopleImportPreview:
    _require_hr(session, actor, "import")
    reading = read_batch(files)
    plan = plan_import(reading.batch, load_snapshot(session), sync=sync)
    return PeopleImportPreview(plan=plan, errors=[*reading.errors, *plan.errors])


def _bulk_update(model: Any) -> Any:
    """A table-level UPDATE run once per parameter set (executemany): the
    import loads no ORM objects, so there is nothing for the ORM to sync."""
    return update(model.__table__)


def _families(session: Session, changes: list[Change]) -> dict[str, int]:
    known = dict(session.execute(sa_select(col(JobFamily.name), col(JobFamily.id))).all())
    wanted = {str(c.values.get("family") or DEFAULT_FAMILY) for c in changes} - set(known)
    for name in sorted(wanted):
        family = JobFamily(name=name)
        session.add(family)
        session.flush()
        assert family.id is not None
        known[name] = family.id
    return known


def _write_units(session: Session, plan: ImportPlan) -> dict[str, int]:
    creates = [c for c in plan.creates if c.entity == "unit"]
    updates = [c for c in plan.updates if c.entity == "unit"]
    if creates:
        session.execute(
            insert(OrgUnit),
            [{"code": c.code, "name": c.values["name"], "kind": c.values["kind"]} for c in creates],
        )
    ids = dict(session.execute(sa_select(col(OrgUnit.code), col(OrgUnit.id))).all())
    if updates:
        session.execute(
            _bulk_update(OrgUnit)
            .where(col(OrgUnit.id) == bindparam("unit_id"))
            # Grids opened before the import must see their rows as changed.
            .values(name=bindparam("new_name"), version=OrgUnit.version + 1),
            [{"unit_id": c.existing_id, "new_name": c.values["name"]} for c in updates],
        )
    parents = [
        {
            "unit_id": ids[c.code],
            "new_parent": ids.get(str(c.values["parent_code"]))
            if c.values["parent_code"]
            else None,
        }
        for c in [*creates, *updates]
    ]
    if parents:
        session.execute(
            _bulk_update(OrgUnit)
            .where(col(OrgUnit.id) == bindparam("unit_id"))
            .values(parent_id=bindparam("new_parent")),
            parents,
        )
    return ids


def _write_positions(session: Session, plan: ImportPlan) -> dict[str, int]:
    creates = [c for c in plan.creates if c.entity == "position"]
    updates = [c for c in plan.updates if c.entity == "position"]
    families = _families(session, [*creates, *updates])

    def family_id(change: Change) -> int:
        return families[str(change.values.get("family") or DEFAULT_FAMILY)]

    if creates:
        session.execute(
            insert(Position),
            [
                {"code": c.code, "title": c.values["title"], "job_family_id": family_id(c)}
                for c in creates
            ],
        )
    if updates:
        session.execute(
            _bulk_update(Position)
            .where(col(Position.id) == bindparam("position_id"))
            .values(
                title=bindparam("new_title"),
                job_family_id=bindparam("new_family"),
                version=Position.version + 1,
            ),
            [
                {
                    "position_id": c.existing_id,
                    "new_title": c.values["title"],
                    "new_family": family_id(c),
                }
                for c in updates
            ],
        )
    return dict(session.execute(sa_select(col(Position.code), col(Position.id))).all())


def _person_columns(
    change: Change, units: dict[str, int], positions: dict[str, int]
) -> dict[str, Any]:
    values = change.values
    return {
        "full_name": values["full_name"],
        "email": values["email"],
        "org_unit_id": units[str(values["unit_code"])],
        "position_id": positions.get(str(values["position_code"]))
        if values["position_code"]
        else None,
        "active": values["active"],
        "hire_date": values["hire_date"],
    }


def _write_people(
    session: Session,
    plan: ImportPlan,
    units: dict[str, int],
    positions: dict[str, int],
    progress: Progress,
) -> None:
    creates = [c for c in plan.creates if c.entity == "person"]
    updates = [c for c in plan.updates if c.entity == "person"]
    if creates:
        session.execute(
            insert(Person),
            [{"employee_code": c.code, **_person_columns(c, units, positions)} for c in creates],
        )
    progress("People written", 0.6)
    ids = dict(session.execute(sa_select(col(Person.employee_code), col(Person.id))).all())
    if updates:
        session.execute(
            _bulk_update(Person)
            .where(col(Person.id) == bindparam("person_id"))
            .values(
                full_name=bindparam("new_full_name"),
                email=bindparam("new_email"),
                org_unit_id=bindparam("new_org_unit_id"),
                position_id=bindparam("new_position_id"),
                active=bindparam("new_active"),
                hire_date=bindparam("new_hire_date"),
                # Grids opened before the import must see their rows as changed.
                version=Person.version + 1,
            ),
            [
                {
                    "person_id": c.existing_id,
                    **{f"new_{k}": v for k, v in _person_columns(c, units, positions).items()},
                }
                for c in updates
            ],
        )
    lines = [
        {
            "person_id": ids[c.code],
            "new_manager": ids.get(str(c.values["manager_code"]))
            if c.values["manager_code"]
            else None,
            "new_appraiser": ids.get(str(c.values["appraiser_code"]))
            if c.values["appraiser_code"]
            else None,
        }
        for c in [*creates, *updates]
    ]
    if lines:
        session.execute(
            _bulk_update(Person)
            .where(col(Person.id) == bindparam("person_id"))
            .values(manager_id=bindparam("new_manager"), appraiser_id=bindparam("new_appraiser")),
            lines,
        )
    if plan.deactivations:
        session.execute(
            _bulk_update(Person)
            .where(col(Person.id) == bindparam("person_id"))
            .values(active=False, version=Person.version + 1),
            [{"person_id": c.existing_id} for c in plan.deactivations],
        )
    progress("Reporting lines set", 0.8)
    has_account = set(session.execute(sa_select(col(UserAccount.person_id))).scalars())
    accounts = [
        {"person_id": ids[c.code], "username": c.values["username"], "password_hash": NO_PASSWORD}
        for c in [*creates, *updates]
        if c.values["username"] and ids[c.code] not in has_account
    ]
    if accounts:
        session.execute(insert(UserAccount), accounts)
    renamed = [
        {"account_person": ids[c.code], "new_username": c.values["username"]}
        for c in updates
        if c.values["username"]
        and ids[c.code] in has_account
        and any(name == "username" for name, _, _ in c.fields)
    ]
    if renamed:
        session.execute(
            _bulk_update(UserAccount)
            .where(col(UserAccount.person_id) == bindparam("account_person"))
            .values(username=bindparam("new_username")),
            renamed,
        )


def commit_people_import(
    session: Session,
    *,
    actor: Actor,
    files: Sequence[UploadedFile],
    sync: bool = False,
    progress: Progress | None = None,
) -> PeopleImportResult:
    """Plan again (the database may have moved since the preview) and write
    everything in the caller's transaction, or nothing when any row is wrong."""
    report = progress or (lambda _label, _share: None)
    preview = preview_people_import(session, actor=actor, files=files, sync=sync)
    if preview.errors:
        raise ValidationError(
            "Nothing was imported: fix the rows below and upload again.", rows=preview.errors
        )
    plan = preview.plan
    # Moves and (de)activations carry the people's current levels in the
    # level summary with them (new people have none yet); units moved under
    # new parents rebuild it.
    moved = [c.existing_id for c in [*plan.updates, *plan.deactivations] if c.entity == "person"]
    with tracking_unit_moves(session):
        report("Units", 0.1)
        units = _write_units(session, plan)
        report("Positions", 0.3)
        positions = _write_positions(session, plan)
        with tracking_people(session, [i for i in moved if i is not None]):
            _write_people(session, plan, units, positions, report)
    counts = plan.counts()
    record_event(
        session,
        actor_id=actor.person_id,
        action="people.imported",
        entity="people",
        detail={"counts": counts, "sync": sync, "files": [f.workbook.filename for f in files]},
    )
    session.flush()
    report("Done", 1.0)
    return PeopleImportResult(counts=counts)


def export_people_workbook(session: Session, *, actor: Actor) -> bytes:
    """Units, positions and people in the import template's shape, so an
    export imports back unchanged (text cells escaped against formulas)."""
    _require_hr(session, actor, "export")
    now = load_snapshot(session)
    unit_code = {u.id: u.code for u in now.units.values()}
    position_code = {p.id: p.code for p in now.positions.values()}
    person_code = {p.id: p.code for p in now.people.values()}
    sheets = {
        SHEET_UNITS: pd.DataFrame(
            [
                {
                    "code": u.code,
                    "name": u.name,
                    "parent_code": unit_code.get(u.parent_id or -1, ""),
                }
                for u in sorted(now.units.values(), key=lambda u: u.code)
            ],
            columns=TEMPLATE_COLUMNS[SHEET_UNITS],
        ),
        SHEET_POSITIONS: pd.DataFrame(
            [
                {"code": p.code, "title": p.title, "family": p.family}
                for p in sorted(now.positions.values(), key=lambda p: p.code)
            ],
            columns=TEMPLATE_COLUMNS[SHEET_POSITIONS],
        ),
        SHEET_PEOPLE: pd.DataFrame(
            [
                {
                    "employee_code": p.code,
                    "full_name": p.full_name,
                    "email": p.email,
                    "username": p.username or "",
                    "unit_code": unit_code.get(p.unit_id, ""),
                    "position_code": position_code.get(p.position_id or -1, ""),
                    "manager_code": person_code.get(p.manager_id or -1, ""),
                    "appraiser_code": person_code.get(p.appraiser_id or -1, ""),
                    "hire_date": p.hire_date,
                    "active": "yes" if p.active else "no",
                }
                for p in sorted(now.people.values(), key=lambda p: p.code)
            ],
            columns=TEMPLATE_COLUMNS[SHEET_PEOPLE],
        ),
    }
    record_event(
        session,
        actor_id=actor.person_id,
        action="people.exported",
        entity="people",
        detail={"people": len(now.people)},
    )
    return workbook_bytes(sheets)


def people_import_template() -> bytes:
    """The empty one-workbook template (sheets Units, Positions, People)."""
    return workbook_bytes(
        {name: pd.DataFrame(columns=columns) for name, columns in TEMPLATE_COLUMNS.items()}
    )
