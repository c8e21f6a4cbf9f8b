"""Erasure reaches the message log; a subject access export lists it."""

from __future__ import annotations

import pytest

from mail.models import Message, MessageStatus
from registrants import services as registrant_services
from registrants.personal_data import registrant_personal_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_erasing_a_registrant_scrubs_their_messages(smtp, mailing_event):
    # The server's refusal names the address: the kept error must not.
    smtp.answer("ada@example.com", "550 5.1.1 <ada@example.com>: Ada Lovelace is unknown")
    registrant = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Ada Lovelace", email="ada@example.com"
    )
    other = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Bob", email="bob@example.com"
    )
    registrant_services.registrant_delete(registrant_id=registrant.pk)
    message = Message.objects.get(registrant=registrant)
    assert (message.recipient, message.subject, message.body_text, message.body_html) == (
        "(erased)",
        "(erased)",
        "",
        "",
    )
    # Whole names: "ada" alone turns up in other people's signed ticket links.
    for field in ("recipient", "subject", "body_text", "body_html", "last_error"):
        for needle in ("lovelace", "ada@example.com"):
            found = Message.objects.filter(**{f"{field}__icontains": needle})
            assert not found.exists(), (field, needle)
    assert Message.objects.get(registrant=other).recipient == "bob@example.com"


def test_a_message_still_queued_when_its_registrant_is_erased_is_never_sent(
    smtp, mailing_event, monkeypatch
):
    from mail import dispatch, sending

    monkeypatch.setattr(dispatch, "dispatch", lambda ids: None)
    registrant = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Ada Lovelace", email="ada@example.com"
    )
    registrant_services.registrant_delete(registrant_id=registrant.pk)
    message = Message.objects.get(registrant=registrant)
    assert message.status == MessageStatus.FAILED
    assert sending.attempt(message.pk).claimed is False
    assert smtp.received == []


def test_the_subject_access_export_lists_the_messages(smtp, mailing_event, organiser):
    registrant = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Ada Lovelace", email="ada@example.com"
    )
    export = registrant_personal_data(registrant_id=registrant.pk, actor=organiser)
    [entry] = export["messages"]
    assert entry["kind"] == "confirmation"
    assert entry["recipient"] == "ada@example.com"
    assert entry["status"] == "sent"
    assert "Hello Ada Lovelace" in entry["body_text"]


def test_the_operators_purge_removes_the_messages_too(smtp, mailing_event):
    from registrants.purge import registrant_purge

    registrant = registrant_services.registrant_register(
        event_id=mailing_event.pk, name="Ada Lovelace", email="ada@example.com"
    )
    registrant_services.registrant_delete(registrant_id=registrant.pk)
    registrant_purge(registrant_id=registrant.pk)
    assert not Message.objects.filter(registrant_id=registrant.pk).exists()
