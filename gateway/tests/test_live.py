"""The gateway's live messages: coalesced while a send is in flight, and
unpacked by the consumer into the same per-change frames as ever."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from gateway import live
from live.messages import status_change_message
from live.tests.frames import receive_message
from live.tests.test_consumers import communicator, connect_and_read_snapshot, run
from registrants.models import StatusChange
from registrants.tests.factories import EventFactory, make_registrant, make_user

from .conftest import bearer, user_token

pytestmark = pytest.mark.django_db(transaction=True)


def change(event_id: int, n: int) -> dict:
    return {
        "type": "live.change",
        "kind": "status",
        "event": event_id,
        "registrant": {
            "id": n,
            "name": f"Guest {n}",
            "company": None,
            "guest_type": "attendee",
            "status": "checked_in",
        },
        "changes": [
            {
                "id": n,
                "from_status": "registered",
                "to_status": "checked_in",
                "at": "2026-11-26T18:00:00+00:00",
                "actor": "Door A",
                "source": "scan",
                "note": "",
            }
        ],
        "delta": {"registered": -1, "checked_in": 1},
    }


def test_a_burst_of_changes_is_few_sends_and_every_frame_arrives_in_order(monkeypatch):
    event = EventFactory(capacity=1000)
    viewer = make_user("vic", "viewer")
    layer = get_channel_layer()
    run(live.drain)  # what an earlier test left queued is not this test's sends
    sends: list[int] = []
    original = layer.group_send

    async def counting(group, message):
        sends.append(len(message.get("messages", [message])))
        await original(group, message)

    monkeypatch.setattr(layer, "group_send", counting)
    burst = 2 * live.MAX_BATCH + 50

    async def scenario():
        comm = communicator(event.pk, viewer)
        await connect_and_read_snapshot(comm)
        live.publish(change(event.pk, 0))  # alone: goes out at once
        await live.drain()
        for n in range(1, burst + 1):  # all commit while no send has run yet
            live.publish(change(event.pk, n))
        await live.drain()
        # A frame holds one change, or an array of those that queued up.
        frames = [await receive_message(comm, timeout=5) for _ in range(burst + 1)]
        assert not comm.__dict__.get("pending_messages")
        assert await comm.receive_nothing(timeout=0.3)
        await comm.disconnect()
        got.extend(frames)

    got: list[dict] = []
    run(scenario)
    frames = got
    assert {f["type"] for f in frames} == {"change"}
    assert [f["registrant"]["id"] for f in frames] == list(range(burst + 1))
    assert frames[5]["delta"] == {"registered": -1, "checked_in": 1}
    assert sends == [1, live.MAX_BATCH, live.MAX_BATCH, 50]


def test_a_failing_layer_loses_the_message_but_never_raises(monkeypatch, caplog):
    layer = get_channel_layer()

    async def broken(group, message):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(layer, "group_send", broken)

    async def scenario():
        live.publish(change(1, 1))
        live.publish(change(1, 2))
        await live.drain()

    run(scenario)
    assert "live publish failed" in caplog.text
    assert not live._pending


@pytest.mark.parametrize("named", [True, False], ids=["full name", "username only"])
def test_a_gateway_scan_sends_what_the_django_path_would_send(gateway, staff, monkeypatch, named):
    """The gateway builds its message from what its write returned; the
    Django path reads the rows back (live.messages). Both through
    registrants.presenters: the same message, actor's name included."""
    if named:
        staff.first_name, staff.last_name = "Sam", "Door"
        staff.save(update_fields=["first_name", "last_name"])
    event = EventFactory(capacity=10)
    ada = make_registrant(event, name="Ada Lovelace", company="Analytical Engines")
    sent: list[dict] = []
    monkeypatch.setattr(live, "publish", lambda message: message and sent.append(message))
    response = gateway.post(
        "/gateway/v1/scan",
        json={"code": ada.check_in_code, "mode": "entry", "event": event.pk},
        headers=bearer(user_token(staff)),
    )
    assert response.status_code == 200, response.text
    rows = StatusChange.objects.filter(registrant=ada, source="scan").order_by("id")
    expected = status_change_message([row.pk for row in rows])
    assert len(sent) == 1 and len(expected["changes"]) == 2  # checked in, then entered
    assert sent[0] == expected
    assert expected["changes"][0]["actor"] == ("Sam Door" if named else "sam")
