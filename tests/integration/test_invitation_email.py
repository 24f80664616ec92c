"""Invitations e-mailed through a real SMTP server on 127.0.0.1, on both databases."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import Session, select

from core.auth import NO_PASSWORD
from core.errors import PermissionDenied
from core.mail import SmtpSettings
from core.people.invitations import (
    accept_invitation,
    create_invitations,
    email_invitations,
    get_invitation,
    links_frame,
)
from db.models import AuditEvent, Person, UserAccount
from tests.factories import SmallOrg, actor_for, make_person, make_small_org
from tests.smtp_server import REFUSE_MARK, LocalSmtpServer, free_port, local_smtp_server

NEW_PASSWORD = "a fresh long password"
LINK = re.compile(r"https://stride\.example/\?invite=[\w-]+")


@pytest.fixture
def smtp_server() -> Iterator[LocalSmtpServer]:
    with local_smtp_server() as server:
        yield server


def _settings(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1", port=port, from_address="Acme HR <hr@acme.example>", security="none"
    )


@pytest.fixture
def org(session: Session) -> SmallOrg:
    return make_small_org(session)


def _newcomer(session: Session, org: SmallOrg, name: str, email: str, username: str) -> Person:
    person = make_person(session, name=name, unit=org.team_a, username=username)
    person.email = email
    account = session.exec(select(UserAccount).where(UserAccount.person_id == person.id)).one()
    account.password_hash = NO_PASSWORD
    session.add_all([person, account])
    session.flush()
    return person


def _token(link: str) -> str:
    return parse_qs(urlparse(link).query)["invite"][0]


def test_each_person_gets_their_link_and_a_refused_one_keeps_a_valid_link(
    session: Session,
    org: SmallOrg,
    smtp_server: LocalSmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    nia = _newcomer(session, org, "Nia Newcomer", "nia@acme.example", "nia")
    ray = _newcomer(session, org, "Ray Refused", f"ray.{REFUSE_MARK}@acme.example", "ray")
    hr = actor_for(session, org.hr)
    links = create_invitations(
        session, actor=hr, person_ids=[nia.id, ray.id], base_url="https://stride.example/"
    )
    by_person = {link.person_id: link for link in links}
    shares: list[float] = []

    outcomes = email_invitations(
        session,
        actor=hr,
        links=links,
        settings=_settings(smtp_server.port),
        progress=lambda _label, share: shares.append(share),
    )

    status = {o.link.person_id: o for o in outcomes}
    assert status[nia.id].sent
    assert status[nia.id].problem is None
    assert not status[ray.id].sent
    assert "refused this address" in (status[ray.id].problem or "")
    assert "550" in (status[ray.id].problem or "")
    assert shares[-1] == 1.0

    [delivery] = smtp_server.wait_for(1)
    assert delivery.recipients == ["nia@acme.example"]
    assert delivery.sender == "hr@acme.example"
    message = delivery.message
    assert message["To"] == "Nia Newcomer <nia@acme.example>"
    assert message["From"] == "Acme HR <hr@acme.example>"
    assert "password" in message["Subject"]
    assert message.get_content_type() == "text/plain"  # no HTML part, no multipart
    body = message.get_content()
    assert body.startswith("Hello Nia Newcomer,")
    assert "Hedda HR has invited you" in body
    assert "Your username is nia." in body
    expires = by_person[nia.id].expires_at.strftime("%d %B %Y, %H:%M UTC")
    assert f"until {expires}" in body
    [link] = LINK.findall(body)
    assert link == by_person[nia.id].link

    # The e-mailed link works; the one that was not sent still does too.
    assert accept_invitation(session, token=_token(link), password=NEW_PASSWORD) == "nia"
    assert get_invitation(session, token=_token(by_person[ray.id].link)).full_name == "Ray Refused"

    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "invitation.emailed"))
    assert event.actor_id == org.hr.id
    detail = json.loads(event.detail or "{}")
    assert detail["sent"] == [nia.id]
    assert list(detail["not_sent"]) == [str(ray.id)]
    tokens = [_token(link.link) for link in links]
    audit_text = " ".join(e.detail or "" for e in session.exec(select(AuditEvent)))
    stride_logs = " ".join(
        r.getMessage() for r in caplog.records if r.name.split(".")[0] in {"core", "db", "seed"}
    )
    assert "not sent" in stride_logs  # the failure is logged, by person id
    for token in tokens:
        assert token not in audit_text
        assert token not in stride_logs

    frame = links_frame(links, emailed=outcomes)
    assert dict(zip(frame["name"], frame["e-mail"], strict=True))["Nia Newcomer"] == "sent"
    assert frame.loc[frame["name"] == "Ray Refused", "e-mail"].item().startswith("not sent: ")


def test_an_unreachable_server_sends_nothing_and_every_link_stays_valid(
    session: Session, org: SmallOrg
) -> None:
    nia = _newcomer(session, org, "Nia Newcomer", "nia@acme.example", "nia")
    hr = actor_for(session, org.hr)
    links = create_invitations(session, actor=hr, person_ids=[nia.id], base_url="https://s")
    closed_port = free_port()  # nothing listens there

    [outcome] = email_invitations(session, actor=hr, links=links, settings=_settings(closed_port))

    assert not outcome.sent
    assert "could not reach the mail server" in (outcome.problem or "")
    assert get_invitation(session, token=_token(links[0].link)).full_name == "Nia Newcomer"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "invitation.emailed")).one()


def test_only_hr_emails_invitations(
    session: Session, org: SmallOrg, smtp_server: LocalSmtpServer
) -> None:
    nia = _newcomer(session, org, "Nia Newcomer", "nia@acme.example", "nia")
    hr = actor_for(session, org.hr)
    links = create_invitations(session, actor=hr, person_ids=[nia.id], base_url="https://s")
    with pytest.raises(PermissionDenied):
        email_invitations(
            session,
            actor=actor_for(session, org.manager),
            links=links,
            settings=_settings(smtp_server.port),
        )
    assert smtp_server.deliveries == []
