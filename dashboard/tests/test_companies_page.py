"""The companies page: counts, likely duplicates, and the organiser's
one-click merge."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registrants import company_duplicates
from registrants.company_duplicates import likely_duplicate_companies
from registrants.lifecycle import Status
from registrants.models import Company, Registrant, StatusChange
from registrants.tests.factories import make_registrant
from registrants.tests.invariants import assert_invariants

from .conftest import logged_in

PAGE = reverse("dashboard:companies")
MERGE = reverse("dashboard:company_merge")


@pytest.fixture
def firms(event):
    people = {}
    for company, n in [
        ("Acme", 3),
        ("Acme Labs", 2),
        ("Microsoft", 2),
        ("Mircosoft", 1),
        ("Northwind Labs", 1),
        ("Northwind Group", 1),
        ("Vanarsdel Analytics", 1),
        ("Vandelay Analytics", 1),
        ("Google", 1),
        ("Google Inc.", 1),
    ]:
        people[company] = [
            make_registrant(event, name=f"{company} {i}", company=company) for i in range(n)
        ]
    return {c.name: c for c in Company.objects.all()}


def _pairs():
    return {(d.keep.name, d.absorb.name) for d in likely_duplicate_companies()}


def test_likely_duplicates_are_the_pairs_rules_cannot_decide(firms):
    assert "Google Inc." not in firms  # the rules already made it Google
    assert _pairs() == {("Acme", "Acme Labs"), ("Microsoft", "Mircosoft")}


def test_likely_duplicates_stop_at_the_comparison_bound(firms, monkeypatch):
    monkeypatch.setattr(company_duplicates, "MAX_COMPARISONS", 0)
    assert _pairs() == set()


def test_organiser_sees_companies_with_counts_and_likely_duplicates(org_web, firms):
    response = org_web.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{PAGE}"' in html  # the navigation links the page
    counts = {c.name: c.registrant_count for c in response.context["page"].object_list}
    assert counts["Acme"] == 3 and counts["Google"] == 2
    assert "Merge into Acme" in html
    assert f'name="source" value="{firms["Acme Labs"].pk}"' in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.parametrize("role", ["staff", "viewer", "nobody"])
def test_only_organisers_may_open_or_merge(web_for, role, firms):
    web = web_for[role]
    assert web.get(PAGE).status_code == 403
    assert f'href="{PAGE}"' not in web.get(reverse("dashboard:events")).content.decode()
    body = {"source": firms["Acme Labs"].pk, "into": firms["Acme"].pk}
    assert web.post(MERGE, body).status_code == 403
    assert Company.objects.filter(pk=firms["Acme Labs"].pk).exists()


def test_anonymous_is_sent_to_log_in(anon_web, firms):
    response = anon_web.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = anon_web.post(MERGE, {"source": firms["Acme Labs"].pk, "into": firms["Acme"].pk})
    assert response.status_code == 302
    assert Company.objects.filter(pk=firms["Acme Labs"].pk).exists()


def test_merge_without_csrf_token_is_refused(organiser, firms):
    web = logged_in(organiser, enforce_csrf_checks=True)
    response = web.post(MERGE, {"source": firms["Acme Labs"].pk, "into": firms["Acme"].pk})
    assert response.status_code == 403
    assert Company.objects.filter(pk=firms["Acme Labs"].pk).exists()


def test_one_click_merge_moves_registrants_keeps_history_and_confirms(org_web, firms):
    labs, acme = firms["Acme Labs"], firms["Acme"]
    moved = list(labs.registrants.values_list("pk", flat=True))
    history = list(StatusChange.objects.order_by("id").values())

    response = org_web.post(MERGE, {"source": labs.pk, "into": acme.pk}, follow=True)

    assert response.status_code == 200
    assert not Company.objects.filter(pk=labs.pk).exists()
    assert set(moved) <= set(acme.registrants.values_list("pk", flat=True))
    assert acme.registrants.count() == 5
    assert list(StatusChange.objects.order_by("id").values()) == history
    notices = [str(m) for m in response.context["messages"]]
    assert notices == [
        'Merged "Acme Labs" into "Acme": 2 registrants moved, their history unchanged.'
    ]
    assert ("Acme", "Acme Labs") not in {
        (d.keep.name, d.absorb.name) for d in response.context["duplicates"]
    }
    assert_invariants()


def test_merging_a_company_already_merged_says_so_and_changes_nothing(org_web, firms, event):
    labs, acme = firms["Acme Labs"], firms["Acme"]
    org_web.post(MERGE, {"source": labs.pk, "into": acme.pk}, follow=True)
    make_registrant(event, name="Late", company="Acme", status=Status.CHECKED_IN)
    before = list(Registrant.objects.order_by("id").values_list("id", "company_id"))

    response = org_web.post(MERGE, {"source": labs.pk, "into": acme.pk}, follow=True)

    assert response.status_code == 200
    (notice,) = [str(m) for m in response.context["messages"]]
    assert notice.startswith("Nothing was merged: No such company")
    assert list(Registrant.objects.order_by("id").values_list("id", "company_id")) == before


@pytest.mark.parametrize(
    "body",
    [{}, {"source": "x", "into": "1"}, {"source": str(2**63), "into": "1"}, {"source": "-1"}],
)
def test_merge_with_bad_ids_is_a_notice_not_an_error(org_web, firms, body):
    response = org_web.post(MERGE, body, follow=True)
    assert response.status_code == 200
    (notice,) = [str(m) for m in response.context["messages"]]
    assert notice.startswith("Nothing was merged")
    assert Company.objects.count() == len(firms)


def test_merging_a_company_into_itself_is_refused(org_web, firms):
    acme = firms["Acme"]
    response = org_web.post(MERGE, {"source": acme.pk, "into": acme.pk}, follow=True)
    (notice,) = [str(m) for m in response.context["messages"]]
    assert notice == "Nothing was merged: A company cannot be merged into itself."
    assert Company.objects.filter(pk=acme.pk).exists()
