"""The registrant page: details, edit form, timeline, role-filtered moves."""

from __future__ import annotations

from django.urls import reverse

from registrants.lifecycle import Status
from registrants.models import Source


def _page(client, registrant):
    return client.get(reverse("dashboard:registrant", args=[registrant.pk]))


def _move(client, registrant, to_status, htmx=False, **extra):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("dashboard:registrant_transition", args=[registrant.pk]),
        {"to_status": to_status, **extra},
        **headers,
    )


def test_page_shows_details_timeline_and_event_link(org_web, crowd):
    grace = crowd["grace"]
    response = _page(org_web, grace)
    html = response.content.decode()
    assert "grace@example.com" in html and "Navy" in html
    assert reverse("dashboard:event_dashboard", args=[grace.event_id]) in html
    assert html.count('class="timeline__item') == 2  # registered, checked in
    assert grace.check_in_code in html  # organisers may see codes


def test_viewer_sees_no_buttons_no_form_and_no_code(viewer_web, crowd):
    grace = crowd["grace"]
    html = _page(viewer_web, grace).content.decode()
    assert "Grace Hopper" in html
    assert html.count("<button") == 1  # Log out
    assert "Edit details" not in html and "Delete registrant" not in html
    assert grace.check_in_code not in html


def test_staff_sees_forward_moves_only(staff_web, crowd):
    response = _page(staff_web, crowd["grace"])
    assert response.context["actions"] == [("entered", "Let in")]
    html = response.content.decode()
    assert "Undo check-in" not in html and "Cancel registration" not in html
    assert "Edit details" not in html and "Delete registrant" not in html


def test_organiser_sees_every_allowed_move_and_the_edit_form(org_web, crowd):
    response = _page(org_web, crowd["grace"])
    assert [a for a, _ in response.context["actions"]] == ["registered", "entered", "cancelled"]
    assert "Edit details" in response.content.decode()


def test_a_move_grows_the_timeline_with_who_when_source_and_note(org_web, crowd, organiser):
    ada = crowd["ada"]
    response = _move(org_web, ada, "checked_in", htmx=True, note="badge reprinted")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ada Lovelace: checked in." in html
    assert html.count('class="timeline__item') == 2
    assert "badge reprinted" in html and "via Dashboard" in html and "by olga" in html
    change = ada.history.order_by("-id").first()
    assert (change.to_status, change.source, change.actor, change.note) == (
        "checked_in",
        Source.DASHBOARD,
        organiser,
        "badge reprinted",
    )


def test_plain_form_move_redirects_back_with_a_message(org_web, crowd):
    ada = crowd["ada"]
    response = _move(org_web, ada, "checked_in")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:registrant", args=[ada.pk])
    assert "Ada Lovelace: checked in." in org_web.get(response["Location"]).content.decode()


def test_asking_for_the_current_status_changes_nothing(org_web, crowd):
    grace = crowd["grace"]
    response = _move(org_web, grace, "checked_in", htmx=True)
    assert response.status_code == 200
    assert "already checked in; nothing changed" in response.content.decode()
    assert grace.history.count() == 2


def test_refused_move_shows_the_services_reason(org_web, crowd):
    ada = crowd["ada"]  # registered: cannot exit
    response = _move(org_web, ada, "exited", htmx=True)
    assert response.status_code == 409
    assert (
        "Cannot move from registered to exited; allowed from registered: checked_in, cancelled."
    ) in response.content.decode()
    plain = _move(org_web, ada, "exited")
    assert plain.status_code == 409
    assert b"<html" in plain.content and b"allowed from registered" in plain.content


def test_reinstate_without_a_free_seat_shows_event_full(org_web, crowd, event):
    event.capacity = 4  # four seats taken already
    event.save(update_fields=["capacity"])
    response = _move(org_web, crowd["ken"], "registered", htmx=True)
    assert response.status_code == 409
    assert b"The event is full: 4 of 4 seats are taken." in response.content


def test_invalid_status_value_is_a_400_with_a_message(org_web, crowd):
    response = _move(org_web, crowd["ada"], "teleported", htmx=True)
    assert response.status_code == 400
    assert b"Choose one of the buttons" in response.content


def test_edit_saves_through_the_service(org_web, crowd):
    ada = crowd["ada"]
    response = org_web.post(
        reverse("dashboard:registrant_edit", args=[ada.pk]),
        {
            "name": "Ada King",
            "email": "Ada@EXAMPLE.com",
            "company": " analytical   engines ",
            "guest_type": "vip",
        },
    )
    assert response.status_code == 302
    ada.refresh_from_db()
    assert (ada.name, ada.email, ada.company.name, ada.guest_type) == (
        "Ada King",
        "Ada@example.com",
        "Analytical Engines",
        "vip",
    )
    assert ada.status == Status.REGISTERED


def test_edit_with_empty_company_clears_it(org_web, crowd):
    ada = crowd["ada"]
    org_web.post(
        reverse("dashboard:registrant_edit", args=[ada.pk]),
        {
            "name": "Ada",
            "email": "ada@example.com",
            "company": "",
            "guest_type": "speaker",
        },
    )
    ada.refresh_from_db()
    assert ada.company is None


def test_invalid_edit_shows_field_errors_and_keeps_the_input(org_web, crowd):
    ada = crowd["ada"]
    response = org_web.post(
        reverse("dashboard:registrant_edit", args=[ada.pk]),
        {
            "name": "",
            "email": "not-an-email",
            "company": "X",
            "guest_type": "alien",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert "Enter a valid email address." in html
    assert "Select a valid choice. alien is not one of the available choices." in html
    assert 'value="not-an-email"' in html
    assert '<details class="edit" open>' in html
    ada.refresh_from_db()
    assert ada.name == "Ada Lovelace"


def test_blank_name_after_trimming_is_refused_by_the_service(org_web, crowd):
    ada = crowd["ada"]
    response = org_web.post(
        reverse("dashboard:registrant_edit", args=[ada.pk]),
        {
            "name": "   ",
            "email": "ada@example.com",
            "company": "",
            "guest_type": "speaker",
        },
    )
    assert response.status_code == 400
    ada.refresh_from_db()
    assert ada.name == "Ada Lovelace"


def test_delete_erases_the_registrant_and_returns_to_the_list(org_web, crowd):
    ada = crowd["ada"]
    response = org_web.post(reverse("dashboard:registrant_delete", args=[ada.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:registrants", args=[ada.event_id])
    ada.refresh_from_db()
    assert ada.erased_at is not None and ada.name == "Erased registrant"
    page = org_web.get(reverse("dashboard:registrant", args=[ada.pk])).content.decode()
    assert "data-erased" in page and "Ada Lovelace" not in page
    assert ada.check_in_code not in page
    assert 'name="to_status"' not in page and "Delete registrant" not in page
    listing = org_web.get(reverse("dashboard:registrants", args=[ada.event_id])).content.decode()
    assert "Erased registrant" in listing and "Ada Lovelace" not in listing
    # The desk never offers the erased: they cannot be checked in.
    desk = org_web.get(reverse("dashboard:desk_search", args=[ada.event_id]), {"code": "Erased"})
    assert f'data-registrant="{ada.pk}"' not in desk.content.decode()


def test_unknown_registrant_is_404(org_web, db):
    assert org_web.get(reverse("dashboard:registrant", args=[424242])).status_code == 404
    assert (
        org_web.post(
            reverse("dashboard:registrant_transition", args=[424242]), {"to_status": "checked_in"}
        ).status_code
        == 404
    )


def test_the_timeline_names_people_as_every_other_screen_does(org_web, crowd, organiser):
    """presenters.actor_display_name: the full name once there is one (as in
    the scan answers and the live feed), "system" for a row no one made."""
    organiser.first_name, organiser.last_name = "Olga", "Organiser"
    organiser.save(update_fields=["first_name", "last_name"])
    ada = crowd["ada"]
    _move(org_web, ada, "checked_in", note="at the side door")
    html = _page(org_web, ada).content.decode()
    assert "by Olga Organiser" in html and "by olga" not in html
    assert "by system" in html  # the registration row, written by no one
    assert '<span class="whoami__name">Olga Organiser</span>' in html
