"""F6: one slow client does not starve the others (a real uvicorn).

A websocket that never reads listens beside three normal clients while 200
status changes go through the API. The server's sockets get a small fixed
send buffer (testing/uvicorn_small_buffers.py) and the slow client a small receive
window, so that its backlog fills within those 200 messages instead of
disappearing into megabytes of loopback buffers. The normal clients must get every change,
in commit order, each well within the send timeout (a fan-out held up by the
slow client would cost them SEND_TIMEOUT_SECONDS per stuck message), and the
server must give up on the slow client (close 4408) rather than buffer for
it forever.

Runs on PostgreSQL and on SQLite (the test database is a file there, see
conftest.py); with REDIS_URL set the server uses the Redis channel layer.
"""

from __future__ import annotations

import base64
import os
import socket
import threading
import time

import httpx
import pytest
from websockets.sync.client import connect

from accounts.tokens import token_create
from live.consumers import SEND_TIMEOUT_SECONDS
from registrants.models import StatusChange
from registrants.tests.factories import EventFactory, make_registrant, make_user
from testing.servers import UvicornServer, database_url_for_current_test_db, session_cookie_for

from .frames import recv_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CHANGES = 200
NORMAL_CLIENTS = 3
NOTE = "n" * 500  # the longest note: about 1.1 KB per message, 200 KB in all


@pytest.fixture
def server():
    with UvicornServer(
        env={
            "DATABASE_URL": database_url_for_current_test_db(),
            "LOG_LEVEL": "INFO",  # the consumer logs when it closes a slow client
        },
        send_buffer=16384,  # see testing/uvicorn_small_buffers.py: no megabytes of kernel buffer
    ) as server:
        yield server


def open_slow_client(base: str, event_id: int, cookie: str) -> socket.socket:
    """A websocket handshake over a raw socket that will never read again."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/events/{event_id}/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {base}\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    answer = b""
    sock.settimeout(10)
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)  # byte by byte: leave the first frame unread
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


class NormalClient(threading.Thread):
    """Reads everything; records each change message and when it arrived."""

    def __init__(self, base: str, event_id: int, cookie: str) -> None:
        super().__init__(daemon=True)
        ws_url = base.replace("http://", "ws://") + f"/ws/events/{event_id}/"
        self.ws = connect(
            ws_url,
            additional_headers={"Cookie": cookie, "Origin": base},
            open_timeout=10,
            max_size=None,
        ).__enter__()
        first = recv_message(self.ws, timeout=10)
        assert first["type"] == "numbers"
        self.changes: list[tuple[int, int, float]] = []  # (registrant, change id, received)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            deadline = time.monotonic() + 180
            while len(self.changes) < CHANGES and time.monotonic() < deadline:
                message = recv_message(self.ws, timeout=30)
                if message["type"] == "change" and message["kind"] == "status":
                    self.changes.append(
                        (
                            message["registrant"]["id"],
                            max(c["id"] for c in message["changes"]),
                            time.monotonic(),
                        )
                    )
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.ws.close()


def test_one_slow_client_does_not_starve_the_others(server):
    event = EventFactory(capacity=CHANGES + 10)
    people = [make_registrant(event, name=f"Guest {i:03d} " + "x" * 190) for i in range(CHANGES)]
    organiser = make_user("olga", "organiser")
    token = token_create(user=organiser)[1]

    slow = open_slow_client(server.url, event.pk, session_cookie_for(organiser))
    clients = [
        NormalClient(server.url, event.pk, session_cookie_for(organiser))
        for _ in range(NORMAL_CLIENTS)
    ]
    for client in clients:
        client.start()

    answered: dict[int, float] = {}
    with httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        for person in people:
            response = api.post(
                f"/api/v1/registrants/{person.pk}/transitions/",
                json={"to_status": "checked_in", "note": NOTE},
            )
            answered[person.pk] = time.monotonic()
            assert response.status_code == 200, response.text
    for client in clients:
        client.join(timeout=120)

    committed = list(
        StatusChange.objects.filter(event=event, to_status="checked_in")
        .order_by("id")
        .values_list("registrant_id", "id")
    )
    assert len(committed) == CHANGES
    for client in clients:
        assert client.error is None, repr(client.error)
        # Every change, each once, in commit order.
        assert [(r, c) for r, c, _ in client.changes] == committed
        slowest = max(received - answered[r] for r, _, received in client.changes)
        assert slowest < SEND_TIMEOUT_SECONDS, f"a change took {slowest:.2f} s to arrive"

    # The server gave up on the client that never read, instead of holding
    # ever more messages for it.
    deadline = time.monotonic() + 2 * SEND_TIMEOUT_SECONDS + 5
    while "closing a live client that stopped reading" not in server.log_text():
        assert time.monotonic() < deadline, (
            "the slow client was never closed: " + server.log_text()[-2000:]
        )
        time.sleep(0.2)
    slow.close()
