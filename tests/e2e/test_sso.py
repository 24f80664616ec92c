"""Single sign-on in the real app, through Chromium, against a local provider.

The identity provider is `oidc-provider-mock` (a Flask OpenID Connect
provider) started in this process, so the test needs no outside service.
Stride gets Streamlit's `[auth]` secrets pointing at it through a secrets file
of its own (`STREAMLIT_SECRETS_FILES`); the redirect URI must name the port
the app will listen on, so that port is chosen before the server starts.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator

import oidc_provider_mock  # the test extra; CI must not skip this
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import Session, select

from db.engine import make_engine
from db.models import AuditEvent
from tests.e2e import conftest
from tests.e2e.conftest import (
    FIRST_LOAD_TIMEOUT_MS,
    StrideServer,
    StrideServers,
    dashboard_title,
    login_form,
    wait_for_app_idle,
)

pytestmark = pytest.mark.e2e

EMMA = "emma.lindqvist@northwind.example"  # a demo person (seed/demo.py)
STRANGER = "stranger@outside.example"
SSO_BUTTON = "Sign in with single sign-on"
USER_COOKIE = "_streamlit_user"  # Streamlit's identity cookie


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[str]:
    users = [
        oidc_provider_mock.User(
            sub=EMMA,
            # The provider's spelling need not match Stride's.
            claims={"email": "Emma.Lindqvist@Northwind.example", "email_verified": True},
        ),
        oidc_provider_mock.User(
            sub=STRANGER, claims={"email": STRANGER, "email_verified": True, "name": "Stranger"}
        ),
    ]
    with oidc_provider_mock.run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def sso_server(
    stride_servers: StrideServers,
    identity_provider: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> StrideServer:
    port = conftest._free_port()
    secrets_file = tmp_path_factory.mktemp("sso-secrets") / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(48)}"\n'
        'client_id = "stride"\n'
        'client_secret = "stride-client-secret"\n'
        f'server_metadata_url = "{identity_provider}/.well-known/openid-configuration"\n'
    )
    with pytest.MonkeyPatch.context() as patch:
        # The server must listen where the redirect URI points.
        patch.setattr(conftest, "_free_port", lambda: port)
        server = stride_servers.start(env={"STREAMLIT_SECRETS_FILES": str(secrets_file)})
    assert server.base_url == f"http://127.0.0.1:{port}"
    return server


def _sign_in_through_provider(page: Page, base_url: str, subject: str) -> None:
    page.goto(base_url)
    button = page.get_by_role("button", name=SSO_BUTTON)
    expect(button).to_be_visible(timeout=FIRST_LOAD_TIMEOUT_MS)
    button.click()
    # The provider's own page: pick the person (a real one asks for a password).
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name=subject, exact=True).click()
    page.wait_for_url(f"{base_url}/**")


def _refusals(server: StrideServer) -> list[dict[str, object]]:
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(AuditEvent.detail).where(AuditEvent.action == "sso.refused")
            ).all()
    finally:
        engine.dispose()
    return [json.loads(detail) for detail in rows]


def test_a_demo_person_signs_in_through_the_provider_and_out_again(
    page: Page, new_context: Callable[..., BrowserContext], sso_server: StrideServer
) -> None:
    base_url = sso_server.base_url
    _sign_in_through_provider(page, base_url, EMMA)
    expect(dashboard_title(page)).to_have_text("Hello, Emma", timeout=FIRST_LOAD_TIMEOUT_MS)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Emma Lindqvist")).to_be_visible()
    wait_for_app_idle(page)
    identity = [c for c in page.context.cookies() if str(c["name"]).startswith(USER_COOKIE)]
    assert identity, "Streamlit set no identity cookie"

    # A reload is a new Streamlit session: the identity cookie signs it in.
    page.reload()
    expect(dashboard_title(page)).to_have_text("Hello, Emma", timeout=FIRST_LOAD_TIMEOUT_MS)
    wait_for_app_idle(page)

    # Signing out goes through the provider's end-of-session page and back.
    sidebar.get_by_role("button", name="Sign out").click()
    end_session = page.get_by_role("button", name="End session")
    expect(end_session).to_be_visible()
    end_session.click()
    page.wait_for_url(f"{base_url}/**")
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible(timeout=FIRST_LOAD_TIMEOUT_MS)
    expect(dashboard_title(page)).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] == USER_COOKIE]

    # The old identity cookie, replayed in a fresh browser, is a session
    # that began before the sign-out: refused on the server.
    replay = new_context()
    replay.add_cookies(identity)  # type: ignore[arg-type]
    replayed = replay.new_page()
    replayed.goto(base_url)
    expect(replayed.get_by_text("Your session has ended")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )
    expect(dashboard_title(replayed)).to_have_count(0)
    # Password sign-in is still offered beside single sign-on.
    expect(login_form(replayed)).to_be_visible()


def test_an_unknown_e_mail_is_refused_and_audited(page: Page, sso_server: StrideServer) -> None:
    _sign_in_through_provider(page, sso_server.base_url, STRANGER)
    expect(page.get_by_text("Nobody with this e-mail address can sign in to Stride")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )
    # (An address is shown with a word joiner after "@", so it is no link.)
    expect(page.get_by_text("Your identity provider signed you in as stranger@")).to_be_visible()
    expect(dashboard_title(page)).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    wait_for_app_idle(page)
    # A reload does not repeat the audit row (one per identity token).
    page.reload()
    expect(page.get_by_text("Nobody with this e-mail address")).to_be_visible(
        timeout=FIRST_LOAD_TIMEOUT_MS
    )
    wait_for_app_idle(page)
    refusals = [r for r in _refusals(sso_server) if r.get("email") == STRANGER]
    assert len(refusals) == 1
    assert refusals[0]["reason"] == "unknown"
    assert set(refusals[0]) == {"email", "reason", "issuer"}  # no token
