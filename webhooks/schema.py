"""The webhook payloads in the OpenAPI schema (its `webhooks` section):
what an integrator's endpoint receives, version 1 (payloads.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from registrants.lifecycle import Status
from registrants.models import GuestType, Source

from .payloads import PAYLOAD_VERSION, TYPES
from .signing import HEADER, TOLERANCE_SECONDS


class _Change(serializers.Serializer):
    id = serializers.IntegerField()
    from_status = serializers.ChoiceField(
        choices=Status.choices, allow_null=True, help_text="null for a registration."
    )
    to_status = serializers.ChoiceField(choices=Status.choices)
    at = serializers.DateTimeField()
    # The payload's key; the stubs type Field.source as a string.
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    actor = serializers.CharField(
        allow_null=True, help_text="The user's name; null for the system."
    )
    note = serializers.CharField(allow_blank=True)


class _Registrant(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    company = serializers.CharField(allow_null=True)
    guest_type = serializers.ChoiceField(choices=GuestType.choices)
    status = serializers.ChoiceField(choices=Status.choices, help_text="The status when sent.")
    erased = serializers.BooleanField(help_text="true: name and email are placeholders.")
    check_in_code = serializers.CharField(
        required=False, help_text="Only for an endpoint allowed check-in codes."
    )


class _Data(serializers.Serializer):
    change = _Change()
    registrant = _Registrant()


class _EventRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class WebhookPayloadSerializer(serializers.Serializer):
    id = serializers.CharField(
        help_text="evt_<history row id>: the same for every retry and replay; deduplicate on it."
    )
    type = serializers.ChoiceField(choices=[(t, t) for t in TYPES])
    version = serializers.IntegerField(help_text=f"The payload's version, now {PAYLOAD_VERSION}.")
    created_at = serializers.DateTimeField()
    event = _EventRef()
    # The payload's key, not Serializer.data.
    data = _Data()  # type: ignore[assignment]


_DESCRIPTION = (
    f"POSTed to each endpoint of the event. Header `{HEADER}: t=<unix seconds>,v1=<hex>`: "
    "HMAC-SHA256 of `<t>.<raw body>` under the endpoint's secret. Refuse a request whose "
    f"signature does not match or whose t is more than {TOLERANCE_SECONDS} s from your clock. "
    "Answer 2xx within 10 s; anything else is retried with growing waits."
)

_SCHEMA = extend_schema(
    summary="A registration or status change of a registrant",
    description=_DESCRIPTION,
    request=WebhookPayloadSerializer,
    responses={200: OpenApiResponse(description="Received (any 2xx).")},
)

registrant_registered = OpenApiWebhook(name="registrant.registered", decorator=_SCHEMA)
registrant_status_changed = OpenApiWebhook(name="registrant.status_changed", decorator=_SCHEMA)


def webhooks_for_openapi_30(result, generator, request, public):
    """A postprocessing hook: OpenAPI 3.0 has no `webhooks` section (3.1
    does), so the payloads go under `x-webhooks`, the extension Redoc and
    other tools read, and the schema stays valid 3.0 for every client."""
    webhooks = result.pop("webhooks", None)
    if webhooks and str(result.get("openapi", "")).startswith("3.0"):
        result["x-webhooks"] = webhooks
    elif webhooks:
        result["webhooks"] = webhooks
    return result
