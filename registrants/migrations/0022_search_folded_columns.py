"""The registrant's name and email kept folded, on PostgreSQL.

PostgreSQL: two stored generated columns, `name_folded` and
`email_folded` (= rd_fold of the column, computed by the server on every
write, whoever writes), and the trigram indexes over them in place of
0009's indexes over rd_fold(name) and rd_fold(email). A trigram index
finds candidates only; each one is checked again against the row, and
rd_fold (unaccent through an SQL wrapper, which PostgreSQL does not
inline) costs about 2 microseconds a call: reading the stored value
instead halves a searched list page at a million registrants
(docs/decisions/0250). The model does not declare the columns: only
registrants/search.py reads them.

Rewrites the table and its indexes, holding off readers and writers: 44 s
at 1,500,000 registrants on the bench machine (docs/operations.md, upgrade
notes), then vacuums it.

SQLite: nothing here; it has no trigram index and folds while it reads.
"""

from django.db import migrations

TABLE = "registrants_registrant"
# Trigram index -> (the folded column it indexes, the column it folds).
INDEXES = {
    "registrant_name_fold_trgm": ("name_folded", "name"),
    "registrant_email_fold_trgm": ("email_folded", "email"),
}


def add_folded_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Dropped first, so that the table's rewrite does not rebuild them.
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")
    columns = ", ".join(
        f"ADD COLUMN {folded} text GENERATED ALWAYS AS (rd_fold({column})) STORED"
        for folded, column in INDEXES.values()
    )
    schema_editor.execute(f"ALTER TABLE {TABLE} {columns}")
    for index, (folded, _column) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {index} ON {TABLE} USING gin ({folded} gin_trgm_ops)")


def vacuum(apps, schema_editor):
    """A rewritten table has no visibility map: until a vacuum, the reads
    that answer from an index alone visit the table too (seconds here,
    outside any transaction, as VACUUM must be)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"VACUUM (ANALYZE) {TABLE}")


def drop_folded_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, (folded, column) in INDEXES.items():
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {folded}")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {TABLE} "
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
