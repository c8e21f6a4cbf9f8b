"""Unit tests of the services: companies, registrants, capacity, scans.

Each test is named after the rule it pins and asserts error codes, not
messages. Races are in concurrency/, history guarantees in test_history.py.
"""

from __future__ import annotations

import datetime

import pytest

from registrants import services
from registrants.errors import ApplicationError
from registrants.lifecycle import Kind, ScanMode, Status
from registrants.models import Company, Event, Registrant, Source, StatusChange
from registrants.tests.factories import EventFactory, make_registrant, make_user
from registrants.tests.invariants import assert_invariants

pytestmark = pytest.mark.django_db


def _code(call) -> str:
    with pytest.raises(ApplicationError) as exc:
        call()
    return exc.value.code


def _refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as exc:
        call()
    return exc.value


def _register(event, n=0, **kwargs):
    kwargs.setdefault("name", f"Person {n}")
    kwargs.setdefault("email", f"person{n}@example.com")
    return services.registrant_register(event_id=event.pk, **kwargs)


# --- Companies -------------------------------------------------------------------


def test_company_spellings_that_normalise_alike_are_one_company():
    first = services.company_get_or_create(name="Google")
    for spelling in [" google ", "GOOGLE", "  Google\t", "gOOgle"]:
        assert services.company_get_or_create(name=spelling).pk == first.pk
    assert Company.objects.count() == 1


def test_company_keeps_the_first_spelling_seen_for_display():
    company = services.company_get_or_create(name="  ACME   Corp ")
    assert company.name == "ACME Corp"
    assert company.normalized_name == "acme"
    services.company_get_or_create(name="acme CORP")
    company.refresh_from_db()
    assert company.name == "ACME Corp"


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_blank_company_name_is_a_validation_error(blank):
    error = _refusal(lambda: services.company_get_or_create(name=blank))
    assert error.code == "validation_error"
    assert "name" in error.fields
    assert _code(lambda: services.company_create(name=blank)) == "validation_error"
    assert not Company.objects.exists()


def test_creating_a_company_that_normalises_to_an_existing_one_is_company_exists():
    google = services.company_create(name="Google")
    error = _refusal(lambda: services.company_create(name=" GOOGLE "))
    assert error.code == "company_exists"
    assert error.details["company_id"] == google.pk
    assert Company.objects.count() == 1


def test_renaming_a_company_onto_another_is_company_exists():
    google, alphabet = (
        services.company_create(name="Google"),
        services.company_create(name="Alphabet"),
    )
    error = _refusal(lambda: services.company_rename(company_id=alphabet.pk, name="google"))
    assert error.code == "company_exists"
    assert error.details["company_id"] == google.pk
    alphabet.refresh_from_db()
    assert alphabet.name == "Alphabet"


def test_renaming_a_company_to_another_spelling_of_itself_is_allowed():
    google = services.company_create(name="Google")
    renamed = services.company_rename(company_id=google.pk, name="GOOGLE")
    assert (renamed.pk, renamed.name, renamed.normalized_name) == (google.pk, "GOOGLE", "google")


def test_renaming_an_unknown_company_is_not_found():
    assert _code(lambda: services.company_rename(company_id=10**9, name="X")) == "not_found"


def test_merging_companies_moves_registrants_keeps_history_and_deletes_the_absorbed():
    event = EventFactory(capacity=10)
    kept = [make_registrant(event, company="Google") for _ in range(2)]
    moved = [make_registrant(event, company="Alphabet", status=Status.CHECKED_IN) for _ in range(3)]
    google, alphabet = Company.objects.get(name="Google"), Company.objects.get(name="Alphabet")
    history = list(StatusChange.objects.order_by("id").values())

    result = services.company_merge(source_id=alphabet.pk, into_id=google.pk)

    assert result.pk == google.pk
    assert not Company.objects.filter(pk=alphabet.pk).exists()
    assert set(Registrant.objects.filter(company=google).values_list("pk", flat=True)) == {
        r.pk for r in kept + moved
    }
    assert list(StatusChange.objects.order_by("id").values()) == history
    assert_invariants()


def test_merging_a_company_into_itself_is_a_validation_error():
    google = services.company_create(name="Google")
    assert _code(lambda: services.company_merge(source_id=google.pk, into_id=google.pk)) == (
        "validation_error"
    )


def test_merging_an_unknown_company_is_not_found_and_into_an_unknown_one_a_validation_error():
    google = services.company_create(name="Google")
    assert _code(lambda: services.company_merge(source_id=10**9, into_id=google.pk)) == "not_found"
    error = _refusal(lambda: services.company_merge(source_id=google.pk, into_id=10**9))
    assert error.code == "validation_error" and "into" in error.fields
    assert Company.objects.filter(pk=google.pk).exists()


def test_deleting_a_company_with_registrants_is_refused_and_without_allowed():
    make_registrant(EventFactory(), company="Google")
    google, empty = Company.objects.get(), services.company_create(name="Empty")
    assert _code(lambda: services.company_delete(company_id=google.pk)) == "company_has_registrants"
    services.company_delete(company_id=empty.pk)
    assert list(Company.objects.values_list("pk", flat=True)) == [google.pk]
    assert _code(lambda: services.company_delete(company_id=empty.pk)) == "not_found"


def test_registering_with_a_company_name_matches_it_after_normalisation():
    google = services.company_create(name="Google")
    registrant = _register(EventFactory(), company_name="  gOOGLE ")
    assert registrant.company_id == google.pk
    assert Company.objects.count() == 1


def test_registering_with_an_unknown_company_id_is_a_validation_error():
    event = EventFactory()
    error = _refusal(lambda: _register(event, company_id=10**9))
    assert error.code == "validation_error" and "company_id" in error.fields
    assert not Registrant.objects.exists()


# --- Registering ----------------------------------------------------------------------


def test_registering_writes_the_creation_history_row():
    olga = make_user("svc-olga", None)
    registrant = _register(EventFactory(), actor=olga, source=Source.IMPORT, note="from CSV")
    assert registrant.status == Status.REGISTERED
    (row,) = StatusChange.objects.filter(registrant=registrant)
    assert (row.from_status, row.to_status, row.actor_id, row.source, row.note) == (
        "",
        Status.REGISTERED,
        olga.pk,
        Source.IMPORT,
        "from CSV",
    )
    assert row.event_id == registrant.event_id


def test_registering_trims_the_name_and_lower_cases_the_email_domain_only():
    registrant = _register(EventFactory(), name="  Ada Lovelace ", email=" Ada.L@Example.COM ")
    assert (registrant.name, registrant.email) == ("Ada Lovelace", "Ada.L@example.com")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "ada@"}, "email"),
        ({"name": "   "}, "name"),
        ({"guest_type": "astronaut"}, "guest_type"),
    ],
)
def test_registering_with_invalid_details_is_a_validation_error_and_writes_nothing(fields, field):
    event = EventFactory()
    error = _refusal(lambda: _register(event, **fields))
    assert error.code == "validation_error"
    assert field in error.fields
    assert not Registrant.objects.exists() and not StatusChange.objects.exists()


def test_registering_for_an_unknown_event_is_not_found():
    assert (
        _code(
            lambda: services.registrant_register(
                event_id=10**9, name="Ada", email="ada@example.com"
            )
        )
        == "not_found"
    )


def test_every_registrant_gets_a_distinct_unguessable_url_safe_code():
    event = EventFactory()
    codes = [_register(event, n).check_in_code for n in range(20)]
    assert len(set(codes)) == 20
    for code in codes:
        assert len(code) >= 22  # 128 bits in base64url
        assert set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


# --- Updating and deleting registrants ------------------------------------------------


def test_updating_details_changes_neither_status_nor_history():
    registrant = make_registrant(EventFactory(), status=Status.CHECKED_IN, company="Old Co")
    rows = StatusChange.objects.filter(registrant=registrant).count()
    updated = services.registrant_update(
        registrant_id=registrant.pk,
        name=" Grace ",
        email="grace@NAVY.MIL",
        guest_type="speaker",
        company_name="New Co",
    )
    updated.refresh_from_db()
    assert (updated.name, updated.email, updated.guest_type) == (
        "Grace",
        "grace@navy.mil",
        "speaker",
    )
    assert updated.company.name == "New Co"
    assert updated.status == Status.CHECKED_IN
    assert StatusChange.objects.filter(registrant=registrant).count() == rows


@pytest.mark.parametrize("clear", [{"company_name": ""}, {"company_id": None}])
def test_updating_with_an_empty_company_clears_it(clear):
    registrant = make_registrant(EventFactory(), company="Google")
    services.registrant_update(registrant_id=registrant.pk, **clear)
    registrant.refresh_from_db()
    assert registrant.company_id is None


def test_updating_without_a_company_argument_keeps_the_company():
    registrant = make_registrant(EventFactory(), company="Google")
    services.registrant_update(registrant_id=registrant.pk, name="Renamed")
    registrant.refresh_from_db()
    assert registrant.company.name == "Google"


def test_updating_with_invalid_details_or_an_unknown_registrant_is_refused():
    registrant = make_registrant(EventFactory())
    assert (
        _code(lambda: services.registrant_update(registrant_id=registrant.pk, email="nope"))
        == "validation_error"
    )
    assert _code(lambda: services.registrant_update(registrant_id=10**9, name="X")) == "not_found"
    registrant.refresh_from_db()
    assert registrant.email.endswith("@example.com")


def test_deleting_a_registrant_erases_it_and_deletes_nothing():
    event = EventFactory()
    gone, stays = make_registrant(event, status=Status.ENTERED), make_registrant(event)
    services.registrant_delete(registrant_id=gone.pk)
    gone.refresh_from_db()
    assert (gone.name, gone.status) == ("Erased registrant", Status.ENTERED)
    assert StatusChange.objects.filter(registrant_id=gone.pk).count() == 3
    assert StatusChange.objects.filter(registrant=stays).count() == 1
    assert _code(lambda: services.registrant_delete(registrant_id=10**9)) == "not_found"
    assert_invariants()


# --- Capacity and events ---------------------------------------------------------------


def test_registering_when_seats_taken_equals_capacity_is_event_full():
    event = EventFactory(capacity=2)
    _register(event, 1)
    _register(event, 2)
    error = _refusal(lambda: _register(event, 3, company_name="Brand New Co"))
    assert error.code == "event_full"
    assert error.details == {"capacity": 2, "seats_taken": 2}
    assert Registrant.objects.filter(event=event).count() == 2
    # A refused registration leaves no new company behind.
    assert not Company.objects.exists()


def test_cancelled_registrants_do_not_hold_a_seat():
    event = EventFactory(capacity=1)
    first = _register(event, 1)
    services.registrant_change_status(registrant_id=first.pk, to_status=Status.CANCELLED)
    assert services.seats_taken(event_id=event.pk) == 0
    _register(event, 2)
    assert services.seats_taken(event_id=event.pk) == 1


def test_reinstating_needs_a_free_seat():
    event = EventFactory(capacity=1)
    first = _register(event, 1)
    services.registrant_change_status(registrant_id=first.pk, to_status=Status.CANCELLED)
    second = _register(event, 2)
    assert (
        _code(
            lambda: services.registrant_change_status(
                registrant_id=first.pk, to_status=Status.REGISTERED
            )
        )
        == "event_full"
    )
    first.refresh_from_db()
    assert first.status == Status.CANCELLED
    services.registrant_change_status(registrant_id=second.pk, to_status=Status.CANCELLED)
    assert services.registrant_change_status(
        registrant_id=first.pk, to_status=Status.REGISTERED
    ).changed
    assert_invariants()


def test_lowering_capacity_below_seats_taken_is_refused():
    event = EventFactory(capacity=10)
    for n in range(4):
        make_registrant(event, status=Status.ENTERED if n else Status.CANCELLED)
    error = _refusal(lambda: services.event_update(event_id=event.pk, capacity=2))
    assert error.code == "capacity_below_seats_taken"
    assert error.details["seats_taken"] == 3
    event.refresh_from_db()
    assert event.capacity == 10
    assert services.event_update(event_id=event.pk, capacity=3).capacity == 3


def test_capacity_below_one_is_a_validation_error():
    assert (
        _code(
            lambda: services.event_create(name="Tiny", date=datetime.date(2026, 1, 1), capacity=0)
        )
        == "validation_error"
    )
    event = EventFactory(capacity=5)
    assert _code(lambda: services.event_update(event_id=event.pk, capacity=0)) == "validation_error"
    assert not Event.objects.filter(name="Tiny").exists()


def test_updating_an_event_changes_only_what_is_given():
    event = EventFactory(name="Old", capacity=5)
    services.event_update(event_id=event.pk, name="New")
    event.refresh_from_db()
    assert (event.name, event.capacity) == ("New", 5)
    assert _code(lambda: services.event_update(event_id=10**9, name="X")) == "not_found"


def test_deleting_an_event_with_registrants_is_refused_and_without_allowed():
    full, empty = EventFactory(), EventFactory()
    make_registrant(full, status=Status.CANCELLED)
    error = _refusal(lambda: services.event_delete(event_id=full.pk))
    assert error.code == "event_has_registrants" and error.details == {"registrants": 1}
    services.event_delete(event_id=empty.pk)
    assert list(Event.objects.values_list("pk", flat=True)) == [full.pk]
    assert _code(lambda: services.event_delete(event_id=empty.pk)) == "not_found"


# --- Status changes --------------------------------------------------------------------


def test_asking_for_the_current_status_is_a_no_op_naming_the_change_that_made_it():
    sam = make_user("svc-sam", None)
    registrant = make_registrant(EventFactory())
    done = services.registrant_change_status(
        registrant_id=registrant.pk, to_status=Status.CHECKED_IN, actor=sam
    )
    rows = StatusChange.objects.count()
    again = services.registrant_change_status(
        registrant_id=registrant.pk, to_status=Status.CHECKED_IN
    )
    assert again.changed is False and again.changes == []
    assert again.previous.pk == done.changes[0].pk and again.previous.actor == sam
    assert StatusChange.objects.count() == rows


def test_a_move_the_table_does_not_allow_is_invalid_transition_naming_status_and_targets():
    registrant = make_registrant(EventFactory(), status=Status.ENTERED)
    error = _refusal(
        lambda: services.registrant_change_status(
            registrant_id=registrant.pk, to_status=Status.REGISTERED
        )
    )
    assert error.code == "invalid_transition"
    assert error.details == {
        "current_status": "entered",
        "allowed": ["checked_in", "exited", "cancelled"],
    }


def test_a_move_outside_the_callers_kinds_is_permission_denied_and_writes_nothing():
    registrant = make_registrant(EventFactory(), status=Status.CHECKED_IN)
    rows = StatusChange.objects.count()
    for target in [Status.REGISTERED, Status.CANCELLED]:  # undo, cancel
        assert (
            _code(
                lambda t=target: services.registrant_change_status(
                    registrant_id=registrant.pk, to_status=t, allowed_kinds={Kind.FORWARD}
                )
            )
            == "permission_denied"
        )
    assert services.registrant_change_status(
        registrant_id=registrant.pk, to_status=Status.ENTERED, allowed_kinds={Kind.FORWARD}
    ).changed
    assert StatusChange.objects.count() == rows + 1


def test_changing_the_status_of_an_unknown_registrant_is_not_found():
    assert (
        _code(
            lambda: services.registrant_change_status(
                registrant_id=10**9, to_status=Status.CHECKED_IN
            )
        )
        == "not_found"
    )


# --- Scanning ------------------------------------------------------------------------------


def _scan(registrant, mode, actor=None):
    return services.registrant_scan(
        code=registrant.check_in_code, mode=mode, event_id=registrant.event_id, actor=actor
    )


def test_scanning_an_unknown_code_is_not_found():
    assert (
        _code(lambda: services.registrant_scan(code="nope", mode=ScanMode.DESK, event_id=1))
        == "not_found"
    )


@pytest.mark.parametrize("mode", list(ScanMode))
def test_scanning_a_cancelled_registrant_is_refused_as_cancelled_naming_who(mode):
    registrant = make_registrant(
        EventFactory(), name="Ada", company="Google", status=Status.CANCELLED
    )
    error = _refusal(lambda: _scan(registrant, mode))
    assert error.code == "cancelled"
    assert error.details["registrant"] == {
        "id": registrant.pk,
        "name": "Ada",
        "company": "Google",
        "guest_type": "attendee",
        "status": "cancelled",
    }


@pytest.mark.parametrize(
    ("start", "mode", "steps"),
    [
        (Status.REGISTERED, ScanMode.DESK, [Status.CHECKED_IN]),
        (Status.REGISTERED, ScanMode.ENTRY, [Status.CHECKED_IN, Status.ENTERED]),
        (Status.CHECKED_IN, ScanMode.ENTRY, [Status.ENTERED]),
        (Status.EXITED, ScanMode.ENTRY, [Status.ENTERED]),
        (Status.ENTERED, ScanMode.EXIT, [Status.EXITED]),
    ],
)
def test_a_scan_moves_forward_writing_one_row_per_step(start, mode, steps):
    sam = make_user("svc-scan-sam", None)
    registrant = make_registrant(EventFactory(), status=start)
    result = _scan(registrant, mode, actor=sam)
    assert result.changed is True
    assert [(c.to_status, c.source, c.actor_id) for c in result.changes] == [
        (s, Source.SCAN, sam.pk) for s in steps
    ]
    assert result.registrant.status == steps[-1]
    assert_invariants()


@pytest.mark.parametrize(
    ("start", "mode"),
    [
        (Status.CHECKED_IN, ScanMode.DESK),
        (Status.ENTERED, ScanMode.DESK),  # past the desk: waved through, not refused
        (Status.EXITED, ScanMode.DESK),
        (Status.ENTERED, ScanMode.ENTRY),
        (Status.EXITED, ScanMode.EXIT),
    ],
)
def test_a_repeat_scan_is_unchanged_and_names_who_made_the_change(start, mode):
    sam = make_user("svc-repeat-sam", None)
    registrant = make_registrant(EventFactory(), status=start, actor=sam)
    rows = StatusChange.objects.count()
    result = _scan(registrant, mode)
    assert result.changed is False and result.changes == []
    assert result.previous.to_status == start and result.previous.actor == sam
    assert result.registrant.status == start
    assert StatusChange.objects.count() == rows


@pytest.mark.parametrize("start", [Status.REGISTERED, Status.CHECKED_IN])
def test_an_exit_scan_of_someone_never_let_in_is_invalid_transition(start):
    registrant = make_registrant(EventFactory(), status=start)
    error = _refusal(lambda: _scan(registrant, ScanMode.EXIT))
    assert error.code == "invalid_transition"
    assert error.details["current_status"] == start
    assert error.details["registrant"]["id"] == registrant.pk
