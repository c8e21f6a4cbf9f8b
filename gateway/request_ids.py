"""X-Request-ID for the gateway's raw ASGI answers: the caller's id when
sane (config/request_log.py's rule), else a new one, added to the response's
headers. The web app does the same in RequestLogMiddleware."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from config.request_log import request_id_for

HEADER = b"x-request-id"

Send = Callable[[dict[str, Any]], Awaitable[None]]


def for_scope(scope: dict[str, Any]) -> str:
    """The request's id, from its X-Request-ID header when sane."""
    for name, value in scope["headers"]:  # ASGI: names are lower-case
        if name == HEADER:
            return request_id_for(value.decode("latin-1"))
    return request_id_for(None)


def sending(send: Send, request_id: str) -> Send:
    """`send`, adding X-Request-ID to the response's start message."""
    raw = request_id.encode("latin-1")

    async def send_with_id(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), (HEADER, raw)]}
        await send(message)

    return send_with_id
