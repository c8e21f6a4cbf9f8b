"""A reminder run is audited once, not once per registrant: who asked, for
which event, the filter and how many were queued; a large reminder's entry
is written when its job is done, once even if the job runs again. The
entries show on the audit log page and in its API."""

from __future__ import annotations

import pytest

from audit.models import Action, AuditEntry
from conftest import client_for
from mail import reminders
from mail.models import JobState, ReminderJob
from registrants.lifecycle import Status
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def summit():
    event = EventFactory(name="Summit")
    for n in range(3):
        make_registrant(event, guest_type="speaker", email=f"s{n}@example.com")
    make_registrant(event, guest_type="speaker", status=Status.CANCELLED)
    make_registrant(event, email="a1@example.com")
    return event


def entries():
    return list(AuditEntry.objects.filter(action=Action.REMINDER_SENT).order_by("id"))


def test_a_small_reminder_writes_one_entry_with_who_what_and_how_many(
    smtp, summit, org_web, organiser
):
    answer = org_web.post(
        f"/events/{summit.pk}/mail/reminder/", {"guest_type": "speaker", "search": "Lovelace"}
    )
    assert answer.status_code == 302
    (entry,) = entries()
    assert (entry.actor_id, entry.event_id, entry.registrant_id) == (organiser.pk, summit.pk, None)
    assert entry.details == {
        "queued": 3,
        "selected": 3,
        "filter": {"guest_type": "speaker", "search": "(given)"},  # a search may be a name
    }
    org_web.post(f"/events/{summit.pk}/mail/reminder/", {"guest_type": "attendee"})
    assert [e.details["queued"] for e in entries()] == [3, 1]


def test_an_invalid_filter_writes_no_entry(smtp, summit, org_web):
    assert org_web.post(f"/events/{summit.pk}/mail/reminder/", {"status": "no"}).status_code == 400
    assert entries() == []


def test_a_large_reminder_writes_one_entry_when_its_job_is_done(
    smtp, summit, org_web, organiser, settings
):
    settings.MAIL_REMINDER_JOB_THRESHOLD = 1
    org_web.post(f"/events/{summit.pk}/mail/reminder/", {})
    job = ReminderJob.objects.get(event=summit)
    assert job.state == JobState.DONE
    ReminderJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING)  # a redelivered task
    reminders.reminder_job_run(job_id=job.pk)
    (entry,) = entries()
    assert (entry.actor_id, entry.event_id) == (organiser.pk, summit.pk)
    assert entry.details == {"queued": 4, "selected": 4, "filter": {}, "job": job.pk}


def test_the_entries_show_on_the_audit_page_and_api(smtp, summit, org_web, organiser):
    org_web.post(f"/events/{summit.pk}/mail/reminder/", {"guest_type": "speaker"})
    page = org_web.get("/audit/", {"action": "reminder_sent"}).content.decode()
    assert "Reminder sent" in page
    api = client_for(organiser).get("/api/v1/audit/", {"action": "reminder_sent"}).json()
    rows = api["results"] if isinstance(api, dict) else api
    assert [(r["action"], r["details"]["queued"]) for r in rows] == [("reminder_sent", 3)]
