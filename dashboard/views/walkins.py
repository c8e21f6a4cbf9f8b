"""Adding people from the pages: a walk-in at the desk, a registrant from the list.

A walk-in is registered through services.registrant_register (capacity and
closed events refused as for every path) and then checked in through
services.registrant_scan with its new code and source=DASHBOARD, exactly
like a person picked from the desk's name search. The two steps are two
transactions: if the check-in were refused (someone cancelled the new
registration in between), the person stays registered and the desk says so.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from registrants import services
from registrants.errors import ApplicationError, http_status_for
from registrants.event_options import door_mode_choices
from registrants.lifecycle import ScanMode
from registrants.models import Event, Source
from registrants.pages import no_store, render_page, require_perms
from registrants.permissions import (
    P_ADD_REGISTRANT,
    P_ADD_WALK_IN,
    P_VIEW_EVENT,
    P_VIEW_REGISTRANT,
    capabilities,
)

from ..forms import RegistrantEditForm
from . import desk as desk_views
from .common import is_htmx

# A walk-in is checked in at the desk; at an entry door also let in. The
# exit mode never checks anyone in, so a walk-in there is checked in.
WALK_IN_MODES = (ScanMode.DESK.value, ScanMode.ENTRY.value)


def _register(form: RegistrantEditForm, event: Event, user):
    """The new registrant, or None with the service's refusal on the form."""
    data = form.cleaned_data
    try:
        registrant = services.registrant_register(
            event_id=event.pk,
            name=data["name"],
            email=data["email"],
            guest_type=data["guest_type"],
            # Matched to an existing company after normalisation, as everywhere.
            company_name=data["company"] or None,
            actor=user,
            source=Source.DASHBOARD,
        )
    except ApplicationError as exc:
        form.add_service_errors(exc.fields, exc.message)
        return None, http_status_for(exc.code)
    return registrant, 201


def _walk_in_form_answer(request, event: Event, form: RegistrantEditForm, status: int):
    """The form again with its errors: in place (htmx) or on the desk page."""
    if is_htmx(request):
        response = render(
            request,
            "dashboard/partials/walkin_form.html",
            {"event": event, "walkin_form": form, "walkin_open": True},
            status=status,
        )
        # The desk's form targets the result panel; a refusal replaces the form.
        response["HX-Retarget"] = "#walkin-form"
        response["HX-Reswap"] = "outerHTML"
        return no_store(response)
    return no_store(
        render(
            request,
            "dashboard/desk.html",
            {
                "event": event,
                "mode": desk_views._mode(request.POST.get("mode"), event),
                "modes": door_mode_choices(event),
                "recent": desk_views.recent_with_statuses(
                    request.session.get(desk_views.session_key(event.pk), [])
                ),
                "result": None,
                "can": capabilities(request.user),
                "live_config": desk_views._live_config(event),
                "walkin_form": form,
                "walkin_open": True,
            },
            status=status,
        )
    )


@require_POST
@require_perms(*desk_views.DESK_PERMS, P_ADD_WALK_IN)
def desk_walk_in(request, event_id: int):
    """Register a walk-in and check them in: the desk's answer, as for a scan."""
    event = get_object_or_404(Event, pk=event_id)
    form = RegistrantEditForm(request.POST, auto_id="walkin-%s")
    if not form.is_valid():
        return _walk_in_form_answer(request, event, form, 400)
    registrant, status = _register(form, event, request.user)
    if registrant is None:
        return _walk_in_form_answer(request, event, form, status)
    mode = desk_views._mode(request.POST.get("mode"), event)
    mode = mode if mode in WALK_IN_MODES else ScanMode.DESK.value
    try:
        outcome = services.registrant_scan(
            code=registrant.check_in_code,
            mode=mode,
            event_id=event.pk,
            actor=request.user,
            source=Source.DASHBOARD,
        )
    except ApplicationError as exc:
        result = desk_views._from_error(exc, mode)
        return desk_views._respond(request, event, result, status=http_status_for(exc.code))
    result = desk_views._from_result(outcome, mode)
    result["headline"] = f"Walk-in added · {result['headline']}"
    response = desk_views._respond(request, event, result, status=201)
    response["HX-Trigger"] = "walkin-added"
    return response


@require_perms(P_VIEW_EVENT, P_VIEW_REGISTRANT, P_ADD_REGISTRANT)
def registrant_new(request, event_id: int):
    """Add a registrant from the list: the form, then the new registrant's page."""
    event = get_object_or_404(Event, pk=event_id)
    status = 200
    if request.method == "POST":
        form = RegistrantEditForm(request.POST)
        if form.is_valid():
            registrant, status = _register(form, event, request.user)
            if registrant is not None:
                messages.success(request, f"{registrant.name} is registered.")
                return redirect("dashboard:registrant", pk=registrant.pk)
        else:
            status = 400
    else:
        form = RegistrantEditForm()
    return render_page(
        request, "dashboard/registrant_new.html", {"event": event, "form": form}, status=status
    )
