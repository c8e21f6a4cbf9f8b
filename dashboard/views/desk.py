"""The check-in desk: one input for a scanned code or a typed name.

A code goes through services.registrant_scan with source=SCAN; picking a
person from the name search goes through the same service with their code
and source=DASHBOARD, so a pick has exactly the scan's semantics (desk,
entry with its two steps, exit; repeats answered as repeats).
"""

from __future__ import annotations

import math
from typing import Any

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from registrants import keyset, presenters, selectors, services
from registrants.api.throttling import take_scan_slot
from registrants.errors import ApplicationError, http_status_for
from registrants.event_options import door_mode_choices
from registrants.filters import RegistrantFilter, in_event
from registrants.lifecycle import ScanMode, Status
from registrants.models import Event, Registrant, Source
from registrants.pages import no_store, require_perms
from registrants.permissions import P_SCAN, P_VIEW_EVENT, P_VIEW_REGISTRANT, capabilities

from ..forms import DeskScanForm
from ..live_pages import DESK_REFRESH, live_page_config
from .common import is_htmx

RECENT_SCANS = 10
MAX_MATCHES = 8
MIN_SEARCH = 2

DESK_PERMS = (P_VIEW_EVENT, P_VIEW_REGISTRANT, P_SCAN)


def session_key(event_id: int) -> str:
    return f"dashboard:desk:{event_id}:recent"


def recent_with_statuses(recent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The remembered scans with each registrant's status now (one query);
    the live desk keeps these badges current as changes are pushed."""
    ids = {
        s["registrant"]["id"] for s in recent if s.get("registrant") and s["registrant"].get("id")
    }
    statuses: dict[Any, str] = (
        dict(Registrant.objects.filter(pk__in=ids).values_list("pk", "status")) if ids else {}
    )
    return [
        {**s, "status": statuses.get((s.get("registrant") or {}).get("id"), "")} for s in recent
    ]


def _live_config(event: Event) -> dict[str, Any]:
    return live_page_config(
        event,
        recent_url=reverse("dashboard:desk_recent", args=[event.pk]),
        down_seconds=DESK_REFRESH["down"],
        live_seconds=DESK_REFRESH["live"],
    )


def _mode(value: str | None, event: Event) -> str:
    """The posted mode if the event's desk offers it, else its first door mode."""
    offered = [m for m, _ in door_mode_choices(event)]
    return value if value in offered else offered[0]


def _summary(registrant: dict[str, Any] | None) -> dict[str, Any] | None:
    """A presenters.summary as the desk shows it: labels, no blanks as None."""
    if not registrant:
        return None
    return {
        "id": registrant.get("id"),
        "name": registrant.get("name", ""),
        "company": registrant.get("company") or "",
        "guest_type": presenters.guest_type_label(registrant.get("guest_type") or ""),
    }


def _from_result(result: services.StatusResult, mode: str) -> dict[str, Any]:
    """The desk's answer to a scan that went through: success or already done."""
    r = result.registrant
    status_label = r.get_status_display().lower()
    if result.changed:
        steps = " and ".join(c.get_to_status_display().lower() for c in result.changes)
        outcome, headline, detail = "success", status_label.capitalize(), f"Now {steps}."
    else:
        outcome, headline = "already", f"Already {status_label}"
        detail = ""
        previous = result.previous
        if previous is not None:
            detail = presenters.previous_change_detail(
                status_label=previous.get_to_status_display(),
                by=presenters.actor_display_name(previous.actor) if previous.actor_id else None,
                at=previous.at,
                time_zone=result.registrant.event.time_zone,
            )
    return {
        "outcome": outcome,
        "headline": headline,
        "detail": detail,
        "mode": mode,
        # The desk prints a badge when this scan checked the person in.
        "checked_in_now": any(c.to_status == Status.CHECKED_IN for c in result.changes),
        "registrant": _summary(presenters.registrant_summary(r)),
    }


def _from_error(exc: ApplicationError, mode: str) -> dict[str, Any]:
    if exc.code == "not_found":
        return {
            "outcome": "unknown",
            "headline": "Unknown code",
            "detail": exc.message,
            "mode": mode,
            "registrant": None,
        }
    headlines = {
        "cancelled": "Cancelled registration",
        "waitlisted": "On the waitlist",
        "wrong_event": "Other event",
    }
    headline = headlines.get(exc.code, "Refused")
    return {
        "outcome": "refused",
        "headline": headline,
        "detail": exc.message,
        "mode": mode,
        "registrant": _summary(exc.details.get("registrant")),
    }


@require_perms(*DESK_PERMS)
def desk(request, event_id: int):
    event = get_object_or_404(Event, pk=event_id)
    return no_store(
        render(
            request,
            "dashboard/desk.html",
            {
                "event": event,
                "mode": _mode(request.GET.get("mode"), event),
                "modes": door_mode_choices(event),
                "recent": recent_with_statuses(request.session.get(session_key(event.pk), [])),
                "result": None,
                "can": capabilities(request.user),
                "live_config": _live_config(event),
            },
        )
    )


@require_GET
@require_perms(*DESK_PERMS)
def desk_search(request, event_id: int):
    """People of this event whose name, email or company match (never the code)."""
    event = get_object_or_404(Event, pk=event_id)
    query = (request.GET.get("code") or "").strip()
    matches = []
    if len(query) >= MIN_SEARCH:
        filterset = RegistrantFilter(
            data={"search": query[:200]},
            # Never the erased: they cannot be checked in.
            queryset=in_event(selectors.registrant_matches(), event.pk).filter(
                erased_at__isnull=True
            ),
        )
        # The newest matches, then by name: "first 8 by name" made the
        # database walk the event in name order until 8 matched (17 s for
        # "viktor" at 1,000,000 registrants) or sort every match.
        newest = keyset.page_queryset(
            filterset.qs, order=keyset.Order(), size=MAX_MATCHES, event_id=event.pk
        )
        matches = sorted(list(newest)[:MAX_MATCHES], key=lambda r: (r.name, r.pk))
    return no_store(
        render(
            request,
            "dashboard/partials/desk_matches.html",
            {
                "event": event,
                "matches": matches,
                "query": query,
                "searched": len(query) >= MIN_SEARCH,
            },
        )
    )


@require_POST
@require_perms(*DESK_PERMS)
def desk_scan(request, event_id: int):
    event = get_object_or_404(Event, pk=event_id)
    form = DeskScanForm(request.POST)
    mode = _mode(request.POST.get("mode"), event)
    if not form.is_valid():
        problems = [e for errs in form.errors.values() for e in errs]
        result = {
            "outcome": "refused",
            "headline": "Nothing to do",
            "mode": mode,
            "detail": " ".join(str(problem) for problem in problems),
            "registrant": None,
        }
        return _respond(request, event, result, status=400, remember=False)
    allowed, wait = take_scan_slot(f"user:{request.user.pk}")
    if not allowed:
        seconds = max(1, math.ceil(wait))
        result = {
            "outcome": "refused",
            "headline": "Too many scans",
            "mode": mode,
            "detail": f"This account is over its scan rate; try again in {seconds} s.",
            "registrant": None,
        }
        response = _respond(request, event, result, status=429, remember=False)
        response["Retry-After"] = str(seconds)
        return response
    code, picked = form.cleaned_data["code"], form.cleaned_data["registrant"]
    source = Source.SCAN
    if picked is not None:
        registrant = selectors.registrant_list().filter(event_id=event.pk, pk=picked).first()
        if registrant is None:
            result = {
                "outcome": "unknown",
                "headline": "Not found",
                "detail": "That person is not registered for this event.",
                "mode": mode,
                "registrant": None,
            }
            return _respond(request, event, result, status=404)
        code, source = registrant.check_in_code, Source.DASHBOARD
    try:
        outcome = services.registrant_scan(
            code=code, mode=mode, event_id=event.pk, actor=request.user, source=source
        )
    except ApplicationError as exc:
        return _respond(request, event, _from_error(exc, mode), status=http_status_for(exc.code))
    return _respond(request, event, _from_result(outcome, mode))


def _respond(
    request, event: Event, result: dict[str, Any], *, status: int = 200, remember: bool = True
):
    result["time"] = timezone.localtime().strftime("%H:%M:%S")
    result["mode_label"] = ScanMode(result["mode"]).label
    key = session_key(event.pk)
    recent = request.session.get(key, [])
    if remember:
        recent = [result, *recent][:RECENT_SCANS]
        request.session[key] = recent
    context = {
        "event": event,
        "result": result,
        "recent": recent_with_statuses(recent),
        "mode": result["mode"],
        "modes": door_mode_choices(event),
        "can": capabilities(request.user),
    }
    if is_htmx(request):
        template = "dashboard/partials/desk_result.html"
    else:
        template = "dashboard/desk.html"
        context["live_config"] = _live_config(event)
    return no_store(render(request, template, context, status=status))
