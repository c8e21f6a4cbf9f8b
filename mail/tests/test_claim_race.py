"""Senders racing for one message (a task delivered twice, the sweep and a
retry at once): real threads, each with its own connection; one sends."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from mail import dispatch, sending
from mail.models import Message, MessageStatus
from registrants import services as registrant_services

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 8


def test_senders_racing_for_one_message_send_it_once(smtp, mailing_event, monkeypatch):
    monkeypatch.setattr(dispatch, "dispatch", lambda ids: None)
    registrant = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Ada Lovelace", email="ada@example.com"
    )
    message = Message.objects.get(registrant=registrant)
    barrier = threading.Barrier(SENDERS)
    results: list[sending.Attempt] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            barrier.wait()
            results.append(sending.attempt(message.pk))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.claimed for r in results) == 1
    assert len(smtp.to("ada@example.com")) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)


@pytest.mark.race_twin
def test_twin_without_the_conditional_claim_senders_send_twice(smtp, mailing_event, monkeypatch):
    """The guard disabled (read, pause, then claim unconditionally): the
    race is real, more than one sender mails the person."""
    import time

    def check_then_claim(message_id: int) -> bool:
        row = Message.objects.get(pk=message_id)
        if row.status != MessageStatus.QUEUED or row.lease_until is not None:
            return False
        time.sleep(0.05)
        return True

    monkeypatch.setattr(sending, "_claim", check_then_claim)
    monkeypatch.setattr(dispatch, "dispatch", lambda ids: None)
    registrant = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Ada Lovelace", email="ada@example.com"
    )
    message = Message.objects.get(registrant=registrant)
    barrier = threading.Barrier(SENDERS)

    def sender() -> None:
        try:
            barrier.wait()
            sending.attempt(message.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(smtp.to("ada@example.com")) > 1
