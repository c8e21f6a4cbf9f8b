"""Rebuild the registrant search's index on SQLite from the rows
(registrants/search_index.py; docs/operations.md "Search index on SQLite")."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from registrants import search_index


class Command(BaseCommand):
    help = "Rebuild the SQLite search index (names and emails, folded) and its triggers."

    def handle(self, *args, **options):
        if connection.vendor != "sqlite":
            raise CommandError("Only SQLite has this index (PostgreSQL's are trigram indexes).")
        started = time.perf_counter()
        with transaction.atomic():
            search_index.install(connection)
        seconds = time.perf_counter() - started
        self.stdout.write(f"Search index rebuilt from the rows in {seconds:.1f} s.")
