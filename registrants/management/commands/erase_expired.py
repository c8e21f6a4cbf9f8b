"""Erase the registrants of events whose retention has passed
(registrants/retention.py). Celery beat runs the same every hour; this is
for deployments without beat, or to run it now."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from registrants.retention import erase_expired, expired_events


class Command(BaseCommand):
    help = "Erase the registrants of events whose retention_days after the event have passed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the expired events; erase nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        if dry_run:
            for event in expired_events():
                self.stdout.write(
                    f"event {event.pk}: expired (retention {event.retention_days} days)"
                )
            return
        done = erase_expired()
        for item in done:
            self.stdout.write(f"event {item.event_id}: {item.erased} registrants erased")
        self.stdout.write(f"{sum(i.erased for i in done)} registrants erased in {len(done)} events")
