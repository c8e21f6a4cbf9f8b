"""The operators' hard purge (manage.py purge_registrant): refused without
--yes and for a registrant not erased; with both, the registrant and its
history go, the figures change, and the audit log keeps an id-only row.
Both databases."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from audit.models import Action, AuditEntry
from registrants import services
from registrants.models import Registrant, StatusChange
from registrants.tests.factories import make_registrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(event):
    return make_registrant(event, name="Ada", status="entered")


def test_without_yes_nothing_happens_and_the_figures_change_warning_is_given(ada):
    services.registrant_delete(registrant_id=ada.pk)
    with pytest.raises(CommandError, match="past figures .* will change"):
        call_command("purge_registrant", str(ada.pk))
    assert Registrant.objects.filter(pk=ada.pk).exists()
    assert StatusChange.objects.filter(registrant_id=ada.pk).count() == 3


def test_a_registrant_not_erased_is_refused(ada):
    with pytest.raises(CommandError, match="erase"):
        call_command("purge_registrant", str(ada.pk), "--yes")
    assert StatusChange.objects.filter(registrant_id=ada.pk).count() == 3


def test_an_unknown_registrant_is_refused(db):
    with pytest.raises(CommandError, match="No such registrant"):
        call_command("purge_registrant", "999999", "--yes")


def test_purging_deletes_the_row_and_its_history_and_changes_the_figures(org_client, event, ada):
    make_registrant(event, name="Bob", status="entered")
    services.registrant_delete(registrant_id=ada.pk)
    before = org_client.get(f"/api/v1/events/{event.pk}/stats/").json()
    out = io.StringIO()
    call_command("purge_registrant", str(ada.pk), "--yes", stdout=out)
    assert "purged with 3 history rows" in out.getvalue()
    assert not Registrant.objects.filter(pk=ada.pk).exists()
    assert not StatusChange.objects.filter(registrant_id=ada.pk).exists()
    after = org_client.get(f"/api/v1/events/{event.pk}/stats/").json()
    assert (before["total"], after["total"]) == (2, 1)
    row = AuditEntry.objects.get(action=Action.REGISTRANT_PURGED)
    assert (row.registrant_id, row.event_id, row.actor_name) == (ada.pk, event.pk, "system")
    assert row.details == {"history_rows": 3}
    # The erasure's row outlives the person too.
    assert AuditEntry.objects.filter(action=Action.REGISTRANT_ERASED, registrant_id=ada.pk).exists()
