"""The personal-data endpoints: the audit log (read only) and a registrant's
subject access export. Organisers only (docs/api.md "Personal data")."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import Action, AuditEntry
from audit.selectors import audit_entries
from registrants.models import Registrant
from registrants.permissions import ORGANISER_PERMISSION
from registrants.personal_data import registrant_personal_data

from .pagination import RegistrantCursorPagination
from .schema import errors

# Organisers only: viewers and check-in staff never read the log or export a
# person's data (they hold view_registrant, not change_any_status).
ORGANISER_PERMS = ["registrants.view_registrant", ORGANISER_PERMISSION]


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")
    actor_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_id",
            "action",
            "event_id",
            "registrant_id",
            "details",
            "request_id",
        ]


class AuditQuerySerializer(serializers.Serializer):
    event = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    registrant = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    action = serializers.ChoiceField(choices=Action.choices, required=False)
    actor = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


@extend_schema(tags=["audit"])
class AuditLogView(generics.ListAPIView):
    """Organiser actions that touched personal data, newest first."""

    serializer_class = AuditEntrySerializer
    pagination_class = RegistrantCursorPagination  # newest first (-id)
    filter_backends: list = []
    required_perms = {"GET": ORGANISER_PERMS}

    @extend_schema(
        parameters=[
            OpenApiParameter("event", int, description="Event id."),
            OpenApiParameter("registrant", int, description="Registrant id."),
            OpenApiParameter("action", str, enum=Action.values),
            OpenApiParameter("actor", int, description="The acting user's id."),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="At or after."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Before."),
        ],
        responses={200: AuditEntrySerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = AuditQuerySerializer(data=self.request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        v = query.validated_data
        return audit_entries(
            event_id=v.get("event"),
            registrant_id=v.get("registrant"),
            action=v.get("action"),
            actor_id=v.get("actor"),
            since=v.get("since"),
            until=v.get("until"),
        )


@extend_schema(tags=["registrants"])
class PersonalDataView(APIView):
    """Everything held about one registrant (a subject access request)."""

    required_perms = {"GET": ORGANISER_PERMS}

    @extend_schema(
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="registrant, status_history, scan_receipts, audit_entries "
                "(docs/api.md); served as an attachment.",
            ),
            **errors(401, 403, 404),
        },
    )
    def get(self, request, id: str):  # noqa: A002
        registrant = get_object_or_404(Registrant, pk=int(id))
        self.check_object_permissions(request, registrant)
        data = registrant_personal_data(registrant_id=registrant.pk, actor=request.user)
        response = Response(data)
        response["Content-Disposition"] = (
            f'attachment; filename="registrant-{registrant.pk}-personal-data.json"'
        )
        return response
