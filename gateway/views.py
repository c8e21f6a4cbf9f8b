"""The organisers' page of offline scans the gateway refused: review, clear."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from registrants import selectors
from registrants.errors import ApplicationError
from registrants.pages import require_perms
from registrants.permissions import P_CHANGE_EVENT, P_VIEW_EVENT, capabilities

from . import conflicts as conflict_limits
from . import services
from .models import DeviceToken, ScanConflict

P_MANAGE = P_CHANGE_EVENT


@require_perms(P_VIEW_EVENT, P_MANAGE)
def conflicts(request, event_id: int):
    event = get_object_or_404(selectors.event_list(), pk=event_id)
    rows = (
        ScanConflict.objects.filter(event_id=event.pk)
        .select_related("registrant__event", "device")
        .order_by("-id")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "gateway/conflicts.html",
        {
            "event": event,
            "page": page,
            "devices": DeviceToken.objects.filter(event_id=event.pk).order_by("name"),
            "can": capabilities(request.user),
            "limit": conflict_limits.open_limit(),
        },
    )


@require_POST
@require_perms(P_VIEW_EVENT, P_MANAGE)
def conflicts_clear(request, event_id: int):
    """Clear one conflict (`conflict` = its id) or all of the event's (`all`)."""
    event = get_object_or_404(selectors.event_list(), pk=event_id)
    raw = request.POST.get("conflict", "")
    if not (raw.isdigit() and len(raw) <= 18) and request.POST.get("all") != "1":
        raise Http404("Name a conflict, or clear all.")
    try:
        count = services.conflicts_clear(
            event_id=event.pk, conflict_id=int(raw) if raw.isdigit() and len(raw) <= 18 else None
        )
    except ApplicationError as exc:
        raise Http404(exc.message) from None
    messages.success(request, f"{count} conflict{'s' if count != 1 else ''} cleared.")
    return redirect("gateway:conflicts", event_id=event.pk)
