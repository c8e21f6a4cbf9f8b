"""A real Celery worker and a real Redis send the messages: the retry of a
451 goes through Celery's retry, a task delivered twice mails once."""

from __future__ import annotations

import pytest

from imports.tests.test_worker import Worker, wait_for
from mail import dispatch
from mail.models import Message, MessageStatus
from mail.tasks import send_message
from registrants import services as registrant_services
from testing.servers import RedisServer, database_url_for_current_test_db

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(smtp, monkeypatch):
    redis = RedisServer()
    redis.start()

    def send(message_ids):
        with send_message.app.connection_for_write(redis.url) as connection:
            for message_id in message_ids:
                send_message.apply_async((message_id,), connection=connection)

    monkeypatch.setattr(dispatch, "dispatch", send)
    process = Worker(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_for_current_test_db(),
            "REDIS_URL": redis.url,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "MAIL_RETRY_SECONDS": "0.2",
            "MAIL_MAX_ATTEMPTS": "3",
            "LOG_LEVEL": "INFO",
        }
    )
    process.start()
    yield process
    process.close()
    redis.close()


def settled(message_id):
    message = Message.objects.get(pk=message_id)
    return message if message.status != MessageStatus.QUEUED else None


def test_a_worker_retries_a_451_and_bounces_a_550(smtp, mailing_event, worker):
    smtp.answer("busy@example.com", "451 4.7.1 Try again later", "250 OK")
    smtp.answer("gone@example.com", "550 5.1.1 No such user")
    busy = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Busy", email="busy@example.com"
    )
    gone = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Gone", email="gone@example.com"
    )
    busy_message = Message.objects.get(registrant=busy)
    gone_message = Message.objects.get(registrant=gone)
    sent = wait_for(lambda: settled(busy_message.pk), timeout=120, worker=worker, what="the retry")
    bounced = wait_for(lambda: settled(gone_message.pk), timeout=120, worker=worker, what="bounce")
    assert (sent.status, sent.attempts) == (MessageStatus.SENT, 2), worker.output()
    assert (bounced.status, bounced.attempts) == (MessageStatus.BOUNCED, 1), worker.output()
    assert [m["To"] for m in smtp.received] == ["busy@example.com"]


def test_a_task_delivered_twice_mails_once(smtp, mailing_event, worker):
    registrant = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Ada", email="ada@example.com"
    )
    message = Message.objects.get(registrant=registrant)
    dispatch.dispatch([message.pk, message.pk])
    wait_for(lambda: settled(message.pk), timeout=120, worker=worker, what="the message")
    # Both deliveries of the task are consumed before the worker is stopped.
    wait_for(
        lambda: "succeeded" in worker.output() and worker.output().count("succeeded") >= 3,
        timeout=60,
        worker=worker,
        what="the duplicate tasks",
    )
    assert len(smtp.to("ada@example.com")) == 1
    assert Message.objects.get(pk=message.pk).attempts == 1
