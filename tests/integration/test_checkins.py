"""Check-in services on a real database (SQLite, and PostgreSQL when configured):
access by role, note privacy, carry-forward, key-result updates, stale edits."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from core.checkins import commands as cmd
from core.checkins import queries as q
from core.errors import NotFound, PermissionDenied, StaleEdit, ValidationError
from db.models import AuditEvent, CheckIn, CheckInPrivateNote, ProgressUpdate
from tests.factories import (
    SmallOrg,
    actor_for,
    make_check_in,
    make_cycle,
    make_goal,
    make_small_org,
)

TODAY = date(2026, 12, 3)


@pytest.fixture
def org(session: Session) -> SmallOrg:
    return make_small_org(session)


def _open(session: Session, org: SmallOrg) -> int:
    return cmd.open_next_check_in(
        session, actor=actor_for(session, org.manager), employee_id=org.report.id or 0, today=TODAY
    )


def test_opening_the_next_check_in_uses_the_default_agenda(session: Session, org: SmallOrg) -> None:
    check_in_id = _open(session, org)
    # Opening again (by the employee, to prepare) gives the same one.
    again = cmd.open_next_check_in(
        session, actor=actor_for(session, org.report), employee_id=org.report.id or 0, today=TODAY
    )
    assert again == check_in_id
    view = q.get_check_in(session, actor=actor_for(session, org.report), check_in_id=check_in_id)
    assert [i.text for i in view.items] == [
        "Progress and wins",
        "Challenges and blockers",
        "Priorities until next time",
        "Support and development",
    ]
    assert view.due_on == TODAY
    assert view.can_prepare
    assert not view.can_run
    manager_view = q.get_check_in(
        session, actor=actor_for(session, org.manager), check_in_id=check_in_id
    )
    assert manager_view.can_run


def test_outsiders_cannot_open_or_read(session: Session, org: SmallOrg) -> None:
    check_in_id = _open(session, org)
    for person in (org.peer, org.other_manager, org.outsider):
        with pytest.raises(PermissionDenied):
            q.get_check_in(session, actor=actor_for(session, person), check_in_id=check_in_id)
    # Managers above and HR read, but do not take part.
    for person in (org.ceo, org.hr):
        view = q.get_check_in(session, actor=actor_for(session, person), check_in_id=check_in_id)
        assert not view.can_prepare
        assert view.private_note is None
        with pytest.raises(PermissionDenied):
            cmd.add_talking_point(
                session, actor=actor_for(session, person), check_in_id=check_in_id, text="Hi"
            )
    denied = session.exec(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert denied


def test_both_sides_add_talking_points_and_shared_notes(session: Session, org: SmallOrg) -> None:
    check_in_id = _open(session, org)
    employee = actor_for(session, org.report)
    manager = actor_for(session, org.manager)
    cmd.add_talking_point(session, actor=employee, check_in_id=check_in_id, text="Training budget")
    cmd.add_talking_point(session, actor=manager, check_in_id=check_in_id, text="On-call rota")
    view = q.get_check_in(session, actor=manager, check_in_id=check_in_id)
    assert [(p.text, p.added_by_name) for p in view.talking_points] == [
        ("Training budget", "Rita Report"),
        ("On-call rota", "Mona Manager"),
    ]
    first = view.items[0]
    cmd.save_item_notes(
        session, actor=manager, item_id=first.id, version=first.version, notes="Shipped v2"
    )
    seen = q.get_check_in(session, actor=employee, check_in_id=check_in_id)
    assert seen.items[0].notes == "Shipped v2"
    # A second save from the version first opened is refused, not lost.
    with pytest.raises(StaleEdit):
        cmd.save_item_notes(
            session, actor=employee, item_id=first.id, version=first.version, notes="Mine"
        )
    with pytest.raises(ValidationError):
        cmd.add_talking_point(session, actor=employee, check_in_id=check_in_id, text="  ")


def test_private_notes_are_for_their_author_only(session: Session, org: SmallOrg) -> None:
    check_in_id = _open(session, org)
    employee = actor_for(session, org.report)
    manager = actor_for(session, org.manager)
    cmd.save_private_note(
        session, actor=employee, check_in_id=check_in_id, text="EMPLOYEE SECRET", version=None
    )
    cmd.save_private_note(
        session, actor=manager, check_in_id=check_in_id, text="MANAGER SECRET", version=None
    )
    mine = q.get_check_in(session, actor=employee, check_in_id=check_in_id).private_note
    assert mine is not None
    assert mine.text == "EMPLOYEE SECRET"
    theirs = q.get_check_in(session, actor=manager, check_in_id=check_in_id).private_note
    assert theirs is not None
    assert theirs.text == "MANAGER SECRET"
    for person in (org.ceo, org.hr):
        view = q.get_check_in(session, actor=actor_for(session, person), check_in_id=check_in_id)
        assert view.private_note is None
        with pytest.raises(PermissionDenied):
            cmd.save_private_note(
                session,
                actor=actor_for(session, person),
                check_in_id=check_in_id,
                text="x",
                version=None,
            )
    # Exports: each party gets their own private notes only; above and HR none.
    for person, present, absent in [
        (org.report, "EMPLOYEE SECRET", "MANAGER SECRET"),
        (org.manager, "MANAGER SECRET", "EMPLOYEE SECRET"),
        (org.ceo, None, "SECRET"),
        (org.hr, None, "SECRET"),
    ]:
        data = q.export_check_ins(
            session, actor=actor_for(session, person), employee_id=org.report.id or 0
        )
        text = _workbook_text(data)
        assert absent not in text
        if present:
            assert present in text
    # The subject-access sheets HR downloads hold no private notes at all.
    sheets = q.check_in_sheets(session, employee_id=org.report.id or 0, private_author_id=None)
    assert "SECRET" not in " ".join(frame.to_csv() for frame in sheets.values())
    # The audit trail records that a note changed, never its text.
    details = " ".join(e.detail for e in session.exec(select(AuditEvent)).all())
    assert "SECRET" not in details


def _workbook_text(data: bytes) -> str:
    book = load_workbook(BytesIO(data))
    return " ".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    )


def test_complete_is_read_only_except_private_notes_then_acknowledge(
    session: Session, org: SmallOrg
) -> None:
    check_in_id = _open(session, org)
    employee = actor_for(session, org.report)
    manager = actor_for(session, org.manager)
    version = q.get_check_in(session, actor=manager, check_in_id=check_in_id).version
    with pytest.raises(PermissionDenied):
        cmd.complete_check_in(session, actor=employee, check_in_id=check_in_id, version=version)
    with pytest.raises(ValidationError):
        cmd.acknowledge_check_in(session, actor=employee, check_in_id=check_in_id, version=version)
    cmd.complete_check_in(
        session, actor=manager, check_in_id=check_in_id, version=version, held_on=TODAY
    )
    with pytest.raises(ValidationError, match="read-only"):
        cmd.add_talking_point(session, actor=employee, check_in_id=check_in_id, text="Late")
    item = q.get_check_in(session, actor=manager, check_in_id=check_in_id).items[0]
    with pytest.raises(ValidationError, match="read-only"):
        cmd.save_item_notes(
            session, actor=manager, item_id=item.id, version=item.version, notes="x"
        )
    # Private notes stay writable.
    cmd.save_private_note(
        session, actor=manager, check_in_id=check_in_id, text="After", version=None
    )
    view = q.get_check_in(session, actor=employee, check_in_id=check_in_id)
    assert view.can_acknowledge
    with pytest.raises(PermissionDenied):
        cmd.acknowledge_check_in(
            session, actor=manager, check_in_id=check_in_id, version=view.version
        )
    cmd.acknowledge_check_in(
        session, actor=employee, check_in_id=check_in_id, version=view.version, comment="Thanks"
    )
    done = q.get_check_in(session, actor=manager, check_in_id=check_in_id)
    assert done.status == "acknowledged"
    assert done.employee_comment == "Thanks"
    # The next one falls due on the cadence (two weeks by default).
    nxt = _open(session, org)
    assert nxt != check_in_id
    assert q.get_check_in(session, actor=manager, check_in_id=nxt).due_on == TODAY + timedelta(
        days=14
    )


def test_open_actions_carry_forward_until_done(session: Session, org: SmallOrg) -> None:
    manager = actor_for(session, org.manager)
    first = _open(session, org)
    action_id = cmd.add_action(
        session,
        actor=manager,
        check_in_id=first,
        text="Book the course",
        owner_id=org.report.id or 0,
        due_on=TODAY + timedelta(days=7),
    )
    cmd.add_action(
        session,
        actor=manager,
        check_in_id=first,
        text="Done now",
        owner_id=org.manager.id or 0,
        due_on=None,
    )
    with pytest.raises(ValidationError):
        cmd.add_action(
            session,
            actor=manager,
            check_in_id=first,
            text="x",
            owner_id=org.peer.id or 0,
            due_on=None,
        )
    view = q.get_check_in(session, actor=manager, check_in_id=first)
    done_now = next(a for a in view.actions if a.text == "Done now")
    cmd.set_action_done(
        session, actor=manager, action_id=done_now.id, version=done_now.version, done=True
    )
    cmd.complete_check_in(
        session, actor=manager, check_in_id=first, version=view.version, held_on=TODAY
    )
    second = _open(session, org)
    carried = q.get_check_in(session, actor=manager, check_in_id=second).actions
    assert [(a.text, a.carried_forward) for a in carried] == [("Book the course", True)]
    # Ticked off in the second check-in: it no longer carries.
    cmd.set_action_done(
        session,
        actor=actor_for(session, org.report),
        action_id=action_id,
        version=carried[0].version,
        done=True,
    )
    assert q.get_check_in(session, actor=manager, check_in_id=second).actions == []
    assert q.list_open_actions(session, actor=actor_for(session, org.report)) == []


def test_key_result_update_in_a_check_in_is_a_progress_update(
    session: Session, org: SmallOrg
) -> None:
    cycle = make_cycle(session, starts_on=TODAY - timedelta(days=30), ends_on=TODAY + timedelta(60))
    goal = make_goal(session, cycle=cycle, owner=org.report, key_results=[(0, 10, 2)])
    other = make_goal(session, cycle=cycle, owner=org.peer, key_results=[(0, 10, 2)])
    check_in_id = _open(session, org)
    manager = actor_for(session, org.manager)
    goals = q.list_open_goals(session, actor=manager, employee_id=org.report.id or 0)
    assert [g.id for g in goals] == [goal.id]
    kr = goals[0].key_results[0]
    update = cmd.update_key_result(
        session,
        actor=manager,
        check_in_id=check_in_id,
        key_result_id=kr.id,
        version=kr.version,
        value=6,
        confidence="at risk",
        note="From the check-in",
    )
    assert update.author_id == org.manager.id
    rows = session.exec(select(ProgressUpdate).where(ProgressUpdate.key_result_id == kr.id)).all()
    assert [(r.value, r.author_id, r.note) for r in rows] == [
        (6.0, org.manager.id, "From the check-in")
    ]
    # The same stale-edit protection as on the goals pages.
    with pytest.raises(StaleEdit):
        cmd.update_key_result(
            session,
            actor=manager,
            check_in_id=check_in_id,
            key_result_id=kr.id,
            version=kr.version,
            value=7,
            confidence="on track",
        )
    other_kr = q.list_open_goals(
        session, actor=actor_for(session, org.manager), employee_id=org.peer.id or 0
    )[0].key_results[0]
    assert other.id is not None
    with pytest.raises(NotFound):
        cmd.update_key_result(
            session,
            actor=manager,
            check_in_id=check_in_id,
            key_result_id=other_kr.id,
            version=other_kr.version,
            value=1,
            confidence="on track",
        )


def test_manager_change_moves_the_pair_and_keeps_history(session: Session, org: SmallOrg) -> None:
    old = actor_for(session, org.manager)
    held = make_check_in(
        session, employee=org.report, due_on=TODAY - timedelta(14), held_on=TODAY - timedelta(14)
    )
    cmd.set_pair_cadence(
        session,
        actor=old,
        employee_id=org.report.id or 0,
        every="weekly",
        version=None,
        today=TODAY,
    )
    open_id = _open(session, org)
    org.report.manager_id = org.other_manager.id
    session.add(org.report)
    session.flush()
    new = actor_for(session, org.other_manager)
    # The open check-in follows the pair to the new manager.
    assert (
        cmd.open_next_check_in(session, actor=new, employee_id=org.report.id or 0, today=TODAY)
        == open_id
    )
    assert session.get(CheckIn, open_id).manager_id == org.other_manager.id  # type: ignore[union-attr]
    team = q.list_team_check_ins(session, actor=new, today=TODAY)
    assert [(s.employee_name, s.cadence) for s in team][-1] == ("Rita Report", "weekly")
    with pytest.raises(PermissionDenied):
        q.get_check_in(session, actor=old, check_in_id=open_id)
    mine = q.get_my_check_ins(session, actor=actor_for(session, org.report), today=TODAY)
    assert [(h.id, h.manager_name) for h in mine.history] == [(held.id, "Mona Manager")]


def test_team_statuses_overdue_and_streak(session: Session, org: SmallOrg) -> None:
    manager = actor_for(session, org.manager)
    cmd.set_pair_cadence(
        session,
        actor=manager,
        employee_id=org.peer.id or 0,
        every="weekly",
        version=None,
        today=TODAY - timedelta(60),
    )
    for days in (35, 28, 21):
        make_check_in(
            session,
            employee=org.peer,
            due_on=TODAY - timedelta(days),
            held_on=TODAY - timedelta(days),
        )
    cmd.set_pair_cadence(
        session,
        actor=manager,
        employee_id=org.lead.id or 0,
        every="none",
        version=None,
    )
    statuses = {
        s.employee_name: s for s in q.list_team_check_ins(session, actor=manager, today=TODAY)
    }
    peer = statuses["Pete Peer"]
    assert peer.next_due_on == TODAY - timedelta(14)
    assert peer.overdue
    assert peer.days_overdue == 14
    assert peer.streak == 0
    assert statuses["Lars Lead"].next_due_on is None
    assert not statuses["Lars Lead"].overdue
    with pytest.raises(PermissionDenied):
        cmd.set_pair_cadence(
            session,
            actor=actor_for(session, org.peer),
            employee_id=org.peer.id or 0,
            every="monthly",
            version=None,
        )


def test_unit_default_cadence_and_pair_override(session: Session, org: SmallOrg) -> None:
    hr = actor_for(session, org.hr)
    manager = actor_for(session, org.manager)
    with pytest.raises(PermissionDenied):
        cmd.set_unit_cadence(session, actor=manager, org_unit_id=org.team_a.id or 0, every="weekly")
    cmd.set_unit_cadence(session, actor=hr, org_unit_id=org.team_a.id or 0, every="monthly")
    cmd.set_pair_cadence(
        session, actor=manager, employee_id=org.report.id or 0, every="weekly", version=None
    )
    statuses = {s.employee_name: s for s in q.list_team_check_ins(session, actor=manager)}
    assert statuses["Pete Peer"].cadence == "monthly"
    assert not statuses["Pete Peer"].cadence_is_own
    assert statuses["Rita Report"].cadence == "weekly"


def test_templates_are_edited_by_hr(session: Session, org: SmallOrg) -> None:
    manager = actor_for(session, org.manager)
    with pytest.raises(PermissionDenied):
        cmd.save_template(
            session,
            actor=manager,
            template_id=None,
            version=None,
            name="Growth",
            focus="development",
            questions=["Aspirations"],
        )
    template_id = cmd.save_template(
        session,
        actor=actor_for(session, org.hr),
        template_id=None,
        version=None,
        name="Growth",
        focus="development",
        questions=["Aspirations", "", "Skills to build"],
    )
    found = next(t for t in q.list_templates(session) if t.id == template_id)
    assert found.questions == ["Aspirations", "Skills to build"]
    # A manager picks it for one check-in; talking points stay.
    check_in_id = _open(session, org)
    cmd.add_talking_point(session, actor=manager, check_in_id=check_in_id, text="Keep me")
    version = q.get_check_in(session, actor=manager, check_in_id=check_in_id).version
    cmd.change_template(
        session, actor=manager, check_in_id=check_in_id, version=version, template_id=template_id
    )
    view = q.get_check_in(session, actor=manager, check_in_id=check_in_id)
    assert [i.text for i in view.items] == ["Aspirations", "Skills to build", "Keep me"]
    assert view.focus == "development"
    with pytest.raises(StaleEdit):
        cmd.save_template(
            session,
            actor=actor_for(session, org.hr),
            template_id=template_id,
            version=99,
            name="Growth",
            focus="development",
            questions=["x"],
        )


def test_adherence_for_line_and_hr(session: Session, org: SmallOrg) -> None:
    for days in (40, 26, 12):
        make_check_in(
            session,
            employee=org.report,
            due_on=TODAY - timedelta(days),
            held_on=TODAY - timedelta(days),
        )
    make_check_in(
        session, employee=org.outsider, due_on=TODAY - timedelta(30), held_on=TODAY - timedelta(20)
    )
    report = q.get_adherence(session, actor=actor_for(session, org.manager), today=TODAY)
    assert report.reach == "line"
    teams = report.by_team.set_index("team of")
    assert "Otto Other" not in teams.index
    mona = teams.loc["Mona Manager"]
    assert mona["held"] == 3
    assert mona["median days between"] == 14.0
    everyone = q.get_adherence(session, actor=actor_for(session, org.hr), today=TODAY)
    assert everyone.reach == "everyone"
    otto = everyone.by_team.set_index("team of").loc["Otto Other"]
    assert otto["held"] == 1
    assert otto["held on time"] == 0
    assert q.adherence_workbook(everyone)[:2] == b"PK"
    with pytest.raises(PermissionDenied):
        q.get_adherence(session, actor=actor_for(session, org.report), today=TODAY)


def test_private_note_rows_never_leak_through_other_reads(session: Session, org: SmallOrg) -> None:
    check_in_id = _open(session, org)
    cmd.save_private_note(
        session,
        actor=actor_for(session, org.report),
        check_in_id=check_in_id,
        text="Only me",
        version=None,
    )
    mine = q.get_my_check_ins(
        session, actor=actor_for(session, org.manager), employee_id=org.report.id, today=TODAY
    )
    assert mine.next_check_in is not None
    assert mine.next_check_in.private_note is not None
    assert mine.next_check_in.private_note.text == ""
    assert session.exec(select(CheckInPrivateNote)).all()


def test_home_todos_from_check_ins(session: Session, org: SmallOrg) -> None:
    from core.checkins import todos

    manager = actor_for(session, org.manager)
    employee = actor_for(session, org.report)
    check_in_id = _open(session, org)
    due = todos.check_ins_due(session, manager, TODAY)
    assert {t.title for t in due} >= {"Check in with Rita Report"}
    assert [t.kind for t in todos.my_check_ins(session, employee, TODAY)] == [
        "checkins.prepare_agenda"
    ]
    cmd.add_talking_point(session, actor=employee, check_in_id=check_in_id, text="Mine")
    assert [
        t
        for t in todos.my_check_ins(session, employee, TODAY)
        if t.kind == "checkins.prepare_agenda"
    ] == []
    cmd.add_action(
        session,
        actor=manager,
        check_in_id=check_in_id,
        text="Send the plan",
        owner_id=org.report.id or 0,
        due_on=TODAY - timedelta(days=1),
    )
    [action] = [
        t for t in todos.my_check_ins(session, employee, TODAY) if t.kind == "checkins.action_due"
    ]
    assert action.title == "Action: Send the plan"
    assert action.urgency == 0
    version = q.get_check_in(session, actor=manager, check_in_id=check_in_id).version
    cmd.complete_check_in(
        session, actor=manager, check_in_id=check_in_id, version=version, held_on=TODAY
    )
    [ack] = [
        t for t in todos.my_check_ins(session, employee, TODAY) if t.kind == "checkins.acknowledge"
    ]
    assert ack.query == {"checkin": str(check_in_id)}
    assert [t.kind for t in todos.my_check_ins(session, manager, TODAY)] == []


def test_subject_access_and_erasure_keep_private_notes_private(
    session: Session, org: SmallOrg
) -> None:
    from core.people.privacy import erase_person, get_subject_access

    check_in_id = _open(session, org)
    for person, text in [(org.report, "EMPLOYEE SECRET"), (org.manager, "MANAGER SECRET")]:
        cmd.save_private_note(
            session,
            actor=actor_for(session, person),
            check_in_id=check_in_id,
            text=text,
            version=None,
        )
    cmd.add_talking_point(
        session, actor=actor_for(session, org.report), check_in_id=check_in_id, text="Shared"
    )
    hr = actor_for(session, org.hr)
    for subject in (org.report, org.manager):
        download = get_subject_access(session, actor=hr, person_id=subject.id or 0)
        text = _workbook_text(download.workbook())
        assert "SECRET" not in text
    report_download = get_subject_access(session, actor=hr, person_id=org.report.id or 0)
    assert "Shared" in _workbook_text(report_download.workbook())
    org.report.active = False
    session.add(org.report)
    session.flush()
    erase_person(session, actor=hr, person_id=org.report.id or 0)
    assert session.exec(select(CheckInPrivateNote)).all() == []
    view = q.get_check_in(session, actor=actor_for(session, org.manager), check_in_id=check_in_id)
    assert "Shared" not in [i.text for i in view.items]


def test_asking_for_someone_elses_private_note_is_refused(session: Session, org: SmallOrg) -> None:
    check_in_id = _open(session, org)
    employee, manager = actor_for(session, org.report), actor_for(session, org.manager)
    for author in (employee, manager):
        cmd.save_private_note(
            session, actor=author, check_in_id=check_in_id, text="SECRET", version=None
        )
    for author, others in [
        (org.report, (org.manager, org.ceo, org.hr, org.lead)),
        (org.manager, (org.report, org.ceo, org.hr)),
    ]:
        own = q.get_private_note(
            session,
            actor=actor_for(session, author),
            check_in_id=check_in_id,
            author_id=author.id or 0,
        )
        assert own.text == "SECRET"
        for other in others:
            with pytest.raises(PermissionDenied):
                q.get_private_note(
                    session,
                    actor=actor_for(session, other),
                    check_in_id=check_in_id,
                    author_id=author.id or 0,
                )
    refusals = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.entity == "check_in"
        )
    ).all()
    assert len(refusals) == 7


def test_the_rest_of_the_line_is_listed_on_request_and_read_only(
    session: Session, org: SmallOrg
) -> None:
    manager = actor_for(session, org.manager)
    direct = [s.employee_name for s in q.list_team_check_ins(session, actor=manager, today=TODAY)]
    assert "Ivy Indirect" not in direct
    line = q.list_team_check_ins(session, actor=manager, today=TODAY, indirect=True)
    assert [s.employee_name for s in line][-1] == "Ivy Indirect"
    check_in_id = cmd.open_next_check_in(
        session, actor=actor_for(session, org.lead), employee_id=org.indirect.id or 0, today=TODAY
    )
    view = q.get_check_in(session, actor=manager, check_in_id=check_in_id)
    assert not view.can_prepare
    assert not view.can_run
    with pytest.raises(PermissionDenied):
        cmd.open_next_check_in(session, actor=manager, employee_id=org.indirect.id or 0)


def test_someone_without_a_manager_has_nobody_to_check_in_with(
    session: Session, org: SmallOrg
) -> None:
    ceo = actor_for(session, org.ceo)
    mine = q.get_my_check_ins(session, actor=ceo, today=TODAY)
    assert mine.manager_name is None
    assert mine.next_check_in is None
    with pytest.raises(ValidationError, match="no manager"):
        cmd.open_next_check_in(session, actor=ceo, employee_id=org.ceo.id or 0, today=TODAY)
