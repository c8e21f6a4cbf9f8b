"""A walk through the registrant list's pages while another connection
registers people with the same names: each registrant that existed when the
walk began is met once, none twice (registrants/keyset.py)."""

from __future__ import annotations

import datetime

import pytest

from conftest import client_for
from registrants import services
from registrants.tests.concurrency.racing import crashes, race
from registrants.tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("ordering", ["", "name", "-name", "status"])
def test_pages_meet_every_registrant_once_while_others_register(ordering):
    event = services.event_create(name="Walk", date=datetime.date(2026, 12, 1), capacity=1000)
    before = {
        services.registrant_register(
            event_id=event.pk, name=f"Tie {n % 3}", email=f"b{n}@example.com"
        ).pk
        for n in range(30)
    }
    client = client_for(make_user("walker", "organiser"))
    url = f"/api/v1/registrants/?event={event.pk}&page_size=3"
    url += f"&ordering={ordering}" if ordering else ""

    def walk() -> list[int]:
        seen, link = [], url
        while link:
            body = client.get(link).json()
            seen += [r["id"] for r in body["results"]]
            link = body["next"]
        return seen

    def register() -> int:
        for n in range(30):
            services.registrant_register(
                event_id=event.pk, name=f"Tie {n % 3}", email=f"a{n}@example.com"
            )
        return 30

    outcomes = race([walk, register])
    assert crashes(outcomes) == []
    seen = outcomes[0].value
    assert len(seen) == len(set(seen)), "a registrant came twice"
    assert before <= set(seen), "a registrant was skipped"
