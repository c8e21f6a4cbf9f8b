"""The gateway's HTTP plumbing: ASGI answers and requests read in one pass,
JSON bodies read as the DRF API reads them, and the error answers."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

from registrants.api.errors import error_body
from registrants.api.parsers import depth_message, too_deep
from registrants.errors import ApplicationError, http_status_for

from . import outage
from .auth import Refusal

logger = logging.getLogger(__name__)


def _no_constants(value: str):
    raise ValueError("Out of range float values are not JSON compliant")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DECODER = json.JSONDecoder(parse_constant=_no_constants)


class Answer:
    """A JSON answer, sent straight through ASGI by the scan endpoints.

    Starlette's Response would build, lower-case and check the same two
    headers on every scan; at door rate that was a few per cent of the
    gateway's CPU. `response()` gives the Starlette Response for the routes
    FastAPI serves (the OpenAPI entries, the exception handlers)."""

    # http_status, not status: a registrant's status is written only in
    # the writers (registrants/tests/test_history.py, H3, checks every ".status =").
    __slots__ = ("http_status", "body", "headers")

    def __init__(
        self, http_status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.http_status, self.body, self.headers = http_status, body, headers

    async def __call__(self, scope, receive, send) -> None:
        raw = [(b"content-length", b"%d" % len(self.body)), (b"content-type", b"application/json")]
        if self.headers:
            raw += [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()
            ]
        await send({"type": "http.response.start", "status": self.http_status, "headers": raw})
        await send({"type": "http.response.body", "body": self.body})

    def response(self) -> Response:
        return Response(
            self.body,
            status_code=self.http_status,
            media_type="application/json",
            headers=self.headers,
        )


class RawRequest:
    """What the scan endpoints read of a request, from the ASGI scope in one
    pass (Starlette's Request parses its headers again for each lookup)."""

    __slots__ = ("authorization", "content_type", "content_length", "receive")

    def __init__(self, scope, receive) -> None:
        self.receive = receive
        self.authorization = self.content_type = self.content_length = None
        for name, value in scope["headers"]:  # ASGI: names are lower-case
            if name == b"authorization":
                self.authorization = self.authorization or value.decode("latin-1")
            elif name == b"content-type":
                self.content_type = self.content_type or value.decode("latin-1")
            elif name == b"content-length":
                self.content_length = self.content_length or value.decode("latin-1")

    async def body(self) -> bytes:
        chunks = []
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, _ENCODER.encode(body).encode(), headers)


def error(status: int, code: str, message: str, fields=None, headers=None) -> Answer:
    return json_response(status, error_body(code, message, fields), headers)


def application_error(exc: ApplicationError) -> Answer:
    return json_response(
        http_status_for(exc.code), error_body(exc.code, exc.message, exc.fields, exc.details)
    )


def refusal_response(refusal: Refusal) -> Answer:
    headers = {}
    if refusal.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if refusal.retry_after is not None:
        headers["Retry-After"] = str(refusal.retry_after)
    return error(refusal.status, refusal.code, refusal.message, headers=headers)


class BadRequest(Exception):
    def __init__(self, response: Answer) -> None:
        self.response = response


async def read_json(request: RawRequest) -> Any:
    """The body as the DRF API reads it: JSON only, empty means {}."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    length = request.content_length
    if length and length.isdigit() and int(length) > limit:
        raise BadRequest(error(413, "payload_too_large", "The request body is too large."))
    raw = await request.body()
    if len(raw) > limit:
        raise BadRequest(error(413, "payload_too_large", "The request body is too large."))
    if not raw:
        return {}
    content_type = request.content_type or ""
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json":
        raise BadRequest(
            error(
                415,
                "unsupported_media_type",
                f'Unsupported media type "{content_type}" in request.',
            )
        )
    if too_deep(raw):  # json recurses: a deep body would be a RecursionError
        raise BadRequest(error(400, "malformed_request", depth_message()))
    try:
        text = raw.decode("utf-8")
        if text.startswith("\ufeff"):
            return json.loads(text)  # refused with json.loads's own message
        # One decoder for every request: json.loads builds a new one per
        # call when given parse_constant.
        return _DECODER.decode(text)
    except ValueError as exc:
        raise BadRequest(error(400, "malformed_request", f"JSON parse error - {exc}")) from None


def database_unavailable() -> Answer:
    return error(
        503,
        "service_unavailable",
        "The database is unavailable right now; try again in a few seconds.",
        headers={"Retry-After": "2"},
    )


def is_database_outage(exc: BaseException) -> bool:
    """An outage of the database (or Redis): answered 503, not 500."""
    return outage.is_outage(exc)


def server_error_response(exc: BaseException | None = None) -> Answer:
    """500; or 503 when `exc` is an outage of the database or Redis, wherever
    it was raised (the credential read of an uncached token included)."""
    if exc is not None and is_database_outage(exc):
        logger.warning("database unavailable: %s", type(exc).__name__)
        return database_unavailable()
    logger.exception("gateway error")
    return error(500, "server_error", "Something went wrong on our side; it has been logged.")
