"""Assessments, current levels, gap aggregates, access and learning, on SQLite
and PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlmodel import Session, select

from core import learning
from core.assessments import (
    GapFilter,
    gap_data_stamp,
    gap_scope_key,
    get_hidden_expertise,
    get_non_differentiating,
    get_org_heatmap,
    get_role_fit,
    get_skills_profile,
    get_team_gaps,
    load_gap_cells,
    rebuild_current_levels,
    record_manager_rating,
    record_self_assessment,
    sum_gaps,
)
from core.assessments import rules as gaps
from core.errors import NotFound, PermissionDenied, StaleEdit, ValidationError
from db.models import (
    AuditEvent,
    Competency,
    CurrentLevel,
    LearningItemCreate,
    Person,
    Position,
    ScaleValue,
)
from tests.factories import (
    SmallOrg,
    actor_for,
    make_assessment,
    make_competency,
    make_framework,
    make_person,
    make_position,
    make_requirement,
    make_scale,
    make_small_org,
    make_unit,
    scale_value,
)


@dataclass
class Mapped:
    org: SmallOrg
    position: Position
    first: Competency
    second: Competency
    values: dict[str, ScaleValue]


def _mapped_org(session: Session) -> Mapped:
    """The small org, everyone on one position requiring two competencies
    (the first at Proficient, critical; the second at Basic)."""
    org = make_small_org(session)
    scale = make_scale(session)
    framework = make_framework(session, scale=scale)
    first = make_competency(session, framework=framework, name="Testing")
    second = make_competency(session, framework=framework, name="Writing")
    position = make_position(session, title="Engineer")
    values = {n: scale_value(session, scale, n) for n in ("Basic", "Proficient", "Advanced")}
    make_requirement(
        session, position=position, competency=first, value=values["Proficient"], critical=True
    )
    make_requirement(session, position=position, competency=second, value=values["Basic"])
    for person in (
        org.manager,
        org.report,
        org.peer,
        org.lead,
        org.indirect,
        org.outsider,
        org.other_manager,
    ):
        person.position_id = position.id
        session.add(person)
    session.flush()
    return Mapped(org, position, first, second, values)


def _current(session: Session, person: Person, competency: Competency) -> CurrentLevel | None:
    return session.exec(
        select(CurrentLevel).where(
            CurrentLevel.person_id == person.id, CurrentLevel.competency_id == competency.id
        )
    ).first()


def test_self_then_manager_then_newer_self_keeps_manager(session: Session) -> None:
    m = _mapped_org(session)
    report = actor_for(session, m.org.report)
    manager = actor_for(session, m.org.manager)
    assert m.first.id is not None
    record_self_assessment(
        session,
        actor=report,
        competency_id=m.first.id,
        value_id=m.values["Advanced"].id or 0,
        comment="I wrote the test suite",
        evidence="https://example.test/pr/1",
    )
    level = _current(session, m.org.report, m.first)
    assert level is not None
    assert (level.source, level.value_id) == ("self", m.values["Advanced"].id)

    record_manager_rating(
        session,
        actor=manager,
        person_id=m.org.report.id or 0,
        competency_id=m.first.id,
        value_id=m.values["Basic"].id or 0,
    )
    level = _current(session, m.org.report, m.first)
    assert level is not None
    assert (level.source, level.value_id) == ("manager", m.values["Basic"].id)

    # A newer self-assessment does not override the manager's rating.
    record_self_assessment(
        session, actor=report, competency_id=m.first.id, value_id=m.values["Proficient"].id or 0
    )
    level = _current(session, m.org.report, m.first)
    assert level is not None
    assert level.source == "manager"

    profile = get_skills_profile(session, actor=report)
    row = next(r for r in profile.rows if r.competency_id == m.first.id)
    assert (row.current_level, row.self_level, row.manager_level) == (
        "Basic",
        "Proficient",
        "Basic",
    )
    assert (row.gap, row.status) == (1, gaps.STATUS_GAP)
    unknown = next(r for r in profile.rows if r.competency_id == m.second.id)
    assert (unknown.current_level, unknown.gap, unknown.status) == (None, None, "unknown")
    # The incremental update and a full rebuild agree.
    before = {
        (c.person_id, c.competency_id, c.assessment_id)
        for c in session.exec(select(CurrentLevel)).all()
    }
    rebuild_current_levels(session)
    after = {
        (c.person_id, c.competency_id, c.assessment_id)
        for c in session.exec(select(CurrentLevel)).all()
    }
    assert before == after


def test_ratings_are_validated_and_audited(session: Session) -> None:
    m = _mapped_org(session)
    report = actor_for(session, m.org.report)
    other_scale = make_scale(session)
    foreign_value = scale_value(session, other_scale, "Proficient")
    with pytest.raises(ValidationError, match="scale"):
        record_self_assessment(
            session, actor=report, competency_id=m.first.id or 0, value_id=foreign_value.id or 0
        )
    stray = make_competency(session, framework=make_framework(session), name="Not in role")
    with pytest.raises(ValidationError, match="role profile"):
        record_self_assessment(
            session, actor=report, competency_id=stray.id or 0, value_id=m.values["Basic"].id or 0
        )
    with pytest.raises(ValidationError, match="too long"):
        record_self_assessment(
            session,
            actor=report,
            competency_id=m.first.id or 0,
            value_id=m.values["Basic"].id or 0,
            comment="x" * 5000,
        )
    saved = record_self_assessment(
        session, actor=report, competency_id=m.first.id or 0, value_id=m.values["Basic"].id or 0
    )
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "self_assessment.recorded", AuditEvent.entity_id == str(saved.id)
        )
    ).one()
    assert event.actor_id == m.org.report.id


@pytest.mark.parametrize(
    ("rater", "target", "allowed"),
    [
        ("manager", "report", True),
        ("manager", "indirect", True),
        ("lead", "indirect", True),
        ("report", "peer", False),
        ("report", "report", False),  # a self-rating is a self-assessment, not a manager rating
        ("manager", "outsider", False),
        ("hr", "report", False),
    ],
)
def test_who_may_give_manager_ratings(
    session: Session, rater: str, target: str, allowed: bool
) -> None:
    m = _mapped_org(session)
    actor = actor_for(session, getattr(m.org, rater))
    call = lambda: record_manager_rating(  # noqa: E731
        session,
        actor=actor,
        person_id=getattr(m.org, target).id,
        competency_id=m.first.id or 0,
        value_id=m.values["Proficient"].id or 0,
    )
    if allowed:
        assert call().source == "manager"
    else:
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(NotFound):
        record_manager_rating(
            session, actor=actor, person_id=999_999, competency_id=m.first.id or 0, value_id=1
        )


def test_skills_profile_access(session: Session) -> None:
    m = _mapped_org(session)
    get_skills_profile(
        session, actor=actor_for(session, m.org.manager), person_id=m.org.indirect.id
    )
    get_skills_profile(session, actor=actor_for(session, m.org.hr), person_id=m.org.indirect.id)
    with pytest.raises(PermissionDenied):
        get_skills_profile(session, actor=actor_for(session, m.org.peer), person_id=m.org.report.id)
    with pytest.raises(PermissionDenied):
        get_skills_profile(
            session, actor=actor_for(session, m.org.other_manager), person_id=m.org.report.id
        )


def test_team_gaps_cover_only_own_reports(session: Session) -> None:
    m = _mapped_org(session)
    make_assessment(session, person=m.org.outsider, competency=m.first, value=m.values["Basic"])
    make_assessment(session, person=m.org.report, competency=m.first, value=m.values["Basic"])
    manager = actor_for(session, m.org.manager)
    direct = get_team_gaps(session, actor=manager)
    assert set(direct.cells["person_id"]) == {m.org.report.id, m.org.peer.id, m.org.lead.id}
    everyone = get_team_gaps(session, actor=manager, include_indirect=True)
    assert set(everyone.cells["person_id"]) == {
        m.org.report.id,
        m.org.peer.id,
        m.org.lead.id,
        m.org.indirect.id,
    }
    cell = everyone.cells[
        (everyone.cells["person_id"] == m.org.report.id)
        & (everyone.cells["competency_id"] == m.first.id)
    ].iloc[0]
    assert (cell["gap"], cell["status"], cell["current_level"]) == (1, "below", "Basic")
    unknown = everyone.cells[everyone.cells["person_id"] == m.org.peer.id].iloc[0]
    assert pd.isna(unknown["gap"])
    assert unknown["current_level"] == "unknown"
    other = get_team_gaps(session, actor=actor_for(session, m.org.other_manager))
    assert set(other.cells["person_id"]) == {m.org.outsider.id}
    critical = get_team_gaps(session, actor=manager, critical_only=True)
    assert set(critical.cells["competency_id"]) == {m.first.id}
    with pytest.raises(PermissionDenied):
        get_team_gaps(session, actor=actor_for(session, m.org.report))


def test_org_views_are_for_hr_only(session: Session) -> None:
    m = _mapped_org(session)
    for person in (m.org.manager, m.org.ceo, m.org.report):
        actor = actor_for(session, person)
        with pytest.raises(PermissionDenied):
            get_org_heatmap(session, actor=actor)
        with pytest.raises(PermissionDenied):
            get_hidden_expertise(session, actor=actor)
    hr = actor_for(session, m.org.hr)
    heatmap = get_org_heatmap(session, actor=hr, rows="position")
    assert set(heatmap.frame["row"]) == {"Engineer"}
    with pytest.raises(NotFound):
        get_org_heatmap(session, actor=hr, unit_id=999_999)


def test_cache_scope_keys_never_collide_across_viewers(session: Session) -> None:
    m = _mapped_org(session)
    manager = actor_for(session, m.org.manager)
    other = actor_for(session, m.org.other_manager)
    hr = actor_for(session, m.org.hr)
    assert gap_scope_key(manager, view="team") != gap_scope_key(other, view="team")
    assert gap_scope_key(manager, view="org") != gap_scope_key(hr, view="org")
    assert gap_scope_key(manager, view="org") != gap_scope_key(other, view="org")


def _random_org(session: Session, rng: random.Random) -> dict[str, object]:
    """A random organisation: units in two levels, positions with random role
    maps over two scales, people, and a random rating history."""
    company = make_unit(session, kind="company")
    divisions = [make_unit(session, kind="division", parent=company) for _ in range(3)]
    teams = [make_unit(session, parent=rng.choice(divisions)) for _ in range(6)]
    scales = [make_scale(session), make_scale(session, values=("1", "2", "3", "4", "5"))]
    frameworks = [make_framework(session, scale=s) for s in scales]
    competencies = [make_competency(session, framework=rng.choice(frameworks)) for _ in range(8)]
    values = {
        s.id: session.exec(select(ScaleValue).where(ScaleValue.scale_id == s.id)).all()
        for s in scales
    }
    scale_of = {
        c.id: next(f.scale_id for f in frameworks if f.id == c.framework_id) for c in competencies
    }
    positions = [make_position(session) for _ in range(4)]
    for position in positions:
        for competency in rng.sample(competencies, rng.randint(1, 6)):
            make_requirement(
                session,
                position=position,
                competency=competency,
                value=rng.choice(values[scale_of[competency.id]]),
                critical=rng.random() < 0.3,
            )
    people = [
        make_person(
            session,
            unit=rng.choice([company, *divisions, *teams]),
            position=rng.choice([*positions, None]),
            active=rng.random() > 0.1,
        )
        for _ in range(40)
    ]
    from db.models import Assessment

    start = datetime(2026, 1, 1, tzinfo=UTC)
    for person in people:
        for competency in competencies:
            for _ in range(rng.randint(0, 2)):
                session.add(
                    Assessment(
                        person_id=person.id or 0,
                        competency_id=competency.id or 0,
                        value_id=rng.choice(values[scale_of[competency.id]]).id or 0,
                        source=rng.choice(["self", "manager", "360"]),
                        at=start + timedelta(hours=rng.randint(0, 5000)),
                    )
                )
    session.flush()
    rebuild_current_levels(session)
    return {"divisions": divisions, "frameworks": frameworks, "positions": positions}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_aggregate_equals_pandas_reference(session: Session, seed: int) -> None:
    rng = random.Random(seed)
    built = _random_org(session, rng)
    frameworks = built["frameworks"]
    assert isinstance(frameworks, list)
    filters = [
        GapFilter(),
        GapFilter(critical_only=True),
        GapFilter(framework_id=frameworks[0].id),
    ]
    for flt in filters:
        cells = load_gap_cells(session, flt=flt)
        for by, column in (
            ("org_unit", "org_unit_id"),
            ("position", "position_id"),
            ("person", "person_id"),
        ):
            expected = (
                gaps.sums_from_cells(cells, [column, "competency_id"])
                .rename(columns={column: by})
                .astype(int)
                .sort_values([by, "competency_id"])
                .reset_index(drop=True)
            )
            actual = sum_gaps(session, flt=flt, by=by)  # type: ignore[arg-type]
            pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


def test_current_level_rule_on_random_history(session: Session) -> None:
    """The incrementally maintained levels equal pick_current over the history."""
    rng = random.Random(9)
    _random_org(session, rng)
    from db.models import Assessment

    history = session.exec(select(Assessment)).all()
    expected: dict[tuple[int, int], int] = {}
    grouped: dict[tuple[int, int], list[gaps.Rating]] = {}
    for a in history:
        grouped.setdefault((a.person_id, a.competency_id), []).append(
            gaps.Rating(a.id or 0, a.source, a.at, a.value_id)
        )
    for key, ratings in grouped.items():
        chosen = gaps.pick_current(ratings)
        assert chosen is not None
        expected[key] = chosen.assessment_id
    actual = {
        (c.person_id, c.competency_id): c.assessment_id
        for c in session.exec(select(CurrentLevel)).all()
    }
    assert actual == expected


def test_org_heatmap_rolls_units_up(session: Session) -> None:
    rng = random.Random(4)
    built = _random_org(session, rng)
    hr_unit = make_unit(session)
    hr = actor_for(session, make_person(session, unit=hr_unit, hr=True))
    heatmap = get_org_heatmap(session, actor=hr)
    cells = load_gap_cells(session, flt=GapFilter())
    # Every required cell is counted exactly once across the rows.
    assert heatmap.frame["required"].sum() == len(cells)
    divisions = built["divisions"]
    assert isinstance(divisions, list)
    inside = get_org_heatmap(session, actor=hr, unit_id=divisions[0].id)
    assert inside.frame["required"].sum() <= len(cells)
    share = heatmap.frame["share_unassessed"]
    assert ((share >= 0) & (share <= 1)).all()


def test_insights_run(session: Session) -> None:
    rng = random.Random(5)
    built = _random_org(session, rng)
    hr = actor_for(session, make_person(session, hr=True))
    flat = get_non_differentiating(session, actor=hr, min_assessed=1)
    assert {"competency", "share at that level", "differentiates"} <= set(flat.columns)
    experts = get_hidden_expertise(session, actor=hr)
    assert (experts["above by"] >= 1).all()
    positions = built["positions"]
    assert isinstance(positions, list)
    fit = get_role_fit(session, actor=hr, position_id=positions[0].id)
    assert list(fit["fit"]) == sorted(fit["fit"], reverse=True)


def test_learning_assign_track_and_gap_closes_only_with_assessment(session: Session) -> None:
    m = _mapped_org(session)
    hr = actor_for(session, m.org.hr)
    manager = actor_for(session, m.org.manager)
    report = actor_for(session, m.org.report)
    make_assessment(session, person=m.org.report, competency=m.first, value=m.values["Basic"])
    item = learning.create_learning_item(
        session,
        actor=hr,
        item_in=LearningItemCreate(
            title="Testing 101",
            url="https://learning.example/t",
            competency_id=m.first.id or 0,
            target_value_id=m.values["Proficient"].id or 0,
        ),
    )
    with pytest.raises(PermissionDenied):
        learning.create_learning_item(
            session,
            actor=manager,
            item_in=LearningItemCreate(
                title="x", competency_id=m.first.id or 0, target_value_id=m.values["Basic"].id or 0
            ),
        )
    with pytest.raises(ValidationError, match="link"):
        learning.create_learning_item(
            session,
            actor=hr,
            item_in=LearningItemCreate(
                title="x",
                url="javascript:alert(1)",
                competency_id=m.first.id or 0,
                target_value_id=m.values["Basic"].id or 0,
            ),
        )
    recommended = learning.recommend_learning(session, actor=report)
    assert list(recommended["item"]) == ["Testing 101"]
    ranked = learning.rank_people_for_item(session, actor=manager, item_id=item.id)
    assert ranked.iloc[0]["person_id"] == m.org.report.id  # the only known gap comes first
    assert m.org.outsider.id not in set(ranked["person_id"])
    assert learning.suggested_assignees(ranked) == [m.org.report.id]
    with pytest.raises(PermissionDenied):
        learning.assign_learning(
            session,
            actor=manager,
            item_id=item.id,
            person_ids=[m.org.outsider.id or 0],
            due_on=None,
        )
    made = learning.assign_learning(
        session,
        actor=manager,
        item_id=item.id,
        person_ids=[m.org.report.id or 0, m.org.report.id or 0],
        due_on=date.today() + timedelta(days=7),
    )
    assert made == 1
    reranked = learning.rank_people_for_item(session, actor=manager, item_id=item.id)
    assert learning.suggested_assignees(reranked) == []  # already assigned
    assert (
        learning.assign_learning(
            session, actor=manager, item_id=item.id, person_ids=[m.org.report.id or 0], due_on=None
        )
        == 0
    )
    mine = learning.list_assignments(session, actor=report)
    row = mine.iloc[0]
    with pytest.raises(StaleEdit):
        learning.update_assignment_status(
            session,
            actor=report,
            assignment_id=int(row["id"]),
            status="completed",
            version=int(row["version"]) + 1,
        )
    learning.update_assignment_status(
        session,
        actor=report,
        assignment_id=int(row["id"]),
        status="completed",
        version=int(row["version"]),
    )
    with pytest.raises(PermissionDenied):
        learning.update_assignment_status(
            session,
            actor=actor_for(session, m.org.peer),
            assignment_id=int(row["id"]),
            status="assigned",
            version=int(row["version"]) + 1,
        )
    # Completing the item leaves the gap open ...
    profile = get_skills_profile(session, actor=report)
    assert next(r for r in profile.rows if r.competency_id == m.first.id).gap == 1
    assert (profile.below, profile.unknown) == (1, len(profile.rows) - 1)
    assert learning.list_assignments(session, actor=report).iloc[0]["level now"] == "Basic"
    # ... until a new assessment shows the level.
    record_manager_rating(
        session,
        actor=manager,
        person_id=m.org.report.id or 0,
        competency_id=m.first.id or 0,
        value_id=m.values["Proficient"].id or 0,
    )
    profile = get_skills_profile(session, actor=report)
    assert next(r for r in profile.rows if r.competency_id == m.first.id).gap == 0
    team = learning.list_assignments(session, actor=manager, team=True)
    assert list(team["status"]) == ["completed"]
    with pytest.raises(PermissionDenied):
        learning.list_assignments(session, actor=report, team=True)


def test_sql_roll_up_by_unit_groups_equals_pandas_roll_up(session: Session) -> None:
    rng = random.Random(11)
    built = _random_org(session, rng)
    divisions = built["divisions"]
    assert isinstance(divisions, list)
    from core.org import unit_parents

    parents = unit_parents(session)
    for root in [divisions[0].id, *[u for u, p in parents.items() if p is None]]:
        groups = gaps.unit_groups(parents, root)
        for flt in (GapFilter(), GapFilter(critical_only=True)):
            expected = (
                gaps.rollup(
                    sum_gaps(session, flt=flt, by="org_unit"), key="org_unit", mapping=groups
                )
                .astype(int)
                .sort_values(["org_unit", "competency_id"])
                .reset_index(drop=True)
            )
            actual = sum_gaps(session, flt=flt, by="org_unit", unit_groups=groups)
            pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


def test_gap_data_stamp_moves_on_competency_and_framework_edits(session: Session) -> None:
    from core.competencies import (
        get_competencies_grid,
        get_frameworks_grid,
        save_competencies_grid,
        save_frameworks_grid,
    )
    from core.grid import GridChanges

    m = _mapped_org(session)
    hr = actor_for(session, m.org.hr)
    before = gap_data_stamp(session)
    assert gap_data_stamp(session) == before

    grid = get_competencies_grid(session, actor=hr, framework_id=m.first.framework_id)
    row = int(grid.frame.index[grid.frame["id"] == m.first.id][0])
    save_competencies_grid(
        session,
        actor=hr,
        framework_id=m.first.framework_id,
        shown=grid.frame,
        changes=GridChanges(edited_rows={row: {"name": "Testing, renamed"}}),
    )
    after_rename = gap_data_stamp(session)
    assert after_rename != before

    frameworks = get_frameworks_grid(session, actor=hr).frame
    save_frameworks_grid(
        session,
        actor=hr,
        shown=frameworks,
        changes=GridChanges(edited_rows={0: {"name": "Renamed framework"}}),
    )
    assert gap_data_stamp(session) != after_rename
