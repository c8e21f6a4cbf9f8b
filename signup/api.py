"""The registration page's API: its settings, the questions, a registrant's
answers. Thin: the serializers check types, signup.services decide.

Reading needs view_event (answers: view_registrant); changing needs
change_event, as editing the event does (organisers).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from registrants.api.schema import errors
from registrants.models import Event, GuestType, Registrant
from registrants.permissions import P_CHANGE_EVENT, P_VIEW_EVENT, P_VIEW_REGISTRANT

from . import services
from .models import MAX_ANSWER, MAX_CHOICE, MAX_CHOICES, MAX_LABEL, Question
from .selectors import (
    event_questions,
    event_zone,
    page_state,
    registrant_answers,
    registration_page,
)


class RegistrationPageSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    opens_at = serializers.DateTimeField(
        allow_null=True, help_text="Without an offset: in the event's time zone. Null: now."
    )
    closes_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Without an offset: in the event's time zone. Null: until the event closes.",
    )
    guest_types = serializers.ListField(
        child=serializers.ChoiceField(choices=GuestType.choices),
        max_length=len(GuestType.values),
        help_text="The guest types the page offers; empty or one: it does not ask.",
    )
    state = serializers.CharField(
        read_only=True, help_text="open, disabled, not_open, closed, event_closed or full."
    )
    url = serializers.CharField(read_only=True, help_text="The public page's path.")


class QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    event = serializers.IntegerField(read_only=True, source="event_id")
    # The stubs type Field.label and .required (the field's own options);
    # here they are the question's, as the API names them.
    label = serializers.CharField(max_length=MAX_LABEL)  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=MAX_CHOICE),
        max_length=MAX_CHOICES,
        required=False,
        help_text="A choice question's options (2 to 50).",
    )
    required = serializers.BooleanField(required=False)  # type: ignore[assignment]
    position = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)


class AnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    value = serializers.CharField(max_length=MAX_ANSWER, help_text='Yes/no: "yes" or "no".')


def _page_body(event: Event) -> dict:
    page = registration_page(event)
    return {
        "enabled": page.enabled,
        "opens_at": page.opens_at,
        "closes_at": page.closes_at,
        "guest_types": page.guest_types,
        "state": page_state(event, page, timezone.now()).value,
        "url": reverse("signup:register", args=[event.pk]),
    }


@extend_schema(tags=["registration page"])
class RegistrationPageView(APIView):
    """An event's public registration page: on or off, when, which guest types."""

    event_kwarg = "id"  # RolePermission: 403 outside the user's events
    required_perms = {"GET": [P_VIEW_EVENT], "PATCH": [P_VIEW_EVENT, P_CHANGE_EVENT]}

    @extend_schema(responses={200: RegistrationPageSerializer, **errors(401, 403, 404)})
    def get(self, request, id: str):  # noqa: A002 - the path parameter's name
        event = get_object_or_404(Event, pk=int(id))
        return Response(RegistrationPageSerializer(_page_body(event)).data)

    @extend_schema(
        request=RegistrationPageSerializer,
        responses={200: RegistrationPageSerializer, **errors(400, 401, 403, 404, 415)},
    )
    def patch(self, request, id: str):  # noqa: A002
        event = get_object_or_404(Event, pk=int(id))
        data = RegistrationPageSerializer(data=request.data, partial=True)
        # A time without an offset is the venue's (the event's time zone).
        with timezone.override(event_zone(event)):
            data.is_valid(raise_exception=True)
        services.registration_page_update(
            event_id=event.pk, actor=request.user, **data.validated_data
        )
        return Response(RegistrationPageSerializer(_page_body(event)).data)


@extend_schema(tags=["registration page"])
class QuestionListView(APIView):
    """An event's questions, in the order the page asks them."""

    event_kwarg = "id"
    required_perms = {"GET": [P_VIEW_EVENT], "POST": [P_VIEW_EVENT, P_CHANGE_EVENT]}

    @extend_schema(responses={200: QuestionSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request, id: str):  # noqa: A002
        event = get_object_or_404(Event, pk=int(id))
        return Response(QuestionSerializer(event_questions(event.pk), many=True).data)

    @extend_schema(
        request=QuestionSerializer,
        responses={201: QuestionSerializer, **errors(400, 401, 403, 404, 409, 415)},
    )
    def post(self, request, id: str):  # noqa: A002
        event = get_object_or_404(Event, pk=int(id))
        data = QuestionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        position = values.pop("position", None)
        question = services.question_create(event_id=event.pk, actor=request.user, **values)
        if position is not None:
            question = services.question_update(
                question_id=question.pk, actor=request.user, position=position
            )
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registration page"])
class QuestionDetailView(APIView):
    """One question. Removing it removes every answer to it."""

    required_perms = {
        "GET": [P_VIEW_EVENT],
        "PATCH": [P_VIEW_EVENT, P_CHANGE_EVENT],
        "DELETE": [P_VIEW_EVENT, P_CHANGE_EVENT],
    }

    def _question(self, request, id: str) -> Question:  # noqa: A002
        question = get_object_or_404(Question, pk=int(id))
        self.check_object_permissions(request, question)  # 403 outside the user's events
        return question

    @extend_schema(responses={200: QuestionSerializer, **errors(401, 403, 404)})
    def get(self, request, id: str):  # noqa: A002
        return Response(QuestionSerializer(self._question(request, id)).data)

    @extend_schema(
        request=QuestionSerializer,
        responses={200: QuestionSerializer, **errors(400, 401, 403, 404, 409, 415)},
    )
    def patch(self, request, id: str):  # noqa: A002
        # The body first: a malformed one is a 400 whichever question it names.
        data = QuestionSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        question = self._question(request, id)
        question = services.question_update(
            question_id=question.pk, actor=request.user, **data.validated_data
        )
        return Response(QuestionSerializer(question).data)

    @extend_schema(responses={204: None, **errors(401, 403, 404)})
    def delete(self, request, id: str):  # noqa: A002
        question = self._question(request, id)
        services.question_delete(question_id=question.pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["registration page"])
class RegistrantAnswersView(APIView):
    """A registrant's answers to the event's questions, in question order."""

    required_perms = {"GET": [P_VIEW_REGISTRANT]}

    @extend_schema(responses={200: AnswerSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request, id: str):  # noqa: A002
        registrant = get_object_or_404(Registrant, pk=int(id))
        self.check_object_permissions(request, registrant)
        return Response(AnswerSerializer(registrant_answers(registrant), many=True).data)
