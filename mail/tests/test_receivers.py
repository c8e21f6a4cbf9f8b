"""Which history rows call for which message (before the event's settings)."""

from __future__ import annotations

import pytest

from mail.models import Kind
from mail.rules import kind_for
from registrants.models import Source, StatusChange


@pytest.mark.parametrize(
    ("from_status", "to_status", "source", "kind"),
    [
        ("", "registered", Source.API, Kind.CONFIRMATION),
        ("", "registered", Source.DASHBOARD, Kind.CONFIRMATION),
        ("", "registered", Source.IMPORT, None),  # the reminder mails imported lists
        ("waitlisted", "registered", Source.SYSTEM, Kind.CONFIRMATION),  # a promotion
        ("cancelled", "registered", Source.DASHBOARD, Kind.CONFIRMATION),  # a reinstatement
        ("checked_in", "registered", Source.DASHBOARD, None),  # an undo: they have the ticket
        ("registered", "checked_in", Source.SCAN, None),
        ("registered", "cancelled", Source.API, Kind.CANCELLATION),
        ("waitlisted", "cancelled", Source.SYSTEM, Kind.CANCELLATION),
        ("", "waitlisted", Source.API, None),
    ],
)
def test_the_message_a_history_row_calls_for(from_status, to_status, source, kind):
    change = StatusChange(from_status=from_status, to_status=to_status, source=source)
    assert kind_for(change) == kind
