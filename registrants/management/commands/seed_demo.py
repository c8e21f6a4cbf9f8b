"""seed_demo [--reset] [--registrants N] [--seed S]

A realistic demo: today's evening event (capacity ~3,500) with a few
thousand registrants in every status and a plausible history, a small past
event, and a few hundred companies including spellings that normalise
together ("Acme Corp", " acme corp ", "ACME CORP"; "Google" and "Google
Inc") and pairs an organiser would merge ("Contoso" and "Contoso Labs").
The data is in registrants/demo/data.py, the writing in
registrants/demo/build.py (which says why it bypasses the services).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from registrants.demo import build, data


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
            default=data.DEFAULT_REGISTRANTS,
            help=f"Registrants of tonight's event (default {data.DEFAULT_REGISTRANTS}).",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed: the same seed gives the same demo."
        )

    def handle(self, *args, reset: bool, registrants: int, seed: int, verbosity: int, **options):
        minimum = len(data.GUEST_TYPE_MIX) + len(data.SEED_STATUS_MIX)
        if registrants < minimum:
            raise CommandError(f"--registrants must be at least {minimum}.")
        existing = build.demo_events()
        if existing:
            if not reset:
                self.stdout.write(
                    f'The demo event "{existing[0]}" already exists; nothing to do '
                    "(use --reset to start over)."
                )
                return
            events, deleted, companies = build.demo_delete()
            self.stdout.write(
                f"Deleted the demo: {events} events, {deleted} registrants and history rows, "
                f"{companies} companies."
            )
        done = build.demo_seed(registrants=registrants, seed=seed, progress=verbosity > 0)
        self.stdout.write(
            self.style.SUCCESS(
                f'Seeded "{done.tonight}" with {done.tonight_people} registrants '
                f"({done.tonight_rows} history rows), "
                f'"{done.past}" with {done.past_people} ({done.past_rows}), and '
                f"{done.companies} companies."
            )
        )
