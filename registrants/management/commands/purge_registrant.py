"""Delete one erased registrant for good, with its status history
(registrants/purge.py). For operators: past figures of its event change."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from registrants.errors import ApplicationError
from registrants.models import StatusChange
from registrants.purge import registrant_purge

WARNING = (
    "This deletes registrant {id} and its {rows} status history rows for good. "
    "The event's past figures (totals, arrivals, occupancy, counts per status) "
    "will change. It cannot be undone."
)


class Command(BaseCommand):
    help = "Delete an erased registrant and its history for good (past figures change)."

    def add_arguments(self, parser):
        parser.add_argument("registrant_id", type=int)
        parser.add_argument("--yes", action="store_true", help="Really delete.")

    def handle(self, *args, registrant_id: int, yes: bool = False, **options):
        rows = StatusChange.objects.filter(registrant_id=registrant_id).count()
        warning = WARNING.format(id=registrant_id, rows=rows)
        if not yes:
            raise CommandError(f"{warning} Run again with --yes to do it.")
        try:
            deleted = registrant_purge(registrant_id=registrant_id)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Registrant {registrant_id} purged with {deleted} history rows.")
