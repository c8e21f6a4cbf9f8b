"""Liveness and readiness probes for load balancers and orchestrators.

    GET /healthz   200 while the process answers at all (no I/O)
    GET /readyz    200 when the database answers, Redis answers (if REDIS_URL
                   is set) and every migration is applied; else 503 naming
                   the failing part, in the one error shape

HealthMiddleware answers both first in MIDDLEWARE: a probe comes every second
from a load balancer that names the node by its IP address (not in
ALLOWED_HOSTS) over plain HTTP (SECURE_SSL_REDIRECT would send it away), and
it needs no session, user or throttle. The gateway (gateway/health.py) asks
the same questions through its own connection pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

from registrants.api.errors import error_body

logger = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
# A probe must fail fast: a load balancer times it out after a few seconds.
REDIS_TIMEOUT_SECONDS = 1.0

_migrations_applied = False
_redis_client = None


def check_database() -> None:
    """Raise if the default database does not answer `SELECT 1`."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        # A half-dead persistent connection must not be reused by the next probe.
        connection.close()
        raise


def check_redis() -> None:
    """Raise if Redis (REDIS_URL) does not answer PING; nothing without it."""
    global _redis_client
    if not settings.REDIS_URL:
        return
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
    _redis_client.ping()


def check_migrations() -> None:
    """Raise if a migration is not applied. Once they all are, the answer is
    kept for the life of the process: migrations are applied before a
    release's processes start, never under them."""
    global _migrations_applied
    if _migrations_applied:
        return
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RuntimeError("migrations not applied")
    _migrations_applied = True


def forget() -> None:
    """Ask the database again at the next probe, and make a new Redis client
    (tests that change the settings)."""
    global _migrations_applied, _redis_client
    _migrations_applied, _redis_client = False, None
    _last_failed.clear()


PROBLEMS = {
    "database": "the database does not answer",
    "redis": "Redis does not answer",
    "migrations": "migrations are not applied",
}
_last_failed: set[str] = set()


def note(name: str, exc: BaseException | None) -> None:
    """Log a part going down or coming back, once per change: a probe every
    second must not write a line every second during an outage."""
    if exc is not None and name not in _last_failed:
        _last_failed.add(name)
        logger.warning("not ready: %s (%s)", PROBLEMS[name], type(exc).__name__)
    elif exc is None and name in _last_failed:
        _last_failed.discard(name)
        logger.warning("ready again: %s", name)


def run_checks(checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    """{"database": "ok" | "unavailable", ...}; a check after a failed
    database check is not run (it would only wait for the same outage)."""
    results: dict[str, str] = {}
    for name, check in checks.items():
        if name == "migrations" and results.get("database") != "ok":
            results[name] = "unknown"
            continue
        try:
            check()
        except Exception as exc:
            note(name, exc)
            results[name] = "unavailable"
        else:
            note(name, None)
            results[name] = "ok"
    return results


def readiness_body(results: dict[str, str]) -> tuple[int, dict]:
    """(http status, JSON body) for the results of run_checks."""
    failing = [name for name, result in results.items() if result == "unavailable"]
    if all(result == "ok" for result in results.values()):
        return 200, {"status": "ready", "checks": results}
    body = error_body(
        "not_ready",
        f"Not ready: {'; '.join(PROBLEMS[name] for name in failing)}.",
        details={"checks": results, "failing": failing},
    )
    return 503, body


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive: no database, no cache."""
    return JsonResponse({"status": "alive"}, headers={"Cache-Control": "no-store"})


def readyz(request: HttpRequest) -> HttpResponse:
    """Ready to take traffic: database, Redis and migrations."""
    checks: dict[str, Callable[[], None]] = {"database": check_database}
    if settings.REDIS_URL:
        checks["redis"] = check_redis
    checks["migrations"] = check_migrations
    status, body = readiness_body(run_checks(checks))
    return JsonResponse(body, status=status, headers={"Cache-Control": "no-store"})


class HealthMiddleware:
    """Answer the probes before the host check, the HTTPS redirect,
    sessions and authentication (first in MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            return healthz(request)
        if request.path_info == "/readyz" and request.method in ("GET", "HEAD"):
            return readyz(request)
        return self.get_response(request)
