"""Search that ignores accents and case, indexed on PostgreSQL.

PostgreSQL: the unaccent and pg_trgm extensions (both "trusted" since
PostgreSQL 13: the database's owner may create them), an IMMUTABLE wrapper
`rd_fold(text)` = lower(unaccent(text)) that names its dictionary and schema
(so that it is safe to index whatever the search_path), and trigram GIN
indexes over the folded registrant name and email and company name, which
serve `rd_fold(col) LIKE '%term%'` (registrants/search.py,
docs/decisions/0060).

SQLite: nothing here. The fold is a Python function registered on each
connection (registrants/search.py); an index over it would make every
writer (a bare sqlite3 connection included) need the function too.
"""

from django.db import migrations

INDEXES = {
    "registrant_name_fold_trgm": ("registrants_registrant", "name"),
    "registrant_email_fold_trgm": ("registrants_registrant", "email"),
    "company_name_fold_trgm": ("registrants_company", "name"),
}


def create_fold(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(n.nspname) FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'"
        )
        (schema,) = cursor.fetchone()
    # unaccent() itself is only STABLE (its dictionary could change); the
    # two-argument form with a fixed dictionary is what may be declared
    # IMMUTABLE and indexed.
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION rd_fold(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
        f"$$ SELECT lower({schema}.unaccent('{schema}.unaccent'::regdictionary, $1)) $$"
    )
    for index, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {table} "
            f"USING gin (rd_fold({column}) gin_trgm_ops)"
        )


def drop_fold(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")
    schema_editor.execute("DROP FUNCTION IF EXISTS rd_fold(text)")


class Migration(migrations.Migration):
    dependencies = [("registrants", "0008_status_changes_hot")]

    operations = [migrations.RunPython(create_fold, drop_fold)]
