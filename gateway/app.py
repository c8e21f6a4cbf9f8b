"""The door-scanner gateway: FastAPI beside Django.

    POST /gateway/v1/scan         one scan: the answers of POST /api/v1/scan/
    POST /gateway/v1/scan/batch   up to 500 offline scans, each answered
    GET  /gateway/docs            OpenAPI page (vendored Swagger UI, no CDN)
    GET  /gateway/openapi.json

Mounted into config.asgi under /gateway/ (the embedded default: one
process), or served alone: `uvicorn gateway.main:app --workers N`.
Django must be set up before create_app() (gateway.main does it).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import drf_spectacular_sidecar
from django.conf import settings
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from config import logs
from registrants.api.errors import error_body
from registrants.api.filters import OUT_OF_RANGE
from registrants.api.parsers import depth_message, too_deep
from registrants.errors import ApplicationError, http_status_for
from registrants.lifecycle import ScanMode

from . import cache, db, health, live, outage, request_ids, schemas, scope
from . import scan as rules
from .auth import Refusal, authenticate, count_items

logger = logging.getLogger(__name__)

PREFIX = "/gateway"
MODES = frozenset(ScanMode.values)
SIDECAR = Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar"


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
    # services (registrants/tests/test_history.py, H3, checks every ".status =").
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


def _clean_str(value: Any, max_length: int) -> str | None:
    """The value when DRF's CharField would take it unchanged, else None."""
    if type(value) is not str or not value.isascii() or "\x00" in value:
        return None
    value = value.strip()
    return value if 0 < len(value) <= max_length else None


def validate_scan(data: Any) -> tuple[str, str, str | None, int]:
    """(code, mode, nonce, event) exactly as ScanInputSerializer validates
    them. The common case is checked here; anything unusual is handed to the
    DRF serializer itself, so that errors are word for word the API's."""
    if type(data) is dict and set(data) <= {"code", "mode", "nonce", "event"}:
        code = _clean_str(data.get("code"), 128)
        mode = data.get("mode")
        nonce = data.get("nonce")
        event = scope.event_id(data.get("event"))
        nonce_ok = "nonce" not in data or _clean_str(nonce, 64) is not None
        if code is not None and type(mode) is str and mode in MODES and nonce_ok and event:
            return code, mode, (_clean_str(nonce, 64) if "nonce" in data else None), event
    return _validate_with_drf(data)


def _validate_with_drf(data: Any) -> tuple[str, str, str | None, int]:
    from rest_framework.exceptions import ValidationError

    from registrants.api.errors import _first_message, _flatten
    from registrants.api.serializers import ScanInputSerializer

    serializer = ScanInputSerializer(data=data)
    try:
        serializer.is_valid(raise_exception=True)
    except ValidationError as exc:
        fields = _flatten(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        raise BadRequest(
            error(400, "validation_error", _first_message(fields) or "Invalid input.", fields)
        ) from None
    v = serializer.validated_data
    return v["code"], v["mode"], v.get("nonce") or None, v["event"]


DATETIME_FORMAT_ERROR = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


def _item_problems(item: Any) -> tuple[dict[str, list[str]], rules.BatchItem | None]:
    if type(item) is not dict:
        return {
            "non_field_errors": [
                f"Invalid data. Expected a dictionary, but got {type(item).__name__}."
            ]
        }, None
    problems: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, limit in (("code", 128), ("nonce", 64)):
        if name not in item:
            problems[name] = ["This field is required."]
            continue
        value = _clean_str(item[name], limit)
        if value is None:
            problems[name] = [f"Must be a non-blank ASCII string of at most {limit} characters."]
        values[name] = value
    mode = item.get("mode")
    if "mode" not in item:
        problems["mode"] = ["This field is required."]
    elif type(mode) is not str or mode not in MODES:
        problems["mode"] = [f'"{mode}" is not a valid choice.']
    scanned_at = None
    if "scanned_at" not in item:
        problems["scanned_at"] = ["This field is required."]
    else:
        try:
            if type(item["scanned_at"]) is not str:
                raise ValueError
            scanned_at = rules.utc(dt.datetime.fromisoformat(item["scanned_at"]))
        except ValueError:
            problems["scanned_at"] = [DATETIME_FORMAT_ERROR]
        except OverflowError:  # 9999-12-31T23:00-05:00 has no UTC time
            problems["scanned_at"] = [OUT_OF_RANGE]
    if problems or mode is None or scanned_at is None:  # both set when no problem
        return problems, None
    return {}, rules.BatchItem(
        index=0, code=values["code"], mode=mode, nonce=values["nonce"], scanned_at=scanned_at
    )


def validate_batch(data: Any) -> list[rules.BatchItem]:
    if type(data) is not dict:
        fields: dict[str, Any] = {
            "non_field_errors": [
                f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
            ]
        }
    elif "items" not in data:
        fields = {"items": ["This field is required."]}
    elif type(data["items"]) is not list:
        fields = {
            "items": [f'Expected a list of items but got type "{type(data["items"]).__name__}".']
        }
    elif not data["items"]:
        fields = {"items": ["This list may not be empty."]}
    elif len(data["items"]) > schemas.MAX_BATCH:
        fields = {"items": [f"Ensure this field has no more than {schemas.MAX_BATCH} elements."]}
    else:
        items, problems = [], {}
        for index, raw in enumerate(data["items"]):
            item_problems, item = _item_problems(raw)
            if item_problems:
                problems[str(index)] = item_problems
            else:
                assert item is not None
                item.index = index
                items.append(item)
        if not problems:
            return items
        fields = {"items": problems}
    from registrants.api.errors import _first_message

    raise BadRequest(error(400, "validation_error", _first_message(fields), fields))


def database_unavailable() -> Answer:
    return error(
        503,
        "service_unavailable",
        "The database is unavailable right now; try again in a few seconds.",
        headers={"Retry-After": "2"},
    )


def _is_database_outage(exc: BaseException) -> bool:
    return outage.is_outage(exc)


async def scan_endpoint(request: RawRequest) -> Answer:
    try:
        principal = await authenticate(request.authorization)
        data = scope.with_device_event(principal, await read_json(request))
        code, mode, nonce, event = validate_scan(data)
        principal = scope.scoped(principal, event)
    except Refusal as refusal:
        return refusal_response(refusal)
    except BadRequest as bad:
        return bad.response
    except ApplicationError as exc:
        return application_error(exc)
    try:
        status, body = await db.scan_and_publish(
            code, mode, principal, nonce, dt.datetime.now(dt.UTC)
        )
    except Exception as exc:
        if _is_database_outage(exc):
            logger.warning("database unavailable: %s", type(exc).__name__)
            return database_unavailable()
        raise
    return json_response(status, body)


async def batch_endpoint(request: RawRequest) -> Answer:
    try:
        principal = await authenticate(request.authorization)
        data = scope.with_device_event(principal, await read_json(request))
        items = validate_batch(data)
        principal = scope.scoped(principal, scope.batch_event(data))
        await count_items(request.authorization, len(items) - 1)  # each item is a scan
    except Refusal as refusal:
        return refusal_response(refusal)
    except BadRequest as bad:
        return bad.response
    except ApplicationError as exc:
        return application_error(exc)
    now = dt.datetime.now(dt.UTC)

    async def work():
        results, messages = await db.backend().batch(items, principal, now)
        for message in messages:
            live.publish(message)
        return results

    try:
        results = await db.shielded(work)
    except Exception as exc:
        if _is_database_outage(exc):
            logger.warning("database unavailable: %s", type(exc).__name__)
            return database_unavailable()
        raise
    ordered = [results[i] for i in range(len(items))]
    counts = {"applied": 0, "repeat": 0, "conflict": 0, "refused": 0}
    replayed = 0
    for result in ordered:
        if result.get("replayed"):
            replayed += 1
        else:
            result["replayed"] = False
            counts[result["result"]] += 1
    return json_response(
        200,
        {
            "results": ordered,
            "applied": counts["applied"],
            "repeats": counts["repeat"],
            "conflicts": counts["conflict"],
            "refused": counts["refused"],
            "replayed": replayed,
        },
    )


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    await live.drain()
    await db.close()
    await cache.store().close()


def server_error_response(exc: BaseException | None = None) -> Answer:
    """500; or 503 when `exc` is an outage of the database or Redis, wherever
    it was raised (the credential read of an uncached token included)."""
    if exc is not None and _is_database_outage(exc):
        logger.warning("database unavailable: %s", type(exc).__name__)
        return database_unavailable()
    logger.exception("gateway error")
    return error(500, "server_error", "Something went wrong on our side; it has been logged.")


class GatewayApp(FastAPI):
    """FastAPI, with the two scan endpoints answered before its middleware
    and routing. Their APIRoutes stay, for the OpenAPI page (and any request
    the shortcut does not take). FastAPI's and Starlette's per-request layers
    (five middlewares, route matching, dependency solving) cost about a
    quarter of a scan's CPU in the gateway process, and these endpoints read,
    validate and answer their own JSON anyway."""

    hot_routes: dict[str, Any] = {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # Every answer carries its X-Request-ID, as the web app's do, and the
        # id is bound for whatever the request logs (config/request_log.py).
        request_id = request_ids.for_scope(scope)
        tokens = logs.bind(request_id=request_id, user_id=None, event_id=None)
        send = request_ids.sending(send, request_id)
        try:
            if scope["method"] == "POST":
                endpoint = self.hot_routes.get(scope["path"])
                if endpoint is not None:
                    try:
                        response = await endpoint(RawRequest(scope, receive))
                    except ClientDisconnect:
                        return  # gone before its body arrived: nobody to answer
                    except Exception as exc:
                        response = server_error_response(exc)
                    await response(scope, receive, send)
                    return
            await super().__call__(scope, receive, send)
        finally:
            logs.unbind(tokens)


def fastapi_route(endpoint):
    """`endpoint` as a FastAPI route, for the OpenAPI page; GatewayApp
    answers these paths before FastAPI sees them. Named as the endpoint
    (FastAPI derives the operationId from the name), without __wrapped__
    (FastAPI would read the endpoint's own signature as parameters)."""

    async def route(request: Request) -> Response:
        return (await endpoint(RawRequest(request.scope, request.receive))).response()

    route.__name__ = route.__qualname__ = endpoint.__name__
    return route


def create_app() -> FastAPI:
    app = GatewayApp(
        title="Registrant Dashboard door-scanner gateway",
        version="1.0.0",
        description=(
            "Scans at the doors and desks, and offline batches from scanner devices. "
            "Authenticate with `Authorization: Bearer <device key or API token>`. "
            'Every error has the shape `{"error": {"code": "...", "message": "...", '
            '"fields": {...}}}`.'
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{PREFIX}/openapi.json",
        lifespan=lifespan,
        # No OpenTelemetry here: FastAPI's native telemetry otherwise asks the
        # global providers on every request whether it is on (~0.05 ms a scan).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.add_api_route(
        f"{PREFIX}/v1/scan",
        fastapi_route(scan_endpoint),
        methods=["POST"],
        tags=["scan"],
        summary="Scan a check-in code at the desk or a door",
        description="The same request and answers as POST /api/v1/scan/.",
        responses={
            200: {"model": schemas.ScanResult, "description": "Scanned."},
            **schemas.errors(400, 401, 403, 404, 409, 413, 415, 429, 503),
        },
        openapi_extra=schemas.body(schemas.SCAN_REQUEST),
    )
    app.add_api_route(
        f"{PREFIX}/v1/scan/batch",
        fastapi_route(batch_endpoint),
        methods=["POST"],
        tags=["scan"],
        summary="Apply up to 500 offline scans, in scanned_at order",
        description=(
            "Each item is answered on its own: applied, repeat, conflict with a reason "
            "(cancelled, unknown_code, invalid_transition, wrong_event), or refused "
            "(nonce_reused). Conflicts are kept for organisers (GET "
            "/api/v1/events/{id}/scan-conflicts/, the event's conflicts page), never forced "
            "in, up to GATEWAY_MAX_OPEN_CONFLICTS open per scanner and event (then "
            "`recorded: false`). A nonce seen before with the same item writes nothing and "
            "gets its first answer (replayed). Each item counts against the scan throttle."
        ),
        responses={
            200: {"model": schemas.BatchResult, "description": "Every item answered."},
            **schemas.errors(400, 401, 403, 409, 413, 415, 429, 503),
        },
        openapi_extra=schemas.body(schemas.BATCH_REQUEST),
    )
    app.hot_routes = {f"{PREFIX}/v1/scan": scan_endpoint, f"{PREFIX}/v1/scan/batch": batch_endpoint}
    health.add_routes(app, PREFIX)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=SIDECAR), name="gateway-static")

    @app.get(f"{PREFIX}/docs", include_in_schema=False)
    async def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=f"{PREFIX}/openapi.json",
            title="Door-scanner gateway",
            swagger_js_url=f"{PREFIX}/static/swagger-ui-dist/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/static/swagger-ui-dist/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/static/swagger-ui-dist/favicon-32x32.png",
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed"}
        messages = {404: "No such resource.", 405: f'Method "{request.method}" not allowed.'}
        return error(
            exc.status_code,
            codes.get(exc.status_code, "error"),
            messages.get(exc.status_code, str(exc.detail)),
        ).response()

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        return server_error_response(exc).response()

    return app
