"""Principal reads on a cache miss: one database read per token at a time."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from gateway import auth, cache
from gateway.models import hash_key

from .conftest import user_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_misses_for_one_token_share_one_database_read(staff, monkeypatch):
    key = user_token(staff)
    reads: list[str] = []
    original = auth.load_principal

    def slow_read(k):
        reads.append(threading.current_thread().name)
        time.sleep(0.2)  # a slow database: everyone arrives while it runs
        return original(k)

    monkeypatch.setattr(auth, "load_principal", slow_read)

    async def scenario():
        return await asyncio.gather(*[auth.authenticate(f"Bearer {key}") for _ in range(20)])

    principals = asyncio.run(scenario())
    assert len(reads) == 1
    assert {p.user_id for p in principals} == {staff.pk}
    assert not auth._loading


def test_an_unknown_token_is_refused_for_every_waiter(monkeypatch):
    async def scenario():
        return await asyncio.gather(
            *[auth.authenticate("Bearer no-such-token") for _ in range(5)],
            return_exceptions=True,
        )

    results = asyncio.run(scenario())
    assert all(isinstance(r, auth.Refusal) and r.status == 401 for r in results)


def test_a_principal_about_to_expire_is_read_again_behind_the_request(staff, monkeypatch):
    """Before a cached principal expires, a request answered from it starts
    the database read in the background; nobody waits for the database."""
    key = user_token(staff)
    token_hash = hash_key(key)
    reads: list[str] = []
    original = auth.load_principal

    def counted(k):
        reads.append(k)
        return original(k)

    monkeypatch.setattr(auth, "load_principal", counted)

    async def scenario():
        await auth.authenticate(f"Bearer {key}")  # a miss: the first read
        with monkeypatch.context() as m:
            m.setattr(cache, "reload_margin", lambda _: 10**6)  # every entry is due
            principal = await auth.authenticate(f"Bearer {key}")
            background = auth._loading.get(token_hash)
            answered_before_the_read = background is not None and not background.done()
        await background
        due_after = cache.store().expiring(token_hash)
        await auth.authenticate(f"Bearer {key}")
        await cache.store().close()
        return principal, answered_before_the_read, due_after

    principal, answered_before_the_read, due_after = asyncio.run(scenario())
    assert principal.user_id == staff.pk
    assert answered_before_the_read
    assert len(reads) == 2 and not due_after  # read once more, then fresh for a while
    assert not auth._loading
