"""The registrant search's FTS5 trigram index on SQLite, filled from the
rows, and the triggers that keep it (registrants/search_index.py,
docs/decisions/0270): about 1.2 s for 110,000 registrants (docs/operations.md).

PostgreSQL: nothing here (its trigram indexes are 0022's).
"""

from django.db import migrations


def install(apps, schema_editor):
    from registrants import search_index

    search_index.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from registrants import search_index

    search_index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("registrants", "0022_search_folded_columns")]

    operations = [migrations.RunPython(install, uninstall)]
