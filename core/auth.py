"""Accounts, passwords, lockout, session validity and the cookie key.

streamlit-authenticator draws the form and sets the cookie; every decision
(who exists, whether the password is right, lockout, whether a session is
still valid) is made here against the UserAccount table.

Lockout slows password guessing without handing anyone a way to shut a
colleague out: every MAX_FAILED_LOGINS failures in a row pause *new*
sign-ins for that username, 1 minute after the first batch and twice as long
after each further one, never more than 15 minutes (1, 2, 4, 8, 15, 15 …).
Attempts during a pause are refused unchecked and not counted, so hammering
cannot stretch it; the escalation starts over after a successful sign-in, an
unlock or a password reset. A pause never ends a session that is already
signed in: sessions end only by signing out, a password reset or
deactivation.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import bcrypt
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from core.access import Actor, can_administer_people, require
from core.audit import record_event
from core.errors import AuthError, ConfigError, NotFound, ValidationError
from core.modules.queries import modules_for_person
from core.org import is_manager
from db.models import Person, UserAccount, utcnow

MAX_FAILED_LOGINS = 5
FIRST_LOCKOUT = timedelta(minutes=1)
MAX_LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
# The password hash of an account nobody can sign in to yet (imported, not
# yet invited): no bcrypt hash matches it.
NO_PASSWORD = ""
MIN_COOKIE_KEY_LENGTH = 32
COOKIE_KEY_FILE = "cookie_key"
# Keys that appear in our examples or in streamlit-authenticator's docs; a
# deployment that copied one would sign cookies anybody can forge.
KNOWN_SAMPLE_KEYS = frozenset(
    {
        "some_signature_key",
        "some_key",
        "random_signature_key",
        "replace-me-with-a-long-random-string-of-48-characters",
        "change-me-change-me-change-me-change-me",
    }
)


def bcrypt_rounds() -> int:
    """12 in production; the test suite lowers it through the environment."""
    return int(os.environ.get("STRIDE_BCRYPT_ROUNDS", "12"))


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(bcrypt_rounds())).decode()


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


@cache
def _dummy_hash(rounds: int) -> str:
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds)).decode()


def spend_password_check_time(password: str = "") -> None:
    """Do the work of a real password check, so that an unknown or locked
    username answers as slowly as a wrong password and reveals nothing."""
    verify_password(password, _dummy_hash(bcrypt_rounds()))


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if password.strip() != password:
        raise ValidationError("A password cannot start or end with spaces.")


@dataclass(frozen=True)
class LoginCredentials:
    """What streamlit-authenticator needs to check one user."""

    username: str
    full_name: str
    email: str
    password_hash: str


def normalise_username(username: str) -> str:
    return username.strip().lower()


def get_login_credentials(
    session: Session, *, username: str, now: datetime | None = None
) -> LoginCredentials | None:
    """The account if it may log in now; None for unknown, inactive or locked
    (the caller cannot tell which, on purpose)."""
    now = now or utcnow()
    row = session.exec(
        select(UserAccount, Person)
        .join(Person)
        .where(UserAccount.username == normalise_username(username))
    ).first()
    if row is None:
        return None
    account, person = row
    if not person.active or (account.locked_until is not None and account.locked_until > now):
        return None
    if account.password_hash == NO_PASSWORD:
        return None
    return LoginCredentials(
        username=account.username,
        full_name=person.full_name,
        email=person.email,
        password_hash=account.password_hash,
    )


def lockout_after(failed_logins: int) -> timedelta | None:
    """How long new sign-ins pause once `failed_logins` failures in a row have
    been counted: after each full batch of MAX_FAILED_LOGINS, doubling from
    FIRST_LOCKOUT up to MAX_LOCKOUT; None between batches."""
    if failed_logins <= 0 or failed_logins % MAX_FAILED_LOGINS:
        return None
    doublings = min(failed_logins // MAX_FAILED_LOGINS - 1, 10)
    return min(FIRST_LOCKOUT * 2**doublings, MAX_LOCKOUT)


def register_failed_login(session: Session, *, username: str, now: datetime | None = None) -> None:
    """Count a failed sign-in; each full batch of failures pauses new sign-ins.

    The count is incremented in SQL and the pause decided from the value the
    database returns, so simultaneous failures are each counted once. An
    attempt while a pause runs matches no row: it was refused without a
    password check and is not a guess.
    """
    now = now or utcnow()
    counted = session.execute(
        update(UserAccount)
        .where(
            col(UserAccount.username) == normalise_username(username),
            or_(col(UserAccount.locked_until).is_(None), col(UserAccount.locked_until) <= now),
        )
        .values(failed_logins=col(UserAccount.failed_logins) + 1)
        .returning(col(UserAccount.id), col(UserAccount.person_id), col(UserAccount.failed_logins))
    ).first()
    if counted is None:
        return
    account_id, person_id, failures = counted
    pause = lockout_after(failures)
    if pause is None:
        return
    until = now + pause
    session.execute(
        update(UserAccount).where(col(UserAccount.id) == account_id).values(locked_until=until)
    )
    record_event(
        session,
        actor_id=person_id,
        action="account.locked",
        entity="person",
        entity_id=person_id,
        detail={"until": until.isoformat(), "failed_logins": failures},
    )


def register_successful_login(session: Session, *, username: str) -> None:
    account = _account_by_username(session, username)
    session.execute(
        update(UserAccount)
        .where(col(UserAccount.id) == account.id)
        .values(failed_logins=0, locked_until=None)
    )
    record_event(
        session,
        actor_id=account.person_id,
        action="account.signed_in",
        entity="person",
        entity_id=account.person_id,
    )


def end_sessions(session: Session, *, username: str, now: datetime | None = None) -> None:
    """Logout: every session and cookie issued before now stops working."""
    account = _account_by_username(session, username)
    account.sessions_valid_after = now or utcnow()
    session.add(account)
    record_event(
        session,
        actor_id=account.person_id,
        action="account.signed_out",
        entity="person",
        entity_id=account.person_id,
    )


def resolve_actor(session: Session, *, username: str, authenticated_at: datetime) -> Actor:
    """Re-check a signed-in session on every rerun: the account must still
    exist and be active, and the session must postdate the last logout or
    password reset. A sign-in pause (lockout) is no reason to end it: it
    only refuses new sign-ins, so failures typed by someone else cannot
    throw a person out. Roles are computed now, not remembered."""
    row = session.exec(
        select(UserAccount, Person)
        .join(Person)
        .where(UserAccount.username == normalise_username(username))
    ).first()
    if row is None:
        raise AuthError("Your session has ended. Please log in again.")
    account, person = row
    if not person.active or authenticated_at < account.sessions_valid_after:
        raise AuthError("Your session has ended. Please log in again.")
    return actor_for_person(session, person=person, username=account.username)


def actor_for_person(session: Session, *, person: Person, username: str) -> Actor:
    """The person as an actor, roles and practices computed now."""
    assert person.id is not None
    return Actor(
        person_id=person.id,
        username=username,
        full_name=person.full_name,
        is_hr_admin=person.is_hr_admin,
        is_manager=is_manager(session, person_id=person.id),
        modules=modules_for_person(session, person_id=person.id),
    )


def set_password(session: Session, *, account: UserAccount, password: str) -> None:
    """A new password: any lock lifts and sessions opened before now end."""
    account.password_hash = hash_password(password)
    account.failed_logins = 0
    account.locked_until = None
    account.sessions_valid_after = utcnow()
    session.add(account)


def reset_password(session: Session, *, actor: Actor, person_id: int, new_password: str) -> None:
    """HR sets a new password; the person's open sessions end and a lock lifts."""
    require(
        can_administer_people(actor),
        session=session,
        actor=actor,
        action="reset_password",
        entity="person",
        entity_id=person_id,
    )
    validate_password(new_password)
    account = _account_by_person(session, person_id)
    set_password(session, account=account, password=new_password)
    record_event(
        session,
        actor_id=actor.person_id,
        action="password.reset",
        entity="person",
        entity_id=person_id,
    )


def unlock_account(session: Session, *, actor: Actor, person_id: int) -> None:
    require(
        can_administer_people(actor),
        session=session,
        actor=actor,
        action="unlock",
        entity="person",
        entity_id=person_id,
    )
    account = _account_by_person(session, person_id)
    account.failed_logins = 0
    account.locked_until = None
    session.add(account)
    record_event(
        session,
        actor_id=actor.person_id,
        action="account.unlocked",
        entity="person",
        entity_id=person_id,
    )


def _account_by_username(session: Session, username: str) -> UserAccount:
    account = session.exec(
        select(UserAccount).where(UserAccount.username == normalise_username(username))
    ).first()
    if account is None:
        raise NotFound("No such account.")
    return account


def _account_by_person(session: Session, person_id: int) -> UserAccount:
    account = session.exec(select(UserAccount).where(UserAccount.person_id == person_id)).first()
    if account is None:
        raise NotFound("That person has no login account.")
    return account


# --- cookie key ------------------------------------------------------------


def validate_cookie_key(key: str) -> str:
    if key in KNOWN_SAMPLE_KEYS:
        raise ConfigError(
            "The cookie key is a published sample. Set a random key of at least "
            f"{MIN_COOKIE_KEY_LENGTH} characters in secrets ([auth] cookie_key) or "
            "STRIDE_COOKIE_KEY."
        )
    if len(key) < MIN_COOKIE_KEY_LENGTH:
        raise ConfigError(
            f"The cookie key is shorter than {MIN_COOKIE_KEY_LENGTH} characters. Set a random "
            "key in secrets ([auth] cookie_key) or STRIDE_COOKIE_KEY."
        )
    return key


def resolve_cookie_key(*, configured: str | None, data_dir: Path) -> str:
    """A configured key (secrets or environment) must be strong. With none, a
    local install generates one once and keeps it in the data folder."""
    if configured is not None:
        return validate_cookie_key(configured)
    key_file = data_dir / COOKIE_KEY_FILE
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        _publish_new_key(key_file)
    return validate_cookie_key(key_file.read_text().strip())


def _publish_new_key(key_file: Path) -> None:
    """Write a fresh key beside `key_file` and link it into place.

    The key file appears with its whole content or not at all, so a process
    starting at the same moment never reads it half written; the link fails
    if another process got there first, and everyone then reads that key.
    """
    fd, staging = tempfile.mkstemp(prefix=f".{COOKIE_KEY_FILE}-", dir=key_file.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(staging, key_file)
        except FileExistsError:
            pass  # another start won; its key is complete
        except OSError:
            # A file system without hard links: a rename is still atomic,
            # but two first starts may each install a key, the last one
            # staying (a cookie signed with the other is refused once).
            if not key_file.exists():
                os.replace(staging, key_file)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging)
