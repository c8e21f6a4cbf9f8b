"""Organisers' API for the gateway (DRF, under /api/v1/):

    GET, POST /events/{id}/devices/            list / create scanner tokens
    DELETE    /events/{id}/devices/{device}/   revoke one (204)
    GET       /events/{id}/scan-conflicts/     offline scans that were refused

Only organisers (who may change events) manage devices and read conflicts.
Device tokens themselves are never accepted here: DRF authenticates API
tokens of users only, and a device's service user has no role.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from registrants.api.pagination import RegistrantCursorPagination
from registrants.api.schema import errors
from registrants.models import Event

from . import services
from .models import ConflictReason, DeviceToken, ScanConflict

P_MANAGE = "registrants.change_event"


class DeviceSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = DeviceToken
        fields = ["id", "event", "name", "key_prefix", "created_at", "revoked_at", "active"]
        read_only_fields = fields


class DeviceCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class DeviceCreatedSerializer(DeviceSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once; only its hash is kept.")

    class Meta(DeviceSerializer.Meta):
        fields = [*DeviceSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ScanConflictSerializer(serializers.ModelSerializer):
    registrant_name = serializers.CharField(
        source="registrant.name", read_only=True, default=None, allow_null=True
    )
    device_name = serializers.CharField(
        source="device.name", read_only=True, default=None, allow_null=True
    )
    reason = serializers.ChoiceField(choices=ConflictReason.choices, read_only=True)

    class Meta:
        model = ScanConflict
        fields = [
            "id",
            "event",
            "registrant",
            "registrant_name",
            "device",
            "device_name",
            "code",
            "mode",
            "reason",
            "status",
            "nonce",
            "scanned_at",
            "received_at",
        ]
        read_only_fields = fields


def _event_or_404(event_id: int) -> Event:
    return get_object_or_404(Event.objects.all(), pk=event_id)


@extend_schema(tags=["gateway"])
class DeviceListView(generics.ListAPIView):
    """Scanner device tokens of an event; POST creates one (its key is shown once)."""

    serializer_class = DeviceSerializer
    pagination_class = RegistrantCursorPagination
    filter_backends: list = []
    required_perms = {"GET": [P_MANAGE], "POST": [P_MANAGE]}

    def get_queryset(self):
        _event_or_404(self.kwargs["event_id"])
        return DeviceToken.objects.filter(event_id=self.kwargs["event_id"])

    @extend_schema(
        request=DeviceCreateSerializer,
        responses={201: DeviceCreatedSerializer, **errors(400, 401, 403, 404, 415)},
    )
    def post(self, request, event_id: int):
        data = DeviceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device, key = services.device_create(
            event_id=int(event_id), name=data.validated_data["name"], created_by=request.user
        )
        # DeviceCreatedSerializer's shape: the device, then its key shown once.
        body = {**DeviceSerializer(device).data, "key": key}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["gateway"])
class DeviceRevokeView(APIView):
    """Revoke a device token: every gateway process refuses it at once."""

    required_perms = {"DELETE": [P_MANAGE]}

    @extend_schema(
        responses={204: OpenApiResponse(description="Revoked."), **errors(401, 403, 404)}
    )
    def delete(self, request, event_id: int, device_id: int):
        services.device_revoke(device_id=device_id, event_id=event_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["gateway"])
class ScanConflictListView(generics.ListAPIView):
    """Offline scans the gateway refused, newest first, for organisers to resolve."""

    serializer_class = ScanConflictSerializer
    pagination_class = RegistrantCursorPagination
    filter_backends: list = []
    required_perms = {"GET": [P_MANAGE]}

    def get_queryset(self):
        _event_or_404(self.kwargs["event_id"])
        return ScanConflict.objects.filter(event_id=self.kwargs["event_id"]).select_related(
            "registrant", "device"
        )
