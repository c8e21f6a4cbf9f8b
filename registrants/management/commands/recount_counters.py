"""Check the event counters against a recount from the rows, or rebuild
them (registrants/counters; docs/operations.md "Event counters")."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from registrants.counters import recount


class Command(BaseCommand):
    help = "Check (--check) or rebuild the event counters from the registrant and history rows."

    def add_arguments(self, parser):
        parser.add_argument("--event", type=int, help="Only this event (default: every event).")
        parser.add_argument(
            "--check", action="store_true", help="Only compare; exit non-zero on a difference."
        )

    def handle(self, *args, event: int | None = None, check: bool = False, **options):
        if check:
            wrong = recount.differences(event)
            for key, (held, recounted) in sorted(wrong.items(), key=str)[:50]:
                self.stdout.write(f"{key}: counter {held}, rows {recounted}")
            if wrong:
                raise CommandError(f"{len(wrong)} counts differ from a recount.")
            self.stdout.write("Every counter equals a recount from the rows.")
            return
        changed = recount.recount(event)
        self.stdout.write(f"Counters rebuilt from the rows; {changed} counts were different.")
