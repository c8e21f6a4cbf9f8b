"""The webhooks API, mounted under /api/v1/ by config.urls."""

from django.urls import re_path

from . import api

ID = r"(?P<id>[0-9]{1,18})"  # as the API's routers: longer ids cannot exist

app_name = "webhooks-api"

urlpatterns = [
    re_path(rf"^events/{ID}/webhooks/$", api.EventEndpointsView.as_view(), name="list"),
    re_path(rf"^webhooks/{ID}/$", api.EndpointView.as_view(), name="detail"),
    re_path(rf"^webhooks/{ID}/deliveries/$", api.DeliveriesView.as_view(), name="deliveries"),
    re_path(rf"^webhook-deliveries/{ID}/replay/$", api.ReplayView.as_view(), name="replay"),
]
