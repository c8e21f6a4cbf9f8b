"""Bulk check-in or cancel from the registrant list.

The selection is either ticked ids (at most forms.MAX_BULK) or "all N
matching": the list's filters, re-evaluated on the server. Both ask for a
confirmation naming N first; the change itself is one call to the
set-based registrants_bulk_change_status (see docs/decisions/0120), or,
above BULK_JOB_THRESHOLD rows, a background job with progress (0140).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from registrants import bulk_jobs, selectors, services
from registrants.errors import ApplicationError
from registrants.lifecycle import Status
from registrants.models import Event, Source
from registrants.pages import require_perms
from registrants.permissions import BULK_ACTIONS, P_VIEW_EVENT, P_VIEW_REGISTRANT, role_kinds

from ..forms import BulkForm
from ..listing import matching_ids
from .bulk_job import start_job
from .common import is_htmx
from .registrants import _safe_next

# The result panel lists this many rows, refusals first: a 5,000-row table
# helps nobody and slows the page; the summary above it counts them all.
LISTED_RESULTS = 50
# Ids per IN (...) list: SQLite allows 32,766 parameters in one statement.
ID_CHUNK = 2000


@require_POST
@require_perms(P_VIEW_EVENT, P_VIEW_REGISTRANT)
def registrant_bulk(request, event_id: int):
    """Bulk check-in or cancel: first a confirmation, then a result per row."""
    event = get_object_or_404(Event, pk=event_id)
    form = BulkForm(request.POST)
    action = request.POST.get("action")
    if action not in BULK_ACTIONS:
        return _render(request, event, {"error": "Choose check in or cancel."}, status=400)
    to_status, kind, label = BULK_ACTIONS[action]
    kinds = role_kinds(request.user)
    if kind not in kinds:
        raise PermissionDenied(f"Your role may not {label.lower()} registrants.")
    if not form.is_valid():
        errors = [e for problems in form.errors.values() for e in problems]
        return _render(request, event, {"error": " ".join(str(e) for e in errors)}, status=400)
    data = form.cleaned_data
    all_matching = data["all_matching"]
    if all_matching:
        ids, problems = matching_ids(event=event, params=QueryDict(data["filters"].lstrip("?")))
        if problems:
            message = "These filters are not valid, so nothing was changed: " + "; ".join(problems)
            return _render(request, event, {"error": message}, status=400)
    else:
        wanted = data["ids"]
        found = set(
            selectors.registrant_list()
            .filter(event_id=event.pk, pk__in=wanted)
            .values_list("pk", flat=True)
        )
        ids = [i for i in wanted if i in found]
    if not ids:
        error = (
            "No registrants match these filters any more."
            if all_matching
            else "None of the selected registrants belong to this event."
        )
        return _render(request, event, {"error": error}, status=400)
    context = {
        "action": action,
        "label": label,
        "to_status": to_status,
        "all_matching": all_matching,
        "filters": data["filters"],
        "ids": [] if all_matching else ids,
        "count": len(ids),
        "next": _safe_next(request, reverse("dashboard:registrants", args=[event.pk])),
    }
    # The set moved between the confirmation and the click (a scan, an
    # import): ask again with the new N rather than change what was not shown.
    moved = all_matching and data["confirm"] and data["expected"] != len(ids)
    if not data["confirm"] or moved:
        context["moved"] = moved
        context["registrants"] = list(selectors.registrant_list().filter(pk__in=ids[:20]))
        context["registrants"].sort(key=lambda r: ids.index(r.pk))
        context["unchanged"] = _count_in(ids, status=to_status)
        return _render(request, event, context)
    if len(ids) > bulk_jobs.threshold():
        # Too many for one request: a job with a progress panel (decision 0140).
        try:
            return start_job(
                request,
                event,
                ids=ids,
                action=action,
                to_status=to_status,
                kinds=kinds,
                context=context,
            )
        except ApplicationError as exc:
            return _render(request, event, {"error": exc.message}, status=503)
    results = services.registrants_bulk_change_status(
        registrant_ids=ids,
        to_status=to_status,
        actor=request.user,
        source=Source.DASHBOARD,
        allowed_kinds=kinds,
    )
    refused = [r for r in results if not r.ok]
    listed = (refused + [r for r in results if r.ok])[:LISTED_RESULTS]
    names = selectors.registrant_list().in_bulk([r.registrant_id for r in listed])
    context["results"] = [
        {
            "registrant": names[r.registrant_id],
            "result": r,
            "status_label": Status(r.status).label if r.status else "",
        }
        for r in sorted(listed, key=lambda r: ids.index(r.registrant_id))
    ]
    context["not_listed"] = len(results) - len(listed)
    context["changed"] = sum(1 for r in results if r.changed)
    context["refused"] = len(refused)
    context["unchanged"] = sum(1 for r in results if r.ok and not r.changed)
    response = _render(request, event, context)
    # The list below re-reads itself (see list.js) to show the new statuses.
    response["HX-Trigger"] = "registrants-changed"
    return response


def _count_in(ids: list[int], **filters) -> int:
    """Registrants among `ids` matching `filters`, counted in chunks."""
    return sum(
        selectors.registrant_list().filter(pk__in=ids[start : start + ID_CHUNK], **filters).count()
        for start in range(0, len(ids), ID_CHUNK)
    )


def _render(request, event, context, status=200):
    context = {"event": event, **context}
    template = (
        "dashboard/partials/bulk_panel.html" if is_htmx(request) else "dashboard/bulk_page.html"
    )
    return render(request, template, context, status=status)
