"""The outbox: every history row of an event with active webhook endpoints
gets one delivery row per endpoint, written by the database in the same
transaction as the row itself.

A trigger rather than code in each writer: the services, the gateway's SQL,
the COPY-based import, the SQLite import's INSERT ... SELECT, bulk actions
and the seeders all insert history rows, and none of them can forget it
(docs/decisions/0225-webhook-outbox-trigger.md).

PostgreSQL: one statement-level trigger with the inserted rows as a
transition table, so a 100,000-row COPY runs it once; without any active
endpoint it stops after one probe of the endpoint table. SQLite has only
row triggers; its WHEN clause is the same probe per row.

A later migration that rebuilds the history table on SQLite (an AlterField
there copies the table) drops this trigger with the old table and must
install it again, as 0005 does for the history guard: with the install_trigger
of 0003, which also honours each endpoint's event_types.
"""

from django.db import migrations

HISTORY = "registrants_statuschange"
DELIVERY = "webhooks_delivery"
ENDPOINT = "webhooks_endpoint"
NAME = "webhooks_record_deliveries"
COLUMNS = "endpoint_id, status_change_id, registrant_id, state, attempts, next_attempt_at, body, created_at"

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
    ORDER BY n.id, e.id;
    RETURN NULL;
END
$$""",
    f"DROP TRIGGER IF EXISTS {NAME} ON {HISTORY}",
    f"""
CREATE TRIGGER {NAME} AFTER INSERT ON {HISTORY}
REFERENCING NEW TABLE AS new_history
FOR EACH STATEMENT EXECUTE FUNCTION {NAME}()""",
]
PG_REMOVE = [f"DROP TRIGGER IF EXISTS {NAME} ON {HISTORY}", f"DROP FUNCTION IF EXISTS {NAME}()"]

SQLITE_INSTALL = [
    f"DROP TRIGGER IF EXISTS {NAME}",
    f"""
CREATE TRIGGER {NAME} AFTER INSERT ON {HISTORY}
WHEN EXISTS (SELECT 1 FROM {ENDPOINT} WHERE event_id = NEW.event_id AND active)
BEGIN
    INSERT INTO {DELIVERY} ({COLUMNS})
    SELECT e.id, NEW.id, NEW.registrant_id, 'pending', 0, NEW.at, '', NEW.at
    FROM {ENDPOINT} e WHERE e.event_id = NEW.event_id AND e.active ORDER BY e.id;
END""",
]
SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {NAME}"]


def install_trigger(apps, schema_editor):
    """Install (or reinstall) the outbox trigger on the history table."""
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in PG_INSTALL if pg else SQLITE_INSTALL:
        schema_editor.execute(sql)


def remove_trigger(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in PG_REMOVE if pg else SQLITE_REMOVE:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    # After the registrants migrations that may rebuild the history table on
    # SQLite (which drops its triggers): the counters are the last.
    dependencies = [("webhooks", "0001_initial"), ("registrants", "0020_registrant_event_id")]

    operations = [migrations.RunPython(install_trigger, remove_trigger)]
