"""Role groups, and a database guard that keeps status history append-only."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from registrants.roles import sync_role_groups

    sync_role_groups(apps)


PG_GUARD = """
CREATE OR REPLACE FUNCTION registrants_statuschange_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'status history is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER registrants_statuschange_no_update
    BEFORE UPDATE ON registrants_statuschange
    FOR EACH ROW EXECUTE FUNCTION registrants_statuschange_append_only();
"""
PG_UNGUARD = """
DROP TRIGGER IF EXISTS registrants_statuschange_no_update ON registrants_statuschange;
DROP FUNCTION IF EXISTS registrants_statuschange_append_only();
"""
SQLITE_GUARD = """
CREATE TRIGGER registrants_statuschange_no_update
BEFORE UPDATE ON registrants_statuschange
BEGIN
    SELECT RAISE(ABORT, 'status history is append-only');
END;
"""
SQLITE_UNGUARD = "DROP TRIGGER IF EXISTS registrants_statuschange_no_update;"


def add_guard(apps, schema_editor):
    # Deletes are left to Django: they happen only by cascade from a deleted
    # registrant, which the database cannot tell apart from a direct delete.
    sql = PG_GUARD if schema_editor.connection.vendor == "postgresql" else SQLITE_GUARD
    schema_editor.execute(sql)


def remove_guard(apps, schema_editor):
    sql = PG_UNGUARD if schema_editor.connection.vendor == "postgresql" else SQLITE_UNGUARD
    schema_editor.execute(sql)


def reinstall_guard(apps, schema_editor):
    """Drop the guard where it survived and install it again: for the later
    migrations whose AlterField rebuilds statuschange on SQLite, which drops
    the trigger with the old table (0005, 0006, 0007)."""
    remove_guard(apps, schema_editor)
    add_guard(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("registrants", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(add_guard, remove_guard),
    ]
