"""Sign-in pauses: counted in SQL, growing, and never ending an open session."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from core import auth
from core.runtime import unit_of_work
from db.models import AuditEvent, UserAccount, utcnow
from tests.factories import actor_for, make_person, make_small_org


def _account(session: Session, username: str) -> UserAccount:
    return session.exec(select(UserAccount).where(UserAccount.username == username)).one()


def _fail_at_once(engine: Engine, username: str, times: int) -> None:
    """`times` failed sign-ins from as many threads, released together."""
    start = threading.Barrier(times)
    problems: list[BaseException] = []

    def fail() -> None:
        start.wait()
        try:
            with unit_of_work(engine) as session:
                auth.register_failed_login(session, username=username)
        except BaseException as problem:
            problems.append(problem)

    threads = [threading.Thread(target=fail) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []


def test_simultaneous_failures_are_each_counted(committing_engine: Engine) -> None:
    with Session(committing_engine) as session:
        make_person(session, username="target")
        session.commit()
    _fail_at_once(committing_engine, "target", auth.MAX_FAILED_LOGINS - 1)
    with Session(committing_engine) as session:
        account = _account(session, "target")
        assert account.failed_logins == auth.MAX_FAILED_LOGINS - 1
        assert account.locked_until is None


def test_a_burst_of_failures_pauses_sign_ins_once(committing_engine: Engine) -> None:
    with Session(committing_engine) as session:
        person_id = make_person(session, username="burst").id
        session.commit()
    _fail_at_once(committing_engine, "burst", 2 * auth.MAX_FAILED_LOGINS)
    with Session(committing_engine) as session:
        account = _account(session, "burst")
        # The batch that filled up paused sign-ins; the rest arrived during
        # the pause and were refused uncounted, so the pause stays the first one.
        assert account.failed_logins == auth.MAX_FAILED_LOGINS
        assert account.locked_until is not None
        assert account.locked_until <= utcnow() + auth.FIRST_LOCKOUT
        locks = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "account.locked", AuditEvent.entity_id == str(person_id)
            )
        ).all()
        assert len(locks) == 1


def test_each_further_batch_doubles_the_pause_up_to_the_cap(session: Session) -> None:
    make_person(session, username="grow")
    now = utcnow()
    pauses = []
    for _ in range(7):
        for _ in range(auth.MAX_FAILED_LOGINS):
            auth.register_failed_login(session, username="grow", now=now)
        locked_until = _account(session, "grow").locked_until
        assert locked_until is not None
        pauses.append(locked_until - now)
        assert auth.get_login_credentials(session, username="grow", now=now) is None
        now = locked_until + timedelta(seconds=1)
        assert auth.get_login_credentials(session, username="grow", now=now) is not None
    assert [p.total_seconds() / 60 for p in pauses] == [1, 2, 4, 8, 15, 15, 15]


def test_failures_during_a_pause_neither_count_nor_extend_it(session: Session) -> None:
    make_person(session, username="hammer")
    now = utcnow()
    for _ in range(auth.MAX_FAILED_LOGINS):
        auth.register_failed_login(session, username="hammer", now=now)
    paused_until = _account(session, "hammer").locked_until
    for _ in range(3 * auth.MAX_FAILED_LOGINS):
        auth.register_failed_login(session, username="hammer", now=now + timedelta(seconds=30))
    account = _account(session, "hammer")
    assert account.locked_until == paused_until
    assert account.failed_logins == auth.MAX_FAILED_LOGINS


def test_a_pause_does_not_end_a_signed_in_session(session: Session) -> None:
    make_person(session, username="victim")
    signed_in_at = utcnow()
    for _ in range(2 * auth.MAX_FAILED_LOGINS):
        auth.register_failed_login(session, username="victim")
    assert auth.get_login_credentials(session, username="victim") is None
    actor = auth.resolve_actor(session, username="victim", authenticated_at=signed_in_at)
    assert actor.username == "victim"


def test_success_and_unlock_start_the_escalation_over(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    username = actor_for(session, org.report).username
    now = utcnow()
    for _ in range(2):  # two pauses: 1 then 2 minutes
        for _ in range(auth.MAX_FAILED_LOGINS):
            auth.register_failed_login(session, username=username, now=now)
        locked_until = _account(session, username).locked_until
        assert locked_until is not None
        now = locked_until + timedelta(seconds=1)
    auth.unlock_account(session, actor=hr, person_id=org.report.id)
    assert auth.get_login_credentials(session, username=username, now=now) is not None
    for _ in range(auth.MAX_FAILED_LOGINS):
        auth.register_failed_login(session, username=username, now=now)
    assert _account(session, username).locked_until == now + auth.FIRST_LOCKOUT
    now += auth.FIRST_LOCKOUT + timedelta(seconds=1)
    auth.register_failed_login(session, username=username, now=now)
    auth.register_successful_login(session, username=username)
    assert _account(session, username).failed_logins == 0
