"""The registrant list's keyset pages: every row once, in order, whatever is
inserted between two pages; counts only on request; forged cursors a 400."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from django.utils import timezone

from registrants import selectors
from registrants.models import Registrant
from registrants.tests.factories import EventFactory, make_registrant

from .conftest import assert_error

ORDERINGS = ["", "name", "-name", "email", "company", "-company", "status", "-status"]
ORDERINGS += ["created_at", "-created_at"]
TIE_MOMENT = timezone.make_aware(datetime.datetime(2026, 5, 4, 9, 30))
STATUSES = ["registered", "checked_in", "cancelled"]


def add(event, i: int) -> int:
    """A registrant sharing its name, company, status and time with others."""
    r = make_registrant(
        event,
        name=f"P{i % 3}",
        email=f"p{i % 2}-{i}@example.org",
        company=f"Co{i % 4}" if i % 5 else None,
        status=STATUSES[i % 3],
    )
    Registrant.objects.filter(pk=r.pk).update(created_at=TIE_MOMENT)
    return r.pk


def in_database_order(ids: set[int], ordering: str) -> list[int]:
    """The ids as the database sorts them (its collation, not Python's)."""
    fields = {"company": "company_name"}
    name = ordering.lstrip("-")
    order = ("-id",) if not name else (ordering.replace(name, fields.get(name, name)), "id")
    rows = selectors.registrant_list().filter(pk__in=ids).order_by(*order)
    return list(rows.values_list("pk", flat=True))


def walk(client, url: str, between_pages) -> list[int]:
    seen: list[int] = []
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 4 and "count" not in body
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
        between_pages()
    return seen


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_a_walk_meets_every_row_once_while_rows_are_added(org_client, ordering):
    event = EventFactory()
    before = {add(event, i) for i in range(17)}
    added: list[int] = []

    def insert_two():  # ties of the rows already seen and of those to come
        added.extend(add(event, 100 + len(added) + k) for k in range(2))

    url = f"/api/v1/registrants/?event={event.pk}&page_size=4" + (
        f"&ordering={ordering}" if ordering else ""
    )
    seen = walk(org_client, url, insert_two)

    assert len(seen) == len(set(seen)), "a row came twice"
    assert before <= set(seen), "a row was skipped"
    assert [pk for pk in seen if pk in before] == in_database_order(before, ordering)


@pytest.mark.parametrize("ordering", ["", "name", "-status"])
def test_previous_links_walk_back_over_the_same_pages(org_client, ordering):
    event = EventFactory()
    for i in range(11):
        add(event, i)
    url = f"/api/v1/registrants/?event={event.pk}&page_size=4" + (
        f"&ordering={ordering}" if ordering else ""
    )
    pages = []
    while url:
        body = org_client.get(url).json()
        pages.append([r["id"] for r in body["results"]])
        url = body["next"]
    assert len(pages) == 3
    back = org_client.get(body["previous"]).json()
    assert [r["id"] for r in back["results"]] == pages[1]
    assert [r["id"] for r in org_client.get(back["previous"]).json()["results"]] == pages[0]


def test_count_only_when_asked_and_exact(org_client):
    event = EventFactory()
    for i in range(7):
        add(event, i)
    url = f"/api/v1/registrants/?event={event.pk}&page_size=2&status=registered,cancelled"
    assert "count" not in org_client.get(url).json()
    counted = org_client.get(url + "&count=true").json()
    assert counted["count"] == 5 and len(counted["results"]) == 2
    assert "count=" not in counted["next"]
    assert org_client.get(url + "&count=false").json().keys() == {"next", "previous", "results"}
    err = assert_error(org_client.get(url + "&count=maybe"), 400, "validation_error")
    assert "count" in err["fields"]


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    "ordering,cursor",
    [
        ("", _cursor([None, 2**63, 0])),  # id beyond bigint
        ("", _cursor([None, "12", 0])),  # id as text
        ("", _cursor(["Ada", 12, 0])),  # a value in an id cursor
        ("name", _cursor([12, 12, 0])),  # a number for a name
        ("name", _cursor(["A\u0000", 12, 0])),  # NUL reaches no database
        ("name", _cursor(["x" * 301, 12, 0])),
        ("name", _cursor(["Ada", 12, 2])),  # no such direction
        ("created_at", _cursor(["yesterday", 12, 0])),
        ("created_at", _cursor(["2026-01-01T10:00:00", 12, 0])),  # no offset
        ("created_at", _cursor(["0001-01-01T00:30:00+05:00", 12, 0])),  # before year 1 in UTC
        ("", "%%%"),
        ("", _cursor({"p": 1})),
    ],
)
def test_a_cursor_the_list_did_not_hand_out_is_a_400(org_client, ordering, cursor):
    event = EventFactory()
    add(event, 1)
    params = {"event": event.pk, "cursor": cursor} | ({"ordering": ordering} if ordering else {})
    response = org_client.get("/api/v1/registrants/", params)
    err = assert_error(response, 400, "validation_error")
    assert "cursor" in err["fields"]
