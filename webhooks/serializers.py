"""The API's shapes of endpoints, deliveries and attempts (plain, thin)."""

from __future__ import annotations

from rest_framework import serializers

from .models import Attempt, Delivery, Endpoint
from .payloads import TYPES

_KINDS_HELP = "The kinds of change sent to the endpoint; empty: every kind, including later ones."


def _event_types(**options) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=TYPES), help_text=_KINDS_HELP, **options
    )


class EndpointSerializer(serializers.ModelSerializer):
    """An endpoint with its signing secret (organisers only see this)."""

    disabled = serializers.SerializerMethodField()
    event_types = _event_types(read_only=True)

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "event",
            "url",
            "description",
            "include_check_in_codes",
            "event_types",
            "active",
            "disabled",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "secret",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_disabled(self, obj: Endpoint) -> bool:
        return obj.disabled_at is not None


class EndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    description = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )
    include_check_in_codes = serializers.BooleanField(required=False, default=False)
    event_types = _event_types(required=False, default=list)


class EndpointUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    include_check_in_codes = serializers.BooleanField(required=False)
    event_types = _event_types(required=False)
    active = serializers.BooleanField(
        required=False, help_text="true also enables an endpoint disabled after failures."
    )


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["at", "status_code", "response_excerpt", "duration_ms", "error"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    payload_id = serializers.CharField(source="event_id_text", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "payload_id",
            "status_change_id",
            "registrant",
            "replay_of",
            "state",
            "attempts",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "body",
            "attempt_log",
        ]
        read_only_fields = fields
