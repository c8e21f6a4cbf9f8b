"""The registrant's name and email and the company's name kept folded, on
PostgreSQL.

PostgreSQL: stored generated columns, the registrant's `name_folded` and
`email_folded` and the company's `name_folded` (= rd_fold of the column,
computed by the server on every write, whoever writes), and the trigram
indexes over them in place of 0009's indexes over rd_fold(...). A trigram
index finds candidates only; each one is checked again against the row,
and rd_fold (unaccent through an SQL wrapper, which PostgreSQL does not
inline) costs about 1.5 microseconds a call: reading the stored value
instead makes a searched list page's query 2-3 times faster at a million
registrants (docs/decisions/0250). The model does not declare the
columns: only registrants/search.py reads them.

Rewrites the tables and their indexes, holding off readers and writers:
44-64 s for 1,500,000 registrants on the bench machine (docs/operations.md,
upgrade notes), then vacuums them.

SQLite: nothing here; it has no trigram index and folds while it reads.
"""

from django.db import migrations

# Trigram index -> (table, the folded column it indexes, the column it folds).
INDEXES = {
    "registrant_name_fold_trgm": ("registrants_registrant", "name_folded", "name"),
    "registrant_email_fold_trgm": ("registrants_registrant", "email_folded", "email"),
    "company_name_fold_trgm": ("registrants_company", "name_folded", "name"),
}
TABLES = ("registrants_registrant", "registrants_company")


def add_folded_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Dropped first, so that the tables' rewrite does not rebuild them.
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")
    for table in TABLES:
        columns = ", ".join(
            f"ADD COLUMN {folded} text GENERATED ALWAYS AS (rd_fold({column})) STORED"
            for of_table, folded, column in INDEXES.values()
            if of_table == table
        )
        schema_editor.execute(f"ALTER TABLE {table} {columns}")
    for index, (table, folded, _column) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {index} ON {table} USING gin ({folded} gin_trgm_ops)")


def vacuum(apps, schema_editor):
    """A rewritten table has no visibility map: until a vacuum, the reads
    that answer from an index alone visit the table too (seconds here,
    outside any transaction, as VACUUM must be)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")


def drop_folded_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, (table, folded, column) in INDEXES.items():
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {folded}")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {table} "
            f"USING gin (rd_fold({column}) gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    # The columns and indexes in one transaction; the vacuum after it.
    atomic = False
    dependencies = [("registrants", "0021_company_tally")]

    operations = [
        migrations.RunPython(add_folded_columns, drop_folded_columns, atomic=True),
        migrations.RunPython(vacuum, migrations.RunPython.noop),
    ]
