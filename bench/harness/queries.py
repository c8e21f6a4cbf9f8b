"""The SQL queries of one scan request, counted in-process."""

from __future__ import annotations

from typing import Any


def count_scan_queries(token: str, path: str, codes: list[str], event_id: int) -> dict[str, Any]:
    """Scan `codes` in-process (Django test client, same settings and Redis)
    and count each request's SQL queries. The first request fills the token
    cache; the last one is the steady state every benchmark request sees.

    Not counted: the `SELECT 1` health check Django sends at the start of
    each request when CONN_HEALTH_CHECKS is on (it bypasses the cursor
    wrappers); it is added as a separate figure.
    """
    from django.conf import settings
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"authorization": f"Bearer {token}"})
    counts, statuses, last_sql = [], [], []
    for code in codes:
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                path,
                {"code": code, "mode": "desk", "event": event_id},
                content_type="application/json",
            )
        counts.append(len(ctx.captured_queries))
        statuses.append(response.status_code)
        last_sql = [q["sql"] for q in ctx.captured_queries]
    connections.close_all()
    health_check = bool(settings.DATABASES["default"].get("CONN_HEALTH_CHECKS"))
    return {
        "per_request": counts,
        "statuses": statuses,
        "steady_state": counts[-1] if counts else None,
        "health_check_select_1": 1 if health_check else 0,
        "steady_state_sql": last_sql,
    }
