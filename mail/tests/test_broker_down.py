"""A registration while the broker (Redis) is down: accepted, its message
kept queued, and sent once the broker is back (the sweep hands it over).

The client is the real Celery client publishing to a private redis-server
that the test stops and starts again; no worker is needed to see whether
the message leaves."""

from __future__ import annotations

import pytest

from mail import dispatch
from mail.models import Message, MessageStatus
from registrants import services as registrant_services
from registrants.models import Registrant
from testing.broker import forget_connections, published

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


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
    forget_connections()
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
    forget_connections()
    settings.MAIL_LEASE_SECONDS = 0
    page = org_web.get(answer["Location"])
    assert page.status_code == 200
    assert published(broker) == 1  # the job's task, handed over when its page was looked at
