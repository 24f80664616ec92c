"""Login glue between streamlit-authenticator, st.login and core.auth/core.sso.

streamlit-authenticator renders the form and signs the re-login cookie. It
expects a credentials dict of every user; we hand it `_AccountDirectory`, a
dict that loads one account at a time from the database, so 10,000 accounts
cost one indexed query per login instead of a table scan per rerun. Decisions
(lockout, inactive people, session validity) stay in core.auth.

Single sign-on (OpenID Connect) is Streamlit's own `st.login`: its cookie
brings the identity's claims to every new session as `st.user`, and
core.sso decides whom they name (once per session); core.auth.resolve_actor
then re-checks that session on every rerun, as it does a password session.
"""

from __future__ import annotations

import html
import logging
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.models import cookie_model as library_cookie_model
from streamlit_authenticator.utilities.exceptions import LoginError

from core import auth, first_run, sso
from core.access import Actor
from core.errors import AuthError, Busy, ConfigError
from core.runtime import unit_of_work
from core.text import markdown_literal
from db.engine import DATA_DIR

log = logging.getLogger(__name__)

COOKIE_NAME = "stride_session"
COOKIE_EXPIRY_DAYS = 7.0
_AUTHENTICATED_AT = "stride_authenticated_at"
_ACTOR = "stride_actor"
_NOTICE = "stride_login_notice"
_FAILED_AT = "stride_login_failed_at"
_PENDING_COOKIE = "stride_pending_cookie"
_SSO = "stride_sso"
_METHOD = "stride_sign_in_method"


class _ScriptCookies:
    """Stands in for extra_streamlit_components' CookieManager inside
    streamlit-authenticator.

    The library's manager draws a component on every run that reports the
    browser's cookies back; the report reruns the page just after it loads,
    and a grid edit or a click made in that moment was lost. Cookies are read
    from `st.context.cookies` instead (the library already does), and written
    by a script that reports nothing (`_draw_cookie_script`).
    """

    def __init__(self, key: str = "init") -> None:
        self.cookies: dict[str, str] = {}

    def get(self, cookie: str) -> str | None:
        return self.cookies.get(cookie)

    def set(self, cookie: str, val: str, *args: Any, **kwargs: Any) -> None:
        self.cookies[cookie] = str(val)

    def delete(self, cookie: str, key: str = "delete") -> None:
        self.cookies.pop(cookie, None)


library_cookie_model.stx = SimpleNamespace(CookieManager=_ScriptCookies)


class _AccountDirectory(dict[str, dict[str, Any]]):
    """The `usernames` mapping streamlit-authenticator reads, backed by the DB.

    A fresh one is made on every rerun, so `last_attempt` names the username
    looked up in this run only (the one a submitted form asked for).
    """

    last_attempt: str | None = None

    def _load(self, username: str) -> dict[str, Any] | None:
        key = auth.normalise_username(username)
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        with unit_of_work(read_only=True) as session:
            credentials = auth.get_login_credentials(session, username=key)
        if credentials is None:
            return None
        entry = {
            "name": credentials.full_name,
            "email": credentials.email,
            "password": credentials.password_hash,
            "roles": None,
            "failed_login_attempts": 0,
            "logged_in": False,
        }
        dict.__setitem__(self, key, entry)
        return entry

    def __contains__(self, username: object) -> bool:
        self.last_attempt = username if isinstance(username, str) else None
        if not isinstance(username, str) or self._load(username) is None:
            # Unknown, inactive or locked: spend a password check's time anyway.
            auth.spend_password_check_time()
            return False
        return True

    def __getitem__(self, username: str) -> dict[str, Any]:
        entry = self._load(username)
        if entry is None:
            raise KeyError(username)
        return entry

    def get(self, username: str, default: Any = None) -> Any:
        entry = self._load(username) if isinstance(username, str) else None
        return default if entry is None else entry


def _secrets_section(name: str) -> Mapping[str, Any] | None:
    try:
        section = st.secrets.get(name)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return None
    # A secrets section is Streamlit's AttrDict, a Mapping but no dict.
    return section if isinstance(section, Mapping) else None


def sign_in_methods() -> tuple[sso.SsoSettings | None, bool]:
    """(single sign-on settings or None, whether password sign-in is on).
    Raises ConfigError for settings nobody could sign in with."""
    app_section = _secrets_section("app")
    settings = sso.sso_settings(auth_section=_secrets_section("auth"), app_section=app_section)
    password = sso.password_sign_in_enabled(environ=os.environ, app_section=app_section)
    sso.check_sign_in_methods(sso=settings, password_sign_in=password)
    return settings, password


def configured_cookie_key() -> str | None:
    try:
        secret = st.secrets.get("auth", {}).get("cookie_key")
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        secret = None
    return secret or os.environ.get("STRIDE_COOKIE_KEY")


def _authenticator(cookie_key: str) -> stauth.Authenticate:
    authenticator = stauth.Authenticate(
        {"usernames": {}},
        COOKIE_NAME,
        cookie_key,
        COOKIE_EXPIRY_DAYS,
        auto_hash=False,
        # The library pauses (0.7 s by default) for its cookie component to
        # report; there is none (_ScriptCookies), so nothing to wait for.
        login_sleep_time=0,
    )
    directory = _AccountDirectory()
    authenticator.authentication_controller.authentication_model.credentials["usernames"] = (
        directory
    )
    return authenticator


def _cookie_issued_at(cookie_key: str) -> tuple[str, datetime] | None:
    """(username, issue time) of a valid re-login cookie, if the browser sent one."""
    token = st.context.cookies.get(COOKIE_NAME)
    if not token:
        return None
    try:
        payload = jwt.decode(token, cookie_key, algorithms=["HS256"])
        expires = datetime.fromtimestamp(float(payload["exp_date"]), tz=UTC)
        username = str(payload["username"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None
    return username, expires - timedelta(days=COOKIE_EXPIRY_DAYS)


def notice_on_sign_in(message: str) -> None:
    """A message the sign-in form shows on its next run."""
    st.session_state[_NOTICE] = message


def first_run_pending() -> bool:
    """An empty database without the demo: nobody could sign in yet."""
    with unit_of_work() as session:
        return first_run.needs_first_run(session)


LOGO = "app_pages/assets/stride-logo.svg"
ICON = "app_pages/assets/stride-icon.svg"


def _sign_in_heading() -> first_run.SignInPage:
    with unit_of_work(read_only=True) as session:
        page = first_run.get_sign_in_page(session)
    st.image(LOGO, width=180)
    if page.organisation:
        st.caption(markdown_literal(f"Performance and growth at {page.organisation}"))
    return page


def _sign_in_messages(*, demo_loaded: bool) -> None:
    failed_at = st.session_state.get(_FAILED_AT)
    # Shown for a few seconds, not one run, so that a rerun right after a
    # refused sign-in (a widget, a reconnect) does not wipe it unread.
    if failed_at is not None and time.monotonic() - failed_at < 8:
        st.error(
            "Username or password is incorrect. After "
            f"{auth.MAX_FAILED_LOGINS} failed attempts in a row, new sign-ins to the "
            f"account pause for {int(auth.FIRST_LOCKOUT.total_seconds() // 60)} minute, "
            f"longer if failures go on (at most "
            f"{int(auth.MAX_LOCKOUT.total_seconds() // 60)} minutes)."
        )
    if notice := st.session_state.pop(_NOTICE, None):
        st.info(notice)
    if demo_loaded:
        st.info(DEMO_NOTE, icon=":material/info:")


DEMO_NOTE = (
    "**This is the Northwind Labs demo.** Every demo account's password is "
    "`stride-demo`: sign in as `emma` (an employee), `maya` (her manager), "
    "`daniel` (a director) or `hana` (HR)."
)


def _sign_in_placeholder() -> None:
    """The one page registered while nobody is signed in; never run."""


def _sso_actor(settings: sso.SsoSettings) -> Actor | None:
    """The person the single sign-on identity names, if it is accepted.

    core.sso matches the identity once per browser session (and records the
    sign-in or the refusal); every rerun re-checks the session like a
    password one, so signing out elsewhere, a reset or deactivation ends it.
    """
    if not st.user.get("is_logged_in"):
        st.session_state.pop(_SSO, None)
        return None
    claims = st.user.to_dict()
    signature = (claims.get("email"), claims.get("iat"), claims.get("iss"))
    state = st.session_state.get(_SSO)
    if not isinstance(state, dict) or state.get("signature") != signature:
        try:
            with unit_of_work() as session:
                outcome = sso.sign_in_with_sso(session, user_info=claims, settings=settings)
        except Busy as busy:
            st.error(str(busy))
            st.stop()
        state = {"signature": signature, "outcome": outcome, "ended": None}
        st.session_state[_SSO] = state
    outcome = state["outcome"]
    if not isinstance(outcome, sso.SsoAccepted) or state["ended"]:
        return None
    try:
        with unit_of_work(read_only=True) as session:
            actor = auth.resolve_actor(
                session, username=outcome.username, authenticated_at=outcome.authenticated_at
            )
    except AuthError as ended:
        # Signed out (here or elsewhere), reset or deactivated since the
        # identity token was issued: a new st.login brings a fresh one.
        state["ended"] = str(ended)
        st.session_state.pop(_ACTOR, None)
        return None
    st.session_state[_ACTOR] = actor
    st.session_state[_METHOD] = "sso"
    return actor


def _sso_choice(settings: sso.SsoSettings | None) -> None:
    """The single sign-on button, and why the last identity was refused."""
    if settings is None:
        return
    state = st.session_state.get(_SSO)
    if isinstance(state, dict):
        outcome = state.get("outcome")
        if isinstance(outcome, sso.SsoRefused):
            # A fixed message of core.sso, no user text.
            st.error(outcome.message, icon=":material/block:")
            email = st.user.get("email")
            if isinstance(email, str) and email:
                st.caption(markdown_literal(f"Your identity provider signed you in as {email}."))
        elif state.get("ended"):
            st.info(markdown_literal(str(state["ended"])))
    if st.button(
        "Sign in with single sign-on",
        key="stride_sso_login",
        type="primary",
        icon=":material/login:",
        width="stretch",
    ):
        st.login()


def _stop_on_sign_in_page() -> None:
    # Nobody is signed in: no page of the previous person stays offered.
    st.navigation([st.Page(_sign_in_placeholder, title="Sign in")], position="hidden")
    st.stop()


def require_login() -> Actor:
    """Return the signed-in person, or render the sign-in page and stop."""
    try:
        cookie_key = auth.resolve_cookie_key(configured=configured_cookie_key(), data_dir=DATA_DIR)
        sso_settings, password_sign_in = sign_in_methods()
    except ConfigError as problem:
        st.error(markdown_literal(f"Stride cannot start: {problem}"))
        st.stop()
    if sso_settings is not None:
        actor = _sso_actor(sso_settings)
        if actor is not None:
            return actor
    if not password_sign_in:
        _margin, column, _margin_too = st.columns([1, 1.4, 1])
        with column:
            _sign_in_heading()
            _sso_choice(sso_settings)
            if notice := st.session_state.pop(_NOTICE, None):
                st.info(notice)
        _stop_on_sign_in_page()
    authenticator = _authenticator(cookie_key)
    was_signed_in = bool(st.session_state.get("authentication_status"))
    cookie = _cookie_issued_at(cookie_key)
    refused_cookie = False
    if not was_signed_in and cookie is not None:
        username, issued_at = cookie
        try:
            with unit_of_work(read_only=True) as session:
                auth.resolve_actor(session, username=username, authenticated_at=issued_at)
        except AuthError:
            # Logged out, reset, locked or deactivated since the cookie was set:
            # make the library ignore the cookie for this browser session.
            st.session_state["logout"] = True
            cookie = None
            refused_cookie = True

    # The form lives in a slot that is emptied after sign-in, so the page's
    # first element keeps its place between reruns and the dashboard does not
    # show twice (old and new) while the next run draws it.
    login_slot = st.empty()
    with login_slot.container():
        _margin, form_column, _margin_too = st.columns([1, 1.4, 1])
    with form_column:
        page = _sign_in_heading()
        _sso_choice(sso_settings)
        if sso_settings is not None:
            st.caption("Or with your Stride username and password:")
        try:
            authenticator.login(
                location="main",
                fields={"Form name": "Sign in to Stride", "Login": "Sign in"},
                key="stride_login",
            )
        except LoginError:
            st.session_state["logout"] = True
            st.session_state["authentication_status"] = None

    status = st.session_state.get("authentication_status")
    directory: _AccountDirectory = (
        authenticator.authentication_controller.authentication_model.credentials["usernames"]
    )
    if status is False:
        attempted = directory.last_attempt
        if attempted:
            try:
                with unit_of_work() as session:
                    auth.register_failed_login(session, username=attempted)
            except Busy:
                # The answer is the same either way: the password was wrong.
                log.warning("a failed sign-in could not be counted: database busy")
        st.session_state[_FAILED_AT] = time.monotonic()
    if not status:
        with form_column:
            _sign_in_messages(demo_loaded=page.demo_loaded)
        if refused_cookie or st.session_state.get("logout"):
            _delete_cookie()
        _stop_on_sign_in_page()

    login_slot.empty()
    username = str(st.session_state["username"])
    if not was_signed_in:
        from_cookie = cookie is not None and not st.session_state.get("logout")
        st.session_state[_AUTHENTICATED_AT] = (
            cookie[1] if from_cookie and cookie else (datetime.now(UTC))
        )
        if not from_cookie:
            try:
                with unit_of_work() as session:
                    auth.register_successful_login(session, username=username)
            except Busy as busy:
                # Signed in but not recorded: refuse rather than leave no trace.
                _forget_session(str(busy))
                st.rerun()
            _remember_new_cookie(authenticator)
    _keep_setting_cookie()
    try:
        with unit_of_work(read_only=True) as session:
            actor = auth.resolve_actor(
                session, username=username, authenticated_at=st.session_state[_AUTHENTICATED_AT]
            )
    except AuthError as ended:
        _forget_session(str(ended))
        st.rerun()
    st.session_state[_ACTOR] = actor
    st.session_state[_METHOD] = "password"
    st.session_state["stride_authenticator"] = authenticator
    return actor


def _cookie_manager(authenticator: stauth.Authenticate) -> _ScriptCookies:
    manager = authenticator.cookie_controller.cookie_model.cookie_manager
    assert isinstance(manager, _ScriptCookies)
    return manager


def _remember_new_cookie(authenticator: stauth.Authenticate) -> None:
    """Keep the token the library signed in the run that accepted the form,
    so that every later run of this session can draw its writer."""
    token = _cookie_manager(authenticator).cookies.get(COOKIE_NAME)
    expires = authenticator.cookie_controller.cookie_model.exp_date
    if token and expires:
        st.session_state[_PENDING_COOKIE] = {"token": token, "expires": expires}


def _keep_setting_cookie() -> None:
    """Draw the writer in the same place on every run of the session: an
    identical element is not drawn twice, so it runs once, and a rerun that
    overtakes the first draw draws it again."""
    pending = st.session_state.get(_PENDING_COOKIE)
    if not pending or st.context.cookies.get(COOKIE_NAME) == pending["token"]:
        return
    _draw_cookie_script(COOKIE_NAME, pending["token"], expires_at=float(pending["expires"]))


def _delete_cookie() -> None:
    """Remove a refused or signed-out cookie from the browser (the server
    already refuses it; this just tidies up)."""
    st.session_state.pop(_PENDING_COOKIE, None)
    _draw_cookie_script(COOKIE_NAME, "", expires_at=0.0)


# One constant script for every cookie write, so a Content-Security-Policy can
# allow it by its hash (README, security headers); the values ride in data
# attributes of the script element itself.
COOKIE_SCRIPT = (
    "(function (s) { document.cookie = s.dataset.name + '=' + s.dataset.value"
    " + '; path=/; SameSite=Strict; expires=' + new Date(Number(s.dataset.expires)).toUTCString()"
    " + (location.protocol === 'https:' ? '; Secure' : ''); })(document.currentScript);"
)


def _draw_cookie_script(name: str, value: str, *, expires_at: float) -> None:
    # The container hides itself: a zero-height element still takes a row gap.
    st.html(
        "<style>div[data-testid=stElementContainer]:has(script.stride-cookie)"
        "{display:none}</style>"
        f'<script class="stride-cookie" data-name="{html.escape(name)}"'
        f' data-value="{html.escape(value)}" data-expires="{expires_at * 1000:.0f}">'
        f"{COOKIE_SCRIPT}</script>",
        unsafe_allow_javascript=True,
    )


def _forget_session(notice: str) -> None:
    for key in ("name", "username", "authentication_status", "email", "roles", _ACTOR):
        st.session_state[key] = None
    st.session_state["logout"] = True
    st.session_state[_NOTICE] = notice


def logout(actor: Actor) -> None:
    """End every session of this account on the server, then forget this one."""
    try:
        with unit_of_work() as session:
            auth.end_sessions(session, username=actor.username)
    except Busy as busy:
        # Still signed in everywhere: say so instead of seeming to sign out.
        st.error(str(busy))
        st.stop()
    if st.session_state.get(_METHOD) == "sso":
        # Streamlit forgets the identity cookie and ends the provider's session.
        st.session_state.pop(_SSO, None)
        st.session_state.pop(_METHOD, None)
        _forget_session("You have signed out.")
        st.logout()
        # No rerun after it: a run starting now races the browser's redirect
        # to the provider's end-of-session page, and sometimes won.
        st.stop()
    else:
        authenticator: stauth.Authenticate | None = st.session_state.get("stride_authenticator")
        if authenticator is not None:
            authenticator.logout(location="unrendered")
    _forget_session("You have signed out.")


def current_actor() -> Actor:
    actor = st.session_state.get(_ACTOR)
    if not isinstance(actor, Actor):
        st.error("Please sign in.")
        st.stop()
    return actor
