"""The organisers' page of offline scans the gateway refused."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from dashboard.access import P_VIEW_EVENT, capabilities, require_perms
from registrants import selectors

from .models import DeviceToken, ScanConflict

P_MANAGE = "registrants.change_event"


@require_perms(P_VIEW_EVENT, P_MANAGE)
def conflicts(request, event_id: int):
    event = get_object_or_404(selectors.event_list(), pk=event_id)
    rows = (
        ScanConflict.objects.filter(event_id=event.pk)
        .select_related("registrant", "device")
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
        },
    )
