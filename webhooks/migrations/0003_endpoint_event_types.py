"""Endpoints choose the kinds of change they receive: `event_types`, a list
of payload types, empty meaning every kind (so existing endpoints keep
receiving everything). The outbox trigger of 0002 is replaced by one that
writes a delivery only for a kind the endpoint chose.

A history row's kind is decided as payloads.event_type decides it: no
from-status is `registrant.registered`, anything else
`registrant.status_changed`. The strings are written out here because a
migration must not change when the code does; a new kind needs a new
migration of the trigger.

A later migration that rebuilds the history table on SQLite must reinstall
the trigger with install_trigger below (docs/decisions/0225).
"""

from importlib import import_module

from django.db import migrations, models

# 0002 stays as it was: its names, its trigger statements and its removal
# are reused; the function (PostgreSQL) and the row trigger (SQLite) change.
previous = import_module("webhooks.migrations.0002_outbox_trigger")
HISTORY, DELIVERY, ENDPOINT = previous.HISTORY, previous.DELIVERY, previous.ENDPOINT
NAME, COLUMNS = previous.NAME, previous.COLUMNS
PG_REMOVE, SQLITE_REMOVE = previous.PG_REMOVE, previous.SQLITE_REMOVE


def _kind(row: str) -> str:
    return (
        f"CASE WHEN COALESCE({row}.from_status, '') = '' "
        "THEN 'registrant.registered' ELSE 'registrant.status_changed' END"
    )


PG_INSTALL = [
    f"""
CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM {ENDPOINT} WHERE active) THEN
        RETURN NULL;
    END IF;
    INSERT INTO {DELIVERY} ({COLUMNS})
    SELECT e.id, n.id, n.registrant_id, 'pending', 0, n.at, '', n.at
    FROM new_history n JOIN {ENDPOINT} e ON e.event_id = n.event_id AND e.active
        AND (e.event_types = '[]'::jsonb OR e.event_types ? ({_kind("n")}))
    ORDER BY n.id, e.id;
    RETURN NULL;
END
$$""",
    *previous.PG_INSTALL[1:],  # the statement-level trigger that calls it
]

SQLITE_INSTALL = [
    f"DROP TRIGGER IF EXISTS {NAME}",
    f"""
CREATE TRIGGER {NAME} AFTER INSERT ON {HISTORY}
WHEN EXISTS (SELECT 1 FROM {ENDPOINT} WHERE event_id = NEW.event_id AND active)
BEGIN
    INSERT INTO {DELIVERY} ({COLUMNS})
    SELECT e.id, NEW.id, NEW.registrant_id, 'pending', 0, NEW.at, '', NEW.at
    FROM {ENDPOINT} e WHERE e.event_id = NEW.event_id AND e.active
        AND (json_array_length(e.event_types) = 0
             OR EXISTS (SELECT 1 FROM json_each(e.event_types) k WHERE k.value = {_kind("NEW")}))
    ORDER BY e.id;
END""",
]


def install_trigger(apps, schema_editor):
    """Install (or reinstall) the outbox trigger that honours event_types."""
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in PG_INSTALL if pg else SQLITE_INSTALL:
        schema_editor.execute(sql)


def remove_trigger(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in PG_REMOVE if pg else SQLITE_REMOVE:
        schema_editor.execute(sql)


def install_previous_trigger(apps, schema_editor):
    # Backwards: 0002's trigger, which does not read the removed column.
    previous.install_trigger(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_outbox_trigger")]

    # SQLite adds the column by rebuilding the endpoint table, which a trigger
    # naming that table stops: the trigger goes first and comes back last
    # (one transaction: no change goes unrecorded in between).
    operations = [
        migrations.RunPython(remove_trigger, install_previous_trigger),
        migrations.AddField(
            model_name="endpoint",
            name="event_types",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(install_trigger, remove_trigger),
    ]
