"""Every writer of a status change leaves exactly one delivery per endpoint
per history row, in its own transaction: the services, bulk actions, the
import (COPY on PostgreSQL, INSERT ... SELECT on SQLite), the gateway's
SQL scans, the seeders; a rolled-back change leaves none."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from gateway.tests.conftest import bearer, user_token
from imports import services as import_services
from imports.tests.conftest import csv_bytes, people, upload_file
from registrants import services
from registrants.lifecycle import Status
from registrants.models import Registrant, StatusChange
from registrants.sql.bulk import insert_seeded
from registrants.tests.factories import EventFactory, make_registrant
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def hook(event, **fields) -> Endpoint:
    return Endpoint.objects.create(event=event, url="http://127.0.0.1:9/", **fields)


def one_per_change(event, endpoint) -> None:
    """Each history row of the event has exactly one delivery to `endpoint`."""
    changes = sorted(StatusChange.objects.filter(event=event).values_list("id", flat=True))
    delivered = sorted(
        Delivery.objects.filter(endpoint=endpoint).values_list("status_change_id", flat=True)
    )
    assert delivered == changes


def test_registration_and_transition_each_leave_one_delivery(event):
    endpoint = hook(event)
    r = make_registrant(event, status=Status.ENTERED)
    assert StatusChange.objects.filter(registrant=r).count() == 3
    one_per_change(event, endpoint)
    d = Delivery.objects.filter(endpoint=endpoint).order_by("id").first()
    assert (d.state, d.attempts, d.registrant_id, d.body) == ("pending", 0, r.pk, "")


def test_each_active_endpoint_of_the_event_gets_its_own_and_no_other(event):
    first, second = hook(event), hook(event)
    off = hook(event, active=False)
    elsewhere = hook(EventFactory())
    make_registrant(event, status=Status.CHECKED_IN)
    one_per_change(event, first)
    one_per_change(event, second)
    assert not Delivery.objects.filter(endpoint__in=[off, elsewhere]).exists()


def test_without_endpoints_nothing_is_recorded(event):
    make_registrant(event, status=Status.CHECKED_IN)
    assert not Delivery.objects.exists()


def test_a_rolled_back_change_leaves_no_delivery(event):
    endpoint = hook(event)
    r = make_registrant(event)
    before = Delivery.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.registrant_change_status(registrant_id=r.pk, to_status=Status.CHECKED_IN)
        assert Delivery.objects.count() == before + 1  # written with the change...
        raise RuntimeError("the request failed after the change")
    assert Delivery.objects.count() == before  # ...and gone with its rollback
    one_per_change(event, endpoint)


def test_a_bulk_action_leaves_one_delivery_per_change(event):
    endpoint = hook(event)
    crowd = [make_registrant(event) for _ in range(5)]
    services.registrants_bulk_change_status(
        registrant_ids=[r.pk for r in crowd] + [crowd[0].pk], to_status=Status.CHECKED_IN
    )
    assert Registrant.objects.filter(event=event, status=Status.CHECKED_IN).count() == 5
    one_per_change(event, endpoint)
    assert Delivery.objects.filter(endpoint=endpoint).count() == 10


def test_an_import_leaves_one_delivery_per_registrant(organiser):
    event = EventFactory(capacity=100)
    endpoint = hook(event)
    job = import_services.import_job_create(
        event_id=event.pk,
        upload=upload_file(csv_bytes(people(30))),
        actor=organiser,
        mode="all_or_nothing",
        force=False,
    )
    import_services.import_job_run(job_id=job.pk)
    assert Registrant.objects.filter(event=event).count() == 30
    one_per_change(event, endpoint)


def test_seeded_history_leaves_one_delivery_per_row(event):
    endpoint = hook(event)
    at = timezone.now() - datetime.timedelta(hours=1)
    chain = [("", "registered", at, "system"), ("registered", "checked_in", at, "scan")]
    insert_seeded(
        [Registrant(event=event, name=f"S{i}", email=f"s{i}@example.com") for i in range(3)],
        [chain] * 3,
        batch_size=2,
    )
    one_per_change(event, endpoint)
    assert Delivery.objects.filter(endpoint=endpoint).count() == 6


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_nonce", [False, True])
def test_gateway_sql_scans_leave_one_delivery_per_history_row(staff, with_nonce):
    from starlette.testclient import TestClient

    from config.asgi import application

    event = EventFactory()
    endpoint = hook(event)
    people_ = [make_registrant(event) for _ in range(3)]
    headers = bearer(user_token(staff))
    with TestClient(application, base_url="http://testserver") as gateway:
        for n, r in enumerate(people_):
            body = {"code": r.check_in_code, "mode": "entry", "event": event.pk}
            if with_nonce:
                body["nonce"] = f"n-{n}"
            answer = gateway.post("/gateway/v1/scan", json=body, headers=headers)
            assert answer.status_code == 200, answer.text
            # A repeat (or the same nonce again) writes nothing.
            again = gateway.post("/gateway/v1/scan", json=body, headers=headers)
            assert again.status_code == 200
    # registered -> checked_in -> entered: two rows each, plus the creation row.
    assert StatusChange.objects.filter(event=event).count() == 9
    one_per_change(event, endpoint)


def test_api_scans_leave_one_delivery_per_history_row(staff_client):
    event = EventFactory()
    endpoint = hook(event)
    r = make_registrant(event)
    for mode in ("entry", "entry", "exit"):
        answer = staff_client.post(
            "/api/v1/scan/", {"code": r.check_in_code, "mode": mode, "event": event.pk}
        )
        assert answer.status_code == 200, answer.content
    assert StatusChange.objects.filter(registrant=r).count() == 4
    one_per_change(event, endpoint)
