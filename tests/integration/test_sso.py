"""Single sign-on against the database: matching, refusals, audit, revocation."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from core import auth, sso
from core.audit import list_audit_events
from core.errors import AuthError
from db.models import AuditEvent, Person, UserAccount, utcnow
from tests.factories import actor_for, make_person

SETTINGS = sso.SsoSettings()
TOKEN = "eyJhbGciOiJSUzI1NiJ9.a-secret-id-token.signature"


def identity(email: str, **values: object) -> dict[str, object]:
    """What st.user holds after a provider signed somebody in (now)."""
    return {
        "is_logged_in": True,
        "iss": "https://idp.example.org",
        "sub": "subject-1",
        "email": email,
        "email_verified": True,
        "iat": int(utcnow().timestamp()),
        "at_hash": "hash-of-the-access-token",
        "tokens": {"id": TOKEN},
        **values,
    }


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
    )


def _counts(session: Session) -> tuple[int, int]:
    people = session.exec(select(func.count()).select_from(Person)).one()
    accounts = session.exec(select(func.count()).select_from(UserAccount)).one()
    return people, accounts


def test_a_verified_e_mail_signs_in_its_active_person(session: Session) -> None:
    person = make_person(session, name="Emma Stone", username="emma-sso")
    outcome = sso.sign_in_with_sso(
        session, user_info=identity(person.email.upper()), settings=SETTINGS
    )
    assert isinstance(outcome, sso.SsoAccepted)
    assert outcome.person_id == person.id
    assert outcome.username == "emma-sso"
    actor = auth.resolve_actor(
        session, username=outcome.username, authenticated_at=outcome.authenticated_at
    )
    assert actor.full_name == "Emma Stone"
    signed_in = _events(session, "account.signed_in")
    assert [(e.actor_id, json.loads(e.detail)["method"]) for e in signed_in] == [(person.id, "sso")]


def test_the_same_token_is_recorded_once(session: Session) -> None:
    person = make_person(session)
    claims = identity(person.email)
    for _ in range(3):  # three page loads bring the same identity cookie
        assert isinstance(
            sso.sign_in_with_sso(session, user_info=claims, settings=SETTINGS), sso.SsoAccepted
        )
    assert len(_events(session, "account.signed_in")) == 1


def test_an_unknown_e_mail_creates_nothing_and_is_audited(session: Session) -> None:
    make_person(session)
    before = _counts(session)
    claims = identity("stranger@elsewhere.example")
    outcome = sso.sign_in_with_sso(session, user_info=claims, settings=SETTINGS)
    assert isinstance(outcome, sso.SsoRefused)
    assert outcome.reason == "unknown"
    assert "does not create accounts" in outcome.message
    assert _counts(session) == before
    # Reloading the refused page does not fill the log.
    sso.sign_in_with_sso(session, user_info=claims, settings=SETTINGS)
    (refused,) = _events(session, "sso.refused")
    assert refused.actor_id is None
    detail = json.loads(refused.detail)
    assert detail == {
        "email": "stranger@elsewhere.example",
        "reason": "unknown",
        "issuer": "https://idp.example.org",
    }
    assert TOKEN not in refused.detail
    assert "hash-of-the-access-token" not in refused.detail


def test_an_inactive_person_is_refused_like_a_stranger(session: Session) -> None:
    person = make_person(session, active=False)
    outcome = sso.sign_in_with_sso(session, user_info=identity(person.email), settings=SETTINGS)
    assert isinstance(outcome, sso.SsoRefused)
    assert outcome.reason == "inactive"
    assert outcome.message == sso.REFUSAL_MESSAGES["unknown"]
    (refused,) = _events(session, "sso.refused")
    assert (refused.entity, refused.entity_id) == ("person", str(person.id))
    assert json.loads(refused.detail)["reason"] == "inactive"
    assert _events(session, "account.signed_in") == []


def test_an_unverified_e_mail_is_refused_unless_trusted(session: Session) -> None:
    person = make_person(session)
    claims = identity(person.email, email_verified=False)
    outcome = sso.sign_in_with_sso(session, user_info=claims, settings=SETTINGS)
    assert isinstance(outcome, sso.SsoRefused)
    assert outcome.reason == "unverified_email"
    assert json.loads(_events(session, "sso.refused")[0].detail)["email"] == person.email
    trusting = sso.SsoSettings(require_verified_email=False)
    assert isinstance(
        sso.sign_in_with_sso(session, user_info=claims, settings=trusting), sso.SsoAccepted
    )


def test_a_new_token_after_a_refusal_is_audited_again(session: Session) -> None:
    claims = identity("stranger@elsewhere.example")
    sso.sign_in_with_sso(session, user_info=claims, settings=SETTINGS)
    later = utcnow() + timedelta(seconds=5)
    new_token = {**claims, "iat": int(later.timestamp())}
    sso.sign_in_with_sso(session, user_info=new_token, settings=SETTINGS, now=later)
    assert len(_events(session, "sso.refused")) == 2


def test_signing_out_ends_the_sso_session_until_a_fresh_token(session: Session) -> None:
    person = make_person(session, username="dee-sso")
    claims = identity(person.email)
    outcome = sso.sign_in_with_sso(session, user_info=claims, settings=SETTINGS)
    assert isinstance(outcome, sso.SsoAccepted)
    signed_out = outcome.authenticated_at + timedelta(seconds=1)
    auth.end_sessions(session, username="dee-sso", now=signed_out)
    # The browser still has the old identity cookie: it is matched, but the
    # session it carries began before the sign-out.
    again = sso.sign_in_with_sso(session, user_info=claims, settings=SETTINGS)
    assert isinstance(again, sso.SsoAccepted)
    with pytest.raises(AuthError):
        auth.resolve_actor(session, username="dee-sso", authenticated_at=again.authenticated_at)
    later = signed_out + timedelta(seconds=2)
    fresh = {**claims, "iat": int(later.timestamp())}
    renewed = sso.sign_in_with_sso(session, user_info=fresh, settings=SETTINGS, now=later)
    assert isinstance(renewed, sso.SsoAccepted)
    assert auth.resolve_actor(
        session, username="dee-sso", authenticated_at=renewed.authenticated_at
    )


def test_deactivation_ends_a_running_sso_session(session: Session) -> None:
    person = make_person(session, username="eve-sso")
    outcome = sso.sign_in_with_sso(session, user_info=identity(person.email), settings=SETTINGS)
    assert isinstance(outcome, sso.SsoAccepted)
    person.active = False
    session.add(person)
    session.flush()
    with pytest.raises(AuthError):
        auth.resolve_actor(session, username="eve-sso", authenticated_at=outcome.authenticated_at)


def test_an_old_token_is_refused(session: Session) -> None:
    person = make_person(session)
    old = utcnow() - sso.SSO_SESSION_MAX_AGE - timedelta(minutes=1)
    outcome = sso.sign_in_with_sso(
        session,
        user_info=identity(person.email, iat=int(old.timestamp())),
        settings=SETTINGS,
    )
    assert isinstance(outcome, sso.SsoRefused)
    assert outcome.reason == "expired"


def test_hr_sees_refused_attempts_in_the_audit_log(session: Session) -> None:
    hr = actor_for(session, make_person(session, hr=True))
    sso.sign_in_with_sso(
        session, user_info=identity("stranger@elsewhere.example"), settings=SETTINGS
    )
    log = list_audit_events(session, actor=hr, actions=["sso.refused"])
    assert len(log) == 1
    assert "single sign-on as stranger@elsewhere.example was refused" in log.iloc[0]["what"]


def test_a_person_without_an_account_is_refused(session: Session) -> None:
    person = make_person(session)
    account = session.exec(select(UserAccount).where(UserAccount.person_id == person.id)).one()
    session.delete(account)
    session.flush()
    before = _counts(session)
    outcome = sso.sign_in_with_sso(session, user_info=identity(person.email), settings=SETTINGS)
    assert isinstance(outcome, sso.SsoRefused)
    assert outcome.reason == "inactive"
    assert _counts(session) == before  # no account made for them either


def test_two_people_with_one_address_in_different_cases_are_ambiguous(
    session: Session,
) -> None:
    first = make_person(session)
    second = make_person(session)
    second.email = first.email.upper()
    session.add(second)
    session.flush()
    outcome = sso.sign_in_with_sso(session, user_info=identity(first.email), settings=SETTINGS)
    assert isinstance(outcome, sso.SsoRefused)
    assert outcome.reason == "ambiguous"
    (refused,) = _events(session, "sso.refused")
    assert refused.entity_id is None  # neither person is named


def test_the_case_insensitive_match_reads_the_lower_email_index(session: Session) -> None:
    bind = session.get_bind()
    match = select(Person.id).where(func.lower(Person.email) == "ann@example.com")
    compiled = match.compile(bind, compile_kwargs={"literal_binds": True})
    if bind.dialect.name == "sqlite":
        plan = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        assert any("ix_person_email_lower" in str(row) for row in plan), plan
    else:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = session.execute(text(f"EXPLAIN {compiled}")).all()
        assert any("ix_person_email_lower" in str(row) for row in plan), plan
