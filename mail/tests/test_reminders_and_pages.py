"""The organisers' side: reminders to the list's selection (small at once,
large as a job), the event's e-mail page, a registrant's messages."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from mail import reminders
from mail.models import JobState, Kind, MailSettings, MailTemplate, Message, ReminderJob
from registrants.lifecycle import Status
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def crowd():
    event = EventFactory(name="Summit")
    people = {
        "speaker1": make_registrant(event, guest_type="speaker", email="s1@example.com"),
        "speaker2": make_registrant(event, guest_type="speaker", email="s2@example.com"),
        "gone": make_registrant(
            event, guest_type="speaker", email="gone@example.com", status=Status.CANCELLED
        ),
        "attendee": make_registrant(event, email="a1@example.com"),
    }
    return event, people


def reminded(event):
    return set(
        Message.objects.filter(event=event, kind=Kind.REMINDER).values_list("recipient", flat=True)
    )


def test_a_reminder_reaches_the_filtered_list_but_not_the_cancelled(smtp, crowd, org_web):
    event, _people = crowd
    page = org_web.get(f"/events/{event.pk}/mail/reminder/", {"guest_type": "speaker"})
    assert page.status_code == 200 and 'data-count="2"' in page.content.decode()
    answer = org_web.post(f"/events/{event.pk}/mail/reminder/", {"guest_type": "speaker"})
    assert answer.status_code == 302
    assert reminded(event) == {"s1@example.com", "s2@example.com"}
    assert {m["To"] for m in smtp.received} == {"s1@example.com", "s2@example.com"}
    assert smtp.received[0]["Subject"] == "Reminder: Summit on Tuesday 01 December 2026"


def test_an_invalid_filter_is_a_400_and_mails_nobody(smtp, crowd, org_web):
    event, _people = crowd
    answer = org_web.post(f"/events/{event.pk}/mail/reminder/", {"status": "nonsense"})
    assert answer.status_code == 400
    assert Message.objects.count() == 0


def test_a_large_reminder_is_a_job_that_mails_each_person_once_even_run_twice(
    smtp, crowd, org_web, settings
):
    event, _people = crowd
    settings.MAIL_REMINDER_JOB_THRESHOLD = 1
    answer = org_web.post(f"/events/{event.pk}/mail/reminder/", {})
    job = ReminderJob.objects.get(event=event)
    assert answer["Location"] == f"/events/{event.pk}/mail/reminder/jobs/{job.pk}/"
    job.refresh_from_db()
    assert (job.state, job.total, job.queued) == (JobState.DONE, 3, 3)
    ReminderJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING)  # a redelivered task
    reminders.reminder_job_run(job_id=job.pk)
    assert Message.objects.filter(reminder_job=job).count() == 3
    assert len(smtp.received) == 3
    assert 'data-job-state="done"' in org_web.get(answer["Location"]).content.decode()


def test_only_organisers_send_reminders_or_edit_the_wording(crowd, staff_web, viewer_web):
    event, _people = crowd
    for client in (staff_web, viewer_web):
        assert client.post(f"/events/{event.pk}/mail/reminder/", {}).status_code == 403
        assert client.get(f"/events/{event.pk}/mail/").status_code == 403
    assert Message.objects.count() == 0


def test_the_mail_page_saves_the_settings_and_refuses_a_bad_template(crowd, org_web):
    event, _people = crowd
    org_web.post(f"/events/{event.pk}/mail/", {"action": "settings", "confirmations": "on"})
    settings_row = MailSettings.objects.get(event=event)
    assert (settings_row.confirmations, settings_row.cancellations) == (True, False)
    refused = org_web.post(
        f"/events/{event.pk}/mail/",
        {"action": "save", "kind": "reminder", "subject": "Hi", "body": "{{ password }}"},
    )
    assert refused.status_code == 400
    assert "is not a placeholder" in refused.content.decode()
    assert not MailTemplate.objects.exists()
    org_web.post(
        f"/events/{event.pk}/mail/",
        {"action": "save", "kind": "reminder", "subject": "Hi {{ name }}", "body": "See you"},
    )
    assert MailTemplate.objects.get(event=event, kind="reminder").subject == "Hi {{ name }}"
    org_web.post(f"/events/{event.pk}/mail/", {"action": "reset", "kind": "reminder"})
    assert not MailTemplate.objects.exists()


def test_organisers_see_a_registrants_messages_on_their_page(smtp, crowd, org_web, staff_web):
    event, people = crowd
    reminders.reminder_send(event=event, params=QueryDict("guest_type=speaker"), actor=None)
    page = org_web.get(f"/registrants/{people['speaker1'].pk}/").content.decode()
    assert "data-registrant-messages" in page and "Reminder: Summit" in page
    assert 'data-status="sent"' in page
    assert (
        "data-registrant-messages"
        not in staff_web.get(f"/registrants/{people['speaker1'].pk}/").content.decode()
    )


def test_the_admin_lists_the_log_and_changes_nothing(smtp, crowd, admin_client):
    event, people = crowd
    reminders.reminder_send(event=event, params=QueryDict("guest_type=speaker"), actor=None)
    message = Message.objects.first()
    assert admin_client.get("/admin/mail/message/").status_code == 200
    assert admin_client.get(f"/admin/mail/message/{message.pk}/change/").status_code == 200
    admin_client.post(f"/admin/mail/message/{message.pk}/delete/", {"post": "yes"})
    assert Message.objects.filter(pk=message.pk).exists()


def test_organisers_find_the_reminder_link_on_the_filtered_list(crowd, org_web, staff_web):
    event, _people = crowd
    url = f"/events/{event.pk}/registrants/?guest_type=speaker"
    page = org_web.get(url).content.decode()
    assert f'href="/events/{event.pk}/mail/reminder/?guest_type=speaker"' in page
    assert "mail/reminder/" not in staff_web.get(url).content.decode()
