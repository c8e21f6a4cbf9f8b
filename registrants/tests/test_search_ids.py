"""`IdIn`: a search's company ids as one array parameter on PostgreSQL,
the same rows as `IN (...)` on both databases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registrants.models import Registrant
from registrants.search import registrant_search
from registrants.search_ids import IdIn
from registrants.tests.factories import EventFactory, make_registrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd():
    event = EventFactory()
    people = [
        make_registrant(event, name=f"Person {i}", company=f"Acme {i}" if i % 3 else None)
        for i in range(9)
    ]
    return event, people


def test_the_same_rows_as_in(crowd):
    event, people = crowd
    ids = [p.company_id for p in people if p.company_id][:4]
    chosen = Registrant.objects.filter(event=event)
    assert set(chosen.filter(IdIn("company_id", ids)).values_list("pk", flat=True)) == set(
        chosen.filter(company_id__in=ids).values_list("pk", flat=True)
    )
    assert set(chosen.filter(company_id__in=ids).values_list("pk", flat=True))


def test_a_search_through_many_companies_finds_their_people(crowd):
    event, people = crowd
    found = Registrant.objects.filter(event=event).filter(registrant_search("acme"))
    assert {r.pk for r in found} == {p.pk for p in people if p.company_id}


@pytest.mark.postgres
def test_postgresql_gets_one_array_of_the_columns_type(crowd):
    """One parameter whatever the number of ids, cast to bigint[]: psycopg
    would send smallint[], which PostgreSQL does not hash against bigint."""
    event, people = crowd
    ids = [p.company_id for p in people if p.company_id]
    with CaptureQueriesContext(connection) as queries:
        list(Registrant.objects.filter(IdIn("company_id", ids)))
    sql = queries.captured_queries[-1]["sql"]
    assert sql.count(" = ANY(") == 1
    assert "::bigint[]) ORDER BY" in sql
    assert " IN (" not in sql
