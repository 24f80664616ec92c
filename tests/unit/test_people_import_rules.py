"""HR import planning on plain values: every error kind, sync, idempotence."""

from __future__ import annotations

from dataclasses import replace

from core.people.import_rules import (
    ImportBatch,
    PersonRecord,
    PersonState,
    PositionRecord,
    PositionState,
    Snapshot,
    UnitRecord,
    UnitState,
    plan_import,
    unit_kind,
)


def person(code: str, **changes: object) -> PersonRecord:
    base = PersonRecord(
        code=code,
        full_name=f"Person {code}",
        email=f"{code.lower()}@example.org",
        username=f"user.{code.lower()}",
        unit_code="T1",
        position_code="P1",
        manager_code=None,
        appraiser_code=None,
        active=True,
        where=f"users.csv row {code}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


EMPTY = Snapshot(units={}, positions={}, people={}, usernames={}, emails={})
UNITS = [
    UnitRecord("C", "Company", None, "org.csv row 2"),
    UnitRecord("T1", "Team one", "C", "org.csv row 3"),
]
POSITIONS = [PositionRecord("P1", "Engineer", "Technology", "pos.csv row 2")]


def batch(*people: PersonRecord) -> ImportBatch:
    return ImportBatch(units=UNITS, positions=POSITIONS, people=list(people))


def messages(plan: object) -> list[str]:
    return [error.message for error in plan.errors]  # type: ignore[attr-defined]


def test_a_clean_first_import_creates_everything() -> None:
    plan = plan_import(batch(person("A"), person("B", manager_code="A")), EMPTY)
    assert plan.errors == []
    assert plan.counts() == {
        "unit": {"create": 2, "unchanged": 0},
        "position": {"create": 1, "unchanged": 0},
        "person": {"create": 2, "unchanged": 0},
    }
    kinds = {c.code: c.values["kind"] for c in plan.creates if c.entity == "unit"}
    assert kinds == {"C": "company", "T1": "team"}


def snapshot_after(plan_batch: ImportBatch) -> Snapshot:
    """What the database would hold after importing `plan_batch` cleanly."""
    units = {u.code: UnitState(i, u.code, u.name, None, "team") for i, u in enumerate(UNITS, 1)}
    units["T1"] = replace(units["T1"], parent_id=units["C"].id)
    positions = {"P1": PositionState(1, "P1", "Engineer", "Technology")}
    people = {}
    for i, p in enumerate(plan_batch.people or [], 1):
        people[p.code] = PersonState(
            id=i,
            code=p.code,
            full_name=p.full_name,
            email=p.email,
            username=p.username,
            unit_id=units[str(p.unit_code)].id,
            position_id=1,
            manager_id=None,
            appraiser_id=None,
            active=p.active,
            hire_date=None,
        )
    for p in plan_batch.people or []:
        if p.manager_code:
            people[p.code] = replace(people[p.code], manager_id=people[p.manager_code].id)
    return Snapshot(
        units=units,
        positions=positions,
        people=people,
        usernames={p.username: p.code for p in people.values() if p.username},
        emails={p.email: p.code for p in people.values()},
    )


def test_reimporting_the_same_files_changes_nothing() -> None:
    files = batch(person("A"), person("B", manager_code="A"))
    plan = plan_import(files, snapshot_after(files))
    assert plan.errors == []
    assert plan.is_empty
    assert plan.unchanged == {"unit": 2, "position": 1, "person": 2}


def test_updates_are_listed_field_by_field() -> None:
    files = batch(person("A"), person("B", manager_code="A"))
    changed = batch(person("A", full_name="Ann Other"), person("B", manager_code=None))
    plan = plan_import(changed, snapshot_after(files))
    fields = {
        (c.code, name, before, after) for c in plan.updates for name, before, after in c.fields
    }
    assert fields == {
        ("A", "full_name", "Person A", "Ann Other"),
        ("B", "manager_code", "A", None),
    }


def test_sync_deactivates_people_missing_from_the_file_and_never_deletes() -> None:
    files = batch(person("A"), person("B"))
    plan = plan_import(batch(person("A")), snapshot_after(files), sync=True)
    assert [(c.code, c.values) for c in plan.deactivations] == [("B", {"active": False})]
    without_sync = plan_import(batch(person("A")), snapshot_after(files))
    assert without_sync.deactivations == []


def test_deleted_or_suspended_people_are_deactivated_by_their_flag() -> None:
    files = batch(person("A"))
    plan = plan_import(batch(person("A", active=False)), snapshot_after(files))
    assert [(c.code, c.fields) for c in plan.updates] == [("A", [("active", True, False)])]


def test_unknown_references_are_row_errors() -> None:
    plan = plan_import(
        batch(
            person("A", unit_code="NOPE"),
            person("B", position_code="NOPE"),
            person("C", manager_code="GHOST"),
            person("D", appraiser_code="GHOST"),
        ),
        EMPTY,
    )
    assert sorted((str(e.row), e.column) for e in plan.errors) == [
        ("users.csv row A", "orgidnumber"),
        ("users.csv row B", "posidnumber"),
        ("users.csv row C", "manageridnumber"),
        ("users.csv row D", "appraiseridnumber"),
    ]


def test_manager_loops_and_own_manager_are_refused() -> None:
    plan = plan_import(
        batch(
            person("A", manager_code="B"),
            person("B", manager_code="A"),
            person("C", manager_code="C"),
        ),
        EMPTY,
    )
    found = messages(plan)
    assert found.count("That manager would make a reporting loop.") == 3
    assert "A person cannot be their own manager." in found


def test_duplicates_in_the_file_and_against_the_database() -> None:
    files = batch(person("A"))
    plan = plan_import(
        batch(
            person("A"),
            person("B", email="a@example.org"),
            person("C", username="user.a"),
            person("D"),
            person("D"),
        ),
        snapshot_after(files),
    )
    found = messages(plan)
    assert any("'a@example.org' is also used by A" in m for m in found)
    assert any("'a@example.org' already belongs to A" in m for m in found)
    assert any("'user.a' already belongs to A" in m for m in found)
    assert any("Person 'D' appears twice" in m for m in found)


def test_invalid_emails_usernames_and_lengths() -> None:
    plan = plan_import(
        batch(
            person("A", email="not-an-email"),
            person("B", username="x y"),
            person("C", full_name="n" * 201),
            person("D" * 41),
        ),
        EMPTY,
    )
    columns = sorted((str(e.row)[-1], e.column) for e in plan.errors)
    assert ("A", "email") in columns
    assert ("B", "username") in columns
    assert ("C", "fullname") in columns
    assert ("D", "idnumber") in columns


def test_a_unit_cannot_be_moved_under_its_own_descendant() -> None:
    files = batch(person("A"))
    now = snapshot_after(files)
    plan = plan_import(ImportBatch(units=[UnitRecord("C", "Company", "T1", "org.csv row 2")]), now)
    assert messages(plan) == ["That would put the unit under itself."]


def test_unit_kinds_follow_the_tree() -> None:
    assert unit_kind(0, True) == "company"
    assert unit_kind(1, True) == "division"
    assert unit_kind(2, True) == "department"
    assert unit_kind(1, False) == "team"
    assert unit_kind(4, False) == "team"


def test_a_new_person_needs_a_unit_and_a_source_left_out_is_left_alone() -> None:
    plan = plan_import(ImportBatch(people=[person("A", unit_code=None, position_code=None)]), EMPTY)
    assert messages(plan) == ["A new person needs an org unit."]
    nothing = plan_import(ImportBatch(), snapshot_after(batch(person("A"))), sync=True)
    assert nothing.is_empty


def test_nobody_new_goes_into_an_inactive_unit_or_position() -> None:
    files = batch(person("A"), person("B", manager_code="A"))
    now = snapshot_after(files)
    units = {**now.units, "C": replace(now.units["C"], active=False)}
    positions = {"P1": replace(now.positions["P1"], active=False)}
    closed = replace(now, units=units, positions=positions)
    # A and B already sit in T1 and hold P1: re-importing them is fine.
    moved = batch(person("A", unit_code="C"), person("B", manager_code="A"), person("N"))
    plan = plan_import(moved, closed)
    assert {(e.row, e.column, e.message) for e in plan.errors} == {
        ("users.csv row A", "orgidnumber", "Org unit 'C' is inactive."),
        ("users.csv row N", "posidnumber", "Position 'P1' is inactive."),
    }
    assert plan_import(files, closed).errors == []


def test_no_active_unit_is_placed_under_an_inactive_one() -> None:
    files = batch(person("A"))
    now = snapshot_after(files)
    closed = replace(now, units={**now.units, "C": replace(now.units["C"], active=False)})
    with_new_team = ImportBatch(
        units=[*UNITS, UnitRecord("T2", "Team two", "C", "org.csv row 4")],
        positions=POSITIONS,
        people=[person("A")],
    )
    plan = plan_import(with_new_team, closed)
    # T1 stays where it was (under C): only the new team is refused.
    assert [(e.row, e.message) for e in plan.errors] == [
        ("org.csv row 4", "Parent unit 'C' is inactive.")
    ]
