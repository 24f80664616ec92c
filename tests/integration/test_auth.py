"""Accounts against the database: lockout, session validity, resets."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core import auth
from core.errors import AuthError, PermissionDenied, ValidationError
from db.models import AuditEvent, UserAccount, utcnow
from tests.factories import PASSWORD, actor_for, make_person, make_small_org


def _account(session: Session, person_id: int | None) -> UserAccount:
    return session.exec(select(UserAccount).where(UserAccount.person_id == person_id)).one()


def test_credentials_for_active_unlocked_accounts_only(session: Session) -> None:
    person = make_person(session, username="ada")
    credentials = auth.get_login_credentials(session, username=" ADA ")
    assert credentials is not None
    assert credentials.username == "ada"
    assert auth.verify_password(PASSWORD, credentials.password_hash)
    assert auth.get_login_credentials(session, username="nobody") is None
    person.active = False
    session.add(person)
    session.flush()
    assert auth.get_login_credentials(session, username="ada") is None


def test_five_failures_lock_the_account_then_it_opens_again(session: Session) -> None:
    person = make_person(session, username="bob")
    now = utcnow()
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        auth.register_failed_login(session, username="bob", now=now)
    assert auth.get_login_credentials(session, username="bob", now=now) is not None
    auth.register_failed_login(session, username="bob", now=now)
    assert auth.get_login_credentials(session, username="bob", now=now) is None
    later = now + auth.FIRST_LOCKOUT + timedelta(seconds=1)
    assert auth.get_login_credentials(session, username="bob", now=later) is not None
    locked = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "account.locked", AuditEvent.entity_id == str(person.id)
        )
    ).all()
    assert len(locked) == 1


def test_success_resets_the_failure_count(session: Session) -> None:
    person = make_person(session, username="cy")
    auth.register_failed_login(session, username="cy")
    auth.register_failed_login(session, username="cy")
    auth.register_successful_login(session, username="cy")
    assert _account(session, person.id).failed_logins == 0


def test_unknown_usernames_leave_no_trace(session: Session) -> None:
    before = session.exec(select(UserAccount)).all()
    auth.register_failed_login(session, username="ghost")
    assert session.exec(select(UserAccount)).all() == before


def test_unknown_username_costs_a_full_password_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Timing equality is by construction: the unknown path runs bcrypt with the
    same cost factor as a real check (counted here, not timed)."""
    calls: list[int] = []
    real_checkpw = auth.bcrypt.checkpw

    def counting_checkpw(password: bytes, hashed: bytes) -> bool:
        calls.append(int(hashed.decode().split("$")[2]))
        return real_checkpw(password, hashed)

    monkeypatch.setattr(auth.bcrypt, "checkpw", counting_checkpw)
    auth.spend_password_check_time("guess")
    assert calls == [auth.bcrypt_rounds()]


def test_sessions_started_before_logout_are_refused(session: Session) -> None:
    make_person(session, username="dee")
    started = utcnow()
    assert auth.resolve_actor(session, username="dee", authenticated_at=started).username == "dee"
    auth.end_sessions(session, username="dee", now=started + timedelta(seconds=1))
    with pytest.raises(AuthError):
        auth.resolve_actor(session, username="dee", authenticated_at=started)
    fresh = started + timedelta(seconds=2)
    assert auth.resolve_actor(session, username="dee", authenticated_at=fresh)


def test_roles_are_computed_when_resolving(session: Session) -> None:
    org = make_small_org(session)
    now = utcnow()
    username = actor_for(session, org.manager).username
    assert auth.resolve_actor(session, username=username, authenticated_at=now).is_manager
    for person in (org.report, org.peer, org.lead):
        person.manager_id = org.ceo.id
        session.add(person)
    session.flush()
    assert not auth.resolve_actor(session, username=username, authenticated_at=now).is_manager


def test_hr_resets_a_password_and_ends_sessions(session: Session) -> None:
    org = make_small_org(session)
    hr = actor_for(session, org.hr)
    target = actor_for(session, org.report)
    before = utcnow() - timedelta(seconds=1)
    auth.reset_password(session, actor=hr, person_id=org.report.id, new_password="a brand new one")
    account = _account(session, org.report.id)
    assert auth.verify_password("a brand new one", account.password_hash)
    with pytest.raises(AuthError):
        auth.resolve_actor(session, username=target.username, authenticated_at=before)
    with pytest.raises(ValidationError):
        auth.reset_password(session, actor=hr, person_id=org.report.id, new_password="short")


def test_only_hr_resets_or_unlocks(session: Session) -> None:
    org = make_small_org(session)
    manager = actor_for(session, org.manager)
    with pytest.raises(PermissionDenied):
        auth.reset_password(
            session, actor=manager, person_id=org.report.id, new_password="a brand new one"
        )
    with pytest.raises(PermissionDenied):
        auth.unlock_account(session, actor=manager, person_id=org.report.id)


def test_unlock_clears_the_lock(session: Session) -> None:
    org = make_small_org(session)
    username = actor_for(session, org.report).username
    for _ in range(auth.MAX_FAILED_LOGINS):
        auth.register_failed_login(session, username=username)
    assert auth.get_login_credentials(session, username=username) is None
    auth.unlock_account(session, actor=actor_for(session, org.hr), person_id=org.report.id)
    assert auth.get_login_credentials(session, username=username) is not None
