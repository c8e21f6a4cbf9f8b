"""The demo's data: its events, names, companies, guest types and status
mixes, and the timing of each registrant's history relative to the hour the
seed runs (registrants.demo.build writes them; `manage.py seed_demo` runs it).

Times are relative to when the seed runs, so the demo makes sense at any
hour: today's doors opened ARRIVALS_SPAN ago (at midnight at the earliest),
and every arrival, entry and exit happened between then and now; none is
in the future. Each history chains from the creation row ("" ->
registered) to the registrant's status through moves lifecycle.TRANSITIONS
allows, so the invariants of docs/invariants.md hold.
"""

from __future__ import annotations

import datetime
import math
import random
from typing import TypeVar

from registrants import lifecycle
from registrants.lifecycle import Status
from registrants.models import GuestType, Source
from registrants.normalization import normalize_company_name

DEMO_EVENT_NAME = "Demo: Tech Summit Evening"
PAST_EVENT_NAME = "Demo: Spring Meetup"
DEMO_CAPACITY = 3500
PAST_EVENT_REGISTRANTS = 120
PAST_EVENT_CAPACITY = 150
DEFAULT_REGISTRANTS = 3000
PAST_EVENT_DAYS_AGO = 61
# Today's arrivals run over the last three hours (or since midnight).
ARRIVALS_SPAN = datetime.timedelta(hours=3)

# The share of each final status in tonight's event.
SEED_STATUS_MIX: dict[Status, float] = {
    # Joined the waitlist while the event was full; the sweep offers them
    # the seats it has now (registrants/waitlist.py).
    Status.WAITLISTED: 0.02,
    Status.REGISTERED: 0.23,
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
COMPANY_PAIRS = (*LEGAL_FORM_PAIRS, *MERGE_CANDIDATES)
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

FIRST_NAMES = (
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
LAST_NAMES = (
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
FREEMAIL_DOMAINS = ("example.com", "example.org", "example.net")


def demo_company_spellings() -> list[str]:
    """Every company spelling the seed uses, in a fixed order (seed-independent,
    so that --reset finds the seed's companies again)."""
    fixed = [*ACME_SPELLINGS, *(name for pair in COMPANY_PAIRS for name in pair)]
    names = fixed + [f"{stem} {suffix}" for suffix in _COMPANY_SUFFIXES for stem in _COMPANY_STEMS]
    distinct = len({normalize_company_name(n) for n in fixed})
    # ~COMPANY_COUNT companies after the spellings of one company collapse.
    return names[: COMPANY_COUNT + len(fixed) - distinct]


_T = TypeVar("_T")


def demo_capacity(registrants: int) -> int:
    """Tonight's capacity: room for everyone not cancelled, whatever N is asked for."""
    return max(DEMO_CAPACITY, math.ceil(registrants * 1.1 / 100) * 100)


def pick(rng: random.Random, mix: dict[_T, float]) -> _T:
    """One key of `mix`, drawn with its weight."""
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def doors_opened(
    event_date: datetime.date, tz: datetime.tzinfo, now: datetime.datetime | None
) -> datetime.datetime:
    """When the doors opened: ARRIVALS_SPAN before `now` (not before
    midnight) for today's event; at 17:30 for a past one (`now` None)."""
    if now is None:
        return datetime.datetime.combine(event_date, datetime.time(17, 30), tzinfo=tz)
    midnight = datetime.datetime.combine(event_date, datetime.time(0), tzinfo=tz)
    return max(midnight, now - ARRIVALS_SPAN)


def registration_time(rng: random.Random, doors: datetime.datetime) -> datetime.datetime:
    """When someone registered: one to six weeks before the doors opened."""
    return doors - datetime.timedelta(days=rng.uniform(1, 42), minutes=rng.uniform(0, 600))


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
    if status == Status.WAITLISTED:
        return _checked([("", Status.WAITLISTED, registered_at, Source.API)])
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
