"""The bulk receiver (history_rows_created) reads what a batch needs in a
fixed number of queries, whatever its size, and writes the messages the
changes made one by one would write."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mail.models import Kind, MailSettings, MailTemplate, Message
from mail.receivers import queue_on_bulk_status_changes
from mail.services import message_build
from registrants.models import Source, StatusChange
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db

TICKET_TOKEN = re.compile(r"t=[\w:.%-]+")
COMPARED = ("registrant_id", "event_id", "kind", "recipient", "subject", "body_text", "body_html")


def batch(size: int) -> list[StatusChange]:
    """Cancellations on an event that mails them (with its own wording) and
    on one that does not, and promotions from the waitlist (always mailed)."""
    mailing, quiet = EventFactory(name="Mailing"), EventFactory(name="Quiet")
    MailSettings.objects.create(event=mailing, cancellations=True)
    MailTemplate.objects.create(
        event=mailing, kind=Kind.CANCELLATION, subject="Sorry {{ name }}", body="Bye {{ event }}"
    )
    changes = []
    for i in range(size):
        event = (mailing, quiet)[i % 2]
        person = make_registrant(event, name=f"Person {i}", email=f"p{i}@example.com")
        to, source = ("cancelled", Source.DASHBOARD) if i % 3 else ("registered", Source.SYSTEM)
        changes.append(
            StatusChange(
                registrant_id=person.pk,
                event_id=event.pk,
                from_status="registered" if i % 3 else "waitlisted",
                to_status=to,
                source=source,
            )
        )
    Message.objects.all().delete()  # the registrations' own mail
    return changes


def queries_for(size: int) -> int:
    changes = batch(size)
    with CaptureQueriesContext(connection) as queries:
        queue_on_bulk_status_changes(sender=StatusChange, changes=changes)
    assert Message.objects.exists()
    return len(queries)


def _unsigned(row: dict) -> dict:
    """The row with its ticket links' signatures left out: they carry the
    second they were signed, which differs when the two writes straddle one."""
    return {
        field: TICKET_TOKEN.sub("t=<signed>", value) if isinstance(value, str) else value
        for field, value in row.items()
    }


def test_the_queries_do_not_grow_with_the_batch():
    assert queries_for(5) == queries_for(50)


def test_it_writes_what_the_changes_one_by_one_would():
    changes = batch(12)
    queue_on_bulk_status_changes(sender=StatusChange, changes=changes)
    written = list(Message.objects.order_by("id").values(*COMPARED))
    # Cancellations of the mailing event and every promotion; not the quiet
    # event's cancellations.
    expected = []
    for i, change in enumerate(changes):
        kind = Kind.CONFIRMATION if change.from_status == "waitlisted" else Kind.CANCELLATION
        if kind == Kind.CANCELLATION and i % 2:
            continue
        one = message_build(registrant=change.registrant, kind=kind)
        expected.append({field: getattr(one, field) for field in COMPARED})
    assert [_unsigned(row) for row in written] == [_unsigned(row) for row in expected]
    assert any(row["subject"].startswith("Sorry Person") for row in written)
