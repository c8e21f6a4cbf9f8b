"""The attendee's ticket page, opened from the signed link of their e-mail."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from django.test import Client
from PIL import Image

from badges.tests.qr import decode_pdf
from mail.tickets import ticket_path, ticket_token
from registrants import services as registrant_services
from registrants.lifecycle import Status
from registrants.models import Registrant, Source, StatusChange
from registrants.presenters import local_time
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def registrant():
    event = EventFactory(name="Night of Code", time_zone="Asia/Tokyo")
    return make_registrant(event, name="Ada Lovelace", company="Acme")


def test_the_link_shows_the_ticket_and_only_it(anon_web, registrant):
    other = make_registrant(registrant.event, name="Someone Else")
    page = anon_web.get(ticket_path(registrant))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Night of Code" in html and "Ada Lovelace" in html and "Acme" in html
    assert 'data-status="registered"' in html
    assert local_time(registrant.created_at, "Asia/Tokyo", with_date=True) + " " in html
    assert "Someone Else" not in html and other.email not in html
    assert registrant.check_in_code not in html  # only as the QR image
    assert page["Cache-Control"] == "no-store"
    assert "noindex" in page["X-Robots-Tag"]


def test_the_qr_code_and_the_pdf_carry_the_check_in_code(anon_web, registrant):
    token = ticket_token(registrant)
    png = anon_web.get("/ticket/qr.png", {"t": token})
    assert png["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [registrant.check_in_code]
    pdf = anon_web.get("/ticket/ticket.pdf", {"t": token})
    assert pdf["Content-Type"] == "application/pdf"
    assert decode_pdf(pdf.content) == [[registrant.check_in_code]]


@pytest.mark.parametrize("path", ["/ticket/", "/ticket/qr.png", "/ticket/ticket.pdf"])
def test_a_forged_or_missing_token_opens_nothing(anon_web, registrant, path):
    token = ticket_token(registrant)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert anon_web.get(path, {"t": forged}).status_code == 404
    assert anon_web.get(path).status_code == 404
    assert anon_web.get(path, {"t": "x" * 5000}).status_code == 404


def test_a_token_made_for_another_code_opens_nothing(anon_web, registrant):
    """A link is bound to the check-in code: replace the code and it dies."""
    token = ticket_token(registrant)
    Registrant.objects.filter(pk=registrant.pk).update(check_in_code="A" * 32)
    assert anon_web.get("/ticket/", {"t": token}).status_code == 404


def test_the_link_stops_working_when_the_registrant_is_erased(anon_web, registrant):
    token = ticket_token(registrant)
    registrant_services.registrant_delete(registrant_id=registrant.pk)
    for path in ("/ticket/", "/ticket/qr.png", "/ticket/ticket.pdf"):
        assert anon_web.get(path, {"t": token}).status_code == 404
    assert anon_web.post("/ticket/cancel/", {"t": token}).status_code == 404


def _csrf(client: Client, token: str) -> str:
    page = client.get("/ticket/", {"t": token, "cancel": "1"})
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def test_cancelling_needs_the_confirmation_step_and_a_csrf_token(registrant):
    client = Client(enforce_csrf_checks=True)
    token = ticket_token(registrant)
    first = client.get("/ticket/", {"t": token}).content.decode()
    assert "data-cancel" in first and "data-confirm-cancel" not in first
    assert client.post("/ticket/cancel/", {"t": token}).status_code == 403
    registrant.refresh_from_db()
    assert registrant.status == Status.REGISTERED
    answer = client.post(
        "/ticket/cancel/", {"t": token, "csrfmiddlewaretoken": _csrf(client, token)}
    )
    assert answer.status_code == 302
    registrant.refresh_from_db()
    assert registrant.status == Status.CANCELLED
    change = StatusChange.objects.filter(registrant=registrant).latest("id")
    assert (change.from_status, change.to_status, change.actor, change.source) == (
        Status.REGISTERED,
        Status.CANCELLED,
        None,
        Source.SYSTEM,
    )
    assert "ticket page" in change.note
    after = client.get(answer["Location"]).content.decode()
    assert "data-cancelled" in after and "data-qr" not in after
    assert client.get("/ticket/qr.png", {"t": token}).status_code == 404


def test_someone_already_checked_in_cannot_cancel_from_the_ticket(registrant):
    client = Client(enforce_csrf_checks=True)
    token = ticket_token(registrant)
    csrf = _csrf(client, token)
    registrant_services.registrant_change_status(
        registrant_id=registrant.pk, to_status=Status.CHECKED_IN
    )
    assert "data-cancel" not in client.get("/ticket/", {"t": token}).content.decode()
    client.post("/ticket/cancel/", {"t": token, "csrfmiddlewaretoken": csrf})
    registrant.refresh_from_db()
    assert registrant.status == Status.CHECKED_IN


def test_the_request_log_never_holds_the_token(anon_web, registrant, caplog):
    token = ticket_token(registrant)
    with caplog.at_level("INFO", logger="request"):
        anon_web.get("/ticket/", {"t": token})
    assert caplog.records and all(token not in r.getMessage() for r in caplog.records)
