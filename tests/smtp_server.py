"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd in a thread): it keeps
what it receives and refuses recipients whose address says so."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

REFUSE_MARK = "refused"  # any recipient address containing this is refused
REFUSAL = "550 5.1.1 No such mailbox here"


@dataclass
class Delivery:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class _Handler:
    deliveries: list[Delivery] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if REFUSE_MARK in address:
            return REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.arrived:
            self.deliveries.append(
                Delivery(str(envelope.mail_from), list(envelope.rcpt_tos), parsed)
            )
            self.arrived.notify_all()
        return "250 Message accepted"


@dataclass
class LocalSmtpServer:
    host: str
    port: int
    handler: _Handler

    @property
    def deliveries(self) -> list[Delivery]:
        return list(self.handler.deliveries)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Delivery]:
        """The first `count` deliveries, once they have arrived."""
        with self.handler.arrived:
            arrived = self.handler.arrived.wait_for(
                lambda: len(self.handler.deliveries) >= count, timeout
            )
        assert arrived, f"{len(self.handler.deliveries)} of {count} e-mails arrived"
        return self.deliveries[:count]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_smtp_server(port: int | None = None) -> Iterator[LocalSmtpServer]:
    handler = _Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield LocalSmtpServer(controller.hostname, controller.port, handler)
    finally:
        controller.stop()
