"""What the registrant page reads: the registrant, its event's time zone, its
history, answers and e-mails in one query, and still shows all of them."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mail.models import Message
from registrants import services
from registrants.lifecycle import Status
from registrants.models import Source
from registrants.tests.factories import EventFactory, make_registrant
from signup import services as signup_services
from signup.models import Answer

# The request's own reads (session, user, permissions) are not the page's.
_REQUEST_TABLES = re.compile(r'FROM "(django_session|auth_\w+|accounts_\w+)"')
AT = datetime.datetime(2026, 12, 1, 17, 30, tzinfo=datetime.UTC)  # 18:30 in Paris


def _page_queries(client, registrant) -> tuple[str, list[str]]:
    url = reverse("dashboard:registrant", args=[registrant.pk])
    # The process's first page compiles the statement (on SQLite Django asks
    # once whether JSON is there): count a second request's queries.
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    own = [q["sql"] for q in captured.captured_queries if not _REQUEST_TABLES.search(q["sql"])]
    return response.content.decode(), own


@pytest.fixture
def everything(organiser):
    """A registrant in Paris with answers, two e-mails and a history with a
    correction, notes and a named actor."""
    event = EventFactory(time_zone="Europe/Paris")
    diet = signup_services.question_create(
        event_id=event.pk, actor=None, label="Dietary needs", kind="choice",
        choices=["None", "Vegan"],
    )  # fmt: skip
    ramp = signup_services.question_create(
        event_id=event.pk, actor=None, label="Wheelchair access", kind="yes_no"
    )
    ada = make_registrant(event, name="Ada Lovelace", email="ada@example.com", company="Engines")
    Answer.objects.create(registrant=ada, question=ramp, value="yes")
    Answer.objects.create(registrant=ada, question=diet, value="Vegan")
    organiser.first_name, organiser.last_name = "Olga", "Organiser"
    organiser.save(update_fields=["first_name", "last_name"])
    for to_status, note in (
        ("checked_in", "side door"),
        ("entered", ""),
        ("checked_in", "wrong door"),
    ):
        services.registrant_change_status(
            registrant_id=ada.pk, to_status=to_status, note=note, actor=organiser,
            source=Source.DASHBOARD,
        )  # fmt: skip
    for kind, status, subject in (("confirmation", "sent", "Your ticket"),
                                  ("reminder", "failed", "Reminder: soon")):  # fmt: skip
        Message.objects.create(
            registrant=ada, event=event, kind=kind, status=status, recipient="ada@example.com",
            subject=subject, body_text="-", body_html="-", attempts=2, last_error="" if
            status == "sent" else "mailbox full", sent_at=AT if status == "sent" else None,
        )  # fmt: skip
    Message.objects.filter(registrant=ada).update(created_at=AT)
    type(ada).objects.filter(pk=ada.pk).update(created_at=AT)
    return ada


def test_the_page_reads_its_registrant_history_answers_and_mail_in_one_query(org_web, everything):
    html, own = _page_queries(org_web, everything)
    assert len(own) == 1, own


def test_the_page_shows_the_history_answers_and_mail_read_in_that_query(org_web, everything):
    html, _ = _page_queries(org_web, everything)
    # Times in the event's zone (Paris), not the deployment's.
    assert "1 Dec 2026 18:30" in html and 'datetime="2026-12-01T18:30:00+01:00"' in html
    # The history: oldest first, who, how, the correction, the notes.
    items = re.findall(r'<li class="timeline__item timeline__item--(\w+)">', html)
    assert items == ["registered", "checked_in", "entered", "checked_in"]
    assert html.count('tag--correction">Correction') == 1
    assert "“side door”" in html and "“wrong door”" in html
    assert html.count("by Olga Organiser") == 3 and "by system" in html
    assert html.count("via Dashboard") == 3
    assert "from entered" in html and "from registered" in html
    # The answers, in question order.
    assert re.findall(r'<dt data-question="\d+">([^<]+)</dt>', html) == [
        "Dietary needs",
        "Wheelchair access",
    ]
    assert ">Vegan</dd>" in html and ">Yes</dd>" in html
    # The e-mails, newest first, with their status and error.
    rows = re.findall(r'<tr data-message="(\d+)" data-status="(\w+)">', html)
    assert [status for _, status in rows] == ["failed", "sent"]
    assert int(rows[0][0]) > int(rows[1][0])
    assert 'Reminder<br><span class="muted">Reminder: soon' in html
    assert "mailbox full" in html and html.count("1 Dec 18:30") == 3  # queued twice, sent once


def test_a_registrant_without_answers_or_mail_still_costs_one_query(org_web, event):
    ada = make_registrant(event, name="Ada Lovelace")
    html, own = _page_queries(org_web, ada)
    assert len(own) == 1, own
    assert "No messages yet." in html and "data-question" not in html


def test_staff_read_no_mail_and_see_no_mail_card(staff_web, everything):
    html, own = _page_queries(staff_web, everything)
    assert len(own) == 1 and "mail_message" not in own[0]
    assert "data-registrant-messages" not in html


def test_a_waitlisted_registrants_page_reads_the_position_and_offers(org_web, event):
    waiting = make_registrant(event, name="Wendy Wait", status=Status.WAITLISTED)
    html, own = _page_queries(org_web, waiting)
    # The registrant's query, the position in the line and the offers.
    assert len(own) == 3, own
    assert "data-waitlist-position" in html


def test_other_registrant_pages_still_show_times_in_the_events_zone(org_web, everything):
    response = org_web.post(
        reverse("dashboard:registrant_transition", args=[everything.pk]),
        {"to_status": "checked_in"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    # The timeline's times are the history rows' own (written now): Paris's offset.
    assert '+01:00">' in response.content.decode()


def test_the_status_panel_after_a_move_reads_no_mail(org_web, everything):
    with CaptureQueriesContext(connection) as captured:
        response = org_web.post(
            reverse("dashboard:registrant_transition", args=[everything.pk]),
            {"to_status": "entered"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200 and "Ada Lovelace: entered." in response.content.decode()
    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert not any('"mail_message"' in sql for sql in reads)


def test_the_page_lists_the_newest_fifty_e_mails(org_web, event):
    ada = make_registrant(event, name="Ada Lovelace")
    Message.objects.bulk_create(
        Message(registrant=ada, event=event, kind="reminder", recipient="a@example.com",
                subject=f"Reminder {n}", body_text="-", body_html="-")
        for n in range(52)
    )  # fmt: skip
    html, own = _page_queries(org_web, ada)
    ids = sorted(Message.objects.filter(registrant=ada).values_list("id", flat=True))
    shown = [int(i) for i in re.findall(r'<tr data-message="(\d+)"', html)]
    assert len(own) == 1 and shown == ids[:-51:-1]
