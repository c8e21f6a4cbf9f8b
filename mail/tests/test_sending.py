"""Messages end to end against a real SMTP server on loopback: what arrives,
and what the log says when the server refuses or is away."""

from __future__ import annotations

import datetime
import io

import pytest
import zxingcpp
from django.db import transaction
from PIL import Image

from badges.tests.qr import decode_pdf
from mail import dispatch, sending, services
from mail.models import Kind, MailSettings, Message, MessageStatus
from registrants import services as registrant_services
from registrants.lifecycle import Status
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db(transaction=True)


def register(event, email="ada@example.com", name="Ada Lovelace"):
    return registrant_services.registrant_register(event_id=event.pk, name=name, email=email)


def parts(message):
    """(text, html, inline images by content id, attachments by filename)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    images, attachments = {}, {}
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        cid = part.get("Content-ID")
        if cid:
            images[cid.strip("<>")] = part.get_content()
        elif part.get_filename():
            attachments[part.get_filename()] = part.get_content()
    return text, html, images, attachments


def test_the_confirmation_carries_the_ticket_as_a_qr_image_and_a_pdf(smtp, mailing_event):
    registrant = register(mailing_event)
    [received] = smtp.to("ada@example.com")
    assert received["Subject"] == "Your ticket for Night of Code"
    text, html, images, attachments = parts(received)
    assert "Hello Ada Lovelace" in text
    assert "https://tickets.example.org/ticket/?t=" in text
    assert 'src="cid:ticket-qr"' in html
    image = Image.open(io.BytesIO(images["ticket-qr"]))
    decoded = [b.text for b in zxingcpp.read_barcodes(image)]
    assert decoded == [registrant.check_in_code]
    assert decode_pdf(attachments[f"ticket-{registrant.pk}.pdf"]) == [[registrant.check_in_code]]
    message = Message.objects.get(registrant=registrant)
    assert (message.kind, message.status, message.attempts) == (
        Kind.CONFIRMATION,
        MessageStatus.SENT,
        1,
    )
    assert message.sent_at is not None


def test_an_event_without_mail_settings_mails_nobody(smtp):
    register(EventFactory())
    assert smtp.received == []
    assert Message.objects.count() == 0


def test_a_rolled_back_registration_leaves_no_message_and_sends_nothing(smtp, mailing_event):
    with pytest.raises(RuntimeError), transaction.atomic():
        register(mailing_event)
        assert Message.objects.count() == 1  # written with its cause
        raise RuntimeError("the caller's transaction fails after the registration")
    assert Message.objects.count() == 0
    assert smtp.received == []


def test_a_permanent_refusal_is_a_bounce_and_is_not_retried(smtp, mailing_event):
    smtp.answer("gone@example.com", "550 5.1.1 No such user here")
    registrant = register(mailing_event, email="gone@example.com")
    message = Message.objects.get(registrant=registrant)
    assert (message.status, message.attempts) == (MessageStatus.BOUNCED, 1)
    assert "550" in message.last_error
    assert smtp.tries("gone@example.com") == 1
    assert smtp.received == []


def test_a_temporary_refusal_is_retried_until_it_is_accepted(smtp, mailing_event):
    smtp.answer("busy@example.com", "451 4.7.1 Try again later", "451 4.7.1 Later", "250 OK")
    registrant = register(mailing_event, email="busy@example.com")
    message = Message.objects.get(registrant=registrant)
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 3, "")
    assert smtp.tries("busy@example.com") == 3
    assert len(smtp.to("busy@example.com")) == 1


def test_a_temporary_refusal_that_lasts_fails_the_message_after_its_attempts(smtp, mailing_event):
    smtp.answer("full@example.com", "452 4.2.2 Mailbox full")
    registrant = register(mailing_event, email="full@example.com")
    message = Message.objects.get(registrant=registrant)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)
    assert "452" in message.last_error
    assert smtp.tries("full@example.com") == 3


def test_no_server_is_retried_then_failed(smtp, mailing_event, settings):
    from testing.servers import free_port

    settings.EMAIL_PORT = free_port()  # nothing listens there
    registrant = register(mailing_event)
    message = Message.objects.get(registrant=registrant)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)
    assert "ConnectionRefusedError" in message.last_error


def test_a_message_handed_over_twice_is_sent_once(smtp, mailing_event):
    registrant = register(mailing_event)
    message = Message.objects.get(registrant=registrant)
    assert sending.attempt(message.pk).claimed is False  # already sent
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.QUEUED)
    Message.objects.filter(pk=message.pk).update(
        lease_until=datetime.datetime(2999, 1, 1, tzinfo=datetime.UTC)
    )
    assert sending.attempt(message.pk).claimed is False  # someone holds it
    assert len(smtp.received) == 1


def test_the_sweep_sends_a_message_whose_hand_over_was_lost(
    smtp, mailing_event, monkeypatch, settings
):
    monkeypatch.setattr(dispatch, "dispatch", lambda ids: None)  # the broker was down
    registrant = register(mailing_event)
    monkeypatch.undo()
    assert smtp.received == []
    settings.MAIL_SWEEP_AFTER_SECONDS = 0
    assert dispatch.sweep() == [Message.objects.get(registrant=registrant).pk]
    assert len(smtp.to("ada@example.com")) == 1
    assert dispatch.sweep() == []


def test_a_cancellation_is_announced_when_the_event_says_so(smtp, mailing_event):
    registrant = register(mailing_event)
    registrant_services.registrant_change_status(
        registrant_id=registrant.pk, to_status=Status.CANCELLED, note=""
    )
    kinds = list(
        Message.objects.filter(registrant=registrant).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [Kind.CONFIRMATION, Kind.CANCELLATION]
    assert smtp.received[-1]["Subject"] == "Your registration for Night of Code is cancelled"


def test_a_reinstatement_sends_the_ticket_again_but_a_check_in_does_not(smtp, mailing_event):
    registrant = register(mailing_event)
    for status in (Status.CHECKED_IN, Status.CANCELLED, Status.REGISTERED):
        registrant_services.registrant_change_status(registrant_id=registrant.pk, to_status=status)
    kinds = list(
        Message.objects.filter(registrant=registrant).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [Kind.CONFIRMATION, Kind.CANCELLATION, Kind.CONFIRMATION]


def test_confirmations_off_cancellations_on(smtp, mailing_event):
    MailSettings.objects.filter(event=mailing_event).update(confirmations=False)
    registrant = register(mailing_event)
    assert smtp.received == []
    registrant_services.registrant_change_status(
        registrant_id=registrant.pk, to_status=Status.CANCELLED
    )
    assert [m["Subject"] for m in smtp.received] == [
        "Your registration for Night of Code is cancelled"
    ]


def test_the_waitlist_offer_names_its_expiry_in_the_venue_time_and_the_confirm_link(smtp):
    event = EventFactory(name="Gala", time_zone="Asia/Tokyo")
    registrant = make_registrant(event, email="wait@example.com")
    expires = datetime.datetime(2026, 11, 30, 9, 30, tzinfo=datetime.UTC)
    message = services.waitlist_offer_queue(
        registrant_id=registrant.pk, expires_at=expires, confirm_url="https://x.example/offer/abc"
    )
    [received] = smtp.to("wait@example.com")
    text, html, _images, attachments = parts(received)
    assert "30 Nov 18:30 (Asia/Tokyo)" in text  # 09:30 UTC is 18:30 in Tokyo
    assert "https://x.example/offer/abc" in text
    assert 'href="https://x.example/offer/abc"' in html
    assert attachments == {}
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SENT


def test_the_waitlist_offer_refuses_a_naive_time_and_an_erased_registrant(smtp):
    from registrants.errors import ApplicationError

    registrant = make_registrant(EventFactory())
    with pytest.raises(ApplicationError) as naive:
        services.waitlist_offer_queue(
            registrant_id=registrant.pk,
            expires_at=datetime.datetime(2026, 11, 30, 9, 30),
            confirm_url="https://x.example/o",
        )
    assert naive.value.code == "validation_error"
    registrant_services.registrant_delete(registrant_id=registrant.pk)
    with pytest.raises(ApplicationError) as erased:
        services.waitlist_offer_queue(
            registrant_id=registrant.pk,
            expires_at=datetime.datetime(2026, 11, 30, 9, 30, tzinfo=datetime.UTC),
            confirm_url="https://x.example/o",
        )
    assert erased.value.code == "not_found"
    assert smtp.received == []


def test_an_edited_template_is_used_and_a_name_cannot_inject_html(smtp, mailing_event):
    services.mail_template_save(
        event=mailing_event,
        kind=Kind.CONFIRMATION,
        subject="Ticket: {{ event }}",
        body="Dear {{name}}, see {{ ticket_url }}",
    )
    register(mailing_event, name="<script>alert(1)</script> Bob")
    [received] = smtp.received
    text, html, _images, _attachments = parts(received)
    assert received["Subject"] == "Ticket: Night of Code"
    assert text.startswith("Dear <script>alert(1)</script> Bob, see https://tickets.example.org/")
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("Hi {{ name }}", "{{ __class__ }}", "body"),
        ("Hi {{ secret_key }}", "body", "subject"),
        ("Hi", "{{ confirm_url }}", "body"),  # only a waitlist offer has one
        ("Two\nlines", "body", "subject"),
        ("", "body", "subject"),
    ],
)
def test_a_template_may_use_only_its_placeholders(mailing_event, subject, body, field):
    from registrants.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        services.mail_template_save(
            event=mailing_event, kind=Kind.CONFIRMATION, subject=subject, body=body
        )
    assert refused.value.code == "validation_error"
    assert field in refused.value.fields


def test_without_a_broker_messages_are_written_to_files_by_a_thread(
    settings, tmp_path, mailing_event
):
    """The embedded default: no EMAIL_HOST (the file backend) and no broker
    (a background thread sends, the request does not wait)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.IMPORT_RUNNER = "thread"
    registrant = register(mailing_event)
    message = Message.objects.get(registrant=registrant)
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=30)
    while Message.objects.get(pk=message.pk).status == MessageStatus.QUEUED:
        assert datetime.datetime.now() < deadline, "the thread never sent the message"
        import time

        time.sleep(0.05)
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SENT
    [written] = list(tmp_path.iterdir())
    content = written.read_text()
    assert "Subject: Your ticket for Night of Code" in content
    assert "ada@example.com" in content


def test_a_message_whose_senders_keep_dying_is_given_up_after_its_attempts(
    smtp, mailing_event, monkeypatch, settings
):
    """Each sender died mid-send (its lease lapsed, attempts counted): the
    sweep must not hand it over for ever."""
    monkeypatch.setattr(dispatch, "dispatch", lambda ids: None)
    registrant = register(mailing_event)
    monkeypatch.undo()
    message = Message.objects.get(registrant=registrant)
    Message.objects.filter(pk=message.pk).update(attempts=settings.MAIL_MAX_ATTEMPTS)
    result = sending.attempt(message.pk)
    assert result.status == MessageStatus.FAILED
    assert Message.objects.get(pk=message.pk).status == MessageStatus.FAILED
    assert smtp.received == []


def test_send_queued_mail_sends_what_was_left_queued(smtp, mailing_event, monkeypatch, settings):
    from django.core.management import call_command

    monkeypatch.setattr(dispatch, "dispatch", lambda ids: None)
    register(mailing_event)
    monkeypatch.undo()
    settings.MAIL_SWEEP_AFTER_SECONDS = 0
    out = io.StringIO()
    call_command("send_queued_mail", stdout=out)
    assert out.getvalue().startswith("1 queued messages handed to their sender")
    assert len(smtp.to("ada@example.com")) == 1


def test_a_bulk_cancellation_mails_each_person_and_a_bulk_check_in_nobody(smtp, mailing_event):
    """A bulk action writes its history rows in one INSERT (no post_save):
    its messages are queued all the same, in the chunk's transaction."""
    people = [register(mailing_event, email=f"p{i}@example.com") for i in range(3)]
    ids = [p.pk for p in people]
    registrant_services.registrants_bulk_change_status(
        registrant_ids=ids[:1], to_status="checked_in"
    )
    registrant_services.registrants_bulk_change_status(registrant_ids=ids, to_status="cancelled")
    for i, person in enumerate(people):
        kinds = list(
            Message.objects.filter(registrant=person).order_by("id").values_list("kind", flat=True)
        )
        assert kinds == [Kind.CONFIRMATION, Kind.CANCELLATION], i
        assert len(smtp.to(f"p{i}@example.com")) == 2
    registrant_services.registrants_bulk_change_status(registrant_ids=ids, to_status="registered")
    assert Message.objects.filter(kind=Kind.CONFIRMATION).count() == 6  # reinstated: the ticket
