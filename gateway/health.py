"""The gateway's probes, the same questions as config/health.py:

    GET /gateway/healthz   200 while the process answers (no I/O)
    GET /gateway/readyz    database (through the gateway's own pool on
                           PostgreSQL), Redis when REDIS_URL is set,
                           migrations applied; else 503 naming the part

Both are plain routes: FastAPI adds no authentication or throttle to them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from config import health

from . import db

# The pool waits GATEWAY_DB_POOL_TIMEOUT for a connection; a probe may not.
POOL_TIMEOUT_SECONDS = 1.0
NO_STORE = {"Cache-Control": "no-store"}

_redis: tuple[Any, Any] | None = None  # (event loop, client): a client serves one loop


async def _database() -> None:
    backend = db.backend()
    if isinstance(backend, db.PostgresBackend):
        pool = await backend.pool()
        async with pool.connection(timeout=POOL_TIMEOUT_SECONDS) as conn:
            await conn.execute("SELECT 1")
    else:
        await db.in_django_thread(health.check_database)


async def _redis_ping() -> None:
    global _redis
    loop = asyncio.get_running_loop()
    if _redis is None or _redis[0] is not loop:
        import redis.asyncio as aioredis

        _redis = (
            loop,
            aioredis.Redis.from_url(
                settings.REDIS_URL,
                socket_connect_timeout=health.REDIS_TIMEOUT_SECONDS,
                socket_timeout=health.REDIS_TIMEOUT_SECONDS,
            ),
        )
    await _redis[1].ping()


async def _migrations() -> None:
    await db.in_django_thread(health.check_migrations)


async def readiness() -> tuple[int, dict]:
    """(http status, body) as config.health.readiness_body gives them."""
    results: dict[str, str] = {}
    checks = {"database": _database}
    if settings.REDIS_URL:
        checks["redis"] = _redis_ping
    checks["migrations"] = _migrations
    for name, check in checks.items():
        if name == "migrations" and results.get("database") != "ok":
            results[name] = "unknown"
            continue
        try:
            await asyncio.wait_for(check(), timeout=2 * POOL_TIMEOUT_SECONDS)
        except Exception as exc:
            health.note(name, exc)
            results[name] = "unavailable"
        else:
            health.note(name, None)
            results[name] = "ok"
    return health.readiness_body(results)


def add_routes(app: FastAPI, prefix: str) -> None:
    """/healthz and /readyz under `prefix`, outside the OpenAPI schema."""

    @app.get(f"{prefix}/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "alive"}, headers=NO_STORE)

    @app.get(f"{prefix}/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        status, body = await readiness()
        return JSONResponse(body, status_code=status, headers=NO_STORE)
