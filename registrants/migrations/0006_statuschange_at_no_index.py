"""Drop the index on status history's `at` alone.

Nothing filters or orders history by `at` alone: the dashboard's arrivals
and occupancy read (event_id, to_status, at), which statuschange_event_to_at
covers, and the feeds go by id. The index cost one entry per history row
written (about 0.3 s of PostgreSQL's CPU per 100,000 imported rows,
docs/benchmarks.md).

On SQLite the AlterField rebuilds the table and the append-only trigger goes
with the old one (as in 0004), so the guard is installed again after it, and
before the rebuild that undoing it does (see 0005).
"""

from importlib import import_module

from django.db import migrations, models


# The guard's own migration (its module name starts with a digit).
GUARD = import_module("registrants.migrations.0002_roles_and_history_guard")


class Migration(migrations.Migration):
    dependencies = [("registrants", "0005_restore_history_guard")]

    operations = [
        # Backwards this runs last, after the rebuild that restores the index.
        migrations.RunPython(migrations.RunPython.noop, GUARD.reinstall_guard),
        migrations.AlterField(
            model_name="statuschange",
            name="at",
            field=models.DateTimeField(),
        ),
        migrations.RunPython(GUARD.reinstall_guard, migrations.RunPython.noop),
    ]
