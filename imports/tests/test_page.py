"""The import page: upload, progress, report; organisers only."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from imports.models import ImportJob
from registrants.models import Registrant
from registrants.tests.factories import EventFactory, make_user

from .conftest import csv_bytes, people, upload_file


@pytest.fixture
def org_browser(organiser):
    client = Client()
    client.force_login(organiser)
    return client


pytestmark = pytest.mark.django_db


def test_the_page_offers_the_upload_form_and_the_event_nav_links_to_it(org_browser, event):
    response = org_browser.get(f"/events/{event.pk}/import/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'value="all_or_nothing"' in html and 'value="valid_rows"' in html
    assert f'href="/events/{event.pk}/import/"' in html  # the event navigation


def test_upload_redirects_to_the_job_page_with_progress_and_report(
    org_browser, event, django_capture_on_commit_callbacks
):
    rows = [*people(3), ("", "x@example.com", "", "")]
    with django_capture_on_commit_callbacks(execute=True):
        response = org_browser.post(
            f"/events/{event.pk}/import/",
            {"file": upload_file(csv_bytes(rows)), "mode": "valid_rows"},
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    page = org_browser.get(response["Location"]).content.decode()
    assert 'role="progressbar"' in page
    assert f"/imports/{job.pk}/progress/" in page
    assert f"/api/v1/imports/{job.pk}/errors.csv" in page
    assert "Name is missing." in page
    progress = org_browser.get(f"/imports/{job.pk}/progress/").json()
    assert (progress["state"], progress["created"], progress["failed"], progress["progress"]) == (
        "done",
        3,
        1,
        100,
    )
    report = org_browser.get(progress["errors_url"])
    assert report.status_code == 200  # the report downloads with the page's session


def test_a_duplicate_upload_says_so_on_the_page(
    org_browser, event, django_capture_on_commit_callbacks
):
    content = csv_bytes(people(2))
    with django_capture_on_commit_callbacks(execute=True):
        org_browser.post(
            f"/events/{event.pk}/import/", {"file": upload_file(content), "mode": "all_or_nothing"}
        )
    response = org_browser.post(
        f"/events/{event.pk}/import/", {"file": upload_file(content), "mode": "all_or_nothing"}
    )
    assert response.status_code == 409
    assert "already imported" in response.content.decode()
    assert ImportJob.objects.count() == 1


@pytest.mark.parametrize("role", ["checkin_staff", "viewer"])
def test_staff_and_viewers_cannot_open_the_page(role, event):
    client = Client()
    client.force_login(make_user(f"u-{role}", role))
    assert client.get(f"/events/{event.pk}/import/").status_code == 403
    assert client.get("/imports/1/progress/").status_code == 403


def test_anonymous_is_sent_to_login(event):
    response = Client().get(f"/events/{event.pk}/import/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert Client().get("/imports/1/progress/").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_embedded_default_runs_the_job_in_a_thread_and_the_progress_moves(settings):
    """No broker: the upload answers at once, a background thread imports."""
    settings.IMPORT_RUNNER = ""
    settings.CELERY_BROKER_URL = "memory://"
    organiser = make_user("olga-thread", "organiser")
    event = EventFactory(capacity=10_000)
    client = Client()
    client.force_login(organiser)
    response = client.post(
        f"/events/{event.pk}/import/",
        {"file": upload_file(csv_bytes(people(3000))), "mode": "valid_rows"},
    )
    assert response.status_code == 302
    job_id = int(re.search(r"/imports/(\d+)/", response["Location"]).group(1))
    seen, deadline = [], time.monotonic() + 60
    while time.monotonic() < deadline:
        state = client.get(f"/imports/{job_id}/progress/").json()
        seen.append((state["state"], state["processed"]))
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert seen[-1] == ("done", 3000), seen[-5:]
    assert Registrant.objects.filter(event=event).count() == 3000
