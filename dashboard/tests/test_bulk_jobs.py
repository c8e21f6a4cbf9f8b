"""The registrant list's large bulk actions: above BULK_JOB_THRESHOLD the
confirmation starts a job; its panel shows progress until the result, with
the same rights as the in-request path."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import EventAssignment
from registrants import bulk_jobs
from registrants.lifecycle import Status
from registrants.models import BulkJob, Registrant
from registrants.tests.factories import EventFactory, make_registrant, make_user

from .conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_threshold(settings):
    settings.BULK_JOB_THRESHOLD = 5


@pytest.fixture
def held(monkeypatch):
    """Jobs are created but not started: the test runs them when it wants."""
    monkeypatch.setattr("registrants.tasks.dispatch", lambda job_id: None)


@pytest.fixture
def crowd(event):
    return [make_registrant(event, name=f"Speaker {i}", guest_type="speaker") for i in range(7)]


def _confirm(client, event, *, action="check_in", expected=7, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("dashboard:registrants_bulk", args=[event.pk]),
        {
            "action": action,
            "all_matching": "true",
            "filters": "?guest_type=speaker",
            "expected": str(expected),
            "confirm": "true",
        },
        **headers,
    )


def _job_page(client, event, job, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.get(reverse("dashboard:bulk_job", args=[event.pk, job.pk]), **headers)


def test_a_large_set_becomes_a_job_with_progress_then_the_result(org_web, event, crowd, held):
    response = _confirm(org_web, event)
    assert response.status_code == 200
    job = BulkJob.objects.get()
    html = response.content.decode()
    assert f'data-bulk-job="{job.pk}"' in html
    assert "0 of 7 done" in html
    assert reverse("dashboard:bulk_job", args=[event.pk, job.pk]) in html  # it polls
    assert job.ids == [p.pk for p in crowd] and job.total == 7
    assert set(Registrant.objects.values_list("status", flat=True)) == {Status.REGISTERED}

    progress = org_web.get(reverse("dashboard:bulk_job_progress", args=[event.pk, job.pk]))
    assert progress.json() == {
        "id": job.pk,
        "state": "queued",
        "total": 7,
        "processed": 0,
        "changed": 0,
        "unchanged": 0,
        "refused": 0,
        "message": "",
    }
    bulk_jobs.bulk_job_run(job_id=job.pk)
    done = _job_page(org_web, event, job)
    assert "Check in: 7 changed, 0 unchanged, 0 refused" in done.content.decode()
    assert done["HX-Trigger"] == "registrants-changed"
    assert "data-bulk-job=" not in done.content.decode()  # polling stops
    page = _job_page(org_web, event, job, htmx=False)
    assert "Check in: 7 changed" in page.content.decode()
    assert (
        org_web.get(reverse("dashboard:bulk_job_progress", args=[event.pk, job.pk])).json()["state"]
        == "done"
    )


def test_a_set_at_the_threshold_stays_in_the_request(org_web, event, crowd, settings):
    settings.BULK_JOB_THRESHOLD = 7
    response = _confirm(org_web, event)
    assert "Check in: 7 changed, 0 unchanged, 0 refused" in response.content.decode()
    assert not BulkJob.objects.exists()


def test_without_a_worker_the_job_runs_in_this_process(org_web, event, crowd, settings):
    settings.IMPORT_RUNNER = "inline"
    response = _confirm(org_web, event)
    assert "Check in: 7 changed, 0 unchanged, 0 refused" in response.content.decode()
    assert BulkJob.objects.get().state == BulkJob.State.DONE


def test_the_moves_are_the_roles_own(staff_web, event, crowd, settings):
    settings.IMPORT_RUNNER = "inline"
    Registrant.objects.update(status=Status.CHECKED_IN)
    # Staff may not cancel in the request, nor through a job.
    assert _confirm(staff_web, event, action="cancel").status_code == 403
    assert not BulkJob.objects.exists()
    Registrant.objects.update(status=Status.REGISTERED)
    response = _confirm(staff_web, event)
    assert "Check in: 7 changed" in response.content.decode()


def test_staff_of_another_event_can_neither_start_nor_read_a_job(org_web, event, crowd, held):
    _confirm(org_web, event)
    job = BulkJob.objects.get()
    outsider = make_user("elsewhere", "checkin_staff")
    EventAssignment.objects.create(user=outsider, event=EventFactory())
    web = logged_in(outsider)
    assert _confirm(web, event).status_code == 403
    assert _job_page(web, event, job).status_code == 403
    progress = web.get(reverse("dashboard:bulk_job_progress", args=[event.pk, job.pk]))
    assert progress.status_code == 403
    assert progress.json()["error"]["code"] == "permission_denied"
    assert BulkJob.objects.count() == 1


def test_a_job_under_another_events_address_is_not_found(org_web, event, crowd, held):
    _confirm(org_web, event)
    job = BulkJob.objects.get()
    other = EventFactory()
    assert _job_page(org_web, other, job).status_code == 404
    url = reverse("dashboard:bulk_job_progress", args=[other.pk, job.pk])
    response = org_web.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_progress_of_a_logged_out_session_is_a_json_401(anon_web, org_web, event, crowd, held):
    _confirm(org_web, event)
    job = BulkJob.objects.get()
    response = anon_web.get(reverse("dashboard:bulk_job_progress", args=[event.pk, job.pk]))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_failed_job_says_how_far_it_got(org_web, event, crowd, held):
    _confirm(org_web, event)
    job = BulkJob.objects.get()
    BulkJob.objects.filter(pk=job.pk).update(
        state="failed", processed=3, changed=3, message="The job stopped."
    )
    html = _job_page(org_web, event, job).content.decode()
    assert "The job stopped. 3 of 7 rows were handled: 3 changed" in html


def test_with_the_job_queue_down_nothing_is_changed_or_kept(org_web, event, crowd, monkeypatch):
    from kombu.exceptions import OperationalError

    def down(job_id):
        raise OperationalError("connection refused")

    monkeypatch.setattr("registrants.tasks.dispatch", down)
    response = _confirm(org_web, event)
    assert response.status_code == 503
    assert "The job queue is unreachable, so nothing was changed" in response.content.decode()
    assert not BulkJob.objects.exists()
    assert set(Registrant.objects.values_list("status", flat=True)) == {Status.REGISTERED}
