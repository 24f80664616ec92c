"""Invitations: single-use, expiring links stored only as hashes."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import Session, select

from core.auth import NO_PASSWORD, get_login_credentials, verify_password
from core.errors import AuthError, PermissionDenied
from core.people.invitations import (
    REFUSED,
    accept_invitation,
    create_invitations,
    get_invitation,
    links_frame,
    list_uninvited,
)
from db.models import Invitation, Person, UserAccount, utcnow
from tests.factories import actor_for, make_person, make_small_org

NEW_PASSWORD = "a fresh long password"


def _imported(session: Session) -> tuple[Person, object]:
    org = make_small_org(session)
    newcomer = make_person(session, name="Nia Newcomer", unit=org.team_a, username="nia")
    account = session.exec(select(UserAccount).where(UserAccount.person_id == newcomer.id)).one()
    account.password_hash = NO_PASSWORD
    session.add(account)
    session.flush()
    return newcomer, actor_for(session, org.hr)


def _token(link: str) -> str:
    return parse_qs(urlparse(link).query)["invite"][0]


def test_an_invited_person_sets_a_password_once(session: Session) -> None:
    newcomer, hr = _imported(session)
    waiting = list_uninvited(session, actor=hr)
    assert list(waiting["name"]) == ["Nia Newcomer"]
    assert not waiting["invited"].any()
    [link] = create_invitations(
        session, actor=hr, person_ids=[newcomer.id], base_url="https://stride.example/"
    )
    assert link.link.startswith("https://stride.example/?invite=")
    token = _token(link.link)
    stored = session.exec(select(Invitation)).one()
    assert token not in stored.token_hash  # only the hash is kept
    assert list_uninvited(session, actor=hr)["invited"].all()
    assert get_invitation(session, token=token).full_name == "Nia Newcomer"

    assert accept_invitation(session, token=token, password=NEW_PASSWORD) == "nia"
    credentials = get_login_credentials(session, username="nia")
    assert credentials is not None
    assert verify_password(NEW_PASSWORD, credentials.password_hash)
    with pytest.raises(AuthError, match="not valid"):
        accept_invitation(session, token=token, password="another long password")
    assert list_uninvited(session, actor=hr).empty


def test_expired_forged_and_superseded_links_are_refused_alike(session: Session) -> None:
    newcomer, hr = _imported(session)
    [first] = create_invitations(session, actor=hr, person_ids=[newcomer.id], base_url="x")
    [second] = create_invitations(session, actor=hr, person_ids=[newcomer.id], base_url="x")
    messages = []
    for token in (_token(first.link), "forged-token"):
        with pytest.raises(AuthError) as refused:
            get_invitation(session, token=token)
        messages.append(str(refused.value))
    latest = session.exec(select(Invitation).order_by(Invitation.id.desc())).first()  # type: ignore[union-attr]
    assert latest is not None
    latest.expires_at = utcnow() - timedelta(seconds=1)
    session.add(latest)
    session.flush()
    with pytest.raises(AuthError) as expired:
        accept_invitation(session, token=_token(second.link), password=NEW_PASSWORD)
    messages.append(str(expired.value))
    assert messages == [REFUSED] * 3


def test_a_short_password_is_refused_and_the_link_stays_usable(session: Session) -> None:
    newcomer, hr = _imported(session)
    [link] = create_invitations(session, actor=hr, person_ids=[newcomer.id], base_url="x")
    with pytest.raises(Exception, match="at least"):
        accept_invitation(session, token=_token(link.link), password="short")
    assert accept_invitation(session, token=_token(link.link), password=NEW_PASSWORD) == "nia"


def test_only_hr_invites_and_the_links_download_for_a_mail_merge(session: Session) -> None:
    newcomer, hr = _imported(session)
    org_manager = session.exec(select(Person).where(Person.full_name == "Mona Manager")).one()
    with pytest.raises(PermissionDenied):
        create_invitations(
            session, actor=actor_for(session, org_manager), person_ids=[newcomer.id], base_url="x"
        )
    links = create_invitations(session, actor=hr, person_ids=[newcomer.id], base_url="x")
    frame = links_frame(links)
    assert list(frame.columns) == ["name", "email", "username", "link", "expires (UTC)"]
    assert frame.loc[0, "name"] == "Nia Newcomer"
