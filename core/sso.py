"""Single sign-on: who an OpenID Connect identity is in Stride.

Streamlit's `st.login` (Authlib) runs the OpenID Connect flow and keeps the
identity token's claims in its own signed cookie; `st.user` hands them to the
app. Every decision is made here:

- an identity is matched by its **verified** e-mail claim to an **active**
  person who has an account; nothing is ever created for an unknown e-mail;
- a refused identity is written to the audit log (`sso.refused`, with the
  e-mail and the reason, never a token) so HR sees who tried;
- the session is the token's: it began at the token's `iat`, so signing out
  (`core.auth.end_sessions`), a password reset or deactivation ends it like a
  password session, and it lasts at most SSO_SESSION_MAX_AGE, as long as the
  password sign-in's cookie (Streamlit's own cookie lives 30 days).

Password sign-in stays for organisations without an identity provider and can
be switched off (`password_sign_in_enabled`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.audit import record_event
from core.errors import ConfigError
from db.models import AuditEvent, Person, UserAccount, utcnow

# As long as the password sign-in's re-login cookie (app_pages/_auth.py).
SSO_SESSION_MAX_AGE = timedelta(days=7)
# Clocks differ a little between the identity provider and this server.
CLOCK_SKEW = timedelta(minutes=2)
# The keys Streamlit needs in [auth] for its default provider.
REQUIRED_AUTH_KEYS = (
    "redirect_uri",
    "cookie_secret",
    "client_id",
    "client_secret",
    "server_metadata_url",
)
MIN_COOKIE_SECRET_LENGTH = 32
SAMPLE_COOKIE_SECRETS = frozenset({"xxx", "replace-me-with-another-long-random-string-of-48-chars"})

_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"0", "false", "no", "off"})

Reason = Literal[
    "no_email", "unverified_email", "no_issue_time", "expired", "unknown", "inactive", "ambiguous"
]

# What the person is told. An unknown and an inactive e-mail read the same,
# so the sign-in page does not tell a stranger who works here.
REFUSAL_MESSAGES: dict[str, str] = {
    "no_email": (
        "Your identity provider did not send an e-mail address, so Stride cannot tell who "
        "you are. Ask your administrator to release the e-mail claim to Stride."
    ),
    "unverified_email": (
        "Your identity provider has not verified your e-mail address, so Stride cannot "
        "sign you in with it. Verify it with your provider, or ask HR."
    ),
    "no_issue_time": (
        "Your identity provider's answer had no issue time, so Stride cannot tell whether "
        "the sign-in is recent. Ask your administrator."
    ),
    "expired": "Your single sign-on session is too old. Please sign in again.",
    "unknown": (
        "Nobody with this e-mail address can sign in to Stride. Stride does not create "
        "accounts on sign-in: ask HR to add you, or sign in with your work account."
    ),
    "inactive": (
        "Nobody with this e-mail address can sign in to Stride. Stride does not create "
        "accounts on sign-in: ask HR to add you, or sign in with your work account."
    ),
    "ambiguous": (
        "More than one person in Stride has this e-mail address, so Stride cannot tell "
        "who you are. Ask HR to correct the people records."
    ),
}


# --- settings ----------------------------------------------------------------


@dataclass(frozen=True)
class SsoSettings:
    """Single sign-on as configured; the provider details stay in Streamlit's
    own `[auth]` section, which `st.login` reads itself."""

    require_verified_email: bool = True


def _flag(value: object, *, name: str) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    answer = str(value).strip().lower()
    if answer in _YES:
        return True
    if answer in _NO:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}.")


def sso_settings(
    *, auth_section: Mapping[str, Any] | None, app_section: Mapping[str, Any] | None
) -> SsoSettings | None:
    """Single sign-on when `[auth]` names an OpenID Connect provider, None
    when it names none (Stride's own `cookie_key` may live there alone). A
    half-filled or sample configuration raises ConfigError with what to fix."""
    section = auth_section or {}
    present = [key for key in REQUIRED_AUTH_KEYS if section.get(key)]
    # cookie_secret alone is no provider (Streamlit also signs with it).
    if not any(key in present for key in ("client_id", "client_secret", "server_metadata_url")):
        return None
    missing = [key for key in REQUIRED_AUTH_KEYS if key not in present]
    if missing:
        raise ConfigError(
            f"Single sign-on is half configured: [auth] in secrets also needs {', '.join(missing)}."
        )
    secret = str(section["cookie_secret"])
    if secret in SAMPLE_COOKIE_SECRETS or len(secret) < MIN_COOKIE_SECRET_LENGTH:
        raise ConfigError(
            f"[auth] cookie_secret must be at least {MIN_COOKIE_SECRET_LENGTH} random "
            "characters and not a published sample."
        )
    for key in ("redirect_uri", "server_metadata_url"):
        if not str(section[key]).startswith(("http://", "https://")):
            raise ConfigError(f"[auth] {key} must be an absolute http(s) URL.")
    if not str(section["redirect_uri"]).rstrip("/").endswith("/oauth2callback"):
        raise ConfigError(
            "[auth] redirect_uri must be the app's address followed by /oauth2callback."
        )
    app = app_section or {}
    verified = _flag(app.get("sso_require_verified_email"), name="[app] sso_require_verified_email")
    return SsoSettings(require_verified_email=True if verified is None else verified)


def password_sign_in_enabled(
    *, environ: Mapping[str, str], app_section: Mapping[str, Any] | None
) -> bool:
    """Whether the username and password form is offered: on unless switched
    off by STRIDE_PASSWORD_SIGN_IN=0 or `[app] password_sign_in = false`
    (the environment wins)."""
    from_env = _flag(environ.get("STRIDE_PASSWORD_SIGN_IN"), name="STRIDE_PASSWORD_SIGN_IN")
    if from_env is not None:
        return from_env
    app = app_section or {}
    from_secrets = _flag(app.get("password_sign_in"), name="[app] password_sign_in")
    return True if from_secrets is None else from_secrets


def check_sign_in_methods(*, sso: SsoSettings | None, password_sign_in: bool) -> None:
    """With password sign-in off, single sign-on is the only way in."""
    if not password_sign_in and sso is None:
        raise ConfigError(
            "Password sign-in is switched off but single sign-on is not configured: "
            "nobody could sign in. Configure [auth] (README, Single sign-on) or turn "
            "password sign-in back on."
        )


# --- claims (pure) -------------------------------------------------------------


@dataclass(frozen=True)
class SsoClaims:
    """The identity token claims Stride reads; nothing else is kept."""

    email: str | None
    email_verified: bool
    issued_at: datetime | None
    issuer: str | None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def read_claims(user_info: Mapping[str, Any]) -> SsoClaims:
    """From `st.user`'s claims. Some providers send `email_verified` as the
    string "true"; an `iat` that is no number counts as missing."""
    raw_email = user_info.get("email")
    email = normalise_email(raw_email) if isinstance(raw_email, str) else None
    verified = user_info.get("email_verified")
    email_verified = verified is True or (
        isinstance(verified, str) and verified.strip().lower() == "true"
    )
    issued = user_info.get("iat")
    issued_at = None
    if isinstance(issued, int | float) and not isinstance(issued, bool):
        try:
            issued_at = datetime.fromtimestamp(issued, tz=UTC)
        except (OverflowError, OSError, ValueError):
            issued_at = None
    issuer = user_info.get("iss")
    return SsoClaims(
        email=email or None,
        email_verified=email_verified,
        issued_at=issued_at,
        issuer=issuer if isinstance(issuer, str) else None,
    )


def identity_problem(
    claims: SsoClaims, *, require_verified_email: bool, now: datetime
) -> Reason | None:
    """Why these claims cannot sign anybody in, before looking anyone up."""
    if claims.email is None or "@" not in claims.email:
        return "no_email"
    if require_verified_email and not claims.email_verified:
        return "unverified_email"
    if claims.issued_at is None:
        return "no_issue_time"
    if claims.issued_at < now - SSO_SESSION_MAX_AGE or claims.issued_at > now + CLOCK_SKEW:
        return "expired"
    return None


def session_start(claims: SsoClaims) -> datetime:
    """When the session began, to compare with `sessions_valid_after`.

    `iat` has whole seconds; it is read as the end of its second, so signing
    in again within the second of a sign-out is not refused as an old session.
    """
    assert claims.issued_at is not None
    return claims.issued_at + timedelta(seconds=1) - timedelta(microseconds=1)


def match_person(
    candidates: Sequence[tuple[int, bool, str | None]],
) -> tuple[Literal["matched"], int, str] | tuple[Reason, None, None]:
    """The one person an e-mail names, from (person id, active, username or
    None without an account) of everybody with that e-mail in any case."""
    if not candidates:
        return ("unknown", None, None)
    usable = [(pid, username) for pid, active, username in candidates if active and username]
    if len(usable) > 1:
        return ("ambiguous", None, None)
    if not usable:
        return ("inactive", None, None)
    person_id, username = usable[0]
    return ("matched", person_id, username)


# --- sign-in -------------------------------------------------------------------


@dataclass(frozen=True)
class SsoAccepted:
    person_id: int
    username: str
    authenticated_at: datetime


@dataclass(frozen=True)
class SsoRefused:
    reason: Reason
    message: str


def sign_in_with_sso(
    session: Session,
    *,
    user_info: Mapping[str, Any],
    settings: SsoSettings,
    now: datetime | None = None,
) -> SsoAccepted | SsoRefused:
    """Match a signed-in identity to a person, or refuse it.

    Called once per browser session (each page load that brings the
    identity cookie along). The sign-in (`account.signed_in`, method sso) and
    a refusal (`sso.refused`) are each recorded once per identity token:
    reloading the page does not repeat them.

    The session's later validity (sign-out, reset, deactivation) is checked
    on every rerun by `core.auth.resolve_actor` with `authenticated_at`.
    """
    now = now or utcnow()
    claims = read_claims(user_info)
    problem = identity_problem(
        claims, require_verified_email=settings.require_verified_email, now=now
    )
    if problem is not None:
        return _refuse(session, claims=claims, reason=problem, person_id=None, now=now)
    assert claims.email is not None
    assert claims.issued_at is not None
    rows = session.exec(
        select(Person.id, Person.active, UserAccount.username)
        .join(UserAccount, col(UserAccount.person_id) == col(Person.id), isouter=True)
        .where(func.lower(col(Person.email)) == claims.email)
        .limit(10)
    ).all()
    candidates = [(int(pid), bool(active), name) for pid, active, name in rows if pid is not None]
    outcome, person_id, username = match_person(candidates)
    if outcome != "matched":
        only = candidates[0][0] if len(candidates) == 1 else None
        return _refuse(session, claims=claims, reason=outcome, person_id=only, now=now)
    assert person_id is not None
    assert username is not None
    if not _signed_in_since(session, person_id=person_id, since=claims.issued_at):
        record_event(
            session,
            actor_id=person_id,
            action="account.signed_in",
            entity="person",
            entity_id=person_id,
            detail={"method": "sso", "issuer": claims.issuer},
        )
    return SsoAccepted(
        person_id=person_id, username=username, authenticated_at=session_start(claims)
    )


def _signed_in_since(session: Session, *, person_id: int, since: datetime) -> bool:
    return (
        session.exec(
            select(AuditEvent.id)
            .where(
                AuditEvent.actor_id == person_id,
                AuditEvent.action == "account.signed_in",
                col(AuditEvent.at) >= since,
            )
            .limit(1)
        ).first()
        is not None
    )


def _refuse(
    session: Session,
    *,
    claims: SsoClaims,
    reason: Reason,
    person_id: int | None,
    now: datetime,
) -> SsoRefused:
    _record_refusal(session, claims=claims, reason=reason, person_id=person_id, now=now)
    return SsoRefused(reason=reason, message=REFUSAL_MESSAGES[reason])


def _record_refusal(
    session: Session,
    *,
    claims: SsoClaims,
    reason: Reason,
    person_id: int | None,
    now: datetime,
) -> None:
    """One audit row per refused identity token: its e-mail, issuer and the
    reason, never a token. Without an issue time, one per browser session."""
    if claims.issued_at is not None and claims.issued_at <= now + CLOCK_SKEW:
        earlier = session.exec(
            select(AuditEvent.detail).where(
                AuditEvent.action == "sso.refused", col(AuditEvent.at) >= claims.issued_at
            )
        ).all()
        for detail in earlier:
            try:
                seen = json.loads(detail)
            except ValueError:
                continue
            if isinstance(seen, dict) and seen.get("email") == claims.email:
                return
    record_event(
        session,
        actor_id=None,  # nobody is signed in
        action="sso.refused",
        entity="person" if person_id is not None else "sign_in",
        entity_id=person_id,
        detail={"email": claims.email, "reason": reason, "issuer": claims.issuer},
    )
