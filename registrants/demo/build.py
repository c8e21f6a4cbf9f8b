"""Building the demo from registrants.demo.data: companies and events
through the services, registrants and their histories in bulk.

Why registrants and their history bypass the services: calling
registrant_register and registrant_change_status for ~3,000 people and
~9,000 history rows takes minutes (one transaction and one lock per row).
Seed data is different from a live change: nothing is concurrent, nothing
is announced, and the whole past of each registrant is known at once. So
the rows are written directly with bulk_create (registrants.sql.bulk
.insert_seeded), in one transaction, as
*seed data*, each registrant with the last status of a complete, valid
history chain (data.seed_history_chain): write_registrants_with_history is
the one function that writes them. Nothing here runs after the demo is
seeded.
"""

from __future__ import annotations

import datetime
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from registrants import services
from registrants.demo import data
from registrants.lifecycle import Status
from registrants.models import Company, Event, Registrant
from registrants.normalization import normalize_company_name
from registrants.sql.bulk import delete_demo_history, insert_seeded

CHUNK = 500

# (from_status, to_status, at, source) rows, oldest first
Chain = list[tuple[str, Status, datetime.datetime, str]]


@dataclass
class Person:
    """One registrant to be: who, from which company, ending in which status."""

    name: str
    email: str
    company: Company | None
    guest_type: str
    status: Status


@dataclass
class Seeded:
    """What demo_seed made, for the command's summary line."""

    tonight: Event
    past: Event
    tonight_people: int
    tonight_rows: int
    past_people: int
    past_rows: int
    companies: int


def demo_events() -> list[Event]:
    """The demo's events, if it was seeded: tonight's first."""
    names = [data.DEMO_EVENT_NAME, data.PAST_EVENT_NAME]
    return list(Event.objects.filter(name__in=names).order_by("-date"))


def demo_company_keys() -> set[str]:
    """The normalised names of every company the demo uses."""
    return {normalize_company_name(name) for name in data.demo_company_spellings()}


def demo_seed(*, registrants: int, seed: int, progress: bool) -> Seeded:
    """Seed tonight's event with `registrants` people, the past event and the
    companies, in one transaction; the same `seed` gives the same demo."""
    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        companies = _companies(rng)
        tonight, past = _events(registrants, now)
        people = _people(rng, registrants, companies, data.SEED_STATUS_MIX)
        tonight_rows = _write(rng, tonight, people, "tonight", progress, now=now)
        past_people = _people(
            rng, data.PAST_EVENT_REGISTRANTS, companies, data.PAST_STATUS_MIX, every_status=False
        )
        past_rows = _write(rng, past, past_people, "past event", progress)
    return Seeded(
        tonight=tonight,
        past=past,
        tonight_people=len(people),
        tonight_rows=tonight_rows,
        past_people=len(past_people),
        past_rows=past_rows,
        companies=Company.objects.filter(normalized_name__in=demo_company_keys()).count(),
    )


def demo_delete() -> tuple[int, int, int]:
    """Delete the demo: (events, registrants and history rows, companies)."""
    with transaction.atomic():
        events = demo_events()
        # History first, then registrants, then the events, then the
        # seed's companies nobody belongs to any more. The demo's own
        # events are the one thing whose history may go, whole: history
        # rows are otherwise never deleted (they PROTECT their
        # registrant, and the model refuses to delete them).
        for event in events:
            delete_demo_history(event.pk)
        deleted, _ = Registrant.objects.filter(event__in=events).delete()
        for event in events:
            services.event_delete(event_id=event.pk)
        companies, _ = (
            Company.objects.filter(normalized_name__in=demo_company_keys())
            .filter(registrants__isnull=True)
            .delete()
        )
    return len(events), deleted, companies


def _companies(rng: random.Random) -> list[tuple[str, Company, float]]:
    """(spelling, company, weight): a few large companies, a long tail."""
    spellings = data.demo_company_spellings()
    by_spelling = {name: services.company_get_or_create(name=name) for name in spellings}
    # The main spellings of Acme and the pairs lead; their other
    # spellings are scattered among the next few dozen, the rest shuffled.
    leaders = [data.ACME_SPELLINGS[0], *(pair[0] for pair in data.COMPANY_PAIRS)]
    variants = [*data.ACME_SPELLINGS[1:], *(pair[1] for pair in data.COMPANY_PAIRS)]
    order = [n for n in spellings if n not in leaders and n not in variants]
    rng.shuffle(order)
    for variant in variants:
        order.insert(rng.randrange(2, 40), variant)
    order = leaders + order
    return [(name, by_spelling[name], 1 / (rank + 1) ** 0.9) for rank, name in enumerate(order)]


def _events(registrants: int, now: datetime.datetime) -> tuple[Event, Event]:
    today = timezone.localdate(now, timezone=ZoneInfo(settings.TIME_ZONE))
    tonight = services.event_create(
        name=data.DEMO_EVENT_NAME, date=today, capacity=data.demo_capacity(registrants)
    )
    past = services.event_create(
        name=data.PAST_EVENT_NAME,
        date=today - datetime.timedelta(days=data.PAST_EVENT_DAYS_AGO),
        capacity=data.PAST_EVENT_CAPACITY,
    )
    return tonight, past


def _people(
    rng: random.Random,
    count: int,
    companies: list[tuple[str, Company, float]],
    status_mix: dict[Status, float],
    *,
    every_status: bool = True,
) -> list[Person]:
    spellings = [c[0] for c in companies]
    weights = [c[2] for c in companies]
    company_of = {c[0]: c[1] for c in companies}
    # The first people make sure every guest type, every status, every
    # Acme spelling and every merge candidate is there even for small N.
    forced_types = list(data.GUEST_TYPE_MIX)
    forced_statuses = list(status_mix) if every_status else []
    forced_companies = [*data.ACME_SPELLINGS, *(n for pair in data.COMPANY_PAIRS for n in pair)]
    forced = max(len(forced_types), len(forced_statuses), len(forced_companies))
    people: list[Person] = []
    for i in range(count):
        if i >= forced and rng.random() < 0.01:
            # The same person registering twice: a likely duplicate.
            twin = rng.choice(people)
            status = data.pick(rng, status_mix)
            people.append(Person(twin.name, twin.email, twin.company, twin.guest_type, status))
            continue
        first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
        if i < len(forced_companies):
            spelling: str | None = forced_companies[i]
        elif rng.random() < 0.12:
            spelling = None
        else:
            spelling = rng.choices(spellings, weights=weights)[0]
        company = company_of[spelling] if spelling else None
        domain = (
            "-".join(company.normalized_name.replace(",", "").replace(".", "").split()) + ".example"
            if company and rng.random() < 0.8
            else rng.choice(data.FREEMAIL_DOMAINS)
        )
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        people.append(
            Person(
                name=f"{first} {last}",
                email=f"{local}{i}@{domain}",
                company=company,
                guest_type=forced_types[i]
                if i < len(forced_types)
                else data.pick(rng, data.GUEST_TYPE_MIX),
                status=(
                    forced_statuses[i] if i < len(forced_statuses) else data.pick(rng, status_mix)
                ),
            )
        )
    return people


def _write(
    rng: random.Random,
    event: Event,
    people: list[Person],
    label: str,
    progress: bool,
    now: datetime.datetime | None = None,
) -> int:
    """Write `people` and their histories, in chunks; the history rows written.
    With `now` (today's event) nothing is later than it."""
    doors = data.doors_opened(event.date, ZoneInfo(settings.TIME_ZONE), now)
    history_rows = 0
    bar = tqdm(
        total=len(people),
        desc=f"Seeding {label}",
        unit="registrant",
        disable=not progress,
        file=sys.stderr,
    )
    with bar:
        for start in range(0, len(people), CHUNK):
            chunk = people[start : start + CHUNK]
            chains = [
                data.seed_history_chain(
                    rng, person.status, data.registration_time(rng, doors), doors, now
                )
                for person in chunk
            ]
            history_rows += write_registrants_with_history(event, chunk, chains)
            bar.update(len(chunk))
    return history_rows


def write_registrants_with_history(event: Event, people: list[Person], chains: list[Chain]) -> int:
    """Insert `people` into `event`, each with the status its history chain
    ends in and that chain as its history rows; the rows written. The one
    place the demo writes statuses and history, through registrants.sql."""
    with _explicit_registrant_timestamps():
        return insert_seeded(
            [
                Registrant(
                    event=event,
                    company=person.company,
                    name=person.name,
                    email=person.email,
                    guest_type=person.guest_type,
                    created_at=chain[0][2],
                    updated_at=chain[-1][2],
                )
                for person, chain in zip(people, chains, strict=True)
            ],
            chains,
            batch_size=CHUNK,
        )


@contextmanager
def _explicit_registrant_timestamps() -> Iterator[None]:
    """Let bulk_create keep the created_at/updated_at the seed sets (the day
    each person registered), instead of auto_now(_add) stamping "now"."""
    fields = [Registrant._meta.get_field("created_at"), Registrant._meta.get_field("updated_at")]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add
