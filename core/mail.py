"""Plain-text e-mail through an SMTP server the deployment configures.

The settings come from the environment (`STRIDE_SMTP_HOST`, …) or the
secrets' `[smtp]` section; the page layer reads both and hands them to
`smtp_settings`, so nothing here reads configuration by itself. Without a
host, e-mail is simply not configured and callers offer something else.

`send_messages` talks to the server over one connection for a whole batch
and reports each message's fate on its own: a refused recipient fails that
message only, a dropped connection is reopened once, and a server that
cannot be reached at all fails every message with the same reason. Reasons
are for people (HR) and never quote a message's body.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any, Literal

from core.errors import ConfigError

Security = Literal["starttls", "ssl", "none"]
Progress = Callable[[str, float], None]

SECURITY_CHOICES: tuple[Security, ...] = ("starttls", "ssl", "none")
DEFAULT_PORTS: dict[Security, int] = {"starttls": 587, "ssl": 465, "none": 25}
SMTP_TIMEOUT_S = 30.0
# Environment variable, then the key in the secrets' [smtp] section.
SETTING_NAMES: dict[str, str] = {
    "host": "STRIDE_SMTP_HOST",
    "port": "STRIDE_SMTP_PORT",
    "username": "STRIDE_SMTP_USERNAME",
    "password": "STRIDE_SMTP_PASSWORD",
    "from_address": "STRIDE_SMTP_FROM",
    "security": "STRIDE_SMTP_SECURITY",
}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    from_address: str  # as it goes into the From header, e.g. "Stride <hr@example.org>"
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = SMTP_TIMEOUT_S

    @property
    def envelope_sender(self) -> str:
        return parseaddr(self.from_address)[1]

    def describe(self) -> str:
        """Where mail goes, for the page (no credentials)."""
        how = {"starttls": "STARTTLS", "ssl": "SSL", "none": "no encryption"}[self.security]
        return f"{self.envelope_sender} via {self.host}:{self.port} ({how})"


def _setting(
    name: str, environ: Mapping[str, str], section: Mapping[str, Any] | None
) -> str | None:
    value: object = environ.get(SETTING_NAMES[name])
    if value is None or str(value).strip() == "":
        value = (section or {}).get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def smtp_settings(
    *, environ: Mapping[str, str], section: Mapping[str, Any] | None
) -> SmtpSettings | None:
    """The SMTP settings, or None when no host is configured. The environment
    wins over the secrets' `[smtp]` section, setting by setting. Incomplete or
    contradictory settings raise `ConfigError` with what to fix."""
    host = _setting("host", environ, section)
    if host is None:
        return None
    where = "(STRIDE_SMTP_… or [smtp] in secrets)"
    security = (_setting("security", environ, section) or "starttls").lower()
    if security not in SECURITY_CHOICES:
        raise ConfigError(
            f"SMTP security must be one of {', '.join(SECURITY_CHOICES)}, not {security!r} {where}."
        )
    chosen: Security = security
    port_text = _setting("port", environ, section)
    try:
        port = int(port_text) if port_text is not None else DEFAULT_PORTS[chosen]
    except ValueError:
        raise ConfigError(f"The SMTP port must be a number, not {port_text!r} {where}.") from None
    if not 0 < port < 65536:
        raise ConfigError(f"The SMTP port must be between 1 and 65535 {where}.")
    from_address = _setting("from_address", environ, section)
    if from_address is None or "@" not in parseaddr(from_address)[1]:
        raise ConfigError(
            f"Set the address invitations come from, e.g. hr@example.org {where}: "
            "STRIDE_SMTP_FROM or from_address."
        )
    username = _setting("username", environ, section)
    password = _setting("password", environ, section)
    if (username is None) != (password is None):
        raise ConfigError(f"Set both the SMTP username and password, or neither {where}.")
    if username is not None and chosen == "none":
        raise ConfigError(
            f"Refusing to send the SMTP password unencrypted: use security starttls or ssl {where}."
        )
    return SmtpSettings(
        host=host,
        port=port,
        from_address=from_address,
        security=chosen,
        username=username,
        password=password,
    )


@dataclass(frozen=True)
class OutgoingMessage:
    """One plain-text message to one person."""

    to_name: str
    to_address: str
    subject: str
    body: str


@dataclass(frozen=True)
class SendResult:
    to_address: str
    sent: bool
    problem: str | None = None  # why not, for people


def _header_text(text: str) -> str:
    """Names go into headers: no line breaks or other control characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def build_message(message: OutgoingMessage, *, settings: SmtpSettings) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = _header_text(message.subject)
    email["From"] = settings.from_address
    email["To"] = formataddr((_header_text(message.to_name), message.to_address))
    email["Message-ID"] = make_msgid(domain=settings.envelope_sender.rpartition("@")[2] or None)
    email.set_content(message.body)  # text/plain, UTF-8
    return email


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    server: smtplib.SMTP
    if settings.security == "ssl":
        server = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            server.starttls(context=context)
        if settings.username is not None and settings.password is not None:
            server.login(settings.username, settings.password)
    except BaseException:
        server.close()
        raise
    return server


def _server_says(code: int, text: bytes | str) -> str:
    said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {_header_text(said)}".strip()


def _connection_problem(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "the mail server refused Stride's SMTP username or password"
    if isinstance(error, ssl.SSLError | smtplib.SMTPNotSupportedError):
        return "could not set up an encrypted connection to the mail server"
    if isinstance(error, smtplib.SMTPResponseException):
        said = _server_says(error.smtp_code, error.smtp_error)
        return f"the mail server refused the connection ({said})"
    return f"could not reach the mail server ({type(error).__name__})"


def _message_problem(error: smtplib.SMTPException, to_address: str) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = error.recipients.get(to_address, (0, b""))
        return f"the mail server refused this address ({_server_says(code, reply)})"
    if isinstance(error, smtplib.SMTPSenderRefused):
        said = _server_says(error.smtp_code, error.smtp_error)
        return f"the mail server refused Stride's sender address ({said})"
    if isinstance(error, smtplib.SMTPResponseException):
        said = _server_says(error.smtp_code, error.smtp_error)
        return f"the mail server refused the message ({said})"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "the mail server does not accept this address (international addresses)"
    return f"the mail server refused the message ({type(error).__name__})"


def send_messages(
    messages: Sequence[OutgoingMessage],
    *,
    settings: SmtpSettings,
    progress: Progress | None = None,
    connect: Callable[[SmtpSettings], smtplib.SMTP] | None = None,
) -> list[SendResult]:
    """Send each message on its own; one result per message, in order.
    `connect` opens a signed-in connection (the default follows `settings`)."""
    opener = connect or _connect
    report = progress or (lambda _label, _share: None)
    results: list[SendResult] = []
    server: smtplib.SMTP | None = None
    gone: str | None = None  # the server cannot be reached: the rest fail alike
    total = len(messages)
    try:
        for number, message in enumerate(messages, start=1):
            report(f"Sending e-mail {number:,} of {total:,}…", (number - 1) / max(total, 1))
            if gone is not None:
                results.append(SendResult(message.to_address, sent=False, problem=gone))
                continue
            try:
                email = build_message(message, settings=settings)
            except (ValueError, TypeError):
                results.append(
                    SendResult(
                        message.to_address,
                        sent=False,
                        problem="the name or address cannot be used in an e-mail",
                    )
                )
                continue
            for attempt in (1, 2):  # a connection the server dropped is reopened once
                if server is None:
                    try:
                        server = opener(settings)
                    except (smtplib.SMTPException, OSError) as error:
                        gone = _connection_problem(error)
                        results.append(SendResult(message.to_address, sent=False, problem=gone))
                        break
                try:
                    server.send_message(
                        email, from_addr=settings.envelope_sender, to_addrs=[message.to_address]
                    )
                except smtplib.SMTPServerDisconnected as error:
                    server = None
                    if attempt == 1:
                        continue
                    problem = _connection_problem(error)
                except smtplib.SMTPException as error:
                    problem = _message_problem(error, message.to_address)
                except OSError as error:
                    # Timed out or reset mid-message: it may have gone out,
                    # so it is not sent again; the next one gets a new connection.
                    server.close()
                    server = None
                    problem = _connection_problem(error)
                else:
                    results.append(SendResult(message.to_address, sent=True))
                    break
                results.append(SendResult(message.to_address, sent=False, problem=problem))
                break
        report(f"{total:,} e-mails handled", 1.0)
    finally:
        if server is not None:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                server.close()
    return results
