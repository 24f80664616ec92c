"""Invitations: HR sends people a single-use, expiring link with which they
choose their own password, instead of setting and handing out passwords.

Only the token's SHA-256 is stored, so a copy of the database opens no
account. A used, expired, superseded or forged link is refused with one
neutral message that does not say which.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import pandas as pd
from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, col

from core.access import Actor, can_administer_people, require
from core.audit import record_event
from core.auth import set_password, validate_password
from core.errors import AuthError
from core.mail import OutgoingMessage, Progress, SendResult, SmtpSettings, send_messages
from core.timezones import local_time, zone_label
from db.models import Invitation, Person, UserAccount, utcnow

log = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=14)
MAX_AT_ONCE = 5_000
REFUSED = (
    "This sign-in link is not valid: it may have been used already or expired. "
    "Ask HR for a new one."
)


@dataclass(frozen=True)
class InvitationLink:
    person_id: int
    full_name: str
    email: str
    username: str
    link: str
    expires_at: datetime


@dataclass(frozen=True)
class InvitationView:
    """What the link page may show before the password is chosen."""

    full_name: str
    username: str


def hash_token(token: str) -> str:
    """What is stored of a one-time link's token (invitations, 360 externals):
    its SHA-256, so a copy of the database opens no link."""
    return hashlib.sha256(token.encode()).hexdigest()


def list_uninvited(session: Session, *, actor: Actor) -> pd.DataFrame:
    """Active people with an account and no password yet, and whether an
    invitation is still open for them."""
    require(
        can_administer_people(actor),
        session=session,
        actor=actor,
        action="list",
        entity="invitation",
    )
    now = utcnow()
    open_for = set(
        session.execute(
            sa_select(col(Invitation.person_id)).where(
                col(Invitation.used_at).is_(None), col(Invitation.expires_at) > now
            )
        ).scalars()
    )
    rows = session.execute(
        sa_select(
            col(Person.id), col(Person.full_name), col(Person.email), col(UserAccount.username)
        )
        .join(UserAccount, col(UserAccount.person_id) == col(Person.id))
        .where(col(Person.active), col(UserAccount.password_hash) == "")
        .order_by(col(Person.full_name))
    ).all()
    return pd.DataFrame(
        [
            {
                "person_id": pid,
                "name": name,
                "email": email,
                "username": username,
                "invited": pid in open_for,
            }
            for pid, name, email, username in rows
        ],
        columns=["person_id", "name", "email", "username", "invited"],
    )


def create_invitations(
    session: Session, *, actor: Actor, person_ids: Sequence[int], base_url: str
) -> list[InvitationLink]:
    """New links for these people (earlier open links stop working). The
    links are in the return value only: show or send them now."""
    require(
        can_administer_people(actor),
        session=session,
        actor=actor,
        action="create",
        entity="invitation",
    )
    if len(person_ids) > MAX_AT_ONCE:
        raise AuthError(f"Invite at most {MAX_AT_ONCE:,} people at once.")
    people = session.execute(
        sa_select(
            col(Person.id), col(Person.full_name), col(Person.email), col(UserAccount.username)
        )
        .join(UserAccount, col(UserAccount.person_id) == col(Person.id))
        .where(col(Person.id).in_(list(person_ids)), col(Person.active))
    ).all()
    now = utcnow()
    session.execute(
        update(Invitation.__table__)  # type: ignore[attr-defined]
        .where(
            col(Invitation.person_id).in_([p[0] for p in people]),
            col(Invitation.used_at).is_(None),
        )
        .values(expires_at=now)
    )
    links: list[InvitationLink] = []
    for person_id, name, email, username in people:
        token = secrets.token_urlsafe(32)
        session.add(
            Invitation(
                person_id=person_id,
                token_hash=hash_token(token),
                created_by_id=actor.person_id,
                expires_at=now + INVITATION_LIFETIME,
            )
        )
        links.append(
            InvitationLink(
                person_id=person_id,
                full_name=name,
                email=email,
                username=username,
                link=f"{base_url.rstrip('/')}/?invite={token}",
                expires_at=now + INVITATION_LIFETIME,
            )
        )
    record_event(
        session,
        actor_id=actor.person_id,
        action="invitation.created",
        entity="invitation",
        detail={"people": [link.person_id for link in links]},
    )
    session.flush()
    return links


@dataclass(frozen=True)
class EmailedInvitation:
    """One invitation and whether its e-mail went out (the link works either way)."""

    link: InvitationLink
    sent: bool
    problem: str | None = None


LINK_COLUMNS = ["name", "email", "username", "link", "expires (UTC)"]


def links_frame(
    links: Sequence[InvitationLink],
    *,
    emailed: Sequence[EmailedInvitation] | None = None,
    zone: tzinfo = UTC,
) -> pd.DataFrame:
    """For a mail merge; after e-mailing, with whether each e-mail went out.
    Expiry times in `zone` (the viewer's, core.timezones), named in the header."""
    status = {o.link.link: "sent" if o.sent else f"not sent: {o.problem}" for o in emailed or ()}
    expires = f"expires ({zone_label(zone)})"
    columns = [*LINK_COLUMNS[:-1], expires]
    columns = [*columns, "e-mail"] if emailed is not None else columns
    return pd.DataFrame(
        [
            {
                "name": link.full_name,
                "email": link.email,
                "username": link.username,
                "link": link.link,
                expires: local_time(link.expires_at, zone, fmt="%Y-%m-%d %H:%M"),
                "e-mail": status.get(link.link, "not sent"),
            }
            for link in links
        ],
        columns=columns,
    )


def invitation_message(link: InvitationLink, *, inviter: str) -> OutgoingMessage:
    """The plain-text e-mail that carries one person's link."""
    expires = link.expires_at.strftime("%d %B %Y, %H:%M UTC")
    body = (
        f"Hello {link.full_name},\n"
        "\n"
        f"{inviter} has invited you to Stride, where you keep your goals, check-ins\n"
        "and skills. Open this link to choose your password:\n"
        "\n"
        f"{link.link}\n"
        "\n"
        f"The link works once, until {expires}. Your username is {link.username}.\n"
        "\n"
        "If the link has expired, ask HR for a new one. If you did not expect this\n"
        "e-mail, you can ignore it.\n"
    )
    return OutgoingMessage(
        to_name=link.full_name,
        to_address=link.email,
        subject="Your invitation to Stride: choose your password",
        body=body,
    )


def _without_link(result: SendResult, link: InvitationLink) -> str | None:
    """A server's reply is quoted to HR and the audit log: never with a token in it."""
    if result.problem is None:
        return None
    token = link.link.rpartition("invite=")[2]
    return result.problem.replace(link.link, "[link]").replace(token, "[token]")


def email_invitations(
    session: Session,
    *,
    actor: Actor,
    links: Sequence[InvitationLink],
    settings: SmtpSettings,
    progress: Progress | None = None,
    connect: Callable[[SmtpSettings], smtplib.SMTP] | None = None,
) -> list[EmailedInvitation]:
    """E-mail each link to its person; one outcome per link, in order.

    A message that could not be sent leaves its invitation as it was (valid),
    so HR can send again or hand the link out another way. Everything is
    sent before the session is first used (for the audit row), so no write
    lock is held while the mail server is talked to. Neither the audit log
    nor the server log gets a link.
    """
    require(
        can_administer_people(actor),
        session=session,
        actor=actor,
        action="email",
        entity="invitation",
    )
    messages = [invitation_message(link, inviter=actor.full_name) for link in links]
    sent = send_messages(messages, settings=settings, progress=progress, connect=connect)
    outcomes = [
        EmailedInvitation(link=link, sent=result.sent, problem=_without_link(result, link))
        for link, result in zip(links, sent, strict=True)
    ]
    failed = [o for o in outcomes if not o.sent]
    for outcome in failed:
        log.warning(
            "invitation e-mail to person %s not sent: %s", outcome.link.person_id, outcome.problem
        )
    record_event(
        session,
        actor_id=actor.person_id,
        action="invitation.emailed",
        entity="invitation",
        detail={
            "server": settings.host,
            "sent": [o.link.person_id for o in outcomes if o.sent],
            "not_sent": {str(o.link.person_id): o.problem for o in failed},
        },
    )
    session.flush()
    return outcomes


def _open_invitation(session: Session, token: str) -> tuple[Invitation, Person, UserAccount]:
    row = session.execute(
        sa_select(Invitation, Person, UserAccount)
        .join(Person, col(Person.id) == col(Invitation.person_id))
        .join(UserAccount, col(UserAccount.person_id) == col(Person.id))
        .where(col(Invitation.token_hash) == hash_token(token))
    ).first()
    if row is None:
        raise AuthError(REFUSED)
    invitation, person, account = row
    if invitation.used_at is not None or invitation.expires_at <= utcnow() or not person.active:
        raise AuthError(REFUSED)
    return invitation, person, account


def get_invitation(session: Session, *, token: str) -> InvitationView:
    _, person, account = _open_invitation(session, token)
    return InvitationView(full_name=person.full_name, username=account.username)


def accept_invitation(session: Session, *, token: str, password: str) -> str:
    """Set the person's password and use the link up; returns the username."""
    validate_password(password)
    invitation, person, account = _open_invitation(session, token)
    # Used up in the same statement that checks it, so two tabs submitting
    # the same link cannot both set a password.
    used = session.execute(
        update(Invitation.__table__)  # type: ignore[attr-defined]
        .where(col(Invitation.id) == invitation.id, col(Invitation.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise AuthError(REFUSED)
    set_password(session, account=account, password=password)
    record_event(
        session,
        actor_id=person.id,
        action="invitation.accepted",
        entity="person",
        entity_id=person.id,
    )
    session.flush()
    return account.username
