"""PostgreSQL: a company's count written outside slot 0 (while another
transaction holds slot 0's lock) still gives exact company figures, and
the tally of companies with seats stays equal to a recount."""

from __future__ import annotations

import psycopg
import pytest

from registrants import selectors, services
from registrants.counters import recount
from registrants.counters.pg import LOCK_SPACE
from registrants.lifecycle import SEAT_HOLDING, Status
from registrants.models import CompanyCount, Registrant
from registrants.tests.factories import make_registrant
from testing.servers import database_url_for_current_test_db

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _assert_companies_exact(event) -> None:
    holders = Registrant.objects.filter(event=event, status__in=SEAT_HOLDING)
    named = holders.exclude(company=None).values("company").distinct().count()
    companies = selectors.event_stats(event=event, top_companies=1)["companies"]
    assert len(companies["top"]) + companies["others_companies"] == named
    assert recount.differences(event.pk) == {}


def test_companies_counted_outside_slot_zero_stay_exact(event):
    acme = make_registrant(event, company="Acme")
    make_registrant(event, company="Globex")
    make_registrant(event, company="Globex")
    _assert_companies_exact(event)
    with psycopg.connect(database_url_for_current_test_db()) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s, 0)", [LOCK_SPACE])
        # Slot 0 is taken: Acme's only seat is given up in another slot,
        # and a new company gets its first seat there.
        services.registrant_change_status(registrant_id=acme.pk, to_status=Status.CANCELLED)
        services.registrant_register(
            event_id=event.pk, name="New", email="new@example.com", company_name="Initech"
        )
        assert CompanyCount.objects.filter(event=event).exclude(slot=0).exists()
        _assert_companies_exact(event)
        holder.rollback()
    # Slot 0 again: Acme back from zero (its slot 0 row was never below 1).
    services.registrant_change_status(registrant_id=acme.pk, to_status=Status.REGISTERED)
    _assert_companies_exact(event)
    services.registrant_change_status(registrant_id=acme.pk, to_status=Status.CANCELLED)
    _assert_companies_exact(event)
    recount.recount(event.pk)
    assert not CompanyCount.objects.filter(event=event).exclude(slot=0).exists()
    _assert_companies_exact(event)
