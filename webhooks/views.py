"""The Webhooks page of an event: add endpoints, see each one's delivery
log, replay a delivery, switch an endpoint on or off. Organisers only;
writes go through webhooks.services like the API's."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST

from registrants.errors import ApplicationError, http_status_for
from registrants.models import Event
from registrants.pages import render_page, require_perms
from registrants.permissions import P_CHANGE_EVENT, P_VIEW_CODE, P_VIEW_EVENT, require_event

from . import selectors, services
from .models import Delivery, Endpoint
from .payloads import TYPE_LABELS, TYPES

PAGE_LOG = 20  # deliveries shown per endpoint on the page


class KindsForm(forms.Form):
    event_types = forms.MultipleChoiceField(
        choices=[(kind, f"{TYPE_LABELS[kind]} ({kind})") for kind in TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Kinds of change sent",
        help_text="None ticked: every kind, including kinds added later.",
    )


class EndpointForm(KindsForm):
    url = forms.URLField(max_length=500, label="URL", assume_scheme="https")
    description = forms.CharField(max_length=200, required=False)
    include_check_in_codes = forms.BooleanField(
        required=False, label="Send check-in codes (door keys) to this endpoint"
    )


def _back(endpoint_event_id: int):
    return redirect("webhooks:page", event_id=endpoint_event_id)


@require_http_methods(["GET", "POST"])
@require_perms(P_VIEW_EVENT, P_CHANGE_EVENT)
def webhooks_page(request, event_id: int):
    event = get_object_or_404(Event, pk=event_id)
    form = EndpointForm(request.POST or None)
    problem = None
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_create(event_id=event.pk, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            problem = exc
        else:
            messages.success(request, "Endpoint added. Its signing secret is shown below.")
            return _back(event.pk)
    endpoints = [
        (
            endpoint,
            selectors.deliveries_of(endpoint.pk, limit=PAGE_LOG),
            [TYPE_LABELS[kind] for kind in endpoint.event_types if kind in TYPE_LABELS],
            KindsForm(initial={"event_types": endpoint.event_types}, prefix=f"e{endpoint.pk}"),
        )
        for endpoint in selectors.endpoints_of(event.pk)
    ]
    return render_page(
        request,
        "webhooks/page.html",
        {
            "event": event,
            "form": form,
            "problem": problem,
            "endpoints": endpoints,
            "may_send_codes": request.user.has_perm(P_VIEW_CODE),
        },
        status=http_status_for(problem.code)
        if problem and problem.code != "validation_error"
        else 200,
    )


_ACTIONS = {
    "enable": lambda e, actor: services.endpoint_update(endpoint_id=e, actor=actor, active=True),
    "disable": lambda e, actor: services.endpoint_update(endpoint_id=e, actor=actor, active=False),
    "rotate": lambda e, actor: services.endpoint_rotate_secret(endpoint_id=e, actor=actor),
    "delete": lambda e, actor: services.endpoint_delete(endpoint_id=e, actor=actor),
}


@require_POST
@require_perms(P_VIEW_EVENT, P_CHANGE_EVENT)
def endpoint_action(request, endpoint_id: int):
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
    require_event(request.user, endpoint.event_id)
    if request.POST.get("action") == "kinds":
        return _change_kinds(request, endpoint)
    action = _ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, "Unknown action.")
    else:
        action(endpoint.pk, request.user)
        messages.success(request, "Endpoint updated.")
    return _back(endpoint.event_id)


def _change_kinds(request, endpoint: Endpoint):
    form = KindsForm(request.POST, prefix=f"e{endpoint.pk}")
    if form.is_valid():
        kinds = form.cleaned_data["event_types"]
        services.endpoint_update(endpoint_id=endpoint.pk, actor=request.user, event_types=kinds)
        messages.success(request, "Endpoint updated.")
    else:
        messages.error(request, " ".join(str(e) for e in form.errors["event_types"]))
    return _back(endpoint.event_id)


@require_POST
@require_perms(P_VIEW_EVENT, P_CHANGE_EVENT)
def delivery_replay(request, delivery_id: int):
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint"), pk=delivery_id)
    require_event(request.user, delivery.endpoint.event_id)
    try:
        replay = services.delivery_replay(delivery_id=delivery.pk, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Delivery {delivery.pk} queued again as {replay.pk}.")
    return _back(delivery.endpoint.event_id)
