"""Every scan conflict belongs to the event where it was scanned.

Rows kept before this had an event only when the gateway could tell one,
and a device's `wrong_event` conflict was filed under the badge's event.
Now: a device's conflict belongs to the device's event; one sent with a
person's token keeps the event it had, or takes its registrant's. A row
with none of these (an unknown code sent with a person's token, before
batches named their event) belongs to no event that could show it, and is
deleted. docs/decisions/0011-scan-conflicts.md.
"""

from django.db import migrations, models


def attach_to_events(apps, schema_editor):
    ScanConflict = apps.get_model("gateway", "ScanConflict")
    DeviceToken = apps.get_model("gateway", "DeviceToken")
    Registrant = apps.get_model("registrants", "Registrant")
    device_event = DeviceToken.objects.filter(pk=models.OuterRef("device_id")).values("event_id")
    ScanConflict.objects.filter(device__isnull=False).update(
        event_id=models.Subquery(device_event[:1])
    )
    registrant_event = Registrant.objects.filter(pk=models.OuterRef("registrant_id")).values(
        "event_id"
    )
    ScanConflict.objects.filter(event__isnull=True, registrant__isnull=False).update(
        event_id=models.Subquery(registrant_event[:1])
    )
    ScanConflict.objects.filter(event__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("gateway", "0001_initial"),
        ("registrants", "0013_scanreceipt_fingerprint"),
    ]

    operations = [
        migrations.RunPython(attach_to_events, migrations.RunPython.noop),
    ]
