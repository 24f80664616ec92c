"""Single sign-on rules with no database: settings, claims, matching."""

from datetime import UTC, datetime, timedelta

import pytest

from core import sso
from core.errors import ConfigError

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
SECRET = "s" * 40
AUTH = {
    "cookie_key": "k" * 48,  # Stride's own key lives in [auth] too
    "redirect_uri": "https://stride.example.org/oauth2callback",
    "cookie_secret": SECRET,
    "client_id": "stride",
    "client_secret": "client-secret",
    "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
}


def claims(**values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "is_logged_in": True,
        "iss": "https://idp.example.org",
        "sub": "abc",
        "email": "Emma@Example.org",
        "email_verified": True,
        "iat": int(NOW.timestamp()) - 30,
    }
    base.update(values)
    return {k: v for k, v in base.items() if v is not None}


# --- settings --------------------------------------------------------------------


def test_no_provider_means_no_single_sign_on() -> None:
    assert sso.sso_settings(auth_section=None, app_section=None) is None
    assert sso.sso_settings(auth_section={"cookie_key": "k" * 48}, app_section=None) is None
    assert sso.sso_settings(auth_section={"cookie_secret": SECRET}, app_section=None) is None


def test_a_full_provider_section_turns_it_on() -> None:
    settings = sso.sso_settings(auth_section=AUTH, app_section=None)
    assert settings == sso.SsoSettings(require_verified_email=True)


@pytest.mark.parametrize("missing", ["redirect_uri", "cookie_secret", "client_secret"])
def test_a_half_configured_provider_names_what_is_missing(missing: str) -> None:
    section = {k: v for k, v in AUTH.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        sso.sso_settings(auth_section=section, app_section=None)


@pytest.mark.parametrize("secret", ["xxx", "short-secret"])
def test_weak_or_sample_cookie_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ConfigError, match="cookie_secret"):
        sso.sso_settings(auth_section={**AUTH, "cookie_secret": secret}, app_section=None)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("redirect_uri", "/oauth2callback"),
        ("redirect_uri", "https://stride.example.org/"),
        ("server_metadata_url", "idp.example.org/.well-known/openid-configuration"),
    ],
)
def test_urls_must_be_absolute_and_end_at_the_callback(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key):
        sso.sso_settings(auth_section={**AUTH, key: value}, app_section=None)


def test_unverified_e_mails_can_be_trusted_by_choice() -> None:
    settings = sso.sso_settings(
        auth_section=AUTH, app_section={"sso_require_verified_email": False}
    )
    assert settings == sso.SsoSettings(require_verified_email=False)
    with pytest.raises(ConfigError, match="sso_require_verified_email"):
        sso.sso_settings(auth_section=AUTH, app_section={"sso_require_verified_email": "maybe"})


@pytest.mark.parametrize(
    ("environ", "app", "expected"),
    [
        ({}, None, True),
        ({}, {"password_sign_in": False}, False),
        ({}, {"password_sign_in": "true"}, True),
        ({"STRIDE_PASSWORD_SIGN_IN": "0"}, None, False),
        ({"STRIDE_PASSWORD_SIGN_IN": "off"}, {"password_sign_in": True}, False),
        ({"STRIDE_PASSWORD_SIGN_IN": "1"}, {"password_sign_in": False}, True),
    ],
)
def test_password_sign_in_switch_environment_first(
    environ: dict[str, str], app: dict[str, object] | None, expected: bool
) -> None:
    assert sso.password_sign_in_enabled(environ=environ, app_section=app) is expected


def test_an_unreadable_switch_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="STRIDE_PASSWORD_SIGN_IN"):
        sso.password_sign_in_enabled(environ={"STRIDE_PASSWORD_SIGN_IN": "nope"}, app_section={})


def test_switching_passwords_off_needs_single_sign_on() -> None:
    with pytest.raises(ConfigError, match="nobody could sign in"):
        sso.check_sign_in_methods(sso=None, password_sign_in=False)
    sso.check_sign_in_methods(sso=sso.SsoSettings(), password_sign_in=False)
    sso.check_sign_in_methods(sso=None, password_sign_in=True)


# --- claims ------------------------------------------------------------------------


def test_claims_are_read_and_the_e_mail_normalised() -> None:
    read = sso.read_claims(claims(email="  Emma@Example.ORG "))
    assert read.email == "emma@example.org"
    assert read.email_verified is True
    assert read.issued_at == NOW - timedelta(seconds=30)
    assert read.issuer == "https://idp.example.org"


@pytest.mark.parametrize(
    ("verified", "expected"),
    [
        (True, True),
        ("true", True),
        ("TRUE", True),
        (False, False),
        ("false", False),
        (None, False),
        (1, False),
    ],
)
def test_email_verified_must_say_true(verified: object, expected: bool) -> None:
    assert sso.read_claims(claims(email_verified=verified)).email_verified is expected


@pytest.mark.parametrize("iat", [None, "1700000000", True, float("inf")])
def test_an_unreadable_issue_time_counts_as_missing(iat: object) -> None:
    assert sso.read_claims(claims(iat=iat)).issued_at is None


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"email": None}, "no_email"),
        ({"email": ""}, "no_email"),
        ({"email": "not-an-address"}, "no_email"),
        ({"email": 42}, "no_email"),
        ({"email_verified": None}, "unverified_email"),
        ({"email_verified": False}, "unverified_email"),
        ({"iat": None}, "no_issue_time"),
        ({"iat": int((NOW - sso.SSO_SESSION_MAX_AGE).timestamp()) - 1}, "expired"),
        ({"iat": int((NOW + sso.CLOCK_SKEW).timestamp()) + 1}, "expired"),
        ({}, None),
        ({"iat": int((NOW + timedelta(seconds=30)).timestamp())}, None),  # a clock ahead
    ],
)
def test_identity_problems(values: dict[str, object], reason: str | None) -> None:
    read = sso.read_claims(claims(**values))
    assert sso.identity_problem(read, require_verified_email=True, now=NOW) == reason


def test_an_unverified_e_mail_passes_only_when_trusted() -> None:
    read = sso.read_claims(claims(email_verified=None))
    assert sso.identity_problem(read, require_verified_email=False, now=NOW) is None


def test_the_session_starts_at_the_end_of_the_issue_second() -> None:
    read = sso.read_claims(claims(iat=int(NOW.timestamp())))
    start = sso.session_start(read)
    assert NOW < start < NOW + timedelta(seconds=1)
    # A sign-out in the same second as the sign-in does not end the new session …
    signed_out = NOW + timedelta(milliseconds=400)
    assert start >= signed_out
    # … but one a second later does.
    assert start < NOW + timedelta(seconds=1)


def test_every_reason_has_a_message() -> None:
    assert set(sso.REFUSAL_MESSAGES) == set(sso.Reason.__args__)  # type: ignore[attr-defined]
    # Unknown and inactive read alike: the page does not tell who works here.
    assert sso.REFUSAL_MESSAGES["unknown"] == sso.REFUSAL_MESSAGES["inactive"]


# --- matching ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ([], ("unknown", None, None)),
        ([(1, True, "emma")], ("matched", 1, "emma")),
        ([(1, False, "emma")], ("inactive", None, None)),
        ([(1, True, None)], ("inactive", None, None)),  # a person without an account
        ([(1, False, "old-emma"), (2, True, "emma")], ("matched", 2, "emma")),
        ([(1, True, "emma"), (2, True, "emma2")], ("ambiguous", None, None)),
    ],
)
def test_match_person(
    candidates: list[tuple[int, bool, str | None]], expected: tuple[object, ...]
) -> None:
    assert sso.match_person(candidates) == expected
