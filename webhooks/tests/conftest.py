"""Webhook test fixtures: a real HTTP receiver on loopback (a threaded
http.server) that records what arrives and answers what the test scripts."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from testing.servers import use_a_file_for_the_sqlite_test_db
from webhooks import signing


def pytest_configure(config):
    # The gateway's Django thread and the test share the SQLite database.
    use_a_file_for_the_sqlite_test_db()


class Receiver:
    """Records each POST (headers, raw body); answers the scripted statuses
    in order, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: deque[int] = deque()
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.script.popleft() if receiver.script else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answer {status} for {body[:30]!r}".encode())
                with receiver.arrived:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    receiver.arrived.notify_all()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def verified(self, secret: str) -> list[bool]:
        """Whether each request's signature verifies under `secret`."""
        return [
            signing.verify(secret, r["headers"][signing.HEADER], r["body"]) for r in self.requests
        ]

    def wait_for(self, n: int, timeout: float = 60) -> list[dict]:
        """Block until `n` requests arrived (a real worker's deliveries)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= n, timeout=timeout)
        return self.requests

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()
