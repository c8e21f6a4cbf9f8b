"""S1, S3, S5-S9 (API part)."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import token_create
from registrants.models import new_check_in_code
from registrants.tests.factories import make_registrant

from .conftest import assert_error, client_for

ROOT = Path(__file__).resolve().parents[3]


def test_s1_check_deploy_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "dashboard.example.com",
    }
    # The browser tests' conftest sets this for the test process (Playwright
    # runs an event loop in the test thread); a deployment never does.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "security." not in result.stdout + result.stderr


def test_s3_token_in_query_string_ignored(organiser):
    _, key = token_create(user=organiser)
    client = APIClient()
    for param in ("token", "auth_token", "access_token", "key"):
        assert_error(client.get(f"/api/v1/events/?{param}={key}"), 401, "not_authenticated")


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_s3_both_keywords(organiser, keyword):
    assert client_for(organiser, keyword).get("/api/v1/events/").status_code == 200


def test_s3_revoked_token_is_refused_at_once(organiser, django_capture_on_commit_callbacks):
    client = client_for(organiser)
    assert client.get("/api/v1/events/").status_code == 200  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        ApiToken.objects.filter(user=organiser).get().delete()
    assert_error(client.get("/api/v1/events/"), 401, "authentication_failed")


def test_s3_session_key_rotated_on_login(organiser):
    organiser.is_staff = True
    organiser.save()
    client = Client()
    session = client.session
    session["marker"] = 1
    session.save()
    before = session.session_key
    client.cookies["sessionid"] = before
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "olga", "password": "pw-for-tests-1"}
    )
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert before and after and after != before


def test_s5_viewers_never_see_codes(viewer_client, staff_client, data):
    r = data["regs"]["registered"]
    assert viewer_client.get(f"/api/v1/registrants/{r.pk}/").json()["check_in_code"] is None
    assert all(
        x["check_in_code"] is None
        for x in viewer_client.get("/api/v1/registrants/").json()["results"]
    )
    assert (
        staff_client.get(f"/api/v1/registrants/{r.pk}/").json()["check_in_code"] == r.check_in_code
    )
    assert (
        r.check_in_code
        not in viewer_client.get("/api/v1/registrants/?page_size=200").content.decode()
    )
    assert (
        viewer_client.get(f"/api/v1/registrants/?search={r.check_in_code}").json()["results"] == []
    )


def test_s6_codes_unique_and_128_bits():
    codes = [new_check_in_code() for _ in range(100_000)]
    assert len(set(codes)) == len(codes)
    for code in codes[:1000] + codes[-1000:]:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        assert len(raw) * 8 >= 128
    assert min(len(c) for c in codes) >= 22  # 128 bits in URL-safe base64
    assert all(
        set(c) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for c in codes[:1000]
    )


def test_s7_throttle_never_above_rate_under_concurrency(settings):
    """16 threads x 10 attempts at once against a rate of 25: exactly 25 pass
    (the cache's atomic increment; LocMem or Redis, whichever the run uses)."""
    from types import SimpleNamespace

    from registrants.api.throttling import ScanRateThrottle

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"scan": "25/d"},
    }
    cache.clear()
    user = SimpleNamespace(pk=424242, is_authenticated=True)
    request = SimpleNamespace(user=user, META={"REMOTE_ADDR": "127.0.0.1"})
    allowed, lock, barrier = [], threading.Lock(), threading.Barrier(16)

    def worker():
        barrier.wait()
        for _ in range(10):
            throttle = ScanRateThrottle()
            ok = throttle.allow_request(request, None)
            with lock:
                allowed.append((ok, throttle.wait()))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 160
    assert sum(ok for ok, _ in allowed) == 25
    assert all(wait > 0 for ok, wait in allowed if not ok)


def test_s7_throttle_exact_in_one_window(staff_client, settings, data):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"scan": "5/h"}}
    cache.clear()
    results = [
        staff_client.post(
            "/api/v1/scan/", {"code": "x", "mode": "desk", "event": data["event"].pk}, format="json"
        ).status_code
        for _ in range(8)
    ]
    assert results == [404] * 5 + [429] * 3


def test_s8_rotating_forwarded_for_does_not_reset(settings):
    """Without a trusted proxy the client's address is REMOTE_ADDR, whatever
    X-Forwarded-For says, so rotating it does not open a new bucket."""
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.test import APIRequestFactory

    from registrants.api.throttling import ScanRateThrottle

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"scan": "3/d"}}
    cache.clear()
    factory = APIRequestFactory()
    results = []
    for i in range(6):
        request = factory.post(
            "/api/v1/scan/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}", REMOTE_ADDR="192.0.2.1"
        )
        request.user = AnonymousUser()
        throttle = ScanRateThrottle()
        assert throttle.get_ident(request) == "192.0.2.1"
        results.append(throttle.allow_request(request, None))
    assert results == [True] * 3 + [False] * 3


def test_s8_authenticated_user_throttle_ignores_forwarded_for(staff_client, settings, data):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"scan": "2/h"}}
    cache.clear()
    codes = [
        staff_client.post(
            "/api/v1/scan/",
            {"code": "x", "mode": "desk", "event": data["event"].pk},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.1.0.{i}",
        ).status_code
        for i in range(4)
    ]
    assert codes == [404, 404, 429, 429]


def test_s9_session_post_without_csrf_is_403(organiser, data):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="olga", password="pw-for-tests-1")
    assert client.get("/api/v1/events/").status_code == 200
    before = data["event"].__class__.objects.count()
    response = client.post(
        "/api/v1/events/", {"name": "E", "date": "2027-01-01", "capacity": 3}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    assert "CSRF" in response.json()["error"]["message"]
    assert data["event"].__class__.objects.count() == before


def test_s5_scan_answer_has_no_code(staff_client, event):
    r = make_registrant(event)
    assert (
        r.check_in_code
        not in staff_client.post(
            "/api/v1/scan/",
            {"code": r.check_in_code, "mode": "desk", "event": event.pk},
            format="json",
        ).content.decode()
    )
