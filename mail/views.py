"""Mail pages. The attendee's ticket page needs no login: its signed link
(mail/tickets.py) is the key, and it shows that one registration only. The
organisers' pages set an event's automatic messages and wording, send a
reminder to the registrant list's selection and follow a reminder job."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from badges import selectors as badge_selectors
from badges.render import qr_png, render_badges
from registrants import services as registrant_services
from registrants import waitlist
from registrants.errors import ApplicationError
from registrants.lifecycle import Status
from registrants.models import Event, Source, WaitlistOffer
from registrants.pages import no_store, render_page, require_perms
from registrants.permissions import P_CHANGE_EVENT, P_VIEW_EVENT, P_VIEW_REGISTRANT
from registrants.presenters import local_time

from . import reminders, selectors, services
from .models import Kind, ReminderJob
from .tickets import registrant_for_token

# The attendee may give up a seat they have not used yet.
SELF_CANCELLABLE = {Status.REGISTERED, Status.WAITLISTED}
SELF_CANCEL_NOTE = "Cancelled by the registrant on their ticket page."
ORGANISER_PERMS = (P_VIEW_EVENT, P_VIEW_REGISTRANT, P_CHANGE_EVENT)


def _private(response: HttpResponse) -> HttpResponse:
    """A ticket is nobody else's: never cached, never indexed."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    return no_store(response)


def _dead_link(request) -> HttpResponse:
    return _private(render(request, "mail/ticket_gone.html", status=404))


@require_GET
def ticket(request):
    """The ticket page: the event, the registrant's details and status, the
    QR code and the PDF, and the way to cancel."""
    token = request.GET.get("t", "")
    registrant = registrant_for_token(token)
    if registrant is None:
        return _dead_link(request)
    context = {
        "registrant": registrant,
        "event": registrant.event,
        "token": token,
        "status_label": Status(registrant.status).label
        if registrant.status in Status.values
        else registrant.status,
        "registered_at": local_time(
            registrant.created_at, registrant.event.time_zone, with_date=True
        ),
        "active": registrant.status != Status.CANCELLED,
        "cancellable": registrant.status in SELF_CANCELLABLE,
        "confirming": request.GET.get("cancel") == "1",
        **_waitlist_context(registrant),
    }
    return _private(render(request, "mail/ticket.html", context))


def _waitlist_context(registrant) -> dict:
    """A waitlisted person's place in line, and the seat offered to them."""
    if registrant.status != Status.WAITLISTED:
        return {"waitlisted": False}
    registrant_services.waitlist_touch(event_id=registrant.event_id)  # lapsed offers move on
    offer = registrant.waitlist_offers.filter(
        state=WaitlistOffer.State.OPEN, expires_at__gt=timezone.now()
    ).first()
    return {
        "waitlisted": True,
        "position": waitlist.position(registrant),
        "offer_until": local_time(offer.expires_at, registrant.event.time_zone, with_date=True)
        if offer
        else None,
    }


@require_http_methods(["POST"])
def ticket_accept(request):
    """Take the seat a waitlist offer holds, from the ticket page: the
    promotion is written by the waitlist's service, by nobody (actor none)."""
    token = request.POST.get("t", "")
    registrant = registrant_for_token(token)
    if registrant is None:
        return _dead_link(request)
    try:
        registrant_services.offer_accept(registrant_id=registrant.pk, source=Source.SYSTEM)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The seat is yours: this page is now your ticket.")
    return redirect(f"{reverse('mail:ticket')}?t={token}")


@require_GET
def ticket_qr(request):
    """The ticket's QR code as a PNG (none for a cancelled registration)."""
    registrant = registrant_for_token(request.GET.get("t", ""))
    if registrant is None or registrant.status == Status.CANCELLED:
        return _dead_link(request)
    return _private(HttpResponse(qr_png(registrant.check_in_code), content_type="image/png"))


@require_GET
def ticket_pdf(request):
    """The ticket as a PDF badge on the event's layout."""
    registrant = registrant_for_token(request.GET.get("t", ""))
    if registrant is None or registrant.status == Status.CANCELLED:
        return _dead_link(request)
    layout = badge_selectors.layout_for(registrant.event)
    pdf = render_badges([badge_selectors.badge_for(registrant)], layout)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ticket-{registrant.pk}.pdf"'
    return _private(response)


@require_http_methods(["POST"])
def ticket_cancel(request):
    """Cancel from the ticket page (after its confirmation step): a status
    change like any other, by nobody (actor none), with a note saying how."""
    token = request.POST.get("t", "")
    registrant = registrant_for_token(token)
    if registrant is None:
        return _dead_link(request)
    if registrant.status not in SELF_CANCELLABLE:
        messages.error(request, "This registration can no longer be cancelled here.")
        return redirect(f"{reverse('mail:ticket')}?t={token}")
    try:
        registrant_services.registrant_change_status(
            registrant_id=registrant.pk,
            to_status=Status.CANCELLED,
            actor=None,
            source=Source.SYSTEM,
            note=SELF_CANCEL_NOTE,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your registration is cancelled.")
    return redirect(f"{reverse('mail:ticket')}?t={token}")


@require_http_methods(["GET", "POST"])
@require_perms(*ORGANISER_PERMS)
def event_mail(request, event_id: int):
    """An event's e-mail: which messages go out automatically, their
    wording, and the latest messages with what became of them."""
    event = get_object_or_404(Event, pk=event_id)
    errors: dict[str, dict[str, list[str]]] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        kind = request.POST.get("kind", "")
        try:
            if action == "settings":
                services.mail_settings_update(
                    event=event,
                    confirmations=request.POST.get("confirmations") == "on",
                    cancellations=request.POST.get("cancellations") == "on",
                )
                messages.success(request, "The automatic messages were saved.")
            elif action == "reset":
                services.mail_template_reset(event=event, kind=kind)
                messages.success(request, "The default wording is back.")
            else:
                services.mail_template_save(
                    event=event,
                    kind=kind,
                    subject=request.POST.get("subject", ""),
                    body=request.POST.get("body", ""),
                )
                messages.success(request, "The wording was saved.")
            return redirect("mail:event_mail", event.pk)
        except ApplicationError as exc:
            errors[kind] = exc.fields or {"body": [exc.message]}
    context = {
        "event": event,
        "settings": selectors.settings_for(event),
        "templates": selectors.templates_for(event, posted=request.POST, errors=errors),
        "recent": selectors.recent_messages(event),
    }
    return render_page(request, "mail/event_mail.html", context, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
@require_perms(*ORGANISER_PERMS)
def event_reminder(request, event_id: int):
    """The reminder to the registrant list's selection: GET shows whom and
    what (the confirmation step), POST queues it."""
    event = get_object_or_404(Event, pk=event_id)
    params = request.POST if request.method == "POST" else request.GET
    filters = params.copy()
    filters.pop("csrfmiddlewaretoken", None)
    if request.method == "POST":
        try:
            count, job = reminders.reminder_send(event=event, params=filters, actor=request.user)
        except ApplicationError as exc:
            return render_page(
                request, "mail/reminder.html", {"event": event, "error": exc}, status=400
            )
        if job is not None:
            return redirect("mail:reminder_job", event.pk, job.pk)
        messages.success(request, f"A reminder is on its way to {count} registrants.")
        return redirect(
            reverse("dashboard:registrants", args=[event.pk]) + "?" + filters.urlencode()
        )
    try:
        count = reminders.selection_count(event_id=event.pk, params=filters)
    except ApplicationError as exc:
        return render_page(
            request, "mail/reminder.html", {"event": event, "error": exc}, status=400
        )
    chosen = selectors.wording_of(event, Kind.REMINDER)
    context = {
        "event": event,
        "count": count,
        "filters": list(filters.lists()),
        "query": filters.urlencode(),
        "wording": chosen,
        "as_job": count > settings.MAIL_REMINDER_JOB_THRESHOLD,
    }
    return render_page(request, "mail/reminder.html", context)


@require_GET
@require_perms(*ORGANISER_PERMS)
def reminder_job_page(request, event_id: int, job_id: int):
    """A large reminder's progress."""
    # Looking at a job is one of its triggers: one never handed over (the
    # broker was down) or whose runner died is started again.
    reminders.requeue_stale(event_id=event_id)
    job = get_object_or_404(
        ReminderJob.objects.select_related("event"), pk=job_id, event_id=event_id
    )
    return render_page(request, "mail/reminder_job.html", {"event": job.event, "job": job})
