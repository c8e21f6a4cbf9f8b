"""The per-event rule over the role matrix: staff and viewers assigned to
other events get 403 on everything of this one and lists without it;
assigned to it (or unassigned) they keep their role's rights; organisers
are never limited (decision 0110)."""

from __future__ import annotations

import json

import pytest

from accounts.models import EventAssignment
from registrants.models import Company, Event, Registrant
from registrants.tests.factories import EventFactory, make_registrant

from . import test_permissions as matrix
from .conftest import assert_error, client_for
from .test_permissions import MATRIX, ORG, SUCCESS, S, V, fill

world = matrix.world  # the role matrix's data, as a fixture of this module too

_OF_EVENT = ("{e}", "{r}", "{rc}", "{rin}", "{rx}", "{code}")
EVENT_ROWS = [m for m in MATRIX if any(k in m[2] + json.dumps(m[3]) for k in _OF_EVENT)]
FIXTURE = {ORG: "organiser", S: "staff", V: "viewer"}


def _assign(user, *events):
    for event in events:
        EventAssignment.objects.create(user=user, event=event)


@pytest.mark.parametrize("identity", [S, V])
@pytest.mark.parametrize(
    ("name", "method", "url", "body", "allowed"), EVENT_ROWS, ids=[m[0] for m in EVENT_ROWS]
)
def test_user_of_another_event_is_refused(
    identity, name, method, url, body, allowed, world, request
):
    user = request.getfixturevalue(FIXTURE[identity])
    _assign(user, EventFactory())
    client = client_for(user)
    counts = (Event.objects.count(), Company.objects.count(), Registrant.objects.count())
    response = getattr(client, method)(fill(url, world), fill(body, world), format="json")
    assert_error(response, 403, "permission_denied")
    assert counts == (Event.objects.count(), Company.objects.count(), Registrant.objects.count())


@pytest.mark.parametrize("identity", [ORG, S, V])
@pytest.mark.parametrize(
    ("name", "method", "url", "body", "allowed"), EVENT_ROWS, ids=[m[0] for m in EVENT_ROWS]
)
def test_user_of_this_event_keeps_the_role_rights(
    identity, name, method, url, body, allowed, world, request
):
    user = request.getfixturevalue(FIXTURE[identity])
    # An organiser assigned elsewhere only is still not limited.
    _assign(user, EventFactory(), *([] if identity == ORG else [Event.objects.get(pk=world["e"])]))
    response = getattr(client_for(user), method)(fill(url, world), fill(body, world), format="json")
    if identity in allowed:
        expected = SUCCESS[method]
        assert response.status_code in (expected if isinstance(expected, tuple) else (expected,))
    else:
        assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize("identity", [S, V])
def test_lists_show_only_the_assigned_events(identity, data, request):
    user = request.getfixturevalue(FIXTURE[identity])
    mine = EventFactory()
    _assign(user, mine)
    make_registrant(mine, name="Mine")
    client = client_for(user)
    events = client.get("/api/v1/events/").json()["results"]
    assert [e["id"] for e in events] == [mine.pk]
    registrants = client.get("/api/v1/registrants/").json()["results"]
    assert [r["name"] for r in registrants] == ["Mine"]
    filtered = client.get(f"/api/v1/registrants/?event={data['event'].pk}").json()["results"]
    assert filtered == []


def test_unassigned_staff_keep_every_event(staff, data):
    client = client_for(staff)
    ids = {e["id"] for e in client.get("/api/v1/events/").json()["results"]}
    assert {data["event"].pk, data["other_event"].pk} <= ids


def test_an_assignment_reaches_a_cached_token_at_once(staff, data):
    client = client_for(staff)
    url = f"/api/v1/events/{data['event'].pk}/stats/"
    assert client.get(url).status_code == 200
    _assign(staff, data["other_event"])
    assert_error(client.get(url), 403, "permission_denied")
