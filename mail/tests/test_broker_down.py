"""A registration while the broker (Redis) is down: accepted, its message
kept queued, and sent once the broker is back (the sweep hands it over).

The client is the real Celery client publishing to a private redis-server
that the test stops and starts again; no worker is needed to see whether
the message leaves."""

from __future__ import annotations

import pytest
import redis

from mail import dispatch
from mail.models import Message, MessageStatus
from mail.tasks import send_message
from registrants import services as registrant_services
from registrants.models import Registrant

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _forget_connections(app) -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_server, settings, monkeypatch):
    settings.IMPORT_RUNNER = "celery"
    app = send_message.app
    monkeypatch.setattr(app.conf, "broker_url", redis_server.url)
    monkeypatch.setattr(app.conf, "task_always_eager", False)
    _forget_connections(app)
    yield redis_server
    _forget_connections(app)


def published(server) -> int:
    return redis.Redis.from_url(server.url).llen("celery")


def test_a_registration_while_the_broker_is_down_keeps_its_message_for_later(
    broker, mailing_event, settings
):
    broker.stop()
    registrant = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Ada Lovelace", email="ada@example.com"
    )
    assert Registrant.objects.filter(pk=registrant.pk).exists()
    message = Message.objects.get(registrant=registrant)
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 0)

    broker.start()
    _forget_connections(send_message.app)
    settings.MAIL_SWEEP_AFTER_SECONDS = 0
    assert dispatch.sweep() == [message.pk]
    assert published(broker) == 1


def test_a_large_reminder_while_the_broker_is_down_starts_once_it_is_back(
    broker, org_web, settings
):
    from mail.models import JobState, ReminderJob
    from registrants.tests.factories import EventFactory, make_registrant

    event = EventFactory()  # no confirmations: nothing else is published
    for i in range(3):
        make_registrant(event, email=f"p{i}@example.com")
    settings.MAIL_REMINDER_JOB_THRESHOLD = 1
    broker.stop()
    answer = org_web.post(f"/events/{event.pk}/mail/reminder/", {})
    job = ReminderJob.objects.get()
    assert answer.status_code == 302
    assert job.state == JobState.QUEUED

    broker.start()
    _forget_connections(send_message.app)
    settings.MAIL_LEASE_SECONDS = 0
    page = org_web.get(answer["Location"])
    assert page.status_code == 200
    assert published(broker) == 1  # the job's task, handed over when its page was looked at
