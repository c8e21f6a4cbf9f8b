"""The Django admin for organisers: pages, permissions, and writes through services."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from registrants import lifecycle, services
from registrants.admin.events import EventAdminForm
from registrants.admin.status_actions import status_action_specs
from registrants.errors import ApplicationError
from registrants.lifecycle import Kind, Status
from registrants.models import Company, Event, GuestType, Registrant, Source, StatusChange
from registrants.roles import CHECKIN_STAFF, ORGANISER, VIEWER
from registrants.tests.factories import CompanyFactory, EventFactory, make_registrant, make_user
from registrants.tests.invariants import assert_invariants

pytestmark = pytest.mark.django_db


def url(model: str, view: str, *args) -> str:
    return reverse(f"admin:registrants_{model}_{view}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def org(db):
    user = make_user("olga", ORGANISER)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def admin_client(org) -> Client:
    client = Client()
    client.force_login(org)
    return client


@pytest.fixture
def data(db):
    event = EventFactory(name="Summit", capacity=10)
    ada = make_registrant(
        event,
        name="Ada Lovelace",
        email="ada@acme.example",
        company="Acme Corp",
        status=Status.ENTERED,
    )
    alan = make_registrant(
        event,
        name="Alan Turing",
        email="alan@example.com",
        company="Bletchley",
        guest_type=GuestType.VIP,
    )
    grace = make_registrant(
        event, name="Grace Hopper", email="grace@example.com", status=Status.CANCELLED
    )
    return {"event": event, "ada": ada, "alan": alan, "grace": grace}


def changelist_names(response) -> set[str]:
    return {r.name for r in response.context["cl"].result_list}


def registrant_post(registrant: Registrant, **changes) -> dict:
    body = {
        "name": registrant.name,
        "email": registrant.email,
        "company": registrant.company_id or "",
        "guest_type": registrant.guest_type,
        "history-TOTAL_FORMS": "0",
        "history-INITIAL_FORMS": "0",
    }
    body.update(changes)
    return body


# --- pages and access ---------------------------------------------------------


@pytest.mark.parametrize("model", ["event", "company", "registrant", "statuschange"])
def test_changelist_and_change_pages_load_for_an_organiser(admin_client, data, model):
    obj = {
        "event": data["event"],
        "company": data["ada"].company,
        "registrant": data["ada"],
        "statuschange": StatusChange.objects.filter(registrant=data["ada"]).first(),
    }[model]
    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", ["event", "company", "registrant"])
def test_add_pages_load_for_an_organiser(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 200


def test_admin_index_lists_the_models(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    for name in ("Events", "Companies", "Registrants", "Status changes"):
        assert name in response.content.decode()


def test_registrant_change_page_shows_history_read_only_and_status_not_editable(admin_client, data):
    response = admin_client.get(url("registrant", "change", data["ada"].pk))
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert "event" not in form.fields  # not movable to another event
    (inline,) = response.context["inline_admin_formsets"]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    body = response.content.decode()
    assert "checked_in" in body or "Checked in" in body
    assert data["ada"].check_in_code in body  # organisers may see codes


@pytest.mark.parametrize("role", [VIEWER, CHECKIN_STAFF, None])
def test_non_organisers_cannot_enter_the_admin(role):
    client = Client()
    if role:
        client.force_login(make_user(f"user-{role}", role))
    for path in (reverse("admin:index"), url("registrant", "changelist")):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_a_staff_flagged_viewer_only_views_and_has_no_actions(data):
    viewer = make_user("vera", VIEWER)
    viewer.is_staff = True
    viewer.save()
    client = Client()
    client.force_login(viewer)
    response = client.get(url("registrant", "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].model_admin.get_actions(response.wsgi_request) == {}
    assert client.get(url("registrant", "add")).status_code == 403
    ada = data["ada"]
    response = client.post(url("registrant", "change", ada.pk), registrant_post(ada, name="X"))
    assert response.status_code == 403
    response = client.post(
        url("registrant", "changelist"),
        {"action": "status_cancel_to_cancelled", "_selected_action": [ada.pk]},
    )
    ada.refresh_from_db()
    assert (ada.name, ada.status) == ("Ada Lovelace", Status.ENTERED)
    # Viewers never see check-in codes.
    assert ada.check_in_code not in client.get(url("registrant", "change", ada.pk)).content.decode()


# --- filters and search -------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status__exact": "entered"}, {"Ada Lovelace"}),
        ({"guest_type__exact": "vip"}, {"Alan Turing"}),
        ({"company": "none"}, {"Grace Hopper"}),
        ({}, {"Ada Lovelace", "Alan Turing", "Grace Hopper"}),
    ],
)
def test_registrant_filters(admin_client, data, query, expected):
    response = admin_client.get(url("registrant", "changelist"), query)
    assert response.status_code == 200
    assert changelist_names(response) == expected


def test_registrant_filters_by_event_and_company(admin_client, data):
    other = EventFactory(name="Other")
    make_registrant(other, name="Someone Else", company="Acme Corp")
    response = admin_client.get(
        url("registrant", "changelist"),
        {"event__id__exact": data["event"].pk, "company": data["ada"].company_id},
    )
    assert changelist_names(response) == {"Ada Lovelace"}
    body = response.content.decode()
    assert "company (largest)" in body
    assert "Acme Corp (1)" in body  # the sidebar counts within the chosen event


def test_company_list_links_its_registrant_count_to_the_filtered_list(admin_client, data):
    response = admin_client.get(url("company", "changelist"))
    assert f"?company={data['ada'].company_id}" in response.content.decode()


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("lovelace", {"Ada Lovelace"}),
        ("alan@example", {"Alan Turing"}),
        ("bletchley", {"Alan Turing"}),
    ],
)
def test_registrant_search_by_name_email_and_company(admin_client, data, term, expected):
    response = admin_client.get(url("registrant", "changelist"), {"q": term})
    assert changelist_names(response) == expected


def test_registrant_search_never_matches_a_check_in_code(admin_client, data):
    code = data["ada"].check_in_code
    response = admin_client.get(url("registrant", "changelist"), {"q": code})
    assert changelist_names(response) == set()


def test_event_list_shows_seats_taken(admin_client, data):
    response = admin_client.get(url("event", "changelist"))
    (row,) = response.context["cl"].result_list
    assert row._seats_taken == 2  # Ada and Alan; Grace is cancelled
    assert row._registrants == 3


# --- status actions -----------------------------------------------------------


def _from_status(to: Status, kind: Kind) -> Status:
    return next(frm for (frm, t), k in lifecycle.TRANSITIONS.items() if t == to and k == kind)


def _refused_status(to: Status) -> Status:
    """A status the action refuses to move to `to`: no move in the table,
    or a correction (which needs a note an action cannot give)."""
    return next(
        s
        for s in Status
        if s != to
        and (
            lifecycle.kind_of(s, to) is None or lifecycle.kind_of(s, to) in lifecycle.NOTE_REQUIRED
        )
    )


def test_actions_cover_every_target_and_kind_of_the_table_but_corrections():
    """Corrections need a note, which an admin action cannot take."""
    specs = {(to, kind) for _, to, kind in status_action_specs()}
    assert specs == {
        (to, kind)
        for (_, to), kind in lifecycle.TRANSITIONS.items()
        if kind not in lifecycle.NOTE_REQUIRED
    }
    assert Kind.CORRECTION in lifecycle.NOTE_REQUIRED


def test_organiser_sees_every_status_action_with_its_label(admin_client):
    response = admin_client.get(url("registrant", "changelist"))
    body = response.content.decode()
    for label in (
        "Check in",
        "Mark entered",
        "Mark exited",
        "Undo check-in → registered",
        "Cancel",
        "Reinstate",
    ):
        assert f">{label}<" in body


@pytest.mark.parametrize(("name", "to", "kind"), status_action_specs())
def test_each_status_action_changes_through_the_service_and_reports_every_row(
    admin_client, org, name, to, kind
):
    event = EventFactory(capacity=10)
    movable = make_registrant(event, name="Movable", status=_from_status(to, kind))
    already = make_registrant(event, name="Already", status=to)
    refused = make_registrant(event, name="Refused", status=_refused_status(to))
    rows_before = StatusChange.objects.count()

    response = admin_client.post(
        url("registrant", "changelist"),
        {"action": name, "_selected_action": [movable.pk, already.pk, refused.pk]},
        follow=True,
    )

    assert response.status_code == 200
    for r in (movable, already, refused):
        r.refresh_from_db()
    assert movable.status == to
    assert already.status == to
    assert refused.status == _refused_status(to)
    assert StatusChange.objects.count() == rows_before + 1
    change = StatusChange.objects.filter(registrant=movable).latest()
    assert (change.source, change.actor_id, change.to_status) == (Source.ADMIN, org.pk, to)
    text = "\n".join(messages_of(response))
    assert "1 changed" in text
    assert "1 already" in text
    assert "1 refused" in text and "Refused" in text
    assert_invariants()


def test_undo_on_a_cancelled_registrant_is_refused_and_points_to_reinstate(admin_client):
    event = EventFactory(capacity=10)
    cancelled = make_registrant(event, name="Cancelled One", status=Status.CANCELLED)
    response = admin_client.post(
        url("registrant", "changelist"),
        {"action": "status_undo_to_registered", "_selected_action": [cancelled.pk]},
        follow=True,
    )
    cancelled.refresh_from_db()
    assert cancelled.status == Status.CANCELLED
    text = "\n".join(messages_of(response))
    assert "1 refused" in text and '"Reinstate"' in text and "Cancelled One" in text


def test_reinstate_into_a_full_event_is_refused_with_the_reason(admin_client):
    event = EventFactory(capacity=1)
    cancelled = make_registrant(event, name="Late", status=Status.CANCELLED)
    make_registrant(event, name="Seat Holder")
    response = admin_client.post(
        url("registrant", "changelist"),
        {"action": "status_reinstate_to_registered", "_selected_action": [cancelled.pk]},
        follow=True,
    )
    cancelled.refresh_from_db()
    assert cancelled.status == Status.CANCELLED
    assert "full" in "\n".join(messages_of(response))


def test_staff_flagged_desk_user_gets_forward_actions_only(data):
    desk = make_user("desk", CHECKIN_STAFF)
    desk.is_staff = True
    desk.save()
    client = Client()
    client.force_login(desk)
    response = client.get(url("registrant", "changelist"))
    actions = set(response.context["cl"].model_admin.get_actions(response.wsgi_request))
    forward = {n for n, _, k in status_action_specs() if k == Kind.FORWARD}
    assert actions == forward
    alan = data["alan"]
    client.post(
        url("registrant", "changelist"),
        {"action": "status_cancel_to_cancelled", "_selected_action": [alan.pk]},
    )
    alan.refresh_from_db()
    assert alan.status == Status.REGISTERED


# --- registrants: add, edit, delete through services ----------------------------


def test_adding_a_registrant_goes_through_register_with_admin_history(admin_client, org, data):
    company = data["ada"].company
    response = admin_client.post(
        url("registrant", "add"),
        {
            "event": data["event"].pk,
            "name": " Katherine Johnson ",
            "email": "kj@NASA.example",
            "company": company.pk,
            "guest_type": "speaker",
        },
    )
    assert response.status_code == 302
    registrant = Registrant.objects.get(name="Katherine Johnson")
    assert registrant.email == "kj@nasa.example"
    assert registrant.status == Status.REGISTERED
    (change,) = registrant.history.all()
    assert (change.from_status, change.source, change.actor_id) == ("", Source.ADMIN, org.pk)


def test_adding_a_registrant_to_a_full_event_shows_an_error(admin_client):
    event = EventFactory(capacity=1)
    make_registrant(event)
    response = admin_client.post(
        url("registrant", "add"),
        {
            "event": event.pk,
            "name": "Too Late",
            "email": "late@example.com",
            "guest_type": "attendee",
        },
    )
    assert response.status_code == 200
    assert "The event is full" in str(response.context["adminform"].form.errors)
    assert not Registrant.objects.filter(name="Too Late").exists()


def test_editing_a_registrant_goes_through_update_and_keeps_status(admin_client, data):
    ada = data["ada"]
    rows = ada.history.count()
    other = CompanyFactory(name="Analytical Engines")
    response = admin_client.post(
        url("registrant", "change", ada.pk),
        registrant_post(ada, name="Ada King", company=other.pk),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    ada.refresh_from_db()
    assert (ada.name, ada.company_id, ada.status) == ("Ada King", other.pk, Status.ENTERED)
    assert ada.history.count() == rows


def test_posting_a_status_in_the_change_form_changes_nothing(admin_client, data):
    ada = data["ada"]
    admin_client.post(
        url("registrant", "change", ada.pk),
        registrant_post(ada, status="cancelled", event=EventFactory().pk),
    )
    ada.refresh_from_db()
    assert ada.status == Status.ENTERED
    assert ada.event_id == data["event"].pk


def test_deleting_a_registrant_goes_through_the_service(admin_client, data, monkeypatch):
    calls = []
    real = services.registrant_delete
    monkeypatch.setattr(services, "registrant_delete", lambda **kw: calls.append(kw) or real(**kw))
    grace = data["grace"]
    history = list(StatusChange.objects.filter(registrant_id=grace.pk).values())
    response = admin_client.post(url("registrant", "delete", grace.pk), {"post": "yes"})
    assert response.status_code == 302
    assert [(c["registrant_id"], c["actor"].is_authenticated) for c in calls] == [(grace.pk, True)]
    grace.refresh_from_db()
    assert grace.erased_at is not None and grace.name == "Erased registrant"
    assert list(StatusChange.objects.filter(registrant_id=grace.pk).values()) == history


# --- events: capacity and deletion ------------------------------------------------


def event_post(event: Event, **changes) -> dict:
    body = {"name": event.name, "date": event.date.isoformat(), "capacity": event.capacity}
    body.update(changes)
    return body


def test_lowering_capacity_below_seats_taken_shows_an_error_and_does_not_save(admin_client, data):
    event = data["event"]
    response = admin_client.post(url("event", "change", event.pk), event_post(event, capacity=1))
    assert response.status_code == 200
    assert "cannot go below the 2 seats" in str(response.context["adminform"].form.errors)
    event.refresh_from_db()
    assert event.capacity == 10


def test_capacity_refused_by_the_service_after_the_form_shows_the_message(
    admin_client, data, monkeypatch
):
    # The form's pre-check passed (say, a registration arrived meanwhile):
    # the service, under its lock, has the last word.
    monkeypatch.setattr(
        EventAdminForm, "clean_capacity", lambda self: self.cleaned_data["capacity"]
    )
    event = data["event"]
    response = admin_client.post(
        url("event", "change", event.pk),
        event_post(event, capacity=1, name="Renamed"),
        follow=True,
    )
    assert response.status_code == 200
    assert any("cannot go below the 2 seats" in m for m in messages_of(response))
    event.refresh_from_db()
    assert (event.capacity, event.name) == (10, "Summit")


def test_editing_an_event_goes_through_event_update(admin_client, data, monkeypatch):
    calls = []
    real = services.event_update
    monkeypatch.setattr(services, "event_update", lambda **kw: calls.append(kw) or real(**kw))
    event = data["event"]
    response = admin_client.post(url("event", "change", event.pk), event_post(event, capacity=2))
    assert response.status_code == 302
    assert calls and calls[0]["capacity"] == 2
    event.refresh_from_db()
    assert event.capacity == 2


def test_adding_an_event(admin_client):
    response = admin_client.post(
        url("event", "add"), {"name": "Launch", "date": "2026-05-01", "capacity": 50}
    )
    assert response.status_code == 302
    assert Event.objects.get(name="Launch").capacity == 50


def test_an_event_with_registrants_cannot_be_deleted_and_says_why(admin_client, data):
    event = data["event"]
    page = admin_client.get(url("event", "delete", event.pk))
    assert "The event has 3 registrants; it cannot be deleted." in page.content.decode()
    admin_client.post(url("event", "delete", event.pk), {"post": "yes"})
    assert Event.objects.filter(pk=event.pk).exists()


def test_event_delete_refused_by_the_service_shows_its_409_reason(admin_client, monkeypatch):
    event = EventFactory()

    def refuse(**kwargs):
        raise ApplicationError(
            "event_has_registrants", "The event has 1 registrants; it cannot be deleted."
        )

    monkeypatch.setattr(services, "event_delete", refuse)
    response = admin_client.post(url("event", "delete", event.pk), {"post": "yes"}, follow=True)
    assert any("cannot be deleted" in m for m in messages_of(response))
    assert Event.objects.filter(pk=event.pk).exists()


def test_an_empty_event_is_deleted_through_the_service(admin_client, monkeypatch):
    event = EventFactory()
    calls = []
    real = services.event_delete
    monkeypatch.setattr(services, "event_delete", lambda **kw: calls.append(kw) or real(**kw))
    response = admin_client.post(url("event", "delete", event.pk), {"post": "yes"})
    assert response.status_code == 302
    assert calls == [{"event_id": event.pk}]
    assert not Event.objects.filter(pk=event.pk).exists()


# --- companies ----------------------------------------------------------------------


def test_company_list_counts_registrants_and_searches(admin_client, data):
    response = admin_client.get(url("company", "changelist"), {"q": "acme"})
    (row,) = response.context["cl"].result_list
    assert (row.name, row._registrants) == ("Acme Corp", 1)


def test_creating_a_company_that_normalises_to_an_existing_one_is_a_form_error(admin_client, data):
    response = admin_client.post(url("company", "add"), {"name": "  ACME   corp "})
    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["name"]
    assert 'already exists: "Acme Corp"' in error
    assert Company.objects.filter(normalized_name="acme").count() == 1


def test_renaming_a_company_onto_another_is_a_form_error(admin_client, data):
    bletchley = data["alan"].company
    response = admin_client.post(url("company", "change", bletchley.pk), {"name": "acme CORP"})
    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors)
    bletchley.refresh_from_db()
    assert bletchley.name == "Bletchley"


def test_creating_and_renaming_a_company(admin_client):
    response = admin_client.post(url("company", "add"), {"name": "  Northwind   Traders "})
    assert response.status_code == 302
    company = Company.objects.get(normalized_name="northwind traders")
    assert company.name == "Northwind Traders"
    response = admin_client.post(url("company", "change", company.pk), {"name": "NORTHWIND"})
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.normalized_name) == ("NORTHWIND", "northwind")


def test_merge_action_asks_which_company_to_keep_then_merges(admin_client, org):
    event = EventFactory()
    for i in range(3):
        make_registrant(event, name=f"Googler {i}", company="Google")
    make_registrant(event, name="Alpha Person", company="Alphabet")
    google = Company.objects.get(normalized_name="google")
    alphabet = Company.objects.get(normalized_name="alphabet")
    history_before = StatusChange.objects.count()
    selection = {"action": "merge_companies", "_selected_action": [google.pk, alphabet.pk]}

    page = admin_client.post(url("company", "changelist"), selection)
    assert page.status_code == 200
    assert "Company to keep" in page.content.decode()
    assert Company.objects.filter(pk=alphabet.pk).exists()  # nothing merged yet

    response = admin_client.post(
        url("company", "changelist"),
        {**selection, "apply": "yes", "keep": google.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert not Company.objects.filter(pk=alphabet.pk).exists()
    assert Registrant.objects.filter(company=google).count() == 4
    assert StatusChange.objects.count() == history_before
    assert any("Merged 1 company (Alphabet)" in m for m in messages_of(response))


def test_merge_needs_two_companies_and_a_choice(admin_client, data):
    acme = data["ada"].company
    response = admin_client.post(
        url("company", "changelist"),
        {"action": "merge_companies", "_selected_action": [acme.pk]},
        follow=True,
    )
    assert any("at least two" in m for m in messages_of(response))
    bletchley = data["alan"].company
    response = admin_client.post(
        url("company", "changelist"),
        {
            "action": "merge_companies",
            "_selected_action": [acme.pk, bletchley.pk],
            "apply": "yes",
        },
    )
    assert response.status_code == 200  # the page again, asking for a choice
    assert Company.objects.filter(pk__in=[acme.pk, bletchley.pk]).count() == 2


def test_a_company_with_registrants_cannot_be_deleted(admin_client, data):
    acme = data["ada"].company
    page = admin_client.get(url("company", "delete", acme.pk))
    assert "merge it into another instead" in page.content.decode()
    admin_client.post(url("company", "delete", acme.pk), {"post": "yes"})
    assert Company.objects.filter(pk=acme.pk).exists()


# --- history is append-only (RELIABILITY H4, admin part) --------------------------------


def _history_snapshot():
    return list(
        StatusChange.objects.order_by("id").values_list(
            "id", "registrant_id", "from_status", "to_status", "at", "actor_id", "source", "note"
        )
    )


def test_status_history_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, data):
    change = StatusChange.objects.filter(registrant=data["ada"]).latest()
    before = _history_snapshot()
    forged = {
        "registrant": data["ada"].pk,
        "event": data["event"].pk,
        "from_status": "entered",
        "to_status": "cancelled",
        "at_0": "2026-01-01",
        "at_1": "10:00",
        "source": "admin",
        "note": "forged",
    }
    assert admin_client.get(url("statuschange", "add")).status_code == 403
    assert admin_client.post(url("statuschange", "add"), forged).status_code == 403
    assert admin_client.post(url("statuschange", "change", change.pk), forged).status_code == 403
    assert (
        admin_client.post(url("statuschange", "delete", change.pk), {"post": "yes"}).status_code
        == 403
    )
    admin_client.post(
        url("statuschange", "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [change.pk],
            "post": "yes",
        },
    )
    assert _history_snapshot() == before


def test_history_inline_ignores_posted_rows(admin_client, data):
    ada = data["ada"]
    before = _history_snapshot()
    change = ada.history.first()
    body = registrant_post(ada)
    body.update(
        {
            "history-TOTAL_FORMS": "2",
            "history-INITIAL_FORMS": "1",
            "history-0-id": change.pk,
            "history-0-registrant": ada.pk,
            "history-0-to_status": "cancelled",
            "history-0-DELETE": "on",
            "history-1-to_status": "exited",
            "history-1-source": "admin",
        }
    )
    admin_client.post(url("registrant", "change", ada.pk), body)
    assert _history_snapshot() == before


def test_an_empty_company_is_deleted_through_the_service(admin_client, monkeypatch):
    company = CompanyFactory(name="Nobody Here")
    calls = []
    real = services.company_delete
    monkeypatch.setattr(services, "company_delete", lambda **kw: calls.append(kw) or real(**kw))
    response = admin_client.post(url("company", "delete", company.pk), {"post": "yes"})
    assert response.status_code == 302
    assert calls == [{"company_id": company.pk}]
    assert not Company.objects.filter(pk=company.pk).exists()


def test_registrant_form_finds_companies_by_autocomplete(admin_client, data):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "registrants",
            "model_name": "registrant",
            "field_name": "company",
            "term": "acm",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Acme Corp"]


def test_admin_refuses_names_with_text_direction_characters(admin_client, data):
    ada = data["ada"]
    response = admin_client.post(
        url("registrant", "change", ada.pk), registrant_post(ada, name="Ada\u202eecalevoL")
    )
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.name == "Ada Lovelace"
    page = admin_client.get(response["Location"]).content.decode()
    assert "U+202E" in page
