"""The public registration pages, mounted at the site root by config.urls."""

from django.urls import path

from registrants import pages  # noqa: F401  (registers the "id" converter)

from . import views

app_name = "signup"

urlpatterns = [
    path("register/<id:event_id>/", views.register, name="register"),
    path("register/<id:event_id>/thanks/<str:token>/", views.thanks, name="thanks"),
    path(
        "register/<id:event_id>/companies.json",
        views.company_suggestions,
        name="company_suggestions",
    ),
]
