"""Mail tests send to a real SMTP server on loopback, inline (no worker, no
thread) and without waiting between retries, unless a test says otherwise."""

from __future__ import annotations

import pytest

from dashboard.tests.conftest import anon_web, org_web, staff_web, viewer_web  # noqa: F401
from mail.models import MailSettings
from registrants.tests.factories import EventFactory
from testing.broker import broker  # noqa: F401 - the broker-down tests' fixture
from testing.servers import use_a_file_for_the_sqlite_test_db

from .smtp import SmtpServer


def pytest_configure(config):
    """On SQLite, a file database: senders in threads (the race tests) then
    queue on its write lock, as in production, instead of failing on the
    in-memory shared cache's table locks."""
    use_a_file_for_the_sqlite_test_db()


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        settings.IMPORT_RUNNER = "inline"
        settings.MAIL_RETRY_SECONDS = 0
        settings.MAIL_MAX_ATTEMPTS = 3
        settings.SITE_URL = "https://tickets.example.org"
        yield server


@pytest.fixture
def mailing_event(db):
    """An event that sends confirmations and cancellations."""
    event = EventFactory(name="Night of Code", time_zone="America/New_York")
    MailSettings.objects.create(event=event, confirmations=True, cancellations=True)
    return event
