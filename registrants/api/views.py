"""API views: parse input, call a service or selector, render output. Thin."""

from __future__ import annotations

import datetime
import json

from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from registrants import history_as_of, presenters, scanning, selectors, services
from registrants.errors import ApplicationError, http_status_for
from registrants.models import Event, Registrant, Source
from registrants.permissions import (
    P_ADD_COMPANY,
    P_ADD_EVENT,
    P_ADD_REGISTRANT,
    P_CHANGE_COMPANY,
    P_CHANGE_EVENT,
    P_CHANGE_REGISTRANT,
    P_DELETE_COMPANY,
    P_DELETE_EVENT,
    P_DELETE_REGISTRANT,
    P_SCAN,
    P_VIEW_COMPANY,
    P_VIEW_EVENT,
    P_VIEW_HISTORY,
    P_VIEW_REGISTRANT,
    accessible_events,
    may_access_event,
    role_kinds,
)

from ..filters import RegistrantFilter
from . import idempotency
from . import serializers as s
from .as_of import AT_PARAMETER, parse_at
from .errors import error_body
from .filters import StrictOrderingFilter
from .keyset_pagination import RegistrantKeysetPagination
from .pagination import SmallCursorPagination
from .schema import errors
from .stats_json import stats_representation
from .throttling import ScanRateThrottle

ID_REGEX = r"[0-9]{1,18}"  # longer ids cannot exist (bigint) and would overflow lookups


@extend_schema(tags=["events"])
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Events and their capacity."""

    serializer_class = s.EventSerializer
    pagination_class = SmallCursorPagination
    filter_backends: list = []
    lookup_value_regex = ID_REGEX
    event_kwarg = "pk"  # RolePermission: 403 outside the user's events
    required_perms = {
        "GET": [P_VIEW_EVENT],
        "POST": [P_ADD_EVENT],
        "PATCH": [P_CHANGE_EVENT],
        "DELETE": [P_DELETE_EVENT],
    }

    def get_queryset(self):
        if self.action == "list":
            return accessible_events(self.request.user, selectors.event_list())
        return selectors.event_list()

    @extend_schema(responses={201: s.EventSerializer, **errors(400, 401, 403, 415)})
    def create(self, request):
        data = s.EventSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.event_create(**data.validated_data)
        return Response(self._render(event.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.EventUpdateSerializer,
        responses={200: s.EventSerializer, **errors(400, 401, 403, 404, 409, 415)},
    )
    def partial_update(self, request, pk=None):
        event = get_object_or_404(self.get_queryset(), pk=pk)
        data = s.EventUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.event_update(event_id=event.pk, **data.validated_data)
        return Response(self._render(event.pk))

    @extend_schema(responses={204: None, **errors(401, 403, 404, 409)})
    def destroy(self, request, pk=None):
        event = get_object_or_404(self.get_queryset(), pk=pk)
        services.event_delete(event_id=event.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[AT_PARAMETER],
        responses={200: s.EventStatsSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        """The dashboard numbers of the event, now or as of a past moment (`at`)."""
        at = parse_at(request.query_params)
        if history_as_of.past_moment(at) is None:
            # The live figures read the event with its numbers: one statement.
            live = selectors.event_stats_of(event_id=int(pk))
            if live is None:
                raise Http404
            return Response(stats_representation({**live, "as_of": None}))
        event = get_object_or_404(Event.objects.all(), pk=pk)
        stats = history_as_of.event_stats_as_of(event=event, at=at)
        return Response(stats_representation(stats))

    def _render(self, pk: int):
        return s.EventSerializer(self.get_queryset().get(pk=pk)).data


@extend_schema(tags=["companies"])
class CompanyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Companies, unique after normalisation, and their merge."""

    serializer_class = s.CompanySerializer
    pagination_class = SmallCursorPagination
    filter_backends: list = []
    lookup_value_regex = ID_REGEX
    required_perms = {
        "GET": [P_VIEW_COMPANY],
        "POST": [P_ADD_COMPANY],
        "PATCH": [P_CHANGE_COMPANY],
        "DELETE": [P_DELETE_COMPANY],
    }

    def get_queryset(self):
        return selectors.company_list()

    @extend_schema(responses={201: s.CompanySerializer, **errors(400, 401, 403, 409, 415)})
    def create(self, request):
        data = s.CompanySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        company = services.company_create(name=data.validated_data["name"])
        return Response(self._render(company.pk), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.CompanySerializer, **errors(400, 401, 403, 404, 409, 415)})
    def partial_update(self, request, pk=None):
        company = get_object_or_404(self.get_queryset(), pk=pk)
        data = s.CompanySerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "name" in data.validated_data:
            services.company_rename(company_id=company.pk, name=data.validated_data["name"])
        return Response(self._render(company.pk))

    @extend_schema(responses={204: None, **errors(401, 403, 404, 409)})
    def destroy(self, request, pk=None):
        company = get_object_or_404(self.get_queryset(), pk=pk)
        services.company_delete(company_id=company.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.CompanyMergeSerializer,
        responses={200: s.CompanySerializer, **errors(400, 401, 403, 404, 415)},
    )
    @action(detail=True, methods=["post"], url_path="merge")
    def merge(self, request, pk=None):
        """Move this company's registrants to `into` and delete this company."""
        company = get_object_or_404(self.get_queryset(), pk=pk)
        data = s.CompanyMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        into = services.company_merge(source_id=company.pk, into_id=data.validated_data["into"])
        return Response(self._render(into.pk))

    def _render(self, pk: int):
        return s.CompanySerializer(self.get_queryset().get(pk=pk)).data


# The merge action changes companies; it needs the same rights as PATCH.
CompanyViewSet.required_perms = {
    **CompanyViewSet.required_perms,
    "POST": [P_ADD_COMPANY, P_CHANGE_COMPANY],
}


@extend_schema(tags=["registrants"])
class RegistrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Registrants: list with filters, search and ordering; details; history."""

    serializer_class = s.RegistrantSerializer
    pagination_class = RegistrantKeysetPagination
    filterset_class = RegistrantFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    lookup_value_regex = ID_REGEX
    required_perms = {
        "GET": [P_VIEW_REGISTRANT],
        "POST": [P_ADD_REGISTRANT],
        "PATCH": [P_CHANGE_REGISTRANT],
        "DELETE": [P_DELETE_REGISTRANT],
    }

    def get_queryset(self):
        if self.action == "list":
            return accessible_events(self.request.user, selectors.registrant_list(), "event_id")
        return selectors.registrant_list()

    def _registrant(self, pk) -> Registrant:
        """The registrant of the URL: 404 if none, 403 outside the user's events."""
        registrant = get_object_or_404(Registrant, pk=pk)
        self.check_object_permissions(self.request, registrant)
        return registrant

    def get_permissions(self):
        if self.action == "transitions":
            self.required_perms = {"POST": [P_VIEW_REGISTRANT]}
        elif self.action == "history":
            self.required_perms = {"GET": [P_VIEW_REGISTRANT, P_VIEW_HISTORY]}
        return super().get_permissions()

    @extend_schema(
        request=s.RegistrantCreateSerializer,
        responses={201: s.RegistrantSerializer, **errors(400, 401, 403, 404, 409, 415)},
    )
    def create(self, request):
        data = s.RegistrantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        registrant = services.registrant_register(
            event_id=v["event"],
            name=v["name"],
            email=v["email"],
            guest_type=v["guest_type"],
            company_name=v.get("company"),
            company_id=v.get("company_id"),
            actor=request.user,
            source=Source.API,
            join_waitlist=v["waitlist"],
        )
        return Response(self._render(registrant.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.RegistrantUpdateSerializer,
        responses={200: s.RegistrantSerializer, **errors(400, 401, 403, 404, 409, 415)},
    )
    def partial_update(self, request, pk=None):
        registrant = self._registrant(pk)
        data = s.RegistrantUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        kwargs = {k: v[k] for k in ("name", "email", "guest_type") if k in v}
        if "company_id" in v:
            kwargs["company_id"] = v["company_id"]
        elif "company" in v:
            kwargs["company_name"] = v["company"] or ""
        services.registrant_update(registrant_id=registrant.pk, actor=request.user, **kwargs)
        return Response(self._render(registrant.pk))

    @extend_schema(responses={204: None, **errors(401, 403, 404)})
    def destroy(self, request, pk=None):
        """Delete a registrant: the person's data is erased; the registration,
        its status and its history stay (a repeat is a no-op)."""
        registrant = self._registrant(pk)
        services.registrant_delete(registrant_id=registrant.pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.TransitionInputSerializer,
        responses={200: s.TransitionResultSerializer, **errors(400, 401, 403, 404, 409, 415)},
    )
    @action(detail=True, methods=["post"])
    def transitions(self, request, pk=None):
        """Change the registrant's status (a no-op if it already has it)."""
        registrant = self._registrant(pk)
        data = s.TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kinds = role_kinds(request.user)
        if not kinds:
            return self.permission_denied(request, message="Your role may not change statuses.")
        result = services.registrant_change_status(
            registrant_id=registrant.pk,
            to_status=data.validated_data["to_status"],
            note=data.validated_data["note"],
            actor=request.user,
            source=Source.API,
            allowed_kinds=kinds,
        )
        body = {
            "changed": result.changed,
            "registrant": self._render(registrant.pk),
            "changes": s.StatusChangeSerializer(result.changes, many=True).data,
        }
        return Response(body)

    @extend_schema(responses={200: s.StatusChangeSerializer(many=True), **errors(401, 403, 404)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """The registrant's status changes, oldest first."""
        registrant = self._registrant(pk)
        rows = selectors.registrant_history(registrant_id=registrant.pk)
        return Response(s.StatusChangeSerializer(rows, many=True).data)

    def _render(self, pk: int):
        return s.RegistrantSerializer(
            self.get_queryset().get(pk=pk), context=self.get_serializer_context()
        ).data


def scan_body(result: services.StatusResult) -> dict:
    """The answer a desk or door screen shows: who it was and what happened."""
    r = result.registrant
    previous = None
    by: str | None = None
    at: datetime.datetime | None = None
    if not result.changed and result.previous is not None:
        p = result.previous
        by = presenters.actor_display_name(p.actor) if p.actor_id else None
        at = p.at
        previous = {"status": p.to_status, "by": by, "at": at}
    message = presenters.scan_message(
        name=r.name,
        status_label=r.get_status_display(),
        changed=result.changed,
        by=by,
        at=at,
        time_zone=r.event.time_zone,
    )
    return s.ScanResultSerializer(
        {
            "changed": result.changed,
            "status": r.status,
            "steps": [c.to_status for c in result.changes],
            "message": message,
            "registrant": presenters.registrant_summary(r),
            "previous": previous,
        }
    ).data


@extend_schema(tags=["scan"])
class ScanView(APIView):
    """Scan a check-in code at the desk or a door."""

    required_perms = {"POST": [P_SCAN]}
    throttle_classes = [ScanRateThrottle]

    @extend_schema(
        request=s.ScanInputSerializer,
        responses={
            200: s.ScanResultSerializer,
            **errors(400, 401, 403, 415, 429),
            404: OpenApiResponse(description="Unknown code.", response=errors(404)[404].response),
            409: OpenApiResponse(
                description=(
                    "Cancelled registrant, a move the lifecycle does not allow, a badge of "
                    "another event (wrong_event), or a nonce reused for another scan "
                    "(nonce_reused)."
                ),
                response=errors(409)[409].response,
            ),
        },
    )
    def post(self, request):
        data = s.ScanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not may_access_event(request.user, v["event"]):
            return self.permission_denied(request, message="You are not assigned to this event.")

        def perform():
            try:
                result = services.registrant_scan(
                    code=v["code"], mode=v["mode"], event_id=v["event"], actor=request.user
                )
            except ApplicationError as exc:
                if exc.code == "wrong_event":
                    raise  # changes nothing, not even a receipt (scan_with_nonce)
                return http_status_for(exc.code), error_body(
                    exc.code, exc.message, exc.fields, exc.details
                )
            return 200, _jsonable(scan_body(result))

        if v.get("nonce"):
            fingerprint = scanning.request_fingerprint(
                code=v["code"], mode=v["mode"], event_id=v["event"]
            )
            http_status, body, _ = idempotency.scan_with_nonce(
                user=request.user, nonce=v["nonce"], fingerprint=fingerprint, perform=perform
            )
        else:
            http_status, body = perform()
        return Response(body, status=http_status)


def _jsonable(data):
    """Serializer output with datetimes as strings, for storing in a receipt."""
    return json.loads(json.dumps(data, cls=JSONEncoder))
