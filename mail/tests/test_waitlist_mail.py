"""The waitlist and the attendee's mail meet: a freed seat's offer is
mailed (whatever the event's settings) with a link to the ticket page,
where the person takes the seat and is then mailed their ticket."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import transaction
from django.utils import timezone

from mail.models import Kind, Message, MessageStatus
from registrants import services
from registrants.lifecycle import Status
from registrants.models import Registrant, WaitlistOffer
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def full_event():
    """One seat, taken; two people waiting (no e-mail settings saved)."""
    event = EventFactory(name="Night of Code", capacity=1, time_zone="Europe/Paris")
    seated = make_registrant(event, name="Seated")
    first = services.registrant_register(
        event_id=event.pk, name="First Waiter", email="first@example.com", join_waitlist=True
    )
    second = services.registrant_register(
        event_id=event.pk, name="Second Waiter", email="second@example.com", join_waitlist=True
    )
    return event, seated, first, second


def _offer_link(message: Message) -> str:
    return re.search(r"https?://[^/\s]+(/ticket/\?t=\S+)", message.body_text).group(1)


def test_a_freed_seat_is_offered_by_mail_and_taken_on_the_ticket_page(smtp, anon_web, full_event):
    event, seated, first, second = full_event
    services.registrant_change_status(registrant_id=seated.pk, to_status=Status.CANCELLED)
    offer = Message.objects.get(kind=Kind.WAITLIST_OFFER)
    assert (offer.registrant_id, offer.status) == (first.pk, MessageStatus.SENT)
    assert not Message.objects.filter(registrant=second).exists()
    [sent] = smtp.to("first@example.com")
    assert "Night of Code" in sent["Subject"]
    local = timezone.localtime(
        WaitlistOffer.objects.get(registrant=first).expires_at,
        datetime.timezone(datetime.timedelta(hours=1)),
    )
    assert f"{local:%H:%M}" in offer.body_text  # the venue's time

    page = anon_web.get(_offer_link(offer)).content.decode()
    assert "data-offer" in page and "Take the seat" in page
    token = re.search(r'name="t" value="([^"]+)"', page).group(1)
    taken = anon_web.post("/ticket/accept/", {"t": token}, follow=True)
    assert "The seat is yours" in taken.content.decode()
    assert Registrant.objects.get(pk=first.pk).status == Status.REGISTERED
    # The promotion mails the ticket, though the event's settings are off.
    ticket = Message.objects.get(registrant=first, kind=Kind.CONFIRMATION)
    assert ticket.status == MessageStatus.SENT


def test_an_offer_rolled_back_leaves_no_message(full_event):
    event, seated, first, _ = full_event
    with pytest.raises(RuntimeError), transaction.atomic():
        services.registrant_change_status(registrant_id=seated.pk, to_status=Status.CANCELLED)
        assert Message.objects.filter(kind=Kind.WAITLIST_OFFER).count() == 1
        raise RuntimeError("the cancellation's request failed after the offer")
    assert not Message.objects.exists()
    assert not WaitlistOffer.objects.exists()


def test_a_lapsed_offer_is_not_shown_and_cannot_be_taken(anon_web, full_event):
    event, seated, first, second = full_event
    services.registrant_change_status(registrant_id=seated.pk, to_status=Status.CANCELLED)
    WaitlistOffer.objects.filter(registrant=first).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    link = _offer_link(Message.objects.get(registrant=first, kind=Kind.WAITLIST_OFFER))
    page = anon_web.get(link).content.decode()
    assert "data-offer" not in page and "Take the seat" not in page
    token = re.search(r"t=(\S+)", link).group(1)
    refused = anon_web.post("/ticket/accept/", {"t": token}, follow=True)
    assert refused.status_code == 200
    assert Registrant.objects.get(pk=first.pk).status == Status.WAITLISTED
    # The seat went on to the next person, who is mailed in turn.
    assert WaitlistOffer.objects.get(registrant=second).state == WaitlistOffer.State.OPEN
    assert Message.objects.filter(registrant=second, kind=Kind.WAITLIST_OFFER).exists()
