"""The webhook endpoints' API: register, list, change, remove, read the
delivery log, replay. Thin: parse, call a service, render. Organisers only
(change_event); outside the user's events the answer is 403."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from registrants.api.schema import errors
from registrants.permissions import P_CHANGE_EVENT, require_event

from . import selectors, services
from .models import Delivery, Endpoint
from .serializers import (
    DeliverySerializer,
    EndpointCreateSerializer,
    EndpointSerializer,
    EndpointUpdateSerializer,
)

MANAGE = [P_CHANGE_EVENT]


def _endpoint(request, id: str) -> Endpoint:  # noqa: A002 - the path parameter's name
    endpoint = get_object_or_404(Endpoint, pk=int(id))
    require_event(request.user, endpoint.event_id)
    return endpoint


@extend_schema(tags=["webhooks"])
class EventEndpointsView(APIView):
    """An event's webhook endpoints."""

    event_kwarg = "id"
    required_perms = {"GET": MANAGE, "POST": MANAGE}

    @extend_schema(responses={200: EndpointSerializer(many=True), **errors(401, 403)})
    def get(self, request, id: str):  # noqa: A002
        return Response(EndpointSerializer(selectors.endpoints_of(int(id)), many=True).data)

    @extend_schema(
        request=EndpointCreateSerializer,
        responses={201: EndpointSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, id: str):  # noqa: A002
        data = EndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(
            event_id=int(id), actor=request.user, **data.validated_data
        )
        return Response(EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["webhooks"])
class EndpointView(APIView):
    """One webhook endpoint."""

    required_perms = {"GET": MANAGE, "PATCH": MANAGE, "DELETE": MANAGE}

    @extend_schema(responses={200: EndpointSerializer, **errors(401, 403, 404)})
    def get(self, request, id: str):  # noqa: A002
        return Response(EndpointSerializer(_endpoint(request, id)).data)

    @extend_schema(
        request=EndpointUpdateSerializer,
        responses={200: EndpointSerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request, id: str):  # noqa: A002
        endpoint = _endpoint(request, id)
        data = EndpointUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(
            endpoint_id=endpoint.pk, actor=request.user, **data.validated_data
        )
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None, **errors(401, 403, 404)})
    def delete(self, request, id: str):  # noqa: A002
        endpoint = _endpoint(request, id)
        services.endpoint_delete(endpoint_id=endpoint.pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["webhooks"])
class DeliveriesView(APIView):
    """An endpoint's latest deliveries, newest first, each with its attempts."""

    required_perms = {"GET": MANAGE}

    @extend_schema(responses={200: DeliverySerializer(many=True), **errors(401, 403, 404)})
    def get(self, request, id: str):  # noqa: A002
        endpoint = _endpoint(request, id)
        return Response(DeliverySerializer(selectors.deliveries_of(endpoint.pk), many=True).data)


@extend_schema(tags=["webhooks"])
class ReplayView(APIView):
    """Send a delivery again: a new delivery with the same body and payload id."""

    required_perms = {"POST": MANAGE}

    @extend_schema(request=None, responses={202: DeliverySerializer, **errors(401, 403, 404, 409)})
    def post(self, request, id: str):  # noqa: A002
        delivery = get_object_or_404(Delivery.objects.select_related("endpoint"), pk=int(id))
        require_event(request.user, delivery.endpoint.event_id)
        replay = services.delivery_replay(delivery_id=delivery.pk, actor=request.user)
        return Response(DeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)
