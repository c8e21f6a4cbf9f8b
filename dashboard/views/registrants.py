"""The registrant list (filters, quick and bulk actions) and the registrant page.

Every write calls a registrants.services function with source=DASHBOARD and
the logged-in user as actor; a refusal (ApplicationError) is shown inline
with the service's own message and the HTTP status the API would give.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from registrants import presenters, selectors, services, waitlist
from registrants.errors import ApplicationError, http_status_for
from registrants.lifecycle import Status
from registrants.models import Event, Source
from registrants.pages import no_store, require_perms
from registrants.permissions import (
    P_CHANGE_EVENT,
    P_CHANGE_REGISTRANT,
    P_DELETE_REGISTRANT,
    P_VIEW_EVENT,
    P_VIEW_HISTORY,
    P_VIEW_REGISTRANT,
    bulk_actions_for,
    capabilities,
    registrant_targets,
    require_event,
    role_kinds,
)
from signup.selectors import answer_filter_options

from ..event_time import activate_event_zone
from ..forms import RegistrantEditForm, TransitionForm
from ..listing import Row, build_listing, row_actions
from ..live_pages import LIST_REFRESH, live_page_config
from ..registrant_page import RegistrantPage, registrant_page
from ..timeline import timeline_rows
from .common import is_htmx


def _registrant_or_404(request, pk: int):
    """The registrant, 404 if none, 403 outside the user's events; its
    event's time zone active from here on."""
    registrant = get_object_or_404(selectors.registrant_list().select_related("event"), pk=pk)
    require_event(request.user, registrant.event_id)
    activate_event_zone(registrant.event)
    return registrant


def _page_or_404(request, pk: int, *, mail: bool = True) -> RegistrantPage:
    """_registrant_or_404 with everything the registrant page shows, in one
    query (its e-mails only for those who may see them, and only if `mail`)."""
    page = registrant_page(
        registrant_id=pk, with_messages=mail and request.user.has_perm(P_CHANGE_EVENT)
    )
    if page is None:
        raise Http404("No such registrant.")
    require_event(request.user, page.registrant.event_id)
    activate_event_zone(page.registrant.event)
    return page


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _outcome_message(result: services.StatusResult) -> str:
    r = result.registrant
    label = r.get_status_display().lower()
    return (
        f"{r.name}: {label}." if result.changed else f"{r.name}: already {label}; nothing changed."
    )


# --- The list -----------------------------------------------------------------


@require_perms(P_VIEW_EVENT, P_VIEW_REGISTRANT)
@vary_on_headers("HX-Request")
def registrant_list(request, event_id: int):
    event = get_object_or_404(Event, pk=event_id)
    activate_event_zone(event)  # not the middleware's: it would read the event again
    listing = build_listing(
        event=event, params=request.GET, user=request.user, kinds=role_kinds(request.user)
    )
    context = {
        "event": event,
        "listing": listing,
        "can": capabilities(request.user),
        "bulk_actions": bulk_actions_for(request.user),
        "answer_filters": answer_filter_options(event.pk),
        "answer_selected": request.GET.get("answer", ""),
    }
    if is_htmx(request):
        template = "dashboard/partials/registrant_results.html"
    else:
        template = "dashboard/registrant_list.html"
        context["live_config"] = live_page_config(
            event,
            row_url=reverse("dashboard:registrant_row", args=[0]),
            counts_url=reverse("dashboard:registrant_counts", args=[event.pk]),
            down_seconds=LIST_REFRESH["down"],
            live_seconds=LIST_REFRESH["live"],
        )
    return no_store(render(request, template, context))


# --- One registrant ---------------------------------------------------------------


def _detail_context(request, page: RegistrantPage, **extra):
    registrant, history = page.registrant, page.history
    kinds = role_kinds(request.user)
    targets = registrant_targets(request.user, registrant, kinds)
    can = capabilities(request.user)
    # Offers go only to the waitlisted, and every waitlisting is in the
    # history: most registrants' pages need not ask for offers.
    waitlisted = any(change.to_status == Status.WAITLISTED for change in history)
    context = {
        "registrant": registrant,
        "event": registrant.event,
        "timeline": timeline_rows(history),
        "actions": [(t.value, presenters.move_label(registrant.status, t)) for t in targets],
        "can": can,
        # The registration page's questions and this person's answers.
        "answers": page.answers,
        # None when the user may not see them (no card, nothing read).
        "mail_messages": page.messages,
        "waitlist_position": waitlist.position(registrant),
        "offers": list(registrant.waitlist_offers.all()) if waitlisted else [],
    }
    if can["edit"] and registrant.erased_at is None and "form" not in extra:
        context["form"] = RegistrantEditForm(
            initial={
                "name": registrant.name,
                "email": registrant.email,
                "company": registrant.company.name if registrant.company is not None else "",
                "guest_type": registrant.guest_type,
            }
        )
    context.update(extra)
    return context


@require_perms(P_VIEW_REGISTRANT, P_VIEW_HISTORY)
def registrant_detail(request, pk: int):
    page = _page_or_404(request, pk)
    return no_store(
        render(request, "dashboard/registrant_detail.html", _detail_context(request, page))
    )


@require_POST
@require_perms(P_VIEW_REGISTRANT)
def registrant_transition(request, pk: int):
    """One status change, from the list's row buttons or the registrant page.

    `context=row` answers with the list row, otherwise with the page's status
    panel (htmx) or a redirect back to the page (plain form post).
    """
    registrant = _registrant_or_404(request, pk)
    kinds = role_kinds(request.user)
    if not kinds:
        raise PermissionDenied("Your role may not change statuses.")
    form = TransitionForm(request.POST)
    error, status, notice = None, 200, ""
    if not form.is_valid():
        error = "Choose one of the buttons: " + "; ".join(
            f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()
        )
        status = 400
    else:
        try:
            result = services.registrant_change_status(
                registrant_id=registrant.pk,
                to_status=form.cleaned_data["to_status"],
                note=form.cleaned_data["note"],
                actor=request.user,
                source=Source.DASHBOARD,
                allowed_kinds=kinds,
            )
        except ApplicationError as exc:
            error, status = exc.message, http_status_for(exc.code)
        else:
            notice = _outcome_message(result)

    if request.POST.get("context") == "row" and is_htmx(request):
        registrant = _registrant_or_404(request, pk)
        row = Row(
            registrant=registrant,
            actions=row_actions(request.user, registrant, kinds),
        )
        return render(
            request,
            "dashboard/partials/registrant_row.html",
            {
                "row": row,
                "can": capabilities(request.user),
                "error": error,
                "notice": notice,
                "event": registrant.event,
                "next": _safe_next(request, ""),
            },
            status=status,
        )
    if is_htmx(request):
        return render(
            request,
            "dashboard/partials/registrant_status.html",
            # The status panel alone: no e-mails in it.
            _detail_context(
                request, _page_or_404(request, pk, mail=False), error=error, notice=notice
            ),
            status=status,
        )
    if error:
        return render(
            request,
            "dashboard/registrant_detail.html",
            _detail_context(request, _page_or_404(request, pk), error=error),
            status=status,
        )
    messages.success(request, notice)
    return redirect(_safe_next(request, reverse("dashboard:registrant", args=[registrant.pk])))


@require_POST
@require_perms(P_VIEW_REGISTRANT, P_CHANGE_REGISTRANT)
def registrant_edit(request, pk: int):
    registrant = _registrant_or_404(request, pk)
    form = RegistrantEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.registrant_update(
                registrant_id=registrant.pk,
                name=data["name"],
                email=data["email"],
                guest_type=data["guest_type"],
                company_name=data["company"],
                actor=request.user,
            )
        except ApplicationError as exc:
            form.add_service_errors(exc.fields, exc.message)
            status = http_status_for(exc.code)
        else:
            messages.success(request, "Details saved.")
            return redirect("dashboard:registrant", pk=registrant.pk)
    else:
        status = 400
    return render(
        request,
        "dashboard/registrant_detail.html",
        _detail_context(request, _page_or_404(request, pk), form=form, edit_open=True),
        status=status,
    )


@require_POST
@require_perms(P_VIEW_REGISTRANT, P_DELETE_REGISTRANT)
def registrant_delete(request, pk: int):
    registrant = _registrant_or_404(request, pk)
    event_id = registrant.event_id
    try:
        services.registrant_delete(registrant_id=registrant.pk, actor=request.user)
    except ApplicationError as exc:
        return render(
            request,
            "dashboard/registrant_detail.html",
            _detail_context(request, _page_or_404(request, pk), error=exc.message),
            status=http_status_for(exc.code),
        )
    messages.success(
        request,
        # Without the name: the message waits in the session until shown.
        f"Registrant #{registrant.pk} was deleted: their details are erased; the "
        "registration and its history are kept, so past figures do not change.",
    )
    return redirect("dashboard:registrants", event_id=event_id)
