"""A token deleted, a user deactivated, or a user's groups changed take
effect on the next request, in every process: on the API and the gateway,
with the token cached (TOKEN_CACHE_SECONDS = 30) and no waiting."""

from __future__ import annotations

import contextlib

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from accounts.models import ApiToken
from accounts.tokens import hash_key, token_create
from registrants.roles import CHECKIN_STAFF
from registrants.tests.factories import make_user
from testing.servers import UvicornServer, database_url_for_current_test_db

# Authenticated first, then 404 (the event need not exist: the code does not either).
UNKNOWN_CODE = {"code": "NO-SUCH-CODE", "mode": "desk", "event": 1}


def api_status(base: str, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.get(f"{base}/api/v1/events/", headers=headers, timeout=10).status_code


def gateway_status(base: str, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    r = httpx.post(f"{base}/gateway/v1/scan", json=UNKNOWN_CODE, headers=headers, timeout=10)
    return r.status_code


@contextlib.contextmanager
def two_servers():
    """Two config.asgi processes (API and gateway) on the test database,
    sharing this process's Redis when the run has one. The gateway's near
    cache is off: its documented lag (GATEWAY_NEAR_CACHE_SECONDS) is not
    what is tested here."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_current_test_db(),
        "GATEWAY_NEAR_CACHE_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    with UvicornServer(env=env) as a, UvicornServer(env=env) as b:
        yield a.url, b.url


def warmed(servers, key: str) -> None:
    """Each server has read the token and cached it (twice: then cached)."""
    for base in servers:
        for _ in range(2):
            assert api_status(base, key) == 200
            assert gateway_status(base, key) == 404


pytestmark = pytest.mark.django_db(transaction=True)


def test_a_token_deleted_with_the_orm_is_refused_by_every_process_at_once():
    staff = make_user("sam", CHECKIN_STAFF)
    _, key = token_create(user=staff)
    with two_servers() as servers:
        warmed(servers, key)
        ApiToken.objects.filter(key_hash=hash_key(key)).delete()  # as from a shell
        for base in servers:
            assert api_status(base, key) == 401
            assert gateway_status(base, key) == 401


def test_a_deactivated_user_is_refused_by_every_process_at_once():
    staff = make_user("sam", CHECKIN_STAFF)
    _, key = token_create(user=staff)
    with two_servers() as servers:
        warmed(servers, key)
        staff.is_active = False
        staff.save()
        for base in servers:
            assert api_status(base, key) == 401
            assert gateway_status(base, key) == 401
        staff.is_active = True
        staff.save()
        for base in servers:
            assert api_status(base, key) == 200  # reactivated: the same token works again
            assert gateway_status(base, key) == 404


def test_a_user_taken_out_of_the_scanning_group_may_not_scan_in_any_process_at_once():
    staff = make_user("sam", CHECKIN_STAFF)
    _, key = token_create(user=staff)
    with two_servers() as servers:
        warmed(servers, key)
        staff.groups.remove(Group.objects.get(name=CHECKIN_STAFF))
        for base in servers:
            assert gateway_status(base, key) == 403
