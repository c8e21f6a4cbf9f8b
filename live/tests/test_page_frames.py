"""Frames a page (or anything holding its cookie) sends on the live stream:
whatever they hold, the consumer answers or ignores them and the connection
stays usable."""

from __future__ import annotations

import pytest

from registrants.tests.factories import EventFactory, make_user

from .frames import receive_message
from .test_consumers import communicator, connect_and_read_snapshot, run

pytestmark = pytest.mark.django_db(transaction=True)

MALFORMED = [
    {"text_data": "not json"},
    {"text_data": "{"},
    {"text_data": "[" * 100_000 + "]" * 100_000},  # past the parser's recursion limit
    {"text_data": '{"type": NaN'},
    {"bytes_data": b'{"type": "resync"}'},
]


@pytest.mark.parametrize("frame", MALFORMED, ids=["text", "cut", "deep", "nan", "binary"])
def test_a_frame_that_is_not_json_text_gets_an_error_frame_and_the_stream_goes_on(frame):
    event = EventFactory()
    viewer = make_user("vic", "viewer")

    async def scenario():
        comm = communicator(event.pk, viewer)
        await connect_and_read_snapshot(comm)
        await comm.send_to(**frame)
        answer = await receive_message(comm)
        assert answer["type"] == "error"
        assert answer["error"]["code"] == "malformed_request"
        await comm.send_json_to({"type": "resync"})
        assert (await receive_message(comm))["type"] == "numbers"
        await comm.disconnect()

    run(scenario)


def test_json_that_is_not_a_request_is_ignored():
    event = EventFactory()
    viewer = make_user("vic", "viewer")

    async def scenario():
        comm = communicator(event.pk, viewer)
        await connect_and_read_snapshot(comm)
        for content in (5, "resync", [], [{"type": "resync"}], {"type": ["resync"]}, {}):
            await comm.send_json_to(content)
        # Nothing was answered before the resync's snapshot.
        await comm.send_json_to({"type": "resync"})
        assert (await receive_message(comm))["type"] == "numbers"
        await comm.disconnect()

    run(scenario)
