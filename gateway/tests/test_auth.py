"""Principal reads on a cache miss: one database read per token at a time."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from gateway import auth

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
