from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from . import privacy, views, waitlist

router = SimpleRouter(trailing_slash=True)
router.register("events", views.EventViewSet, basename="event")
router.register("companies", views.CompanyViewSet, basename="company")
router.register("registrants", views.RegistrantViewSet, basename="registrant")

urlpatterns = [
    path("scan/", views.ScanView.as_view(), name="scan"),
    path("audit/", privacy.AuditLogView.as_view(), name="audit-log"),
    re_path(
        rf"^registrants/(?P<id>{views.ID_REGEX})/personal-data/$",
        privacy.PersonalDataView.as_view(),
        name="registrant-personal-data",
    ),
    re_path(
        rf"^events/(?P<event_id>{views.ID_REGEX})/waitlist/$",
        waitlist.EventWaitlistView.as_view(),
        name="event-waitlist",
    ),
    re_path(
        rf"^registrants/(?P<id>{views.ID_REGEX})/offers/$",
        waitlist.RegistrantOffersView.as_view(),
        name="registrant-offers",
    ),
    re_path(
        rf"^registrants/(?P<id>{views.ID_REGEX})/offers/accept/$",
        waitlist.OfferAcceptView.as_view(),
        name="registrant-offer-accept",
    ),
    *router.urls,
    path("", include("gateway.api_urls")),
]
