"""Badge routes, mounted at the site root by config.urls."""

from django.urls import path

from registrants import pages  # noqa: F401  (registers the "id" converter)

from . import views

app_name = "badges"

urlpatterns = [
    path("registrants/<id:pk>/badge.pdf", views.registrant_badge, name="registrant"),
    path("events/<id:event_id>/badges/", views.event_badges, name="event"),
    path("events/<id:event_id>/badges/layout/", views.event_badges_layout, name="layout"),
    path("events/<id:event_id>/badges.pdf", views.event_badges_pdf, name="event_pdf"),
    path("events/<id:event_id>/checkin-sheet.pdf", views.checkin_sheet, name="checkin_sheet"),
]
