"""The embedded default (no broker): the web process's thread sends a
change made in this process at once, woken by the change's signal."""

from __future__ import annotations

import pytest

from registrants.tests.factories import EventFactory, make_registrant
from webhooks import runner
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def embedded(settings):
    settings.IMPORT_RUNNER = "thread"  # config.jobs.runner(): no broker
    settings.WEBHOOK_EMBEDDED_SENDER = True
    settings.WEBHOOK_POLL_SECONDS = 60  # so only the wake-up can be quick
    yield
    runner.stop_embedded()


def test_without_a_broker_the_thread_sends_a_committed_change(embedded, receiver):
    event = EventFactory()
    endpoint = Endpoint.objects.create(event=event, url=receiver.url)
    assert runner.start_embedded() is True
    make_registrant(event, name="Ada Lovelace")
    (request,) = receiver.wait_for(1)
    assert receiver.verified(endpoint.secret) == [True]
    assert b"Ada Lovelace" in request["body"]
    runner.stop_embedded()
    assert Delivery.objects.get().state == "delivered"


def test_with_a_broker_the_thread_does_not_start(settings):
    settings.IMPORT_RUNNER = "celery"
    settings.WEBHOOK_EMBEDDED_SENDER = True
    assert runner.start_embedded() is False
