"""POST /api/v1/scan/ under config.asgi (gateway.api_scan): a user's token
is answered by the gateway's scan endpoint, before Django; anything else
stays with the DRF view. The answers themselves are the contract suite's
(test_contract.py runs every case on this path too)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache as django_cache
from rest_framework.test import APIClient

from registrants.api.throttling import scan_window
from registrants.api.views import ScanView
from registrants.models import StatusChange
from registrants.tests.factories import make_registrant

from .conftest import bearer, user_token

pytestmark = pytest.mark.django_db(transaction=True)


def scan_body(registrant, **extra):
    return {"code": registrant.check_in_code, "mode": "desk", "event": registrant.event_id, **extra}


def test_a_token_scan_is_answered_before_django(gateway, staff):
    registrant = make_registrant(name="Ada Lovelace")
    with mock.patch.object(ScanView, "post", side_effect=AssertionError("reached DRF")):
        r = gateway.post(
            "/api/v1/scan/", json=scan_body(registrant), headers=bearer(user_token(staff))
        )
    assert r.status_code == 200, r.text
    assert r.json()["changed"] is True and r.json()["status"] == "checked_in"
    assert r.headers["x-request-id"]
    row = StatusChange.objects.filter(registrant=registrant).latest("id")
    assert (row.from_status, row.to_status, row.actor_id, row.source) == (
        "registered",
        "checked_in",
        staff.pk,
        "scan",
    )


def test_other_requests_stay_with_django(gateway, event, device_key):
    registrant = make_registrant(event)
    cases = {
        # The API never accepts a door device's key (the gateway would scan).
        "device key": bearer(device_key),
        "no credentials": {},
        "another scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
    }
    for case, headers in cases.items():
        r = gateway.post("/api/v1/scan/", json=scan_body(registrant), headers=headers)
        api = APIClient()
        if headers:
            api.credentials(HTTP_AUTHORIZATION=headers["Authorization"])
        expected = api.post("/api/v1/scan/", scan_body(registrant), format="json")
        assert (case, r.status_code, r.json()) == (case, expected.status_code, expected.json())
        assert r.status_code == 401
        assert r.headers.get("www-authenticate") == expected.headers.get("www-authenticate")
    registrant.refresh_from_db()
    assert registrant.status == "registered"


def test_the_throttle_counts_per_user_on_both_paths(gateway, staff, settings):
    """As ScanRateThrottle: one budget per user, whatever token or path."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "scan": "3/day"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    django_cache.delete(scan_window(f"user:{staff.pk}")[0])  # left by an earlier run
    drf = APIClient()
    drf.credentials(HTTP_AUTHORIZATION=f"Bearer {user_token(staff)}")
    first, second = (bearer(user_token(staff)) for _ in range(2))
    registrants = [make_registrant() for _ in range(4)]
    assert drf.post("/api/v1/scan/", scan_body(registrants[0]), format="json").status_code == 200
    for registrant, headers in zip(registrants[1:3], (first, second), strict=True):
        r = gateway.post("/api/v1/scan/", json=scan_body(registrant), headers=headers)
        assert r.status_code == 200, r.text
    r = gateway.post("/api/v1/scan/", json=scan_body(registrants[3]), headers=first)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "throttled"
    assert int(r.headers["retry-after"]) >= 1
    assert drf.post("/api/v1/scan/", scan_body(registrants[3]), format="json").status_code == 429
    registrants[3].refresh_from_db()
    assert registrants[3].status == "registered"


def test_batched_window_counts_are_exact(redis_server):
    """Concurrent requests each learn the count after their own addition,
    as one INCR each would tell them, though they share round trips."""
    import asyncio

    import redis.asyncio as aioredis

    from gateway.window_counts import WindowCounts

    async def run():
        client = aioredis.Redis.from_url(redis_server.url)
        counts = WindowCounts(lambda: client)
        try:
            results = await asyncio.gather(
                *(counts.add_one("k:a" if n % 3 else "k:b", 60) for n in range(300))
            )
            ttl = await client.ttl("k:a")
        finally:
            await client.aclose()
        return results, ttl

    results, ttl = asyncio.run(run())
    a = [c for n, c in enumerate(results) if n % 3]
    b = [c for n, c in enumerate(results) if not n % 3]
    assert sorted(a) == list(range(1, 201))
    assert sorted(b) == list(range(1, 101))
    assert 0 < ttl <= 60
