"""C9: concurrent registrations naming one company in three spellings.

The guard: company_get_or_create inserts under the unique normalised name
and, when a racer's insert loses on the unique index, reads the winner's row
instead of failing. Each racer registers for an event of its own, so that the
event lock does not serialise them and the company insert really races.
"""

from __future__ import annotations

import datetime
import time

import pytest
from django.db import transaction

from registrants import services
from registrants.models import Company, Event, Registrant
from registrants.normalization import clean_company_name, normalize_company_name
from registrants.tests.concurrency.racing import check_scenario, crashes, race, tally

pytestmark = pytest.mark.django_db(transaction=True)

SPELLINGS = ["Google", " google ", "GOOGLE"]
RACERS = 50


def _fifty_registrations_naming_google(sabotage=None) -> tuple[list[Event], list]:
    events = [
        services.event_create(name=f"Meetup {n}", date=datetime.date(2026, 12, 1), capacity=5)
        for n in range(RACERS)
    ]
    if sabotage:
        sabotage()
    work = [
        (
            lambda e=event, n=n: services.registrant_register(
                event_id=e.pk,
                name=f"Googler {n}",
                email=f"g{n}@example.com",
                company_name=SPELLINGS[n % len(SPELLINGS)],
            )
        )
        for n, event in enumerate(events)
    ]
    return events, race(work)


def test_fifty_registrations_naming_google_in_three_spellings_create_one_company():
    """C9: 1 company, every registrant in it, 0 server errors."""
    events, outcomes = _fifty_registrations_naming_google()
    assert crashes(outcomes) == []
    assert tally(outcomes) == {"ok": RACERS}
    (company,) = Company.objects.all()
    assert company.normalized_name == "google"
    assert company.name in {clean_company_name(s) for s in SPELLINGS}
    assert Registrant.objects.filter(company=company).count() == RACERS
    check_scenario(*events)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_company_insert_without_retry_on_the_unique_index_fails_racers(monkeypatch):
    """C9's twin: without reading the winner's row after losing the insert,
    the racers that lose crash on the unique index."""

    def get_or_create_without_retry(*, name: str) -> Company:
        key = normalize_company_name(name)
        existing = Company.objects.filter(normalized_name=key).first()
        if existing:
            return existing
        time.sleep(0.2)
        with transaction.atomic():
            return Company.objects.create(name=clean_company_name(name), normalized_name=key)

    events, outcomes = _fifty_registrations_naming_google(
        lambda: monkeypatch.setattr(
            services.registration, "company_get_or_create", get_or_create_without_retry
        )
    )
    assert [c for c in crashes(outcomes) if c.startswith("IntegrityError")]
    assert Company.objects.count() == 1


MERGE_RACERS = 30


def _registrations_naming_a_company_racing_its_merge(monkeypatch, *, lock: bool):
    from registrants.tests.concurrency.racing import sleep_after

    google = services.company_create(name="Google")
    alphabet = services.company_create(name="Alphabet")
    events = [
        services.event_create(name=f"Meetup {n}", date=datetime.date(2026, 12, 1), capacity=5)
        for n in range(MERGE_RACERS)
    ]
    # Widen the window between finding the company and committing.
    slow_get_or_create = sleep_after(services.company_get_or_create, 0.2)
    monkeypatch.setattr(services.registration, "company_get_or_create", slow_get_or_create)
    if not lock:
        monkeypatch.setattr(
            services.registration,
            "_resolve_company",
            lambda *, company_name, company_id: slow_get_or_create(name=company_name),
        )

    def merge():
        time.sleep(0.1)
        return services.company_merge(source_id=alphabet.pk, into_id=google.pk)

    work = [
        (
            lambda e=event, n=n: services.registrant_register(
                event_id=e.pk,
                name=f"Googler {n}",
                email=f"g{n}@example.com",
                company_name="Alphabet",
            )
        )
        for n, event in enumerate(events)
    ]
    return events, race([*work, merge])


def test_registrations_racing_a_merge_of_their_company_all_land_in_a_company(monkeypatch):
    """A merge deletes the absorbed company; registrations naming it at the
    same moment either join it before the merge (and move with it) or find
    it gone and create it afresh: never a foreign-key crash at commit."""
    events, outcomes = _registrations_naming_a_company_racing_its_merge(monkeypatch, lock=True)
    assert crashes(outcomes) == []
    assert tally(outcomes) == {"ok": MERGE_RACERS + 1}
    assert Registrant.objects.filter(company__isnull=True).count() == 0
    assert Registrant.objects.count() == MERGE_RACERS
    check_scenario(*events)


@pytest.mark.race_twin
@pytest.mark.postgres
def test_twin_registrations_without_the_company_lock_crash_when_a_merge_races_them(monkeypatch):
    """The twin: without locking the company, a registration that found the
    absorbed company commits after the merge deleted it, and PostgreSQL's
    deferred foreign key check fails the commit."""
    _, outcomes = _registrations_naming_a_company_racing_its_merge(monkeypatch, lock=False)
    assert any("IntegrityError" in crash for crash in crashes(outcomes))
