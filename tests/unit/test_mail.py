"""SMTP settings and the sending loop, with a stand-in for the server."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

import pytest

from core.errors import ConfigError
from core.mail import OutgoingMessage, SmtpSettings, build_message, send_messages, smtp_settings

SETTINGS = SmtpSettings(host="mail.example", port=587, from_address="HR <hr@example.org>")


def _message(address: str, name: str = "Nia Newcomer") -> OutgoingMessage:
    return OutgoingMessage(to_name=name, to_address=address, subject="Hello", body="Hi\n")


def test_no_host_means_no_email() -> None:
    assert smtp_settings(environ={}, section=None) is None
    assert smtp_settings(environ={"STRIDE_SMTP_HOST": " "}, section={"from_address": "a@b"}) is None


def test_defaults_and_the_environment_winning_over_secrets() -> None:
    section = {"host": "secret.example", "from_address": "hr@example.org", "security": "ssl"}
    settings = smtp_settings(environ={}, section=section)
    assert settings == SmtpSettings(
        host="secret.example", port=465, from_address="hr@example.org", security="ssl"
    )
    settings = smtp_settings(
        environ={"STRIDE_SMTP_HOST": "env.example", "STRIDE_SMTP_SECURITY": "STARTTLS"},
        section={**section, "username": "stride", "password": "pw"},
    )
    assert settings is not None
    assert (settings.host, settings.port, settings.security) == ("env.example", 587, "starttls")
    assert (settings.username, settings.password) == ("stride", "pw")
    assert "pw" not in repr(settings)  # the password stays out of logs and tracebacks
    assert settings.describe() == "hr@example.org via env.example:587 (STARTTLS)"


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"STRIDE_SMTP_HOST": "m"}, "address invitations come from"),
        ({"STRIDE_SMTP_HOST": "m", "STRIDE_SMTP_FROM": "not an address"}, "come from"),
        ({"STRIDE_SMTP_HOST": "m", "STRIDE_SMTP_FROM": "a@b", "STRIDE_SMTP_PORT": "x"}, "number"),
        ({"STRIDE_SMTP_HOST": "m", "STRIDE_SMTP_FROM": "a@b", "STRIDE_SMTP_PORT": "0"}, "between"),
        (
            {"STRIDE_SMTP_HOST": "m", "STRIDE_SMTP_FROM": "a@b", "STRIDE_SMTP_SECURITY": "tls"},
            "one of",
        ),
        ({"STRIDE_SMTP_HOST": "m", "STRIDE_SMTP_FROM": "a@b", "STRIDE_SMTP_USERNAME": "u"}, "both"),
        (
            {
                "STRIDE_SMTP_HOST": "m",
                "STRIDE_SMTP_FROM": "a@b",
                "STRIDE_SMTP_SECURITY": "none",
                "STRIDE_SMTP_USERNAME": "u",
                "STRIDE_SMTP_PASSWORD": "p",
            },
            "unencrypted",
        ),
    ],
)
def test_bad_settings_say_what_to_fix(values: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        smtp_settings(environ=values, section=None)


def test_a_name_cannot_add_headers() -> None:
    email = build_message(
        _message("nia@example.org", name="Nia\r\nBcc: all@example.org"), settings=SETTINGS
    )
    assert email["To"] == '"Nia Bcc: all@example.org" <nia@example.org>'
    assert email["Bcc"] is None
    assert email.get_content_type() == "text/plain"


class FakeServer:
    """Accepts messages; `drop_before` disconnects once before that message,
    `refuse` refuses those recipients."""

    def __init__(self, log: list[str], *, drop_before: str | None = None, refuse: str = "") -> None:
        self.log = log
        self.drop_before = drop_before
        self.refuse = refuse

    def send_message(self, email: EmailMessage, *, from_addr: str, to_addrs: list[str]) -> Any:
        [to] = to_addrs
        if to == self.drop_before:
            self.drop_before = None
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        if to == self.refuse:
            raise smtplib.SMTPRecipientsRefused({to: (550, b"No such user")})
        self.log.append(f"sent {to}")
        return {}

    def quit(self) -> None:
        self.log.append("quit")

    def close(self) -> None:
        self.log.append("close")


def test_a_dropped_connection_is_reopened_and_a_refusal_fails_one_message() -> None:
    log: list[str] = []
    servers = iter(
        [
            FakeServer(log, drop_before="b@example.org"),
            FakeServer(log, refuse="c@example.org"),
        ]
    )

    def connect(_settings: SmtpSettings) -> Any:
        log.append("connect")
        return next(servers)

    addresses = ["a@example.org", "b@example.org", "c@example.org", "d@example.org"]
    results = send_messages([_message(a) for a in addresses], settings=SETTINGS, connect=connect)

    assert [r.sent for r in results] == [True, True, False, True]
    assert results[2].problem == "the mail server refused this address (550 No such user)"
    assert log == [
        "connect",
        "sent a@example.org",
        "connect",
        "sent b@example.org",
        "sent d@example.org",
        "quit",
    ]


def test_a_server_that_cannot_be_reached_fails_every_message_alike() -> None:
    attempts: list[int] = []

    def connect(_settings: SmtpSettings) -> Any:
        attempts.append(1)
        raise ConnectionRefusedError(111, "Connection refused")

    shares: list[float] = []
    results = send_messages(
        [_message("a@example.org"), _message("b@example.org")],
        settings=SETTINGS,
        connect=connect,
        progress=lambda _label, share: shares.append(share),
    )
    assert [r.sent for r in results] == [False, False]
    assert {r.problem for r in results} == {
        "could not reach the mail server (ConnectionRefusedError)"
    }
    assert attempts == [1]  # not once per person
    assert shares == [0.0, 0.5, 1.0]


def test_a_wrong_password_is_named() -> None:
    def connect(_settings: SmtpSettings) -> Any:
        raise smtplib.SMTPAuthenticationError(535, b"Authentication failed")

    [result] = send_messages([_message("a@example.org")], settings=SETTINGS, connect=connect)
    assert result.problem == "the mail server refused Stride's SMTP username or password"
