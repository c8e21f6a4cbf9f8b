"""Reading the stream as the page does: a frame holds one message or, when
several queued up on the server, a JSON array of them in order
(fanout.joined). These hand the tests one message at a time."""

from __future__ import annotations

import json
import time
from typing import Any


def messages_in(frame: Any) -> list[dict]:
    """The messages of one decoded frame, in order."""
    return list(frame) if isinstance(frame, list) else [frame]


async def receive_message(comm, timeout: float = 5) -> dict:
    """The next message on a WebsocketCommunicator."""
    pending = comm.__dict__.setdefault("pending_messages", [])
    if not pending:
        pending.extend(messages_in(await comm.receive_json_from(timeout=timeout)))
    return pending.pop(0)


def recv_message(ws, timeout: float) -> dict:
    """The next message on a websockets (sync) client connection."""
    pending = ws.__dict__.setdefault("pending_messages", [])
    deadline = time.monotonic() + timeout
    while not pending:
        pending.extend(
            messages_in(json.loads(ws.recv(timeout=max(0.0, deadline - time.monotonic()))))
        )
    return pending.pop(0)
