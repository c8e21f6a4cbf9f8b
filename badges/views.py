"""Badge pages: one registrant's badge, a batch for a filtered list, and
the event's layout. A badge carries the check-in code, a door key, so every
view here needs the permission to see codes (organisers and check-in
staff); viewers get 403."""

from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from audit.models import Action
from audit.services import filter_summary, record
from registrants import selectors as registrant_selectors
from registrants.filters import RegistrantFilter
from registrants.lifecycle import Status
from registrants.models import Event
from registrants.pages import no_store, render_page, require_perms
from registrants.permissions import (
    P_CHANGE_EVENT,
    P_SCAN,
    P_VIEW_CODE,
    P_VIEW_EVENT,
    P_VIEW_REGISTRANT,
    capabilities,
    require_event,
)

from . import selectors
from .layouts import LAYOUTS, LayoutName
from .models import BadgeSettings
from .render import render_badges
from .sheet import render_sheet

BADGE_PERMS = (P_VIEW_EVENT, P_VIEW_REGISTRANT, P_VIEW_CODE)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    # inline: the browser shows it and its print dialog prints it.
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return no_store(response)


def _layout(request, event: Event):
    chosen = request.GET.get("layout")
    if chosen:
        if chosen not in LAYOUTS:
            return None
        return LAYOUTS[chosen]
    return selectors.layout_for(event)


# The desk prints a badge by loading it in a hidden frame of its own page:
# the site's CSP (frame-ancestors 'none') and X-Frame-Options DENY would
# block that, so this one PDF may be framed by the same origin only.
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": SELF})
@require_GET
@require_perms(*BADGE_PERMS)
def registrant_badge(request, pk: int):
    """One registrant's badge as a PDF, on the event's layout (or ?layout=)."""
    registrant = get_object_or_404(registrant_selectors.registrant_list(), pk=pk)
    require_event(request.user, registrant.event_id)
    if registrant.erased_at is not None:
        return _refuse(request, registrant.event, "This registrant was erased.", status=409)
    layout = _layout(request, registrant.event)
    if layout is None:
        return _refuse(request, registrant.event, "Unknown badge layout.", status=400)
    pdf = render_badges([selectors.badge_for(registrant)], layout)
    return _pdf(pdf, f"badge-{registrant.pk}.pdf")


@require_GET
@require_perms(*BADGE_PERMS)
def event_badges_pdf(request, event_id: int):
    """Badges of the registrant list's current selection (the same filters
    as the list and the export), cancelled registrants left out unless the
    status filter asks for them."""
    event = get_object_or_404(Event, pk=event_id)
    layout = _layout(request, event)
    if layout is None:
        return _refuse(request, event, "Unknown badge layout.", status=400)
    params = request.GET.copy()
    for key in ("layout", "event", "ordering", "cursor", "page"):
        params.pop(key, None)
    filterset = RegistrantFilter(
        data=params,
        queryset=registrant_selectors.registrant_list().filter(event_id=event.pk),
    )
    if not filterset.is_valid():
        problems = [f"{field}: {' '.join(errors)}" for field, errors in filterset.errors.items()]
        return _refuse(request, event, "Cannot print: " + "; ".join(problems), status=400)
    statuses = filterset.form.cleaned_data.get("status") or []
    queryset = selectors.printable(filterset.qs, include_cancelled=Status.CANCELLED in statuses)
    limit = settings.BADGE_BATCH_MAX
    count = queryset.count()
    if count > limit:
        return _refuse(
            request,
            event,
            f"This selection holds {count:,} registrants; badges print at most {limit:,} "
            "at a time. Narrow the list with its filters and print in parts.",
            status=400,
        )
    pdf = render_badges(selectors.badges_for(queryset), layout)
    # A batch of badges is a list of names: audited as an export.
    record(
        action=Action.LIST_EXPORTED,
        actor=request.user,
        event_id=event.pk,
        details={"format": "badges_pdf", "count": count, "filter": filter_summary(params)},
    )
    return _pdf(pdf, f"badges-event-{event.pk}.pdf")


@require_GET
@require_perms(P_VIEW_EVENT, P_VIEW_REGISTRANT, P_SCAN)
def checkin_sheet(request, event_id: int):
    """The event's alphabetical check-in sheet (PDF), the door's fallback when
    the network fails: for the staff who scan and organisers; viewers 403."""
    event = get_object_or_404(Event, pk=event_id)
    printed_at = timezone.localtime().strftime("%d %b %Y %H:%M")
    pdf = render_sheet(
        selectors.sheet_rows(event),
        title=f"{event.name} · {event.date:%d %b %Y}",
        printed_at=printed_at,
    )
    record(
        action=Action.LIST_EXPORTED,
        actor=request.user,
        event_id=event.pk,
        details={"format": "checkin_sheet_pdf"},
    )
    return _pdf(pdf, f"checkin-sheet-event-{event.pk}.pdf")


@require_GET
@require_perms(*BADGE_PERMS)
def event_badges(request, event_id: int):
    """The event's badge page: its layout, and printing all or a selection."""
    event = get_object_or_404(Event, pk=event_id)
    current = selectors.layout_for(event)
    return no_store(
        render(
            request,
            "badges/event_badges.html",
            {
                "event": event,
                "layouts": LayoutName.choices,
                "current": current.name,
                "can": capabilities(request.user),
                "can_choose": request.user.has_perm(P_CHANGE_EVENT),
                "batch_max": settings.BADGE_BATCH_MAX,
                "pdf_url": reverse("badges:event_pdf", args=[event.pk]),
            },
        )
    )


@require_POST
@require_perms(*BADGE_PERMS)
def event_badges_layout(request, event_id: int):
    """Choose the event's badge layout (organisers)."""
    event = get_object_or_404(Event, pk=event_id)
    if not request.user.has_perm(P_CHANGE_EVENT):
        raise PermissionDenied("Only organisers choose the badge layout.")
    layout = request.POST.get("layout", "")
    if layout not in LAYOUTS:
        return _refuse(request, event, "Choose one of the listed layouts.", status=400)
    BadgeSettings.objects.update_or_create(event=event, defaults={"layout": layout})
    messages.success(request, f"Badges of {event.name} now print as: {LayoutName(layout).label}.")
    return redirect("badges:event", event.pk)


def _refuse(request, event: Event, message: str, *, status: int):
    return render_page(
        request, "badges/refused.html", {"event": event, "message": message}, status=status
    )
