"""The gateway's pages (Django), mounted at the site root by config.urls."""

from django.urls import re_path

from . import views

app_name = "gateway"

urlpatterns = [
    re_path(r"^events/(?P<event_id>[0-9]{1,18})/conflicts/$", views.conflicts, name="conflicts"),
    re_path(
        r"^events/(?P<event_id>[0-9]{1,18})/conflicts/clear/$",
        views.conflicts_clear,
        name="conflicts_clear",
    ),
]
