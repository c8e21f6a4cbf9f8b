"""The events page puts today's event first and marks it."""

from __future__ import annotations

import datetime

from django.utils import timezone

from registrants.tests.factories import EventFactory


def test_todays_event_comes_first_and_is_marked_today(org_web):
    today = timezone.localdate()
    EventFactory(name="Next month", date=today + datetime.timedelta(days=30))
    EventFactory(name="Tonight", date=today)
    EventFactory(name="Last year", date=today - datetime.timedelta(days=365))
    html = org_web.get("/").content.decode()
    positions = [html.index(name) for name in ("Tonight", "Next month", "Last year")]
    assert positions == sorted(positions)
    assert html.count('class="tag tag--today">Today</span>') == 1
    assert html.index("Today</span>") < html.index("Next month")
