"""A large "select all N matching" check-in in Chromium: above the (here
small) threshold the confirmation shows a job's progress, then the result
panel, and the list follows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from registrants import bulk_jobs
from registrants.models import BulkJob
from registrants.tests.factories import make_registrant

pytestmark = pytest.mark.browser


def test_a_large_bulk_check_in_shows_progress_then_the_result(
    open_as, conference, settings, monkeypatch, shoot
):
    settings.BULK_JOB_THRESHOLD = 10
    # The job waits until the test runs it, so that its progress is seen.
    monkeypatch.setattr("registrants.tasks.dispatch", lambda job_id: None)
    monkeypatch.setattr("dashboard.listing.PAGE_SIZE", 5)
    event = conference["event"]
    for i in range(20):
        make_registrant(event, name=f"Walk-up {i:02}")
    page = open_as("organiser", f"/events/{event.pk}/registrants/?status=registered")
    page.get_by_label("Select all 23 matching, not only this page").check()
    page.get_by_role("button", name="Check in selected").click()
    page.get_by_role("button", name="Yes, check in 23").click()

    progress = page.locator("[data-bulk-progress-text]")
    expect(progress).to_have_text("0 of 23 done: 0 changed, 0 unchanged, 0 refused.")
    expect(page.locator("[data-bulk-job-title]")).to_contain_text("Check in 23 registrants")
    expect(page.locator("progress[data-bulk-progress]")).to_have_attribute("max", "23")
    shoot(page, "bulk-job-progress")

    job = BulkJob.objects.get()
    bulk_jobs.bulk_job_run(job_id=job.pk)
    expect(page.locator("[data-bulk-summary]")).to_have_text(
        "Check in: 23 changed, 0 unchanged, 0 refused"
    )
    expect(page.locator("[data-bulk-job]")).to_have_count(0)
    expect(page.locator("#count-registered")).to_have_text("0")
    shoot(page, "bulk-job-result")


def test_with_the_job_queue_down_the_panel_says_so(open_as, conference, settings, monkeypatch):
    from kombu.exceptions import OperationalError

    def down(job_id):
        raise OperationalError("connection refused")

    settings.BULK_JOB_THRESHOLD = 2
    monkeypatch.setattr("registrants.tasks.dispatch", down)
    monkeypatch.setattr("dashboard.listing.PAGE_SIZE", 2)
    event = conference["event"]
    page = open_as("organiser", f"/events/{event.pk}/registrants/?status=registered")
    page.get_by_label("Select all 3 matching, not only this page").check()
    page.get_by_role("button", name="Check in selected").click()
    page.get_by_role("button", name="Yes, check in 3").click()
    expect(page.locator("#bulk-panel [role=alert]")).to_contain_text(
        "The job queue is unreachable, so nothing was changed"
    )
    expect(page.locator("#count-registered")).to_have_text("3")
