"""The live stream: who may listen, what is pushed, and when (F1, S9)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from live.routing import websocket_urlpatterns
from registrants import services
from registrants.tests.factories import EventFactory, make_registrant, make_user

from .frames import receive_message

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario) -> None:
    """Run an async scenario to its end. In a thread of its own when this one
    already has a running event loop (pytest-playwright's, once a browser
    test ran earlier in the session), where async_to_sync would refuse."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(scenario)()
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(async_to_sync(scenario)).result()


def communicator(event_id: int, user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/events/{event_id}/")
    comm.scope["user"] = user
    return comm


async def connect_and_read_snapshot(comm):
    connected, code = await comm.connect(timeout=5)
    assert connected, code
    hello = await receive_message(comm)
    assert hello["type"] == "numbers"
    return hello


def test_anonymous_connection_is_refused():
    event = EventFactory()

    async def scenario():
        comm = communicator(event.pk, AnonymousUser())
        connected, code = await comm.connect(timeout=5)
        assert not connected
        assert code == 4401

    run(scenario)


def test_user_without_a_role_is_refused_and_unknown_event_is_refused():
    event = EventFactory()
    nobody = make_user("nobody", None)
    viewer = make_user("vic2", "viewer")

    async def scenario():
        connected, code = await communicator(event.pk, nobody).connect(timeout=5)
        assert (connected, code) == (False, 4403)
        connected, code = await communicator(event.pk + 1000, viewer).connect(timeout=5)
        assert (connected, code) == (False, 4404)

    run(scenario)


@pytest.mark.parametrize("role", ["organiser", "checkin_staff", "viewer"])
def test_every_reading_role_receives_committed_changes_with_deltas(role):
    event = EventFactory(capacity=10)
    registrant = make_registrant(event)
    user = make_user(f"user-{role}", role)

    async def scenario():
        comm = communicator(event.pk, user)
        hello = await connect_and_read_snapshot(comm)
        assert hello["by_status"]["registered"] == 1
        await database_sync_to_async(services.registrant_change_status)(
            registrant_id=registrant.pk, to_status="checked_in"
        )
        message = await receive_message(comm)
        assert message["type"] == "change"
        assert message["registrant"]["id"] == registrant.pk
        assert message["delta"] == {"registered": -1, "checked_in": 1}
        assert [c["to_status"] for c in message["changes"]] == ["checked_in"]
        await comm.disconnect()

    run(scenario)


def test_rolled_back_change_publishes_nothing_and_commit_publishes_exactly_once(viewer):
    event = EventFactory(capacity=10)
    registrant = make_registrant(event)

    def change_then_roll_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.registrant_change_status(registrant_id=registrant.pk, to_status="checked_in")
            raise RuntimeError("roll back")

    async def scenario():
        comm = communicator(event.pk, viewer)
        await connect_and_read_snapshot(comm)
        await database_sync_to_async(change_then_roll_back)()
        assert await comm.receive_nothing(timeout=0.5)
        await database_sync_to_async(services.registrant_change_status)(
            registrant_id=registrant.pk, to_status="checked_in"
        )
        first = await receive_message(comm)
        assert first["type"] == "change"
        assert first["delta"] == {"registered": -1, "checked_in": 1}
        assert await comm.receive_nothing(timeout=0.5)
        await comm.disconnect()

    run(scenario)


def test_entry_scan_of_a_registered_code_is_one_message_with_both_steps(viewer):
    event = EventFactory(capacity=10)
    registrant = make_registrant(event)

    async def scenario():
        comm = communicator(event.pk, viewer)
        await connect_and_read_snapshot(comm)
        await database_sync_to_async(services.registrant_scan)(
            code=registrant.check_in_code, mode="entry", event_id=registrant.event_id
        )
        message = await receive_message(comm)
        assert [c["to_status"] for c in message["changes"]] == ["checked_in", "entered"]
        assert message["delta"] == {"registered": -1, "entered": 1}
        await comm.disconnect()

    run(scenario)


def test_registration_moves_the_numbers_and_deletion_does_not(viewer):
    event = EventFactory(capacity=10)

    async def scenario():
        comm = communicator(event.pk, viewer)
        await connect_and_read_snapshot(comm)
        registrant = await database_sync_to_async(make_registrant)(event)
        messages = [await receive_message(comm) for _ in range(2)]
        deltas = [m["delta"] for m in messages if m["delta"]]
        assert deltas == [{"registered": 1}]
        await database_sync_to_async(services.registrant_delete)(registrant_id=registrant.pk)
        erased = await receive_message(comm)
        assert erased["action"] == "erased"
        assert erased["delta"] == {}  # an erased registrant keeps its status
        assert erased["registrant"]["name"] == "Erased registrant"
        await comm.disconnect()

    run(scenario)


def test_changes_of_other_events_are_not_sent(viewer):
    event, other = EventFactory(), EventFactory()
    elsewhere = make_registrant(other)

    async def scenario():
        comm = communicator(event.pk, viewer)
        await connect_and_read_snapshot(comm)
        await database_sync_to_async(services.registrant_change_status)(
            registrant_id=elsewhere.pk, to_status="checked_in"
        )
        assert await comm.receive_nothing(timeout=0.5)
        await comm.disconnect()

    run(scenario)


def test_websocket_from_a_foreign_origin_is_rejected(viewer):
    from config.asgi import application

    event = EventFactory()

    async def scenario():
        comm = WebsocketCommunicator(
            application, f"/ws/events/{event.pk}/", headers=[(b"origin", b"https://evil.example")]
        )
        connected, _ = await comm.connect(timeout=5)
        assert not connected
        same = WebsocketCommunicator(
            application,
            f"/ws/events/{event.pk}/",
            headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
        )
        same.scope["user"] = viewer
        connected, _ = await same.connect(timeout=5)
        # The same user from an allowed origin gets through: the origin decided.
        assert connected
        await same.disconnect()

    run(scenario)


def test_resync_request_answers_a_fresh_snapshot(viewer):
    event = EventFactory(capacity=10)
    make_registrant(event, status="entered")

    async def scenario():
        comm = communicator(event.pk, viewer)
        hello = await connect_and_read_snapshot(comm)
        await comm.send_json_to({"type": "resync"})
        again = await receive_message(comm)
        assert again["type"] == "numbers"
        assert again["by_status"] == hello["by_status"]
        assert again["by_status"]["entered"] == 1
        await comm.disconnect()

    run(scenario)


def test_a_bulk_action_reaches_the_browser_change_by_change_in_few_sends(viewer, monkeypatch):
    """A bulk check-in is announced once per chunk (statuses_changed) and
    published as live.batch messages of up to MAX_BATCH changes; the
    browser still gets one change frame per registrant, in order."""
    from live import publisher
    from live.messages import MAX_BATCH

    event = EventFactory(capacity=1000)
    people = [make_registrant(event) for _ in range(MAX_BATCH + 10)]
    sends: list[int] = []
    original = publisher.publish

    def counted(event_id, message):
        sends.append(len(message.get("messages", [message])))
        return original(event_id, message)

    monkeypatch.setattr(publisher, "publish", counted)

    async def scenario():
        comm = communicator(event.pk, viewer)
        await connect_and_read_snapshot(comm)
        await database_sync_to_async(services.registrants_bulk_change_status)(
            registrant_ids=[p.pk for p in people], to_status="checked_in"
        )
        frames = []
        while len(frames) < len(people):
            frame = await receive_message(comm)
            if frame["type"] == "change":
                frames.append(frame)
        await comm.disconnect()
        return frames

    frames: list[dict] = []

    async def collect():
        frames.extend(await scenario())

    run(collect)
    assert sends == [MAX_BATCH, 10]
    assert [f["registrant"]["id"] for f in frames] == [p.pk for p in people]
    assert all(f["delta"] == {"registered": -1, "checked_in": 1} for f in frames)


def test_a_connections_log_lines_carry_its_request_id_user_and_event(monkeypatch):
    """The upgrade request's X-Request-ID follows the connection's own lines
    (here: leaving the group fails while it closes)."""
    import logging

    from channels.layers import get_channel_layer

    from config import logs

    event = EventFactory()
    viewer = make_user("vlog", "viewer")
    records = []
    handler = logging.Handler()
    handler.addFilter(logs.ContextFilter())
    handler.emit = records.append
    logging.getLogger("live.consumers").addHandler(handler)

    async def broken(*args, **kwargs):
        raise ConnectionError("redis went away")

    async def scenario():
        comm = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns),
            f"/ws/events/{event.pk}/",
            headers=[(b"x-request-id", b"dashboard-tab-7")],
        )
        comm.scope["user"] = viewer
        await connect_and_read_snapshot(comm)
        monkeypatch.setattr(get_channel_layer(), "group_discard", broken)
        await comm.disconnect()

    try:
        run(scenario)
    finally:
        logging.getLogger("live.consumers").removeHandler(handler)
    [line] = [r for r in records if r.getMessage().startswith("live group_discard failed")]
    assert (line.request_id, line.user_id, line.event_id) == (
        "dashboard-tab-7",
        viewer.pk,
        event.pk,
    )
