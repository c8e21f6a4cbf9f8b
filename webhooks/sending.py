"""One HTTP POST of a webhook to a checked address (addresses.Target).

The standard library's http.client, with the connection opened to the
address that was checked rather than to the name again; TLS still checks
the certificate against the name. Redirects are not followed: a 3xx is a
failed attempt.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from .addresses import Target

EXCERPT_BYTES = 500
USER_AGENT = "RegistrantDashboard-Webhooks/1"


@dataclass
class Response:
    """What came back: a status and the start of the body, or an error."""

    status_code: int | None
    excerpt: str
    duration_ms: int
    error: str = ""


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()  # verifies the certificate against the name
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Response:
    """POST `body` to `target`; never raises for network trouble (the error
    is in the Response)."""
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = cls(target, timeout)
    started = time.monotonic()
    try:
        conn.request(
            "POST",
            target.path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        answer = conn.getresponse()
        excerpt = answer.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        return Response(answer.status, excerpt, _ms(started))
    except (OSError, http.client.HTTPException) as exc:
        return Response(None, "", _ms(started), error=f"{type(exc).__name__}: {exc}"[:300])
    finally:
        conn.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
