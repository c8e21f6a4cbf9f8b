"""seed_demo [--reset] [--registrants N] [--seed S]

A realistic demo: today's evening event (capacity ~3,500) with a few
thousand registrants in every status and a plausible history, a small past
event, and a few hundred companies including spellings that normalise
together ("Acme Corp", " acme corp ", "ACME CORP"; "Google" and "Google
Inc") and pairs an organiser would merge ("Contoso" and "Contoso Labs").

Why this bypasses services.py for registrants and their history: calling
registrant_register and registrant_change_status for ~3,000 people and
~9,000 history rows takes minutes (one transaction and one lock per row).
Seed data is different from a live change: nothing is concurrent, nothing
is announced, and the whole past of each registrant is known at once. So
the rows are written directly with bulk_create (registrants.sql.bulk
.insert_seeded), in one transaction, as *seed data*: `seed_history_chain` builds for each registrant a history
whose from/to statuses chain from the creation row ("" -> registered) to
the registrant's status, following only moves that lifecycle.TRANSITIONS
allows, so the invariants of docs/invariants.md hold (checked by the tests with
registrants.tests.invariants.assert_invariants). Companies and events do go
through the services. Nothing here runs after the demo is seeded.

Times are relative to when the seed runs, so the demo makes sense at any
hour: today's doors opened ARRIVALS_SPAN ago (at midnight at the earliest),
and every arrival, entry and exit happened between then and now; none is
in the future.
"""

from __future__ import annotations

import datetime
import math
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from registrants import lifecycle, services
from registrants.lifecycle import Status
from registrants.models import Company, Event, GuestType, Registrant, Source
from registrants.normalization import normalize_company_name
from registrants.sql.bulk import delete_demo_history, insert_seeded

DEMO_EVENT_NAME = "Demo: Tech Summit Evening"
PAST_EVENT_NAME = "Demo: Spring Meetup"
DEMO_CAPACITY = 3500
PAST_EVENT_REGISTRANTS = 120
PAST_EVENT_CAPACITY = 150
DEFAULT_REGISTRANTS = 3000
CHUNK = 500
# Today's arrivals run over the last three hours (or since midnight).
ARRIVALS_SPAN = datetime.timedelta(hours=3)

# The share of each final status in tonight's event.
SEED_STATUS_MIX: dict[Status, float] = {
    Status.REGISTERED: 0.25,
    Status.CHECKED_IN: 0.15,
    Status.ENTERED: 0.40,
    Status.EXITED: 0.12,
    Status.CANCELLED: 0.08,
}
# The past event is over: people either came (and left) or did not.
PAST_STATUS_MIX: dict[Status, float] = {
    Status.REGISTERED: 0.15,
    Status.EXITED: 0.75,
    Status.CANCELLED: 0.10,
}
GUEST_TYPE_MIX: dict[str, float] = {
    GuestType.ATTENDEE: 0.80,
    GuestType.SPEAKER: 0.03,
    GuestType.SPONSOR: 0.04,
    GuestType.EXHIBITOR: 0.05,
    GuestType.STAFF: 0.03,
    GuestType.PRESS: 0.02,
    GuestType.VIP: 0.03,
}

# Spellings that normalise to one company: the first one seen is displayed.
ACME_SPELLINGS = ("Acme Corp", " acme corp ", "ACME CORP", "Acme  Corp")
# Spellings that differ by a legal form or punctuation: one company each.
LEGAL_FORM_PAIRS = (
    ("Google", "Google Inc"),
    ("Fabrikam", "Fabrikam, Inc."),
)
# Pairs that are one company in reality but that the rules cannot decide:
# the companies page lists them as likely duplicates, with a merge button.
MERGE_CANDIDATES = (
    ("Contoso", "Contoso Labs"),
    ("Tailwind Traders", "Tailwind Trader"),
)
_PAIRS = (*LEGAL_FORM_PAIRS, *MERGE_CANDIDATES)
_COMPANY_STEMS = (
    "Northwind",
    "Tailspin",
    "Wingtip",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Lucerne",
    "Margie's",
    "Trey",
    "Woodgrove",
    "Alpine",
    "Blue Yonder",
    "Coho",
    "Datum",
    "Fourth Coffee",
    "Graphic Design",
    "Humongous",
    "Lamna",
    "Nod",
    "Southridge",
    "Tasmanian",
    "Wide World",
    "Relecloud",
    "Bellows",
    "Vanarsdel",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Cyberdyne",
    "Soylent",
    "Massive Dynamic",
    "Vandelay",
    "Pied Piper",
    "Aperture",
    "Tyrell",
    "Oscorp",
    "Gringotts",
    "Monarch",
    "Dunder",
    "Sterling",
    "Prestige",
    "Bluth",
    "Gekko",
    "Virtucon",
    "Ollivander",
    "Krusty",
    "Duff",
)
_COMPANY_SUFFIXES = ("Labs", "Systems", "Group", "Analytics", "Software", "Consulting")
COMPANY_COUNT = 300

_FIRST = (
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Tim",
    "Radia",
    "Guido",
    "Hedy",
    "John",
    "Katherine",
    "Edsger",
    "Sophie",
    "Donald",
    "Shafi",
    "Vint",
    "Anita",
    "Bjarne",
    "Jean",
    "Niklaus",
    "Karen",
    "James",
    "Mary",
    "Leslie",
    "Carol",
    "Fernando",
    "Lynn",
    "Yukihiro",
    "Rasmus",
    "Brendan",
    "Sandi",
    "Aaron",
    "Priya",
    "Chen",
    "Fatima",
    "Olu",
    "Mateo",
    "Ingrid",
    "Kwame",
    "Aiko",
    "Noor",
    "Lars",
    "Zanele",
    "Diego",
    "Mei",
    "Tomasz",
)
_LAST = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Berners-Lee",
    "Perlman",
    "van Rossum",
    "Lamarr",
    "Backus",
    "Johnson",
    "Dijkstra",
    "Wilson",
    "Knuth",
    "Goldwasser",
    "Cerf",
    "Borg",
    "Stroustrup",
    "Sammet",
    "Wirth",
    "Jones",
    "Gosling",
    "Kenneth",
    "Lamport",
    "Shaw",
    "Corbató",
    "Conway",
    "Matsumoto",
    "Lerdorf",
    "Eich",
    "Metz",
    "Swartz",
    "Patel",
    "Wei",
    "Haddad",
    "Adeyemi",
    "García",
    "Larsen",
    "Mensah",
    "Tanaka",
    "Rahman",
    "Nilsson",
    "Dlamini",
    "Fernández",
    "Lin",
    "Kowalski",
)
_FREEMAIL = ("example.com", "example.org", "example.net")


def demo_company_spellings() -> list[str]:
    """Every company spelling the seed uses, in a fixed order (seed-independent,
    so that --reset finds the seed's companies again)."""
    fixed = [*ACME_SPELLINGS, *(name for pair in _PAIRS for name in pair)]
    names = fixed + [f"{stem} {suffix}" for suffix in _COMPANY_SUFFIXES for stem in _COMPANY_STEMS]
    distinct = len({normalize_company_name(n) for n in fixed})
    # ~COMPANY_COUNT companies after the spellings of one company collapse.
    return names[: COMPANY_COUNT + len(fixed) - distinct]


@dataclass
class _Person:
    name: str
    email: str
    company: Company | None
    guest_type: str
    status: Status


_T = TypeVar("_T")


def _pick(rng: random.Random, mix: dict[_T, float]) -> _T:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def _minutes(start: datetime.datetime, minutes: float) -> datetime.datetime:
    return start + datetime.timedelta(minutes=minutes)


def seed_history_chain(
    rng: random.Random,
    status: Status,
    registered_at: datetime.datetime,
    doors: datetime.datetime,
    until: datetime.datetime | None = None,
) -> list[tuple[str, Status, datetime.datetime, str]]:
    """The seed history of one registrant ending in `status`.

    Returns (from_status, to_status, at, source) rows, oldest first: a
    creation row, then only moves lifecycle.TRANSITIONS allows. Arrivals
    run over three hours from `doors`, peaking after one, entries follow
    check-in by a few minutes, exits come later. With `until`, the moves
    after `doors` are squeezed (in order) to end by `until`.
    """
    return _squeezed(_chain(rng, status, registered_at, doors), doors, until)


def _squeezed(rows, doors: datetime.datetime, until: datetime.datetime | None):
    """`rows` with the times after `doors` scaled into [doors, until]: the
    order and the shape of the evening stay, nothing lands in the future."""
    latest = rows[-1][2]
    if until is None or latest <= until:
        return rows
    factor = (until - doors) / (latest - doors)
    return [
        (frm, to, doors + (at - doors) * factor if at > doors else at, source)
        for frm, to, at, source in rows
    ]


def _chain(rng, status, registered_at, doors):
    creation_source = Source.IMPORT if rng.random() < 0.7 else Source.API
    rows = [("", lifecycle.INITIAL_STATUS, registered_at, creation_source)]
    if status == Status.CANCELLED:
        cancelled_at = registered_at + (doors - registered_at) * rng.uniform(0.2, 0.95)
        rows.append((Status.REGISTERED, Status.CANCELLED, cancelled_at, Source.DASHBOARD))
        return _checked(rows)
    if status == Status.REGISTERED:
        if rng.random() < 0.03:  # a mistaken check-in, undone at the desk
            wrong = _minutes(doors, rng.triangular(0, 180, 60))
            rows.append((Status.REGISTERED, Status.CHECKED_IN, wrong, Source.SCAN))
            rows.append(
                (
                    Status.CHECKED_IN,
                    Status.REGISTERED,
                    _minutes(wrong, rng.uniform(0.5, 3)),
                    Source.DASHBOARD,
                )
            )
        return _checked(rows)
    arrived = _minutes(doors, rng.triangular(0, 180, 60))
    rows.append((Status.REGISTERED, Status.CHECKED_IN, arrived, Source.SCAN))
    if status == Status.CHECKED_IN:
        return _checked(rows)
    entered = _minutes(arrived, rng.uniform(1, 8))
    rows.append((Status.CHECKED_IN, Status.ENTERED, entered, Source.SCAN))
    if rng.random() < 0.15:  # stepped out for a call and came back
        out = _minutes(entered, rng.uniform(20, 90))
        rows.append((Status.ENTERED, Status.EXITED, out, Source.SCAN))
        entered = _minutes(out, rng.uniform(3, 25))
        rows.append((Status.EXITED, Status.ENTERED, entered, Source.SCAN))
    if status == Status.EXITED:
        rows.append(
            (Status.ENTERED, Status.EXITED, _minutes(entered, rng.uniform(30, 180)), Source.SCAN)
        )
    return _checked(rows)


def _checked(rows):
    for (_, prev_to, _, _), (frm, to, _, _) in zip(rows, rows[1:], strict=False):
        assert frm == prev_to and lifecycle.is_allowed(frm, to), (frm, to)
    return rows


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


class Command(BaseCommand):
    help = (
        "Seed a demo: tonight's event with N registrants (default 3000) in every "
        "status, a small past event and ~300 companies. Does nothing if the demo "
        "exists; --reset deletes the demo data and seeds again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo data first, then seed again."
        )
        parser.add_argument(
            "--registrants",
            type=int,
            default=DEFAULT_REGISTRANTS,
            help=f"Registrants of tonight's event (default {DEFAULT_REGISTRANTS}).",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed: the same seed gives the same demo."
        )

    def handle(self, *args, reset: bool, registrants: int, seed: int, verbosity: int, **options):
        minimum = len(GUEST_TYPE_MIX) + len(SEED_STATUS_MIX)
        if registrants < minimum:
            raise CommandError(f"--registrants must be at least {minimum}.")
        demo_events = Event.objects.filter(name__in=[DEMO_EVENT_NAME, PAST_EVENT_NAME])
        if demo_events.exists():
            if not reset:
                event = demo_events.order_by("-date").first()
                self.stdout.write(
                    f'The demo event "{event}" already exists; nothing to do '
                    "(use --reset to start over)."
                )
                return
            self._delete_demo()
        self.show_progress = verbosity > 0
        rng = random.Random(seed)
        now = timezone.now()
        with transaction.atomic():
            companies = self._companies(rng)
            tonight, past = self._events(registrants, now)
            people = self._people(rng, registrants, companies, SEED_STATUS_MIX)
            tonight_rows = self._write(rng, tonight, people, "tonight", now=now)
            past_people = self._people(
                rng, PAST_EVENT_REGISTRANTS, companies, PAST_STATUS_MIX, cover_every_status=False
            )
            past_rows = self._write(rng, past, past_people, "past event")
        self.stdout.write(
            self.style.SUCCESS(
                f'Seeded "{tonight}" with {len(people)} registrants ({tonight_rows} history rows), '
                f'"{past}" with {len(past_people)} ({past_rows}), and '
                f"{Company.objects.filter(normalized_name__in=self._company_keys()).count()} companies."
            )
        )

    # -- reset --

    @staticmethod
    def _company_keys() -> set[str]:
        return {normalize_company_name(name) for name in demo_company_spellings()}

    def _delete_demo(self) -> None:
        with transaction.atomic():
            events = list(Event.objects.filter(name__in=[DEMO_EVENT_NAME, PAST_EVENT_NAME]))
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
                Company.objects.filter(normalized_name__in=self._company_keys())
                .filter(registrants__isnull=True)
                .delete()
            )
        self.stdout.write(
            f"Deleted the demo: {len(events)} events, {deleted} registrants and history rows, "
            f"{companies} companies."
        )

    # -- building --

    def _companies(self, rng: random.Random) -> list[tuple[str, Company, float]]:
        """(spelling, company, weight): a few large companies, a long tail."""
        spellings = demo_company_spellings()
        by_spelling = {name: services.company_get_or_create(name=name) for name in spellings}
        # The main spellings of Acme and the pairs lead; their other
        # spellings are scattered among the next few dozen, the rest shuffled.
        leaders = [ACME_SPELLINGS[0], *(pair[0] for pair in _PAIRS)]
        variants = [*ACME_SPELLINGS[1:], *(pair[1] for pair in _PAIRS)]
        order = [n for n in spellings if n not in leaders and n not in variants]
        rng.shuffle(order)
        for variant in variants:
            order.insert(rng.randrange(2, 40), variant)
        order = leaders + order
        return [(name, by_spelling[name], 1 / (rank + 1) ** 0.9) for rank, name in enumerate(order)]

    def _events(self, registrants: int, now: datetime.datetime) -> tuple[Event, Event]:
        today = timezone.localdate(now, timezone=ZoneInfo(settings.TIME_ZONE))
        # Room for everyone not cancelled, whatever N is asked for.
        capacity = max(DEMO_CAPACITY, math.ceil(registrants * 1.1 / 100) * 100)
        tonight = services.event_create(name=DEMO_EVENT_NAME, date=today, capacity=capacity)
        past = services.event_create(
            name=PAST_EVENT_NAME,
            date=today - datetime.timedelta(days=61),
            capacity=PAST_EVENT_CAPACITY,
        )
        return tonight, past

    def _people(
        self,
        rng: random.Random,
        count: int,
        companies,
        status_mix: dict[Status, float],
        *,
        cover_every_status: bool = True,
    ) -> list[_Person]:
        spellings = [c[0] for c in companies]
        weights = [c[2] for c in companies]
        company_of = {c[0]: c[1] for c in companies}
        # The first people make sure every guest type, every status, every
        # Acme spelling and every merge candidate is there even for small N.
        forced_types = list(GUEST_TYPE_MIX)
        forced_statuses = list(status_mix) if cover_every_status else []
        forced_companies = [*ACME_SPELLINGS, *(n for pair in _PAIRS for n in pair)]
        forced = max(len(forced_types), len(forced_statuses), len(forced_companies))
        people: list[_Person] = []
        for i in range(count):
            if i >= forced and rng.random() < 0.01:
                # The same person registering twice: a likely duplicate.
                twin = rng.choice(people)
                people.append(
                    _Person(
                        twin.name, twin.email, twin.company, twin.guest_type, _pick(rng, status_mix)
                    )
                )
                continue
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            if i < len(forced_companies):
                spelling: str | None = forced_companies[i]
            elif rng.random() < 0.12:
                spelling = None
            else:
                spelling = rng.choices(spellings, weights=weights)[0]
            company = company_of[spelling] if spelling else None
            domain = (
                "-".join(company.normalized_name.replace(",", "").replace(".", "").split())
                + ".example"
                if company and rng.random() < 0.8
                else rng.choice(_FREEMAIL)
            )
            local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
            people.append(
                _Person(
                    name=f"{first} {last}",
                    email=f"{local}{i}@{domain}",
                    company=company,
                    guest_type=forced_types[i]
                    if i < len(forced_types)
                    else _pick(rng, GUEST_TYPE_MIX),
                    status=(
                        forced_statuses[i] if i < len(forced_statuses) else _pick(rng, status_mix)
                    ),
                )
            )
        return people

    def _write(
        self,
        rng: random.Random,
        event: Event,
        people: list[_Person],
        label: str,
        now: datetime.datetime | None = None,
    ) -> int:
        """Bulk-write `people` and their histories. With `now` (today's
        event), the doors opened ARRIVALS_SPAN before it (not before
        midnight) and nothing is later than it; without, at 17:30."""
        tz = ZoneInfo(settings.TIME_ZONE)
        if now is None:
            doors = datetime.datetime.combine(event.date, datetime.time(17, 30), tzinfo=tz)
        else:
            midnight = datetime.datetime.combine(event.date, datetime.time(0), tzinfo=tz)
            doors = max(midnight, now - ARRIVALS_SPAN)
        history_rows = 0
        bar = tqdm(
            total=len(people),
            desc=f"Seeding {label}",
            unit="registrant",
            disable=not self.show_progress,
            file=sys.stderr,
        )
        with bar, _explicit_registrant_timestamps():
            for start in range(0, len(people), CHUNK):
                chunk = people[start : start + CHUNK]
                chains = []
                for person in chunk:
                    registered_at = doors - datetime.timedelta(
                        days=rng.uniform(1, 42), minutes=rng.uniform(0, 600)
                    )
                    chains.append(seed_history_chain(rng, person.status, registered_at, doors, now))
                history_rows += insert_seeded(
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
                        for person, chain in zip(chunk, chains, strict=True)
                    ],
                    chains,
                    batch_size=CHUNK,
                )
                bar.update(len(chunk))
        return history_rows
