"""Status changes as HOT updates on PostgreSQL.

A status change (a scan at the door above all) rewrote an entry in every
index of the registrant table, because `status` was in one of them
(`registrant_event_status`). With no index on `status` and free room left
in each page (fillfactor 80), PostgreSQL updates the row in place ("heap
only tuple") and touches no index: about a quarter less PostgreSQL CPU per
scan (docs/benchmarks.md). What the index served (seat counting, status
filters) reads the event's rows through its other indexes instead; the cost,
measured at 100,000 registrants in an event (bench/status_reads.py), is in
docs/decisions/0134, and for the seat count in 0002.

The fillfactor applies to pages written from now on; an existing table gets
it everywhere after a rewrite (VACUUM FULL at a quiet hour, optional).
SQLite has no such setting and only drops the index.
"""

from django.db import migrations

TABLE = "registrants_registrant"


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 80)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("registrants", "0007_statuschange_event_no_constraint")]

    operations = [
        migrations.RemoveIndex(model_name="registrant", name="registrant_event_status"),
        migrations.RunPython(set_fillfactor, reset_fillfactor),
    ]
