"""Django's async-safety check stays on for the live and gateway tests.

The browser tests need it off (pytest-playwright keeps an event loop in the
test thread), and they once switched it off at import time, which turned it
off for every test collected in the same run. This test runs in that same
run, after the browser conftest has been imported."""

from __future__ import annotations

import asyncio
import os

import pytest
from django.core.exceptions import SynchronousOnlyOperation

from registrants.models import Event


def test_async_unsafe_switch_is_off_outside_browser_tests():
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ


@pytest.mark.django_db
def test_orm_call_inside_an_event_loop_is_refused():
    async def query_in_the_loop():
        return Event.objects.count()

    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(query_in_the_loop())
