"""Status history's `event` without a database foreign key.

The column repeats the registrant's event for the dashboard's indexes. Its
constraint added nothing the registrant's own keys do not already
guarantee (a history row needs its registrant, the registrant its event;
the event cannot go while either exists), and it cost one check per history
row written: about 0.8 s of PostgreSQL's CPU per 100,000 imported rows
(docs/decisions/0006). That every row carries its registrant's event is
invariant I2 (registrants/tests/invariants.py), checked after every
concurrency scenario.

On SQLite the AlterField rebuilds the table, so the append-only guard is
installed again after it, and before the rebuild that undoing it does (as
in 0006).
"""

import django.db.models.deletion
from importlib import import_module

from django.db import migrations, models


# The guard's own migration (its module name starts with a digit).
GUARD = import_module("registrants.migrations.0002_roles_and_history_guard")


class Migration(migrations.Migration):
    dependencies = [("registrants", "0006_statuschange_at_no_index")]

    operations = [
        # Backwards this runs last, after the rebuild that restores the key.
        migrations.RunPython(migrations.RunPython.noop, GUARD.reinstall_guard),
        migrations.AlterField(
            model_name="statuschange",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="registrants.event",
            ),
        ),
        migrations.RunPython(GUARD.reinstall_guard, migrations.RunPython.noop),
    ]
