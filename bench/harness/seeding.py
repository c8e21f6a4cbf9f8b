"""The scratch data each benchmark starts from, written with Django in this
process against the bench database (migrated first)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

PROBE_SCANS = 3  # in-process scans whose queries are counted (scan_throughput.py)


@dataclass
class Seed:
    """What the seeding created: who scans which codes, in which event."""

    event_id: int
    tokens: list[str]  # one per client
    user_ids: list[int]  # one per client
    codes: list[list[str]]  # per client, each code scanned at most once
    probe_codes: list[str]


def seed(clients: int, registrants: int) -> Seed:
    """Migrate, then create the event, registrants (with creation history),
    companies and one checkin_staff user with a token per client."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.tokens import token_create
    from registrants.lifecycle import Status
    from registrants.models import Company, Event, GuestType, Registrant, Source
    from registrants.normalization import normalize_company_name
    from registrants.roles import CHECKIN_STAFF, sync_role_groups
    from registrants.sql.bulk import insert_seeded

    call_command("migrate", interactive=False, verbosity=0)
    total = registrants + PROBE_SCANS
    with transaction.atomic():
        if not Group.objects.filter(name=CHECKIN_STAFF).exists():
            sync_role_groups()
        group = Group.objects.get(name=CHECKIN_STAFF)
        user_ids, tokens = [], []
        for i in range(clients):
            # No password: hashing one costs ~0.3 s and the API uses tokens.
            user = get_user_model().objects.create_user(
                username=f"bench-staff-{i:02d}", first_name="Bench", last_name=f"Staff {i}"
            )
            user.groups.add(group)
            user_ids.append(user.pk)
            tokens.append(token_create(user=user)[1])
        event = Event.objects.create(
            name="Benchmark conference", date=dt.date(2026, 11, 26), capacity=total
        )
        companies = Company.objects.bulk_create(
            Company(
                name=f"Bench Company {i}",
                normalized_name=normalize_company_name(f"Bench Company {i}"),
            )
            for i in range(50)
        )
        guest_types = list(GuestType.values)
        people = [
            Registrant(
                event=event,
                name=f"Guest {i}",
                email=f"guest{i}@bench.example",
                guest_type=guest_types[i % len(guest_types)],
                # Every fifth without a company, as in real lists.
                company=companies[i % len(companies)] if i % 5 else None,
            )
            for i in range(total)
        ]
        creation = [("", Status.REGISTERED, timezone.now(), Source.IMPORT)]
        insert_seeded(people, [creation] * total, batch_size=5000)
    codes = [r.check_in_code for r in people]
    probe, rest = codes[:PROBE_SCANS], codes[PROBE_SCANS:]
    return Seed(
        event_id=event.pk,
        tokens=tokens,
        user_ids=user_ids,
        codes=[rest[i::clients] for i in range(clients)],
        probe_codes=probe,
    )


def seed_live(rounds: int, changes: int, sessions: int) -> dict[str, Any]:
    """Migrate; one event with `rounds` x `changes` registrants (registered
    through the service), an organiser with an API token, and `sessions`
    logged-in sessions of a viewer (live_latency.py)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction

    from accounts.tokens import token_create
    from registrants import services
    from registrants.models import Event
    from registrants.roles import ORGANISER, VIEWER, sync_role_groups
    from testing.servers import session_cookie_for

    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic():
        if not Group.objects.filter(name=VIEWER).exists():
            sync_role_groups()
        users = get_user_model().objects
        organiser = users.create_user(username="bench-organiser")
        organiser.groups.add(Group.objects.get(name=ORGANISER))
        viewer = users.create_user(username="bench-viewer")
        viewer.groups.add(Group.objects.get(name=VIEWER))
        token = token_create(user=organiser)[1]
        event = Event.objects.create(
            name="Live latency",
            date=dt.datetime(2026, 11, 26, tzinfo=dt.UTC).date(),
            capacity=rounds * changes + 10,
        )
    # Through the service, so each has its creation history row (as in life).
    ids = [
        services.registrant_register(
            event_id=event.pk,
            name=f"Guest {i}",
            email=f"guest{i}@bench.example",
            company_name=f"Company {i % 40}" if i % 5 else None,
        ).pk
        for i in range(rounds * changes)
    ]
    cookies = [session_cookie_for(viewer) for _ in range(sessions)]
    return {"event_id": event.pk, "token": token, "registrants": ids, "cookies": cookies}


def seed_scale_out(clients: int, scans: int, live: int) -> dict[str, Any]:
    """Migrate; one event with `scans` registered people (codes per client),
    one with `live` people for the websocket, one for registrations; door
    staff with tokens, an organiser with a token, a superuser session
    (scale_out.py)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction

    from accounts.tokens import token_create
    from registrants.models import Event, Registrant
    from registrants.roles import CHECKIN_STAFF, ORGANISER, VIEWER, sync_role_groups
    from testing.servers import session_cookie_for

    call_command("migrate", interactive=False, verbosity=0)
    users = get_user_model().objects
    with transaction.atomic():
        sync_role_groups()
        staff = Group.objects.get(name=CHECKIN_STAFF)
        tokens = []
        for i in range(clients + 1):
            user = users.create_user(username=f"door-{i:02d}")
            user.groups.add(staff)
            tokens.append(token_create(user=user)[1])
        organiser = users.create_user(username="organiser")
        organiser.groups.add(Group.objects.get(name=ORGANISER))
        viewer = users.create_user(username="viewer")
        viewer.groups.add(Group.objects.get(name=VIEWER))
        admin = users.create_superuser(username="admin", email="admin@bench.example")
        day = dt.date(2030, 1, 1)
        doors = Event.objects.create(name="Doors", date=day, capacity=scans)
        live_event = Event.objects.create(name="Live", date=day, capacity=live)
        signup = Event.objects.create(name="Sign-up", date=day, capacity=100_000)
        people = Registrant.objects.bulk_create(
            Registrant(event=doors, name=f"Guest {i}", email=f"g{i}@bench.example")
            for i in range(scans)
        )
        watched = Registrant.objects.bulk_create(
            Registrant(event=live_event, name=f"Live {i}", email=f"l{i}@bench.example")
            for i in range(live)
        )
    return {
        "doors": doors.pk,
        "live": live_event.pk,
        "signup": signup.pk,
        "codes": [r.check_in_code for r in people],
        "live_ids": [r.pk for r in watched],
        "tokens": tokens[:clients],
        "spare_token": tokens[clients],
        "organiser": token_create(user=organiser)[1],
        "viewer_cookie": session_cookie_for(viewer),
        "admin_cookie": session_cookie_for(admin),
    }
