"""Company keys under the new normalisation (legal forms, punctuation and
accents folded): companies that now share a key are merged into the oldest
(registrants move, history untouched, the younger ones deleted). See
registrants/company_keys.py. Not reversible: merged companies stay merged.
"""

from django.db import migrations


def renormalize(apps, schema_editor):
    from registrants.company_keys import companies_renormalize

    companies_renormalize(
        company_model=apps.get_model("registrants", "Company"),
        registrant_model=apps.get_model("registrants", "Registrant"),
    )


class Migration(migrations.Migration):
    dependencies = [("registrants", "0009_search_fold")]

    operations = [migrations.RunPython(renormalize, migrations.RunPython.noop)]
