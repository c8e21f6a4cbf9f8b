"""Scan conflicts: each belongs to its event; organisers review and clear
them on the event's page (POST with CSRF); nobody else may."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from gateway.models import ScanConflict
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db


def conflict(event, registrant=None, code="unknown", reason="unknown_code") -> ScanConflict:
    return ScanConflict.objects.create(
        event=event,
        registrant=registrant,
        code=registrant.check_in_code if registrant else code,
        mode="entry",
        reason=reason,
        status=registrant.status if registrant else "",
        nonce="n",
        scanned_at=timezone.now(),
        received_at=timezone.now(),
    )


def client_for(user) -> Client:
    """A logged-in browser (pages use the session, not tokens)."""
    web = Client()
    web.force_login(user)
    return web


def page(event) -> str:
    return f"/events/{event.pk}/conflicts/"


def clear(event) -> str:
    return f"/events/{event.pk}/conflicts/clear/"


def test_the_page_shows_a_badge_of_another_event_with_its_event(event, organiser):
    elsewhere = EventFactory(name="Winter Fair")
    conflict(event, make_registrant(elsewhere, name="Wanda"), reason="wrong_event")
    text = client_for(organiser).get(page(event)).content.decode()
    assert "Wanda" in text and "Winter Fair" in text and "Code of another event" in text


def test_organisers_clear_one_conflict(event, organiser):
    keep, gone = conflict(event, code="a"), conflict(event, code="b")
    other = conflict(EventFactory(), code="c")
    web = client_for(organiser)
    response = web.post(clear(event), {"conflict": gone.pk})
    assert response.status_code == 302 and response["Location"] == page(event)
    assert set(ScanConflict.objects.values_list("pk", flat=True)) == {keep.pk, other.pk}


def test_organisers_clear_all_conflicts_of_the_event_only(event, organiser):
    for code in "abc":
        conflict(event, code=code)
    other = conflict(EventFactory(), code="d")
    response = client_for(organiser).post(clear(event), {"all": "1"})
    assert response.status_code == 302
    assert list(ScanConflict.objects.values_list("pk", flat=True)) == [other.pk]


def test_a_conflict_of_another_event_is_not_cleared_from_this_page(event, organiser):
    other = conflict(EventFactory(), code="d")
    response = client_for(organiser).post(clear(event), {"conflict": other.pk})
    assert response.status_code == 404
    assert ScanConflict.objects.filter(pk=other.pk).exists()


def test_clearing_needs_a_post_with_csrf(event, organiser):
    row = conflict(event)
    web = Client(enforce_csrf_checks=True)
    web.force_login(organiser)
    assert web.get(clear(event)).status_code == 405
    assert web.post(clear(event), {"all": "1"}).status_code == 403
    assert ScanConflict.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_staff_and_viewers_may_neither_see_nor_clear(event, role, request):
    row = conflict(event)
    web = client_for(request.getfixturevalue(role))
    assert web.get(page(event)).status_code == 403
    assert web.post(clear(event), {"all": "1"}).status_code == 403
    assert web.post(clear(event), {"conflict": row.pk}).status_code == 403
    assert ScanConflict.objects.filter(pk=row.pk).exists()


def test_the_event_dashboard_links_to_the_page(event, organiser):
    text = client_for(organiser).get(f"/events/{event.pk}/dashboard/").content.decode()
    assert page(event) in text


@pytest.mark.django_db(transaction=True)
def test_existing_conflicts_are_attached_to_the_event_where_they_were_scanned():
    """Migration 0002: a device's conflict takes the device's event (even a
    wrong_event one filed under the badge's event); one sent with a person's
    token takes its registrant's; one with neither is deleted."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("gateway", "0001_initial")])
    # Only the gateway goes back: the other apps' models are today's (an
    # Event of registrants 0001 would miss columns added since).
    others = [n for n in executor.loader.graph.leaf_nodes() if n[0] != "gateway"]
    old = executor.loader.project_state([("gateway", "0001_initial"), *others]).apps
    Event = old.get_model("registrants", "Event")
    Registrant = old.get_model("registrants", "Registrant")
    User = old.get_model("auth", "User")
    Device = old.get_model("gateway", "DeviceToken")
    Conflict = old.get_model("gateway", "ScanConflict")
    door, fair = (Event.objects.create(name=n, date="2026-12-01", capacity=9) for n in "AB")
    stranger = Registrant.objects.create(
        event=fair, name="Stan", email="s@example.com", check_in_code="code-stan"
    )
    device = Device.objects.create(
        event=door, name="Door", user=User.objects.create(username="dev"), key_hash="h"
    )
    now = timezone.now()
    common = {"mode": "entry", "nonce": "n", "scanned_at": now, "received_at": now}
    by_device = Conflict.objects.create(
        event=fair, registrant=stranger, device=device, code="code-stan",
        reason="wrong_event", **common,
    )  # fmt: skip
    by_person = Conflict.objects.create(
        registrant=stranger, code="code-stan", reason="cancelled", **common
    )
    Conflict.objects.create(code="nobody", reason="unknown_code", **common)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert dict(ScanConflict.objects.values_list("pk", "event_id")) == {
        by_device.pk: door.pk,
        by_person.pk: fair.pk,
    }
