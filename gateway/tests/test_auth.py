"""Principal reads on a cache miss: one database read per token at a time."""

from __future__ import annotations

import asyncio

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from gateway import auth, cache, cache_keys, db, services
from gateway.models import DeviceToken, hash_key
from registrants.roles import CHECKIN_STAFF, ORGANISER, VIEWER
from registrants.tests.factories import EventFactory, make_user

from .conftest import user_token

pytestmark = pytest.mark.django_db(transaction=True)


def _run(scenario):
    """asyncio.run(scenario()), closing the gateway's pool in that loop: a
    pool left open holds its connections and its tasks past the loop, and
    one caught connecting when asyncio.run cancelled the loop's tasks hung
    the run (seen once in CI, under load)."""

    async def closing():
        try:
            return await scenario()
        finally:
            await db.backend().close()

    return asyncio.run(closing())


def test_concurrent_misses_for_one_token_share_one_database_read(staff, monkeypatch):
    key = user_token(staff)
    reads: list[str] = []
    original = auth.read_principal

    async def slow_read(k):
        reads.append(k)
        await asyncio.sleep(0.2)  # a slow database: everyone arrives while it runs
        return await original(k)

    monkeypatch.setattr(auth, "read_principal", slow_read)

    async def scenario():
        return await asyncio.gather(*[auth.authenticate(f"Bearer {key}") for _ in range(20)])

    principals = _run(scenario)
    assert len(reads) == 1
    assert {p.user_id for p in principals} == {staff.pk}
    assert not auth._loading


def test_an_unknown_token_is_refused_for_every_waiter(monkeypatch):
    async def scenario():
        return await asyncio.gather(
            *[auth.authenticate("Bearer no-such-token") for _ in range(5)],
            return_exceptions=True,
        )

    results = _run(scenario)
    assert all(isinstance(r, auth.Refusal) and r.status == 401 for r in results)


def test_a_principal_about_to_expire_is_read_again_behind_the_request(staff, monkeypatch):
    """Before a cached principal expires, a request answered from it starts
    the database read in the background; nobody waits for the database."""
    key = user_token(staff)
    token_hash = hash_key(key)
    reads: list[str] = []
    original = auth.read_principal

    async def counted(k):
        reads.append(k)
        return await original(k)

    monkeypatch.setattr(auth, "read_principal", counted)

    async def scenario():
        await auth.authenticate(f"Bearer {key}")  # a miss: the first read
        with monkeypatch.context() as m:
            m.setattr(cache_keys, "reload_margin", lambda _: 10**6)  # every entry is due
            principal = await auth.authenticate(f"Bearer {key}")
            background = auth._loading.get(token_hash)
            answered_before_the_read = background is not None and not background.done()
        await background
        due_after = cache.store().expiring(token_hash)
        await auth.authenticate(f"Bearer {key}")
        await cache.store().close()
        return principal, answered_before_the_read, due_after

    principal, answered_before_the_read, due_after = _run(scenario)
    assert principal.user_id == staff.pk
    assert answered_before_the_read
    assert len(reads) == 2 and not due_after  # read once more, then fresh for a while
    assert not auth._loading


def _read(key: str):
    """read_principal's answer, or the Refusal it raised."""

    async def scenario():
        try:
            return await auth.read_principal(key)
        except auth.Refusal as refusal:
            return refusal
        finally:
            if isinstance(db.backend(), db.PostgresBackend):
                await db.backend().close()  # the pool belongs to this loop

    return asyncio.run(scenario())


def _users():
    """One user per way of holding (or not holding) the scan permission."""
    direct = make_user("direct", None)
    direct.user_permissions.add(Permission.objects.get(codename="scan_code"))
    superuser = make_user("root", None)
    superuser.is_superuser = True
    superuser.save()
    inactive = make_user("gone", CHECKIN_STAFF)
    inactive.is_active = False
    inactive.save()
    named = make_user("named", ORGANISER)
    named.first_name, named.last_name = "Nora", "Named"
    named.save()
    return [
        make_user("staff", CHECKIN_STAFF),
        named,
        make_user("viewer", VIEWER),
        make_user("nobody", None),
        direct,
        superuser,
        inactive,
    ]


def test_a_user_token_reads_as_has_perm_decides():
    """The one statement behind a miss (principal_query) decides who may scan
    exactly as Django's has_perm does for the DRF scan endpoint, on both
    databases (on PostgreSQL it runs on the async pool, not through the ORM)."""
    for user in _users():
        principal = _read(user_token(user))
        if not user.is_active:
            assert principal is auth.INACTIVE
            continue
        assert principal == auth.load_principal(user_token(user))
        assert principal.user_id == user.pk
        assert principal.can_scan is user.has_perm(auth.SCAN_PERMISSION), user.username
        assert principal.event_id is None and principal.device_id is None
        expected_name = "Nora Named" if user.username == "named" else user.username
        assert principal.name == expected_name


def test_a_device_token_reads_as_its_device(organiser):
    event = EventFactory()
    organiser.first_name, organiser.last_name = "Olga", "Organiser"
    organiser.save()
    device, key = services.device_create(event_id=event.pk, name="Door A", created_by=organiser)
    principal = _read(key)
    assert principal == auth.load_principal(key)
    assert (principal.user_id, principal.event_id, principal.device_id) == (
        device.user_id,
        event.pk,
        device.pk,
    )
    assert principal.can_scan

    DeviceToken.objects.filter(pk=device.pk).update(revoked_at=timezone.now())
    assert _read(key) is None
    assert _read("rdd_no-such-device") is None
    assert _read("no-such-token") is None


@pytest.mark.postgres
def test_a_miss_on_postgresql_does_not_use_the_django_thread(staff, monkeypatch):
    """The Django thread is where SQLite's scans run and where the ORM held
    the GIL; on PostgreSQL a token read goes through the async pool."""

    async def no_thread(*args):
        raise AssertionError("the Django thread was used")

    monkeypatch.setattr(db, "in_django_thread", no_thread)
    principal = _read(user_token(staff))
    assert principal.user_id == staff.pk and principal.can_scan


@pytest.mark.postgres
def test_many_tokens_missing_at_once_are_read_a_few_at_a_time(monkeypatch):
    """Every token of a door is due together after a pause: their database
    reads queue for PRINCIPAL_READS_AT_ONCE slots instead of making the pool
    open a connection each."""
    keys = [user_token(make_user(f"door-{n}", CHECKIN_STAFF)) for n in range(8)]
    in_flight, most = 0, 0
    original = db.PostgresBackend.fetch_one

    async def watched(self, sql, params):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await asyncio.sleep(0.02)
            return await original(self, sql, params)
        finally:
            in_flight -= 1

    monkeypatch.setattr(db.PostgresBackend, "fetch_one", watched)

    async def scenario():
        try:
            return await asyncio.gather(*(auth.authenticate(f"Bearer {k}") for k in keys))
        finally:
            await db.backend().close()

    principals = asyncio.run(scenario())
    assert len({p.user_id for p in principals}) == len(keys)
    assert most == auth.PRINCIPAL_READS_AT_ONCE
