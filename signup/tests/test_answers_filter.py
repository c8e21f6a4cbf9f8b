"""The registrant list filtered by answers: the API's `answer` filter and the
dashboard list's select."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registrants.tests.factories import make_registrant
from signup.models import Answer


@pytest.fixture
def answered(open_event, diet, access):
    people = {}
    for name, food, wheelchair in [
        ("Ann", "Vegan", "yes"),
        ("Bob", "Vegan", "no"),
        ("Cy", "None", None),
    ]:
        r = make_registrant(open_event, name=name)
        Answer.objects.create(registrant=r, question=diet, value=food)
        if wheelchair:
            Answer.objects.create(registrant=r, question=access, value=wheelchair)
        people[name] = r
    return people


def _names(response):
    assert response.status_code == 200, response.content
    return sorted(r["name"] for r in response.json()["results"])


def test_api_filters_by_one_answer_ignoring_case(org_client, open_event, diet, answered):
    url = reverse("registrant-list")
    response = org_client.get(url, {"event": open_event.pk, "answer": f"{diet.pk}:vegan"})
    assert _names(response) == ["Ann", "Bob"]


def test_api_answers_filters_all_hold(org_client, open_event, diet, access, answered):
    response = org_client.get(
        reverse("registrant-list"),
        {"event": open_event.pk, "answer": [f"{diet.pk}:Vegan", f"{access.pk}:yes"]},
    )
    assert _names(response) == ["Ann"]


@pytest.mark.parametrize("bad", ["vegan", "x:1", "99999999999999999999:a", "1:" + "x" * 1001])
def test_api_refuses_a_malformed_answer_filter_with_400(org_client, open_event, bad):
    response = org_client.get(reverse("registrant-list"), {"event": open_event.pk, "answer": bad})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "answer" in response.json()["error"]["fields"]


def test_api_refuses_a_nul_in_the_answer_filter(org_client, open_event):
    response = org_client.get(
        reverse("registrant-list"), {"event": open_event.pk, "answer": "1:\x00"}
    )
    assert response.status_code == 400
