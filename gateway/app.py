"""The door-scanner gateway: FastAPI beside Django.

    POST /gateway/v1/scan         one scan: the answers of POST /api/v1/scan/
    POST /gateway/v1/scan/batch   up to 500 offline scans, each answered
    GET  /gateway/docs            OpenAPI page (vendored Swagger UI, no CDN)
    GET  /gateway/openapi.json

Mounted into config.asgi under /gateway/ (the embedded default: one
process), or served alone: `uvicorn gateway.main:app --workers N`.
Django must be set up before create_app() (gateway.main does it).

This module builds the app; the rooms it is made of:

    gateway.plumbing     ASGI answers and requests, JSON bodies, error answers
    gateway.validation   a scan's and a batch's input, as the DRF API checks it
    gateway.endpoints    the two scan endpoints
    gateway.db           the database backends, and a scan applied and published
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import drf_spectacular_sidecar
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from config import logs

from . import cache, db, health, live, request_ids, schemas
from .endpoints import batch_endpoint, scan_endpoint
from .plumbing import RawRequest, error, server_error_response

PREFIX = "/gateway"
SIDECAR = Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar"


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    await live.drain()
    await db.close()
    await cache.store().close()


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
                    await answer(endpoint, scope, receive, send)
                    return
            await super().__call__(scope, receive, send)
        finally:
            logs.unbind(tokens)


async def answer(endpoint, scope, receive, send) -> None:
    """Run one of the hot endpoints (gateway.api_scan too) and send its answer; a client gone
    before its body arrived gets none."""
    try:
        response = await endpoint(RawRequest(scope, receive))
    except ClientDisconnect:
        return
    except Exception as exc:
        response = server_error_response(exc)
    await response(scope, receive, send)


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
            "(cancelled, waitlisted, unknown_code, invalid_transition, wrong_event), or refused "
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
