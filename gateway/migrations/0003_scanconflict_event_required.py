"""The event of a scan conflict is required (0002 gave every row one); the
cap per scanner and event (gateway/conflicts.py) counts on a new index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gateway", "0002_conflicts_belong_to_an_event"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="scanconflict",
            name="event",
            field=models.ForeignKey(
                help_text=(
                    "The event where it was scanned (the device's, or the one the batch named)."
                ),
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="registrants.event",
            ),
        ),
        migrations.AddIndex(
            model_name="scanconflict",
            index=models.Index(fields=["actor", "event"], name="scanconflict_actor_event"),
        ),
    ]
