"""presenters.local_times: the formatting of local_time, for many times at once."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from registrants.presenters import format_local, local_time, local_times

# Across London's change of clocks: the same UTC hour reads differently.
TIMES = [
    datetime.datetime(2026, 3, 28, 23, 30, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 29, 0, 59, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 29, 1, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 31, 23, 59, tzinfo=datetime.UTC),
]


@pytest.mark.parametrize("with_date", [False, True])
@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Kolkata", "UTC"])
def test_local_times_format_as_local_time_in_the_active_zone(zone, with_date):
    with timezone.override(zone):
        assert local_times(TIMES, with_date=with_date) == [
            local_time(at, with_date=with_date) for at in TIMES
        ]
        labels = local_times(TIMES, with_date=with_date)
    if zone == "Europe/London" and not with_date:
        assert labels[:3] == ["23:30", "00:59", "02:00"]  # clocks went forward at 01:00 UTC
    if with_date and zone == "Asia/Kolkata":
        assert labels[-1] == "01 Jan 05:29"


def test_the_words_are_strftimes_for_every_month_day_and_minute_of_the_clock():
    """format_local writes what strftime's "%d %b %H:%M" and "%H:%M" write."""
    start = datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.UTC)
    for step in range(0, 366 * 24 * 60, 97):  # every month, day and hour, odd minutes
        at = start + datetime.timedelta(minutes=step)
        assert format_local(at) == at.strftime("%H:%M")
        assert format_local(at, with_date=True) == at.strftime("%d %b %H:%M")
