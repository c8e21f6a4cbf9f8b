"""Soak: random concurrent writes of every kind on PostgreSQL, then every
event counter equals a recount from the rows and every status its newest
history row.

Real threads, each with its own connection: scans through the SQL
statements the gateway runs (lone and grouped), transitions, bulk changes,
imports, registrations, edits, erasures and purges, all at once.
"""

from __future__ import annotations

import datetime
import json
import random
from collections import Counter

import pytest
from django.db import connection, transaction
from django.utils import timezone

from registrants import lifecycle, selectors, services
from registrants.counters import recount
from registrants.erasure import registrant_erase
from registrants.lifecycle import ScanMode, Status
from registrants.models import Event, GuestType, Registrant
from registrants.purge import registrant_purge
from registrants.services.imports import ImportedRegistrant
from registrants.sql.scans import pg_group_sql, pg_scan_sql
from registrants.tests.concurrency.racing import crashes, race, tally
from registrants.tests.invariants import history_violations

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
OPERATIONS = 40  # per thread
PEOPLE = 400
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", ""]


def _row(i: int, rng: random.Random) -> ImportedRegistrant:
    return ImportedRegistrant(
        row=i, name=f"Soak {i}", email=f"soak{i}@example.com",
        guest_type=rng.choice(GuestType.values), company=rng.choice(COMPANIES),
    )  # fmt: skip


class Soak:
    def __init__(self, event: Event, seed: int) -> None:
        self.event, self.rng, self.seed = event, random.Random(seed), seed

    def _someone(self) -> Registrant:
        # Another thread may purge the one picked between the two reads.
        while True:
            ids = list(Registrant.objects.filter(event=self.event).values_list("id", flat=True))
            person = Registrant.objects.filter(pk=self.rng.choice(ids)).first()
            if person is not None:
                return person

    def sql_scan(self) -> None:
        mode = self.rng.choice(ScanMode.values)
        params = {"code": self._someone().check_in_code, "event": self.event.pk,
                  "now": timezone.now(), "actor": None}  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(pg_scan_sql(mode), params)

    def group_scan(self) -> None:
        now = timezone.now().isoformat()
        scans = [
            {"n": n, "code": self._someone().check_in_code, "event": self.event.pk,
             "mode": self.rng.choice(ScanMode.values), "actor": None, "at": now}
            for n in range(5)
        ]  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(pg_group_sql(), {"scans": json.dumps(scans)})

    def transition(self) -> None:
        person = self._someone()
        targets = lifecycle.allowed_targets(person.status)
        if targets:
            services.registrant_change_status(
                registrant_id=person.pk, to_status=self.rng.choice(targets), note="soak"
            )

    def bulk(self) -> None:
        ids = [self._someone().pk for _ in range(8)]
        services.registrants_bulk_change_status(
            registrant_ids=ids, to_status=self.rng.choice(Status.values)
        )

    def import_some(self) -> None:
        rows = [_row(self.seed * 1000 + i, self.rng) for i in range(self.rng.randint(1, 6))]
        services.registrants_import_batch(
            event_id=self.event.pk, rows=rows, expected=None, actor=None,
            marker=f"soak-{self.seed}-{self.rng.random()}", all_or_nothing=False,
        )  # fmt: skip

    def register(self) -> None:
        services.registrant_register(
            event_id=self.event.pk, name="Walk In", email=f"w{self.rng.random()}@example.com",
            company_name=self.rng.choice(COMPANIES) or None,
            guest_type=self.rng.choice(GuestType.values),
        )  # fmt: skip

    def edit(self) -> None:
        services.registrant_update(
            registrant_id=self._someone().pk,
            guest_type=self.rng.choice(GuestType.values),
            company_name=self.rng.choice(COMPANIES),
        )

    def erase_and_purge(self) -> None:
        person = self._someone()
        registrant_erase(registrant_id=person.pk)
        if self.rng.random() < 0.5:
            registrant_purge(registrant_id=person.pk)

    def run(self) -> None:
        weighted = (
            [self.sql_scan] * 6
            + [self.group_scan] * 2
            + [self.transition] * 3
            + [self.bulk, self.import_some, self.register, self.edit, self.erase_and_purge]
        )
        work = [self.rng.choice(weighted) for _ in range(OPERATIONS)]
        outcomes = race(work, threads=1)
        failed = [
            f"{w.__name__}: {o.crash}" for w, o in zip(work, outcomes, strict=True) if o.crash
        ]
        assert not failed, "\n".join(failed)


def _assert_companies_exact(event: Event) -> None:
    """The top companies as the stats read them (slot 0 in index order,
    corrected by the other slots) equal a count of the rows."""
    holders = Registrant.objects.filter(event=event, status__in=lifecycle.SEAT_HOLDING)
    counts = Counter(holders.exclude(company=None).values_list("company__name", flat=True))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    companies = selectors.event_stats(event=event, top_companies=2)["companies"]
    assert [(c["name"], c["count"]) for c in companies["top"]] == ranked[:2]
    assert companies["others"] == sum(n for _, n in ranked[2:])
    assert companies["others_companies"] == len(ranked[2:])
    assert companies["no_company"] == holders.filter(company=None).count()


def test_counters_equal_a_recount_after_random_concurrent_writes():
    event = services.event_create(
        name="Soak", date=datetime.date(2026, 12, 1), capacity=PEOPLE + 2000
    )
    rng = random.Random(18)
    services.registrants_import_batch(
        event_id=event.pk, rows=[_row(i, rng) for i in range(PEOPLE)], expected=None,
        actor=None, marker="soak-seed", all_or_nothing=True,
    )  # fmt: skip
    soaks = [Soak(event, seed) for seed in range(1, THREADS + 1)]
    outcomes = race([soak.run for soak in soaks], threads=THREADS)
    assert crashes(outcomes) == []
    assert tally(outcomes)["ok"] == THREADS

    assert recount.differences() == {}
    assert history_violations([event.pk]) == []
    _assert_companies_exact(event)
    changed = Registrant.objects.filter(event=event).exclude(status=Status.REGISTERED)
    assert changed.count() > PEOPLE // 4  # the soak did move people
