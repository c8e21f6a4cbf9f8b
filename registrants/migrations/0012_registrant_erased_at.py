"""Deleting a registrant erases the person and keeps the registration.

`erased_at` marks an erased registrant (registrants/erasure.py). History
rows PROTECT their registrant instead of going with it: no past figure
(arrivals, occupancy, counts) changes when someone is deleted. Both are
free on both databases: a nullable column, and on_delete is Django's alone
(the foreign key never had ON DELETE CASCADE), so statuschange is not
rebuilt on SQLite and its append-only trigger stays (see 0005).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registrants', '0011_check_in_codes_no_formula_start'),
    ]

    operations = [
        migrations.AddField(
            model_name='registrant',
            name='erased_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='statuschange',
            name='registrant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='history', to='registrants.registrant'),
        ),
    ]
