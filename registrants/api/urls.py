from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("events", views.EventViewSet, basename="event")
router.register("companies", views.CompanyViewSet, basename="company")
router.register("registrants", views.RegistrantViewSet, basename="registrant")

urlpatterns = [
    path("scan/", views.ScanView.as_view(), name="scan"),
    *router.urls,
    path("", include("gateway.api_urls")),
]
