"""C5, C6, C10 (docs/invariants.md) against a real gateway server (2 uvicorn workers,
PostgreSQL), with real concurrent HTTP clients; and the ASGI disconnect
hazard (async ORM writes cut in half by a cancelled request): requests cancelled in flight never leave a status
without its history row (invariant I1), and a cancelled request's
transaction still commits whole."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import uuid
from collections import Counter

import httpx
import pytest

from registrants.models import StatusChange
from registrants.tests.factories import make_registrant
from registrants.tests.invariants import history_violations

from .conftest import bearer, gateway_server, user_token

pytestmark = pytest.mark.django_db(transaction=True)

SCANNERS = 50


def race(base: str, key: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    """POST every body at once (one thread and client each, released together)."""
    barrier = threading.Barrier(len(bodies))
    results: list = [None] * len(bodies)

    def run(i: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            barrier.wait()
            r = client.post("/gateway/v1/scan", json=bodies[i], headers=bearer(key))
            results[i] = (r.status_code, r.json())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def rows(registrant) -> int:
    return StatusChange.objects.filter(registrant=registrant).count()


@pytest.fixture(scope="module")
def server(django_db_setup):
    """One gateway for the race tests of this module: starting two workers
    costs more than most of these tests. It is safe to share because each
    test waits for every answer before it ends (nothing is in flight when the
    next test's data is set up), and each uses new rows and a new token."""
    with gateway_server(workers=2) as base:
        yield base


@pytest.fixture
def server_of_its_own(transactional_db):
    """A gateway for one test, stopped (in-flight work finished) before the
    test's data is flushed."""
    with gateway_server(workers=2) as base:
        yield base


@pytest.mark.postgres
def test_c5_fifty_desk_scans_of_one_code(server, staff):
    person = make_registrant()
    before = rows(person)
    results = race(
        server,
        user_token(staff),
        [{"code": person.check_in_code, "mode": "desk", "event": person.event_id}] * SCANNERS,
    )
    assert Counter(s for s, _ in results) == {200: SCANNERS}
    assert Counter(b["changed"] for _, b in results) == {True: 1, False: SCANNERS - 1}
    assert rows(person) - before == 1
    assert history_violations() == []


@pytest.mark.postgres
def test_c6_fifty_entry_scans_of_a_registered_code(server, staff):
    person = make_registrant()
    before = rows(person)
    results = race(
        server,
        user_token(staff),
        [{"code": person.check_in_code, "mode": "entry", "event": person.event_id}] * SCANNERS,
    )
    assert Counter(s for s, _ in results) == {200: SCANNERS}
    changed = [b for _, b in results if b["changed"]]
    assert len(changed) == 1 and changed[0]["steps"] == ["checked_in", "entered"]
    assert rows(person) - before == 2
    assert history_violations() == []


@pytest.mark.postgres
def test_c10_the_same_scan_retried_with_its_nonce(server, staff):
    person = make_registrant()
    before = rows(person)
    body = {"code": person.check_in_code, "mode": "entry", "nonce": uuid.uuid4().hex}
    body["event"] = person.event_id
    results = race(server, user_token(staff), [body] * 20)
    assert len({(s, json.dumps(b, sort_keys=True)) for s, b in results}) == 1  # the first answer
    assert results[0][1]["changed"] is True
    assert rows(person) - before == 2
    again = race(server, user_token(staff), [body] * 5)
    assert again[0] == results[0] and rows(person) - before == 2


@pytest.mark.postgres
def test_one_nonce_sent_at_once_for_two_people_scans_one_of_them(server, staff, event):
    """A nonce names one request: of twenty racers sending one nonce with two
    badges, the winner's badge is scanned once and its racers get its
    answer; the others get 409 nonce_reused and their person is untouched."""
    ann, bob = make_registrant(event, name="Ann"), make_registrant(event, name="Bob")
    nonce = uuid.uuid4().hex
    bodies = [
        {"code": p.check_in_code, "mode": "desk", "event": event.pk, "nonce": nonce}
        for p in (ann, bob)
    ] * 10
    results = race(server, user_token(staff), bodies)
    ann.refresh_from_db()
    bob.refresh_from_db()
    winner, loser = (ann, bob) if ann.status == "checked_in" else (bob, ann)
    assert (winner.status, loser.status) == ("checked_in", "registered")
    wins = [r for r in results if r[0] == 200]
    assert {b["registrant"]["name"] for _, b in wins} == {winner.name}
    assert len({json.dumps(b, sort_keys=True) for _, b in wins}) == 1
    refused = [b["error"]["code"] for s, b in results if s != 200]
    assert refused == ["nonce_reused"] * 10
    assert rows(winner) == 2 and rows(loser) == 1
    assert history_violations([event.pk]) == []


@pytest.mark.postgres
def test_requests_cancelled_in_flight_never_break_history(server_of_its_own, staff, event):
    """Clients that give up after about a millisecond, hundreds of times:
    every registrant's status still equals its newest history row. Its own
    server: the requests its clients walk away from may still be running
    when it ends."""
    server = server_of_its_own
    people = [make_registrant(event, name=f"Guest {i}") for i in range(40)]
    key = user_token(staff)
    modes = ["desk", "entry", "exit"]

    async def hammer(n: int) -> Counter:
        outcomes: Counter = Counter()
        async with httpx.AsyncClient(base_url=server, timeout=httpx.Timeout(0.001)) as client:
            for _ in range(n):
                person = random.choice(people)
                body = {"code": person.check_in_code, "mode": random.choice(modes)}
                body["event"] = event.pk
                if random.random() < 0.3:
                    body["nonce"] = uuid.uuid4().hex
                try:
                    await client.post("/gateway/v1/scan", json=body, headers=bearer(key))
                    outcomes["answered"] += 1
                except httpx.TimeoutException:
                    outcomes["cancelled"] += 1
        return outcomes

    async def main() -> Counter:
        parts = await asyncio.gather(*(hammer(40) for _ in range(10)))
        return sum(parts, Counter())

    outcomes = asyncio.run(main())
    assert outcomes["cancelled"] > 50, outcomes
    # Let the server finish what the clients walked away from, then check.
    with httpx.Client(base_url=server, timeout=10) as client:
        for person in people:
            client.post(
                "/gateway/v1/scan",
                json={"code": person.check_in_code, "mode": "desk", "event": event.pk},
                headers=bearer(key),
            )
    assert history_violations([event.pk]) == []
    assert StatusChange.objects.filter(event=event, source="scan").exists()


def test_a_cancelled_caller_does_not_cut_the_transaction(event, staff):
    """The shield, in-process: the caller is cancelled while the scan's
    transaction is in the middle of its writes; the transaction commits
    whole and its live message is still sent."""
    from gateway import db, live
    from gateway import scan as rules
    from gateway.scan import Principal

    person = make_registrant(event)
    before = rows(person)
    principal = Principal(user_id=staff.pk, name="sam")
    sent: list = []
    started = threading.Event()

    original = rules.answer

    def slow_answer(outcome):
        started.set()
        import time

        time.sleep(0.3)  # inside the transaction, after the writes
        return original(outcome)

    async def main():
        import datetime as dt

        backend = db.backend()

        async def work():
            status, body, outcome = await backend.scan(
                person.check_in_code, "entry", principal, uuid.uuid4().hex, dt.datetime.now(dt.UTC)
            )
            sent.append(rules.live_message(outcome, principal.name))
            return status

        caller = asyncio.ensure_future(db.shielded(work))
        await asyncio.sleep(0.1)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        await db.drain()
        await live.drain()
        await db.close()

    rules.answer = slow_answer
    try:
        asyncio.run(main())
    finally:
        rules.answer = original
    person.refresh_from_db()
    assert person.status == "entered" and rows(person) - before == 2
    assert sent and sent[0]["registrant"]["status"] == "entered"
    assert history_violations([event.pk]) == []


@pytest.mark.postgres
def test_the_same_offline_batch_sent_by_eight_clients_at_once(server, event):
    """Each receipt is written once, at the end of its batch's transaction;
    the batches that lose the race on a nonce roll back and answer from the
    winner's receipts. Whatever the interleaving: every scan applied once,
    every conflict stored once, every client the same answers."""
    from gateway import services
    from gateway.models import ScanConflict
    from registrants import services as registrant_services

    from .test_batch import bulk_registrants, item

    _, key = services.device_create(event_id=event.pk, name="Door A")
    people = bulk_registrants(event, 60)
    cancelled = people[:5]
    for person in cancelled:
        registrant_services.registrant_change_status(registrant_id=person.pk, to_status="cancelled")
    items = [item(p.check_in_code, "desk", i) for i, p in enumerate(people)]
    items.append(item("no-such-code", "desk", 99))
    barrier = threading.Barrier(8)
    answers: list = [None] * 8

    def send(i: int) -> None:
        with httpx.Client(base_url=server, timeout=60) as client:
            barrier.wait()
            r = client.post("/gateway/v1/scan/batch", json={"items": items}, headers=bearer(key))
            answers[i] = (r.status_code, r.json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {status for status, _ in answers} == {200}
    firsts = [body for _, body in answers if body["replayed"] == 0]
    assert len(firsts) == 1 and firsts[0]["applied"] == 55 and firsts[0]["conflicts"] == 6
    strip = [
        [{k: v for k, v in r.items() if k != "replayed"} for r in b["results"]] for _, b in answers
    ]
    assert all(s == strip[0] for s in strip)
    assert StatusChange.objects.filter(event=event, source="scan").count() == 55
    assert (
        ScanConflict.objects.filter(event=event).count()
        + ScanConflict.objects.filter(event__isnull=True).count()
        == 6
    )
    assert history_violations([event.pk]) == []
