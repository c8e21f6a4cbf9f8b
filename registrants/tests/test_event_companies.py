"""first_company_ids: what `SELECT DISTINCT company_id ... ORDER BY ...
LIMIT n` answers, on both databases."""

from __future__ import annotations

import pytest

from registrants.event_companies import first_company_ids
from registrants.models import Registrant
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db


def _distinct(event_id: int, limit: int) -> list[int]:
    return list(
        Registrant.objects.filter(event_id=event_id, company_id__isnull=False)
        .order_by("company_id")
        .values_list("company_id", flat=True)
        .distinct()[:limit]
    )


def test_the_first_companies_of_the_event_by_id():
    event, other = EventFactory(), EventFactory()
    for i, company in enumerate(["C", "A", None, "B", "A", None, "D", "C"]):
        make_registrant(event, name=f"P{i}", company=company)
    make_registrant(other, name="Elsewhere", company="Z")
    make_registrant(other, name="Elsewhere too", company="A")
    assert len(_distinct(event.pk, 10)) == 4
    for limit in range(0, 7):
        assert first_company_ids(event.pk, limit) == _distinct(event.pk, limit)
    assert first_company_ids(other.pk, 5) == _distinct(other.pk, 5)


def test_an_event_without_companies_has_none():
    event = EventFactory()
    assert first_company_ids(event.pk, 3) == []
    make_registrant(event, name="Solo")
    assert first_company_ids(event.pk, 3) == []
