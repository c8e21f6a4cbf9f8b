"""An endpoint chooses the kinds of change it receives (`event_types`, empty
meaning every kind): the outbox trigger writes no delivery for a kind it did
not choose, whatever wrote the change; an unknown kind is refused in the
API's error shape and on the page; replaying an old delivery still works."""

from __future__ import annotations

import pytest
from django.test import Client

from registrants import services as registrant_services
from registrants.lifecycle import Status
from registrants.models import StatusChange
from registrants.tests.factories import PASSWORD, make_registrant
from webhooks import services
from webhooks.models import Delivery, Endpoint
from webhooks.payloads import REGISTERED, STATUS_CHANGED

pytestmark = pytest.mark.django_db


def hook(event, **fields) -> Endpoint:
    return Endpoint.objects.create(event=event, url="http://127.0.0.1:9/", **fields)


def kinds_delivered(endpoint) -> list[str]:
    ids = Delivery.objects.filter(endpoint=endpoint).values_list("status_change_id", flat=True)
    rows = StatusChange.objects.filter(pk__in=list(ids)).order_by("id")
    return [REGISTERED if not row.from_status else STATUS_CHANGED for row in rows]


def test_each_endpoint_gets_only_the_kinds_it_chose(event):
    everything = hook(event)
    registrations = hook(event, event_types=[REGISTERED])
    changes = hook(event, event_types=[STATUS_CHANGED])
    crowd = [make_registrant(event) for _ in range(3)]
    registrant_services.registrants_bulk_change_status(
        registrant_ids=[r.pk for r in crowd], to_status=Status.CHECKED_IN
    )
    assert kinds_delivered(everything) == [REGISTERED] * 3 + [STATUS_CHANGED] * 3
    assert kinds_delivered(registrations) == [REGISTERED] * 3
    assert kinds_delivered(changes) == [STATUS_CHANGED] * 3


def test_choosing_both_kinds_is_every_kind(event):
    both = hook(event, event_types=[REGISTERED, STATUS_CHANGED])
    make_registrant(event, status=Status.CHECKED_IN)
    assert kinds_delivered(both) == [REGISTERED, STATUS_CHANGED]


def test_a_replay_of_a_kind_no_longer_chosen_still_goes_out(event, organiser):
    endpoint = hook(event)
    make_registrant(event)
    original = Delivery.objects.get(endpoint=endpoint)
    Delivery.objects.filter(pk=original.pk).update(state=Delivery.State.DELIVERED)
    services.endpoint_update(endpoint_id=endpoint.pk, actor=organiser, event_types=[STATUS_CHANGED])
    replay = services.delivery_replay(delivery_id=original.pk, actor=organiser)
    assert replay.replay_of_id == original.pk and replay.state == Delivery.State.PENDING


def test_the_service_refuses_an_unknown_kind_and_keeps_a_canonical_list(event, organiser):
    from registrants.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        services.endpoint_create(
            event_id=event.pk,
            url="http://127.0.0.1:9/",
            event_types=["order.paid"],
            actor=organiser,
        )
    assert refused.value.code == "validation_error" and "event_types" in refused.value.fields
    endpoint = services.endpoint_create(
        event_id=event.pk,
        url="http://127.0.0.1:9/",
        event_types=[STATUS_CHANGED, REGISTERED, STATUS_CHANGED],
        actor=organiser,
    )
    assert endpoint.event_types == [REGISTERED, STATUS_CHANGED]


def test_the_api_round_trip(org_client, event):
    created = org_client.post(
        f"/api/v1/events/{event.pk}/webhooks/",
        {"url": "http://127.0.0.1:9/", "event_types": [STATUS_CHANGED]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["event_types"] == [STATUS_CHANGED]
    assert org_client.get(f"/api/v1/webhooks/{body['id']}/").json()["event_types"] == [
        STATUS_CHANGED
    ]
    changed = org_client.patch(
        f"/api/v1/webhooks/{body['id']}/", {"event_types": []}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["event_types"] == []
    assert Endpoint.objects.get().event_types == []
    # A new endpoint without the field receives every kind.
    plain = org_client.post(
        f"/api/v1/events/{event.pk}/webhooks/", {"url": "http://127.0.0.1:9/"}, format="json"
    )
    assert plain.json()["event_types"] == []


@pytest.mark.parametrize("kinds", [["order.paid"], [REGISTERED, "all"], "registrant.registered"])
def test_an_unknown_kind_is_400_in_the_error_shape(org_client, event, kinds):
    for answer in (
        org_client.post(
            f"/api/v1/events/{event.pk}/webhooks/",
            {"url": "http://127.0.0.1:9/", "event_types": kinds},
            format="json",
        ),
        org_client.patch(
            f"/api/v1/webhooks/{hook(event).pk}/", {"event_types": kinds}, format="json"
        ),
    ):
        assert answer.status_code == 400, answer.content
        error = answer.json()["error"]
        assert error["code"] == "validation_error" and "event_types" in error["fields"]
        assert set(error) == {"code", "message", "fields"}
    assert all(e.event_types == [] for e in Endpoint.objects.all())


def test_the_schema_lists_the_kinds(anon_client):
    schema = anon_client.get("/api/schema/?format=json").json()["components"]["schemas"]
    for name in ("Endpoint", "EndpointCreateRequest", "PatchedEndpointUpdateRequest"):
        items = schema[name]["properties"]["event_types"]["items"]
        enum = items.get("enum") or schema[items["$ref"].rsplit("/", 1)[-1]]["enum"]
        assert set(enum) == {REGISTERED, STATUS_CHANGED}


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_page_sets_and_changes_the_kinds(event, organiser):
    client = logged_in(organiser)
    page = f"/events/{event.pk}/webhooks/"
    html = client.get(page).content.decode()
    assert f'value="{REGISTERED}"' in html and f'value="{STATUS_CHANGED}"' in html
    answer = client.post(page, {"url": "http://127.0.0.1:9/", "event_types": [REGISTERED]})
    assert answer.status_code == 302
    endpoint = Endpoint.objects.get()
    assert endpoint.event_types == [REGISTERED]
    assert "<span data-kinds>New registrations</span>" in client.get(page).content.decode()
    action = f"/webhooks/{endpoint.pk}/action/"
    assert client.post(action, {"action": "kinds"}).status_code == 302  # none ticked
    endpoint.refresh_from_db()
    assert endpoint.event_types == []
    assert "<span data-kinds>every kind</span>" in client.get(page).content.decode()
    field = f"e{endpoint.pk}-event_types"
    client.post(action, {"action": "kinds", field: [STATUS_CHANGED, REGISTERED]})
    endpoint.refresh_from_db()
    assert endpoint.event_types == [REGISTERED, STATUS_CHANGED]


def test_the_page_shows_an_unknown_kind_as_a_readable_error(event, organiser):
    client = logged_in(organiser)
    page = f"/events/{event.pk}/webhooks/"
    answer = client.post(page, {"url": "http://127.0.0.1:9/", "event_types": ["order.paid"]})
    assert answer.status_code == 200
    assert "order.paid is not one of the available choices" in answer.content.decode()
    assert not Endpoint.objects.exists()
    endpoint = hook(event)
    answer = client.post(
        f"/webhooks/{endpoint.pk}/action/",
        {"action": "kinds", f"e{endpoint.pk}-event_types": ["order.paid"]},
    )
    assert answer.status_code == 302
    assert "order.paid is not one of the available choices" in client.get(page).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.event_types == []
