"""The Webhooks page, mounted at the site root by config.urls."""

from django.urls import path

from registrants import pages  # noqa: F401  (registers the `id` converter)

from . import views

app_name = "webhooks"

urlpatterns = [
    path("events/<id:event_id>/webhooks/", views.webhooks_page, name="page"),
    path("webhooks/<id:endpoint_id>/action/", views.endpoint_action, name="action"),
    path("webhook-deliveries/<id:delivery_id>/replay/", views.delivery_replay, name="replay"),
]
