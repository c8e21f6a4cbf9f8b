"""Names and notes refuse control and text-direction characters on every
write path (services, so API, dashboard, admin and import alike), and keep
ordinary Unicode, accents and emoji."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registrants import services
from registrants.errors import ApplicationError
from registrants.models import Company, Event, Registrant, StatusChange
from registrants.tests.factories import EventFactory, make_registrant
from registrants.validation import text_problem

pytestmark = pytest.mark.django_db

# U+202E (right-to-left override) shows "Ann\u202egpj.exe" as "Annexe.jpg".
HOSTILE_NAMES = [
    "Ann\u202egpj.exe",
    "Ann\u202a",
    "Ann\u202b",
    "Ann\u202c",
    "Ann\u202d",
    "Ann\u2066x",
    "Ann\u2067x",
    "Ann\u2068x",
    "Ann\u2069x",
    "Ann\u200ex",
    "Ann\u200fx",
    "Ann\u061cx",
    "Ann\x01x",
    "Ann\x1bx",
    "Ann\x7fx",
    "Ann\x85x",
    "Ann\x9fx",
    "Ann\tLee",
    "Ann\nLee",
    "Ann\rLee",
    "\u202eAnn",
    "Ann\x00",
]
FRIENDLY_NAMES = [
    "Zoë Ångström-Núñez",
    "Jürgen Groß",
    "李小龍",
    "محمد علي",
    "Ολυμπία",
    "Priya 🎉",
    "Family 👨\u200d👩\u200d👧\u200d👦",  # a ZWJ sequence: U+200D is a joiner, not a mark
    "Flag 🏳️\u200d🌈",
    "O'Brien & Co.",
]


def _refused(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as exc:
        call()
    assert exc.value.code == "validation_error"
    return exc.value


def test_every_forbidden_character_is_named_in_the_message():
    problem = text_problem("Ann\u202egpj.exe")
    assert problem is not None and "U+202E" in problem and "text-direction" in problem
    problem = text_problem("Ann\x1bx")
    assert problem is not None and "U+001B" in problem and "control" in problem


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_registrant_and_company_names_refuse_control_and_direction_characters(name):
    event = EventFactory()
    before = (Registrant.objects.count(), Company.objects.count())
    err = _refused(
        lambda: services.registrant_register(event_id=event.pk, name=name, email="a@example.com")
    )
    assert set(err.fields) == {"name"}
    err = _refused(
        lambda: services.registrant_register(
            event_id=event.pk, name="Ann", email="a@example.com", company_name=f"Acme {name}"
        )
    )
    assert set(err.fields) == {"company"}
    _refused(lambda: services.company_create(name=name))
    assert (Registrant.objects.count(), Company.objects.count()) == before


@pytest.mark.parametrize("name", HOSTILE_NAMES[:3] + HOSTILE_NAMES[-3:])
def test_updates_and_event_names_refuse_them_too(name):
    registrant = make_registrant(name="Ann", company="Acme")
    company = registrant.company
    events = Event.objects.count()
    _refused(lambda: services.registrant_update(registrant_id=registrant.pk, name=name))
    _refused(lambda: services.registrant_update(registrant_id=registrant.pk, company_name=name))
    _refused(lambda: services.company_rename(company_id=company.pk, name=name))
    _refused(lambda: services.event_create(name=name, date=registrant.event.date, capacity=5))
    _refused(lambda: services.event_update(event_id=registrant.event_id, name=name))
    registrant.refresh_from_db()
    company.refresh_from_db()
    assert registrant.name == "Ann" and company.name == "Acme"
    assert Event.objects.count() == events and registrant.event.name != name


@pytest.mark.parametrize("name", FRIENDLY_NAMES)
def test_ordinary_unicode_accents_and_emoji_are_kept(name):
    event = services.event_create(name=name, date=EventFactory().date, capacity=5)
    registrant = services.registrant_register(
        event_id=event.pk, name=name, email="a@example.com", company_name=name
    )
    assert registrant.name == name and registrant.company.name == name
    assert Event.objects.get(pk=event.pk).name == name


def test_whitespace_around_a_name_is_trimmed_not_refused():
    registrant = services.registrant_register(
        event_id=EventFactory().pk,
        name="\tAnn Lee\n",
        email="a@example.com",
        company_name=" Acme\t",
    )
    assert (registrant.name, registrant.company.name) == ("Ann Lee", "Acme")


def test_notes_keep_tabs_and_line_breaks_but_refuse_the_rest():
    registrant = make_registrant(name="Ann")
    before = StatusChange.objects.count()
    for note in ("late\u202e", "late\x00", "late\x07", "late\u2066"):
        _refused(
            lambda note=note: services.registrant_change_status(
                registrant_id=registrant.pk, to_status="checked_in", note=note
            )
        )
        _refused(
            lambda note=note: services.registrants_bulk_change_status(
                registrant_ids=[registrant.pk], to_status="checked_in", note=note
            )
        )
    assert StatusChange.objects.count() == before
    note = "Came late:\r\n\tbadge reprinted ✅"
    result = services.registrant_change_status(
        registrant_id=registrant.pk, to_status="checked_in", note=note
    )
    assert result.changes[0].note == note


def test_api_answers_400_naming_the_field(org_client, event):
    response = org_client.post(
        "/api/v1/registrants/",
        {"event": event.pk, "name": "Ann\u202egpj.exe", "email": "a@example.com"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "validation_error" and "U+202E" in body["fields"]["name"][0]
    response = org_client.post(
        "/api/v1/events/", {"name": "E\u2067", "date": "2027-01-01", "capacity": 5}, format="json"
    )
    assert response.status_code == 400 and "name" in response.json()["error"]["fields"]
    assert not Registrant.objects.exists()


def test_dashboard_edit_form_shows_the_message(organiser, client):
    registrant = make_registrant(name="Ann")
    client.force_login(organiser)
    response = client.post(
        reverse("dashboard:registrant_edit", args=[registrant.pk]),
        {"name": "Ann\u202e", "email": registrant.email, "guest_type": "attendee", "company": ""},
    )
    assert response.status_code == 400
    assert "U+202E" in response.content.decode()
    registrant.refresh_from_db()
    assert registrant.name == "Ann"
