"""Sessions: read from Redis when there is one (cached_db), from the table
otherwise; logging out ends the session for every process."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registrants.roles import ORGANISER
from registrants.tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser_login():
    user = make_user("sessions-organiser", ORGANISER)
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_request_reads_its_session_from_redis_when_there_is_one(organiser_login):
    with CaptureQueriesContext(connection) as queries:
        assert organiser_login.get("/api/v1/events/").status_code == 200
    session_reads = [q for q in queries.captured_queries if "django_session" in q["sql"]]
    assert len(session_reads) == (0 if settings.REDIS_URL else 1)


def test_logging_out_ends_the_session_for_an_old_cookie(organiser_login):
    cookie = organiser_login.cookies[settings.SESSION_COOKIE_NAME].value
    assert organiser_login.post("/logout/").status_code in (200, 302)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert replay.get("/api/v1/events/").status_code in (401, 403)
    assert replay.get("/").status_code == 302  # to the login page


def test_the_table_store_reads_a_live_session_and_forgets_an_expired_or_unknown_key():
    from django.contrib.sessions.models import Session

    from config.db_sessions import SessionStore

    live = SessionStore()
    live["who"] = "organiser"
    live.save()
    expired = SessionStore()
    expired["who"] = "gone"
    expired.save()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert SessionStore(live.session_key).load() == {"who": "organiser"}
    for key in (expired.session_key, "no-such-session-key-at-all"):
        store = SessionStore(key)
        assert store.load() == {}
        assert store.session_key is None  # saving starts a new session
    # A session a second from its end is still live (expire_date > now).
    Session.objects.filter(session_key=live.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=1)
    )
    assert SessionStore(live.session_key).load() == {"who": "organiser"}


def test_the_table_store_reads_a_session_in_one_query():
    from config.db_sessions import SessionStore

    store = SessionStore()
    store["n"] = 1
    store.save()
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(store.session_key).load() == {"n": 1}
    assert len(queries.captured_queries) == 1
