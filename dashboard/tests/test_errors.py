"""Custom 403, 404 and 500 pages; the API keeps its JSON error shape."""

from __future__ import annotations

import pytest
from django.test import Client

from dashboard.views import events as event_views


def test_unknown_page_renders_the_404_template(org_web):
    response = org_web.get("/no/such/page/")
    assert response.status_code == 404
    assert b"This page does not exist" in response.content
    assert b"Traceback" not in response.content


def test_unknown_api_path_keeps_the_json_error_shape(org_web):
    response = org_web.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_forbidden_page_renders_the_403_template_with_the_reason(viewer_web, event):
    response = viewer_web.get(f"/events/{event.pk}/desk/")
    assert response.status_code == 403
    assert b"You may not do this" in response.content
    assert b"Your role may not open this page." in response.content


def test_forbidden_htmx_request_gets_a_fragment_not_a_page(viewer_web, event):
    response = viewer_web.get(f"/events/{event.pk}/desk/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert b"<html" not in response.content
    assert b"Your role may not open this page." in response.content


@pytest.mark.parametrize("path", ["/", "/events/1/dashboard/"])
def test_server_error_renders_the_500_template_without_a_stack_trace(organiser, monkeypatch, path):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(event_views.selectors, "event_list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(organiser)
    response = client.get(path)
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    assert b"secret internal detail" not in response.content
    assert b"Traceback" not in response.content


def test_huge_ids_are_a_404_not_an_overflow(org_web):
    assert org_web.get("/registrants/99999999999999999999999/").status_code == 404
    assert org_web.get("/registrants/999999999999999999/").status_code == 404
