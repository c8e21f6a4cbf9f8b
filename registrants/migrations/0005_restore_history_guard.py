"""Put the append-only guard on status history back where 0004 lost it.

On SQLite, 0004's AlterField on statuschange rebuilt the table (create a
copy, move the rows, drop the old one), and the BEFORE UPDATE trigger from
0002 went with the old table: history was editable again on the embedded
default. PostgreSQL alters in place and kept it. This installs the guard
again on both (dropping it first where it survived), so any database that
ran 0004 is guarded again.

Any later migration that alters statuschange on SQLite must do the same
(registrants/tests/test_history.py's H4 tests fail if it does not).
"""

from importlib import import_module

from django.db import migrations


# The guard's own migration (its module name starts with a digit).
GUARD = import_module("registrants.migrations.0002_roles_and_history_guard")


class Migration(migrations.Migration):
    dependencies = [("registrants", "0004_drop_redundant_indexes")]

    operations = [migrations.RunPython(GUARD.reinstall_guard, migrations.RunPython.noop)]
