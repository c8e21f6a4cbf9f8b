"""The waitlist endpoints: an event's line in order, a registrant's offers,
and accepting an offer on the attendee's behalf (docs/api.md "Waitlist")."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from registrants import services, waitlist
from registrants.models import Event, Registrant, Source, WaitlistOffer
from registrants.permissions import ORGANISER_PERMISSION, P_VIEW_REGISTRANT

from . import serializers as s
from .schema import errors


class OfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = WaitlistOffer
        fields = ["id", "state", "created_at", "expires_at", "closed_at"]
        read_only_fields = fields


class WaitlistEntrySerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 = next in line.")
    id = serializers.IntegerField()
    name = serializers.CharField()
    company = serializers.CharField(allow_null=True)
    guest_type = serializers.CharField()
    created_at = serializers.DateTimeField(help_text="When they joined the waitlist.")
    offer = OfferSerializer(allow_null=True, help_text="Their newest offer, if any.")


@extend_schema(tags=["events"])
class EventWaitlistView(APIView):
    """The event's waitlist in order. Reading it first passes lapsed offers
    on and offers free seats, so it is current without a beat."""

    required_perms = {"GET": [P_VIEW_REGISTRANT]}

    @extend_schema(responses={200: WaitlistEntrySerializer(many=True), **errors(401, 403, 404)})
    def get(self, request, event_id: str) -> Response:
        event = get_object_or_404(Event, pk=int(event_id))
        services.waitlist_touch(event_id=event.pk)
        return Response(WaitlistEntrySerializer(waitlist.entries(event.pk), many=True).data)


def _registrant(view: APIView, request, registrant_id: str) -> Registrant:
    registrant = get_object_or_404(Registrant, pk=int(registrant_id))
    view.check_object_permissions(request, registrant)
    return registrant


@extend_schema(tags=["registrants"])
class RegistrantOffersView(APIView):
    """Every waitlist offer made to the registrant, oldest first."""

    required_perms = {"GET": [P_VIEW_REGISTRANT]}

    @extend_schema(responses={200: OfferSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request, id: str) -> Response:  # noqa: A002
        registrant = _registrant(self, request, id)
        offers = WaitlistOffer.objects.filter(registrant_id=registrant.pk)
        return Response(OfferSerializer(offers, many=True).data)


@extend_schema(tags=["registrants"])
class OfferAcceptView(APIView):
    """Accept the registrant's open offer for them: waitlisted -> registered
    (organisers; attendees accept from their ticket page). 409 no_offer when
    none is open or it expired."""

    required_perms = {"POST": [P_VIEW_REGISTRANT, ORGANISER_PERMISSION]}

    @extend_schema(
        request=None,
        responses={200: s.TransitionResultSerializer, **errors(401, 403, 404, 409)},
    )
    def post(self, request, id: str) -> Response:  # noqa: A002
        registrant = _registrant(self, request, id)
        result = services.offer_accept(
            registrant_id=registrant.pk, actor=request.user, source=Source.API
        )
        context = {"request": request, "view": self}
        return Response(
            {
                "changed": result.changed,
                "registrant": s.RegistrantSerializer(result.registrant, context=context).data,
                "changes": s.StatusChangeSerializer(result.changes, many=True).data,
            }
        )
