"""registrants_bulk_change_status, set-based, against what one
registrant_change_status per id gives (the function's previous, row-by-row
implementation, kept below as the reference).

H1 (atomic chunks) and H2 (5,000 check-ins) are in test_history.py, races
in concurrency/test_bulk.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from django.db import transaction
from django.utils import timezone

from registrants import lifecycle, services
from registrants.errors import ApplicationError
from registrants.lifecycle import SEAT_HOLDING, Kind, Status
from registrants.models import Registrant, Source, StatusChange
from registrants.services import ALL_KINDS, BulkRowResult
from registrants.signals import status_changed, statuses_changed
from registrants.tests.factories import EventFactory, make_registrant, make_user
from registrants.tests.invariants import assert_invariants, capacity_violations

NOBODY = 987_654_321  # an id no registrant has


def reference_bulk_change_status(
    *,
    registrant_ids: Iterable[int],
    to_status: str,
    actor=None,
    source: str = Source.DASHBOARD,
    note: str = "",
    allowed_kinds: Iterable[Kind] = ALL_KINDS,
) -> list[BulkRowResult]:
    """The row-by-row implementation the set-based one replaced, verbatim but
    for corrections, which bulk changes refuse by design."""
    kinds = frozenset(allowed_kinds)
    results: list[BulkRowResult] = []
    for registrant_id in dict.fromkeys(registrant_ids):
        current = Registrant.objects.filter(pk=registrant_id).values_list("status", flat=True)
        if current and lifecycle.kind_of(current[0], to_status) in lifecycle.NOTE_REQUIRED:
            results.append(
                BulkRowResult(
                    registrant_id,
                    ok=False,
                    error_code="invalid_transition",
                    message=(
                        f"Moving from {current[0]} to {to_status} is a correction: make it one "
                        "registrant at a time, with a note."
                    ),
                )
            )
            continue
        try:
            result = services.registrant_change_status(
                registrant_id=registrant_id,
                to_status=to_status,
                actor=actor,
                source=source,
                note=note,
                allowed_kinds=kinds,
            )
        except ApplicationError as exc:
            results.append(
                BulkRowResult(registrant_id, ok=False, error_code=exc.code, message=exc.message)
            )
        else:
            results.append(
                BulkRowResult(
                    registrant_id, ok=True, changed=result.changed, status=result.registrant.status
                )
            )
    return results


class _Undo(Exception):
    pass


def _outcome(implementation, since: int, **kwargs):
    """Run one implementation and undo it: its results, the statuses after
    it, and the history rows it wrote (without ids and times)."""
    outcome = None
    try:
        with transaction.atomic():
            results = implementation(**kwargs)
            statuses = dict(Registrant.objects.values_list("id", "status"))
            rows = list(
                StatusChange.objects.filter(pk__gt=since)
                .order_by("id")
                .values_list(
                    "registrant_id", "event_id", "from_status", "to_status", "actor", "source"
                )
            )
            outcome = (results, statuses, rows)
            raise _Undo
    except _Undo:
        pass
    return outcome


@pytest.mark.django_db
@pytest.mark.parametrize("to_status", [s.value for s in Status])
@pytest.mark.parametrize(
    "kinds",
    [ALL_KINDS, frozenset({Kind.FORWARD}), frozenset({Kind.UNDO, Kind.CANCEL})],
    ids=["all", "forward", "undo+cancel"],
)
@pytest.mark.parametrize("chunk", [500, 3])
def test_bulk_gives_what_one_change_per_id_gives(monkeypatch, to_status, kinds, chunk):
    """Every status to every target, under three roles, two events (one with
    one free seat for three cancelled registrants), unknown and repeated ids,
    in an order that is not id order, in one chunk and in chunks of three:
    the same results, statuses and history rows as the reference."""
    monkeypatch.setattr(services.bulk, "BULK_CHUNK_SIZE", chunk)
    olga = make_user("bulk-diff-olga", None)
    tight, roomy = EventFactory(capacity=5), EventFactory(capacity=100)
    # The waitlisted one joins last: a cancellation before would offer them
    # the freed seat (registrants/waitlist.py), leaving none to register in.
    statuses = [s for s in Status if s != Status.WAITLISTED]
    people = [
        make_registrant(event, status=status)
        for event in (tight, roomy)
        for status in [*statuses, Status.CANCELLED, Status.CANCELLED, Status.WAITLISTED]
    ]
    assert Registrant.objects.filter(event=tight, status__in=SEAT_HOLDING).count() == 4
    ids = [p.pk for p in reversed(people)]
    ids = ids[::2] + [NOBODY] + ids[1::2] + ids[:3]
    kwargs = dict(
        registrant_ids=ids,
        to_status=to_status,
        actor=olga,
        source=Source.ADMIN,
        note="bulk",
        allowed_kinds=kinds,
    )
    since = StatusChange.objects.order_by("-id").values_list("id", flat=True).first()

    expected = _outcome(reference_bulk_change_status, since, **kwargs)
    got = _outcome(services.registrants_bulk_change_status, since, **kwargs)

    assert got == expected
    assert len(got[0]) == len(people) + 1


@pytest.mark.django_db
def test_a_mixed_batch_gives_each_row_its_own_result_in_input_order():
    """Unknown id, no-op, invalid transition, permission_denied, a change and
    a repeated id: exact results, and a history row only for the change."""
    event = EventFactory(capacity=10)
    undone = make_registrant(event, status=Status.CHECKED_IN)
    already = make_registrant(event, status=Status.REGISTERED)
    inside = make_registrant(event, status=Status.ENTERED)
    cancelled = make_registrant(event, status=Status.CANCELLED)
    rows_before = StatusChange.objects.count()

    results = services.registrants_bulk_change_status(
        registrant_ids=[NOBODY, already.pk, inside.pk, cancelled.pk, undone.pk, inside.pk],
        to_status=Status.REGISTERED,
        allowed_kinds={Kind.UNDO},
    )

    assert results == [
        BulkRowResult(NOBODY, ok=False, error_code="not_found", message="No such registrant."),
        BulkRowResult(already.pk, ok=True, changed=False, status=Status.REGISTERED),
        BulkRowResult(
            inside.pk,
            ok=False,
            error_code="invalid_transition",
            message=(
                "Cannot move from entered to registered; "
                "allowed from entered: checked_in, exited, cancelled."
            ),
        ),
        BulkRowResult(
            cancelled.pk,
            ok=False,
            error_code="permission_denied",
            message="Your role may not reinstate a registrant (cancelled to registered).",
        ),
        BulkRowResult(undone.pk, ok=True, changed=True, status=Status.REGISTERED),
    ]
    assert StatusChange.objects.count() == rows_before + 1
    statuses = dict(Registrant.objects.values_list("id", "status"))
    assert [statuses[p.pk] for p in (undone, already, inside, cancelled)] == [
        Status.REGISTERED,
        Status.REGISTERED,
        Status.ENTERED,
        Status.CANCELLED,
    ]
    assert_invariants()


@pytest.mark.django_db
def test_an_unknown_target_status_refuses_every_row_as_validation_error():
    event = EventFactory(capacity=10)
    person = make_registrant(event)
    results = services.registrants_bulk_change_status(
        registrant_ids=[person.pk, NOBODY, person.pk], to_status="teleported"
    )
    assert [(r.registrant_id, r.error_code, r.message) for r in results] == [
        (person.pk, "validation_error", '"teleported" is not a status.'),
        (NOBODY, "validation_error", '"teleported" is not a status.'),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("chunk", [500, 2])
def test_reinstating_more_than_the_free_seats_admits_the_first_in_input_order(monkeypatch, chunk):
    """Six cancelled, two free seats: the first two in input order (not id
    order) are reinstated, the other four refused as event_full with the
    single change's message; the capacity is never exceeded."""
    monkeypatch.setattr(services.bulk, "BULK_CHUNK_SIZE", chunk)
    event = EventFactory(capacity=5)
    for _ in range(3):
        make_registrant(event, status=Status.CHECKED_IN)
    cancelled = [make_registrant(event, status=Status.CANCELLED) for _ in range(6)]
    order = [cancelled[i].pk for i in (4, 1, 5, 0, 3, 2)]

    results = services.registrants_bulk_change_status(
        registrant_ids=order, to_status=Status.REGISTERED
    )

    assert [(r.registrant_id, r.ok, r.changed) for r in results] == [
        (order[0], True, True),
        (order[1], True, True),
        *[(pk, False, False) for pk in order[2:]],
    ]
    assert {r.error_code for r in results[2:]} == {"event_full"}
    assert {r.message for r in results[2:]} == {"The event is full: 5 of 5 seats are taken."}
    statuses = dict(Registrant.objects.filter(pk__in=order).values_list("id", "status"))
    assert [statuses[pk] for pk in order] == [Status.REGISTERED] * 2 + [Status.CANCELLED] * 4
    assert Registrant.objects.filter(event=event, status__in=SEAT_HOLDING).count() == 5
    assert capacity_violations() == []
    assert_invariants()


@pytest.mark.django_db
def test_every_change_writes_one_row_with_the_call_details_and_touches_updated_at():
    """The row carries what _record writes (from/to, actor, source, note,
    the registrant's event, a time of the call) and the registrant's
    updated_at moves with its status."""
    olga = make_user("bulk-row-olga", None)
    events = [EventFactory(capacity=10), EventFactory(capacity=10)]
    people = [make_registrant(e) for e in events for _ in range(2)]
    updated_before = dict(Registrant.objects.values_list("id", "updated_at"))
    started = timezone.now()

    services.registrants_bulk_change_status(
        registrant_ids=[p.pk for p in people],
        to_status=Status.CHECKED_IN,
        actor=olga,
        source=Source.ADMIN,
        note="door opened early",
    )

    rows = StatusChange.objects.filter(to_status=Status.CHECKED_IN).order_by("id")
    assert [
        (r.registrant_id, r.event_id, r.from_status, r.actor_id, r.source, r.note) for r in rows
    ] == [
        (p.pk, p.event_id, Status.REGISTERED, olga.pk, Source.ADMIN, "door opened early")
        for p in people
    ]
    assert all(started <= r.at <= timezone.now() for r in rows)
    for person in people:
        person.refresh_from_db()
        assert person.status == Status.CHECKED_IN
        assert person.updated_at > updated_before[person.pk]
    assert_invariants()


@pytest.mark.django_db(transaction=True)
def test_each_changed_registrant_is_announced_once_after_commit(monkeypatch):
    """One announcement per committed chunk (statuses_changed), naming every
    registrant it moved once, with its written row (with its id) and the
    registrant in its new status; none for no-ops and refusals, none before
    commit, and no per-registrant status_changed."""
    monkeypatch.setattr(services.bulk, "BULK_CHUNK_SIZE", 2)
    olga = make_user("bulk-live-olga", None)
    event = EventFactory(capacity=10)
    movers = [make_registrant(event, company="Acme") for _ in range(3)]
    still = make_registrant(event, status=Status.CHECKED_IN)
    gone = make_registrant(event, status=Status.CANCELLED)
    chunks: list[list] = []
    singles: list[dict] = []

    def listener(sender, **kwargs):
        assert not transaction.get_connection().in_atomic_block
        chunks.append(kwargs["moves"])

    statuses_changed.connect(listener, dispatch_uid="test-bulk-listener")
    status_changed.connect(lambda sender, **kw: singles.append(kw), dispatch_uid="test-bulk-one")
    try:
        services.registrants_bulk_change_status(
            registrant_ids=[movers[0].pk, still.pk, gone.pk, movers[1].pk, movers[2].pk],
            to_status=Status.CHECKED_IN,
            actor=olga,
        )
    finally:
        statuses_changed.disconnect(dispatch_uid="test-bulk-listener")
        status_changed.disconnect(dispatch_uid="test-bulk-one")

    # Chunks of two: [m0, still], [gone, m1], [m2]; each announced once.
    assert [[r.pk for r, _ in moves] for moves in chunks] == [[p.pk] for p in movers]
    assert singles == []
    for registrant, rows in (move for moves in chunks for move in moves):
        (row,) = rows
        stored = StatusChange.objects.get(pk=row.pk)
        assert (stored.registrant_id, stored.from_status, stored.to_status) == (
            registrant.pk,
            Status.REGISTERED,
            Status.CHECKED_IN,
        )
        assert registrant.event_id == event.pk
        assert registrant.status == Status.CHECKED_IN
        assert registrant.company.name == "Acme"


@pytest.mark.django_db
def test_bulk_change_announcements_build_the_same_live_message_as_a_single_change(
    django_capture_on_commit_callbacks,
):
    """The live message of a bulk-moved registrant equals the one of the
    same move made alone (bar the registrant's and the row's id, name, time)."""
    from live.messages import status_change_message

    olga = make_user("bulk-msg-olga", None)
    event = EventFactory(capacity=10)
    alone, bulk = make_registrant(event, company="Acme"), make_registrant(event, company="Acme")
    messages: dict[int, dict] = {}

    def listener(sender, **kwargs):
        messages[kwargs["registrant_id"]] = status_change_message(
            kwargs["changes"], registrant=kwargs["registrant"], change_rows=kwargs["change_rows"]
        )

    def bulk_listener(sender, *, moves, **kwargs):
        for registrant, rows in moves:
            messages[registrant.pk] = status_change_message(
                [row.pk for row in rows], registrant=registrant, change_rows=rows
            )

    status_changed.connect(listener, dispatch_uid="test-bulk-message")
    statuses_changed.connect(bulk_listener, dispatch_uid="test-bulk-messages")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for call, key in [
                (services.registrant_change_status, {"registrant_id": alone.pk}),
                (services.registrants_bulk_change_status, {"registrant_ids": [bulk.pk]}),
            ]:
                call(
                    **key,
                    to_status=Status.CHECKED_IN,
                    actor=olga,
                    source=Source.DASHBOARD,
                    note="n",
                )
    finally:
        status_changed.disconnect(dispatch_uid="test-bulk-message")
        statuses_changed.disconnect(dispatch_uid="test-bulk-messages")

    def comparable(message: dict) -> dict:
        changes = [
            {k: v for k, v in c.items() if k not in ("id", "at")} for c in message["changes"]
        ]
        summary = {k: v for k, v in message["registrant"].items() if k not in ("id", "name")}
        return {**message, "changes": changes, "registrant": summary}

    assert comparable(messages[bulk.pk]) == comparable(messages[alone.pk])
    assert messages[bulk.pk]["registrant"]["status"] == Status.CHECKED_IN
    assert messages[bulk.pk]["changes"][0]["actor"] == "bulk-msg-olga"


@pytest.mark.django_db
def test_ids_are_read_through_the_primary_key_field():
    """A repeated id spelt as a string is the same registrant, handled once."""
    event = EventFactory(capacity=10)
    person = make_registrant(event)
    results = services.registrants_bulk_change_status(
        registrant_ids=[person.pk, str(person.pk)], to_status=Status.CHECKED_IN
    )
    assert results == [BulkRowResult(person.pk, ok=True, changed=True, status=Status.CHECKED_IN)]
