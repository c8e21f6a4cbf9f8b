"""How the OpenAPI schema describes the API's token authentication.

BearerOrTokenAuthentication is our own class (tokens are stored hashed in
accounts.ApiToken, not DRF's authtoken table), so drf-spectacular needs to
be told what it is: an HTTP bearer scheme. Imported by the app's ready()."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "registrants.api.authentication.BearerOrTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token: `Authorization: Bearer <token>` (or `Token <token>`). "
                "Create one with `manage.py create_user --token` or on the admin's API tokens page."
            ),
        }
