"""Access lost in one process closes a stream held by another (PostgreSQL,
Redis channel layer): the recheck travels through Redis."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosed

from accounts.models import EventAssignment
from registrants.tests.factories import EventFactory, make_user
from testing.servers import database_url_for_current_test_db, session_cookie_for, uvicorn_server

from .test_multiprocess import next_message, open_stream

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_removing_the_assignment_here_closes_the_stream_on_the_server(redis_server, settings):
    event, other = EventFactory(), EventFactory()
    user = make_user("door-staff", "checkin_staff")
    EventAssignment.objects.create(user=user, event=event)
    EventAssignment.objects.create(user=user, event=other)
    # This process publishes to the same Redis as the server listens on.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_server.url]},
        }
    }
    env = {"DATABASE_URL": database_url_for_current_test_db(), "REDIS_URL": redis_server.url}
    with uvicorn_server(env=env) as base:
        with open_stream(base, event.pk, session_cookie_for(user)) as ws:
            next_message(ws, "numbers")
            EventAssignment.objects.filter(user=user, event=event).delete()
            deadline = time.monotonic() + 10
            with pytest.raises(ConnectionClosed) as closed:
                while time.monotonic() < deadline:
                    ws.recv(timeout=deadline - time.monotonic())
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
