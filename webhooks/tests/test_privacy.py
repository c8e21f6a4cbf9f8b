"""Personal data in webhooks: erasure scrubs the delivery bodies and the
receivers' answers, a subject access export lists the deliveries about the
person, and endpoint changes are audited."""

from __future__ import annotations

import pytest

from audit.models import Action, AuditEntry
from registrants.erasure import registrant_erase
from registrants.personal_data import registrant_personal_data
from registrants.tests.factories import make_registrant
from webhooks import dispatch, services
from webhooks.models import Attempt, Delivery, Endpoint

pytestmark = pytest.mark.django_db


def test_erasure_scrubs_bodies_and_answers_and_pending_ones_go_out_erased(
    event, receiver, organiser
):
    Endpoint.objects.create(event=event, url=receiver.url)
    ada = make_registrant(event, name="Ada Lovelace", email="ada@example.com")
    bo = make_registrant(event, name="Bo Diddley")
    dispatch.send_due()
    make_registrant(event)  # pending, about someone else
    assert Delivery.objects.filter(registrant=ada).exclude(body="").exists()
    registrant_erase(registrant_id=ada.pk, actor=organiser)
    assert not Delivery.objects.filter(registrant=ada).exclude(body="").exists()
    assert (
        not Attempt.objects.filter(delivery__registrant=ada).exclude(response_excerpt="").exists()
    )
    assert Delivery.objects.filter(registrant=bo).exclude(body="").exists()  # others untouched
    # Replayed after the erasure: built again from the erased registrant.
    services.delivery_replay(delivery_id=Delivery.objects.get(registrant=ada).pk, actor=organiser)
    dispatch.send_due()
    replayed = receiver.payloads()[-1]
    assert replayed["data"]["registrant"]["erased"] is True
    assert "Ada" not in receiver.requests[-1]["body"].decode()
    assert "ada@example.com" not in receiver.requests[-1]["body"].decode()


def test_the_subject_access_export_lists_the_deliveries_about_the_person(
    event, receiver, organiser
):
    Endpoint.objects.create(event=event, url=receiver.url)
    ada = make_registrant(event, name="Ada Lovelace")
    make_registrant(event, name="Bo")
    dispatch.send_due()
    export = registrant_personal_data(registrant_id=ada.pk, actor=organiser)
    (row,) = export["webhook_deliveries"]
    assert row["endpoint"] == receiver.url and row["state"] == "delivered"
    assert "Ada Lovelace" in row["body"]


def test_endpoint_changes_are_audited(event, receiver, organiser):
    endpoint = services.endpoint_create(event_id=event.pk, url=receiver.url, actor=organiser)
    services.endpoint_update(endpoint_id=endpoint.pk, actor=organiser, include_check_in_codes=True)
    services.endpoint_rotate_secret(endpoint_id=endpoint.pk, actor=organiser)
    services.endpoint_delete(endpoint_id=endpoint.pk, actor=organiser)
    rows = AuditEntry.objects.filter(action=Action.WEBHOOK_CHANGED).order_by("id")
    assert [r.details["change"] for r in rows] == [
        "created",
        "updated",
        "secret_rotated",
        "deleted",
    ]
    assert {r.event_id for r in rows} == {event.pk} and {r.actor_id for r in rows} == {organiser.pk}
    assert rows[1].details["fields"] == ["include_check_in_codes"]


def test_the_operators_purge_takes_the_deliveries_with_the_registrant(event, receiver, organiser):
    from registrants.purge import registrant_purge

    Endpoint.objects.create(event=event, url=receiver.url)
    ada = make_registrant(event)
    dispatch.send_due()
    registrant_erase(registrant_id=ada.pk, actor=organiser)
    registrant_purge(registrant_id=ada.pk)
    assert not Delivery.objects.exists() and not Attempt.objects.exists()
