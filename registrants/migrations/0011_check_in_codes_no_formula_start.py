"""New codes for the registrants whose check-in code starts with "-".

A spreadsheet reads a cell starting with = + - @ (or tab, CR) as a formula,
so such a code reached CSV exports raw and showed as #NAME? (about 1 code
in 64; "-" is the only formula character of the URL-safe alphabet). New
codes never start with one (registrants.models.new_check_in_codes); this
gives the existing ones a new code drawn the same way.

Cost: the badge or ticket of each of these registrants (1 in 64) carries the
old code, which now answers 404 at the desk and the doors: print or send
those badges again (docs/decisions/0070). Irreversible: the old codes are
not kept anywhere.
"""

from django.db import migrations
from django.db.models import Q

BATCH = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def give_new_codes(apps, schema_editor):
    """Replace every code that starts with a formula character, in batches."""
    from registrants.models import new_check_in_codes

    Registrant = apps.get_model("registrants", "Registrant")
    starts = Q()
    for start in FORMULA_STARTS:
        starts |= Q(check_in_code__startswith=start)
    while True:
        batch = list(Registrant.objects.filter(starts).only("pk", "check_in_code")[:BATCH])
        if not batch:
            return
        for registrant, code in zip(batch, new_check_in_codes(len(batch)), strict=True):
            registrant.check_in_code = code
        Registrant.objects.bulk_update(batch, ["check_in_code"])


class Migration(migrations.Migration):
    dependencies = [("registrants", "0010_company_keys")]

    operations = [migrations.RunPython(give_new_codes, migrations.RunPython.noop)]
