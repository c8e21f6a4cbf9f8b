"""Top-level routes: the API, its schema and docs, the admin, the pages."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import health
from dashboard.views import errors

urlpatterns = [
    # Probes: config.health.HealthMiddleware answers these before the host
    # check and sessions; the routes name them here too.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include("registrants.api.urls")),
    path("api/v1/", include("imports.api_urls")),
    path("api/v1/", include("signup.api_urls")),
    path("api/v1/", include("webhooks.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (the
    # Content-Security-Policy refuses inline scripts); its page keeps one
    # small inline <style>.
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("", include("dashboard.urls")),
    path("", include("gateway.urls")),
    path("", include("imports.urls")),
    path("", include("badges.urls")),
    path("", include("mail.urls")),
    path("", include("signup.urls")),
    path("", include("webhooks.urls")),
]

# Pages get the dashboard's templates; paths under /api/ keep the API's
# error shape (the handlers delegate to registrants.api.errors there).
handler403 = errors.forbidden
handler404 = errors.page_not_found
handler500 = errors.server_error
