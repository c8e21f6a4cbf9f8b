"""An upload while Redis is down: refused with 503, nothing kept.

The runner is the real Celery client publishing to a private redis-server
that the test stops and starts again (no worker: what matters is whether
the message leaves). transactional_db: the upload's on_commit must fire.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from imports.models import ImportJob, ImportUpload
from registrants.tests.factories import EventFactory
from testing.broker import forget_connections, published

from .conftest import csv_bytes, people, upload_file

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def uploads(settings) -> list[object]:
    """What is kept of uploads: stored bytes, and anything on this node's disk."""
    folder = Path(settings.IMPORT_UPLOAD_DIR)
    files = sorted(folder.iterdir()) if folder.exists() else []
    return [*ImportUpload.objects.all(), *files]


def upload(client, event, content: bytes):
    return client.post(
        f"/api/v1/events/{event.pk}/imports/",
        {"file": upload_file(content), "mode": "all_or_nothing"},
        format="multipart",
    )


def test_an_upload_while_redis_is_down_is_refused_and_keeps_nothing(broker, org_client, settings):
    event = EventFactory(capacity=100)
    content = csv_bytes(people(5))
    broker.stop()

    response = upload(org_client, event, content)

    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "service_unavailable"
    assert set(response.json()["error"]) >= {"code", "message", "fields"}
    assert response["Retry-After"]
    assert not ImportJob.objects.exists()
    assert uploads(settings) == []

    # Once Redis is back the same file is not a duplicate, and its job is sent.
    broker.start()
    forget_connections()
    again = upload(org_client, event, content)
    assert again.status_code == 202, again.content
    job = ImportJob.objects.get()
    assert (job.state, job.attempts) == ("queued", 0)
    assert ImportUpload.objects.filter(job_id=job.pk).exists()
    assert published(broker) == 1


def test_the_import_page_refuses_with_503_while_redis_is_down(broker, organiser, client, settings):
    event = EventFactory(capacity=100)
    client.force_login(organiser)
    broker.stop()
    response = client.post(
        f"/events/{event.pk}/import/",
        {"file": upload_file(csv_bytes(people(3))), "mode": "all_or_nothing"},
    )
    assert response.status_code == 503
    assert b"job queue is unreachable" in response.content
    assert not ImportJob.objects.exists()
    assert uploads(settings) == []


def test_looking_at_a_stuck_job_while_redis_is_down_answers_200(broker, org_client, organiser):
    """Requeueing is a retry: with the broker down it waits for the next look."""
    event = EventFactory()
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    job = ImportJob.objects.create(event=event, actor=organiser, filename="people.csv")
    ImportJob.objects.filter(pk=job.pk).update(created_at=long_ago)
    broker.stop()
    response = org_client.get(f"/api/v1/imports/{job.pk}/")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "queued"
