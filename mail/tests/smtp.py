"""A real SMTP server on loopback (aiosmtpd) that keeps what arrives and
answers RCPT as a test tells it: a code for some addresses, for good or
for the first few tries."""

from __future__ import annotations

import email
import email.policy
import threading
from collections import defaultdict
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from testing.servers import free_port


class Handler:
    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.lock = threading.Lock()
        # address -> answers to give, in order; the last one stays.
        self.answers: dict[str, list[str]] = defaultdict(list)
        self.rcpt_tries: dict[str, int] = defaultdict(int)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_tries[address] += 1
            planned = self.answers.get(address) or []
            answer = planned.pop(0) if len(planned) > 1 else (planned[0] if planned else None)
        if answer and not answer.startswith("250"):
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    """`with SmtpServer() as smtp:` a server on 127.0.0.1:smtp.port."""

    def __init__(self) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.received)

    def answer(self, address: str, *answers: str) -> None:
        """Answer RCPT TO `address` with these, one per try (the last stays)."""
        self.handler.answers[address] = list(answers)

    def tries(self, address: str) -> int:
        return self.handler.rcpt_tries[address]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if address in str(m["To"])]
