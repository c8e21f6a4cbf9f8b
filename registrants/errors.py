"""The one domain error type. The API's exception handler maps it to HTTP."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refused operation, with a machine-readable code.

    `code` decides the HTTP status (see HTTP_STATUS), `message` is shown to
    people, `fields` maps input fields to their problems and `details` carries
    structured context (current status, allowed targets, the registrant).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.details = details or {}


HTTP_STATUS = {
    "validation_error": 400,
    "permission_denied": 403,
    "not_found": 404,
    "invalid_transition": 409,
    "event_full": 409,
    "event_closed": 409,
    "registration_closed": 409,  # the public registration page is not open (signup app)
    "cancelled": 409,
    "erased": 409,
    "no_offer": 409,
    "waitlisted": 409,
    "conflict": 409,
    "capacity_below_seats_taken": 409,
    "event_has_registrants": 409,
    "company_exists": 409,
    "company_has_registrants": 409,
    "duplicate_import": 409,
    "wrong_event": 409,
    "event_mismatch": 409,
    "nonce_reused": 409,
    "service_unavailable": 503,  # a service we depend on is down; see Retry-After
}


def http_status_for(code: str) -> int:
    return HTTP_STATUS.get(code, 400)
