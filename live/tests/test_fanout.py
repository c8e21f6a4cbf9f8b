"""The fan-out inside one process (live/fanout.py): one channel-layer
subscription per event however many listen, every listener still gets every
change in order, and a listener that stops reading is dropped alone."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from live import fanout
from live.messages import group_name
from registrants import services
from registrants.tests.factories import EventFactory, make_registrant, make_user

from .frames import messages_in, receive_message
from .test_consumers import communicator, connect_and_read_snapshot, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_listeners_of_an_event_share_one_subscription_and_each_gets_every_change(
    monkeypatch,
):
    """Three dashboards of one event in one process: the process joins the
    event's group once (not once per dashboard: each member costs a copy of
    every message), each dashboard gets both changes in commit order, and
    the group is left when the last one closes."""
    event = EventFactory(capacity=10)
    people = [make_registrant(event) for _ in range(2)]
    viewer = make_user("fan-viewer", "viewer")
    layer = get_channel_layer()
    joins: list[str] = []
    leaves: list[str] = []
    group_add, group_discard = layer.group_add, layer.group_discard

    async def counted_add(group, channel):
        joins.append(group)
        await group_add(group, channel)

    async def counted_discard(group, channel):
        leaves.append(group)
        await group_discard(group, channel)

    monkeypatch.setattr(layer, "group_add", counted_add)
    monkeypatch.setattr(layer, "group_discard", counted_discard)

    async def scenario():
        comms = [communicator(event.pk, viewer) for _ in range(3)]
        for comm in comms:
            await connect_and_read_snapshot(comm)
        for person in people:
            await database_sync_to_async(services.registrant_change_status)(
                registrant_id=person.pk, to_status="checked_in"
            )
        for comm in comms:
            frames = [await receive_message(comm) for _ in people]
            assert [f["registrant"]["id"] for f in frames] == [p.pk for p in people]
            assert all(f["type"] == "change" for f in frames)
        for comm in comms:
            await comm.disconnect()

    run(scenario)
    assert joins.count(group_name(event.pk)) == 1
    assert leaves.count(group_name(event.pk)) == 1


def test_a_client_that_stops_reading_is_closed_and_the_others_get_everything(monkeypatch):
    """An outbox whose socket takes nothing more is closed once a frame is
    overdue; the other listener of the event gets every frame, in order."""
    monkeypatch.setattr(fanout, "WATCH_SECONDS", 0.05)
    event = EventFactory()
    got: list[str] = []
    closed = []

    async def scenario():
        never = asyncio.Event()
        stuck_closed = asyncio.Event()

        async def send_nothing(text: str) -> None:
            await never.wait()

        async def send_ok(text: str) -> None:
            got.append(text)

        async def close_stuck() -> None:
            closed.append("slow")
            stuck_closed.set()

        async def close_normal() -> None:
            closed.append("normal")

        slow = fanout.Outbox(send_nothing, close_stuck, timeout=0.1)
        normal = fanout.Outbox(send_ok, close_normal, timeout=0.1)
        for outbox in (slow, normal):
            await fanout.join(event.pk, outbox)
            outbox.release()
        frames = [json.dumps({"frame": i}) for i in range(50)]
        fanout.push_to_event(event.pk, frames)
        await asyncio.wait_for(stuck_closed.wait(), 10)
        for _ in range(100):
            if len(got) == len(frames):
                break
            await asyncio.sleep(0.01)
        for outbox in (slow, normal):
            await fanout.leave(event.pk, outbox)
        return frames

    frames: list[str] = []

    async def collect():
        frames.extend(await scenario())

    run(collect)
    assert closed == ["slow"]
    received = [m for text in got for m in messages_in(json.loads(text))]
    assert received == [json.loads(f) for f in frames]


def test_a_backlog_past_the_limit_closes_the_client():
    """Frames pile up for a client that is never released (or never
    drains): past MAX_BACKLOG it is closed instead of held in memory."""
    closed = []

    async def scenario():
        async def send(text: str) -> None:
            return None

        async def on_stuck() -> None:
            closed.append(True)

        outbox = fanout.Outbox(send, on_stuck, timeout=5)
        outbox.push(["x"] * fanout.MAX_BACKLOG)
        assert not closed
        outbox.push(["x"])
        await asyncio.sleep(0)
        assert outbox.closed

    run(scenario)
    assert closed == [True]


def test_frames_that_queue_behind_a_write_go_out_together_as_one_array_in_order(monkeypatch):
    """While one frame is being written the next ones queue; the writer then
    sends them as one array frame (one write, not one per change), in
    order, at most MAX_JOINED at a time; a lone frame goes out as it is."""
    monkeypatch.setattr(fanout, "MAX_JOINED", 3, raising=False)
    sent: list[str] = []

    async def scenario():
        gate = asyncio.Event()

        async def send(text: str) -> None:
            sent.append(text)
            if len(sent) == 1:
                await gate.wait()

        async def on_stuck() -> None:
            raise AssertionError("not stuck")

        async def until(count: int) -> None:
            for _ in range(500):
                if len(sent) >= count:
                    return
                await asyncio.sleep(0.01)

        outbox = fanout.Outbox(send, on_stuck, timeout=5)
        outbox.release()
        outbox.push(['{"n":0}'])
        await until(1)
        outbox.push(['{"n":1}', '{"n":2}'])
        outbox.push(['{"n":3}', '{"n":4}'])
        gate.set()
        await until(3)
        outbox.push(['{"n":5}'])
        await until(4)
        outbox.close()

    run(scenario)
    assert sent == ['{"n":0}', '[{"n":1},{"n":2},{"n":3}]', '{"n":4}', '{"n":5}']
