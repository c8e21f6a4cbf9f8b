"""The gateway's organiser routes, included by registrants/api/urls.py.

Ids are at most 18 digits: a longer number is a 404, not a driver overflow.
"""

from django.urls import re_path

from . import api

EVENT = r"^events/(?P<event_id>[0-9]{1,18})/"

urlpatterns = [
    re_path(EVENT + r"devices/$", api.DeviceListView.as_view(), name="event-devices"),
    re_path(
        EVENT + r"devices/(?P<device_id>[0-9]{1,18})/$",
        api.DeviceRevokeView.as_view(),
        name="event-device",
    ),
    re_path(
        EVENT + r"scan-conflicts/$",
        api.ScanConflictListView.as_view(),
        name="event-scan-conflicts",
    ),
]
