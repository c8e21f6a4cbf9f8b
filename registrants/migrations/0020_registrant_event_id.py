"""The registrant list's default order per event, newest first, as an index
(event, id): with the event filtered as a range, it serves page 1 and page
1,000 alike (registrants/keyset.py, docs/decisions/0195). It holds no
`status`, so status changes stay HOT updates (decision 0134)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registrants", "0019_event_counters")]

    operations = [
        migrations.AddIndex(
            model_name="registrant",
            index=models.Index(fields=["event", "id"], name="registrant_event_id"),
        ),
    ]
