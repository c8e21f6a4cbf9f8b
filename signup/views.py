"""The public registration page (no login): the form, the thank-you page and
the company suggestions. Thin: the form parses, the service decides.

Guards, in order: a rate limit per client address (every POST counts), the
CSRF middleware (the form carries its token), the honeypot and the signed
issue time (signup/forms.py), then the once-only nonce in the service.
"""

from __future__ import annotations

import math

from django.core import signing
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.login_throttle import client_address
from mail.tickets import ticket_path
from registrants import waitlist
from registrants.api.throttling import take_scan_slot
from registrants.errors import ApplicationError, http_status_for
from registrants.lifecycle import Status
from registrants.models import Company, Event, Registrant
from registrants.normalization import normalize_company_name
from registrants.pages import no_store

from . import services
from .forms import HONEYPOT, BotSuspected, RegistrationForm, issue_token, read_token
from .selectors import PageState, event_questions, page_state, registration_page

THANKS_SALT = "signup.thanks"
THANKS_MAX_AGE = 24 * 3600
SUGGESTIONS = 8


def _render(request, event: Event, context: dict, status: int = 200) -> HttpResponse:
    return no_store(
        render(request, "signup/register.html", {"event": event, **context}, status=status)
    )


def _closed_page(request, event: Event, state: PageState, page, status: int) -> HttpResponse:
    return _render(
        request, event, {"state": state.value, "message": state.message(event, page)}, status
    )


def _waitlist_notice(event: Event, state: PageState, page) -> str:
    """What a full event's form says above it: registering joins the line."""
    return state.message(event, page) if state is PageState.FULL else ""


def _form_page(
    request, event, page, questions, form=None, status: int = 200, notice: str = ""
) -> HttpResponse:
    if form is None:
        form = RegistrationForm(
            page=page, questions=questions, initial={"form_token": issue_token(event.pk)}
        )
    else:
        # A fresh token: a refused form is sent again as a new one.
        form.data = form.data.copy()
        form.data["form_token"] = issue_token(event.pk)
    return _render(
        request,
        event,
        {"state": "open", "form": form, "honeypot": form[HONEYPOT], "notice": notice},
        status,
    )


@require_http_methods(["GET", "POST"])
def register(request, event_id: int):
    """The event's public registration form; a POST registers."""
    event = get_object_or_404(Event, pk=event_id)
    page = registration_page(event)
    state = page_state(event, page, timezone.now())
    if state is PageState.DISABLED:
        raise Http404("This event has no registration page.")
    questions = event_questions(event.pk)
    if request.method == "GET":
        if state not in (PageState.OPEN, PageState.FULL):
            return _closed_page(request, event, state, page, 200)
        return _form_page(
            request, event, page, questions, notice=_waitlist_notice(event, state, page)
        )
    allowed, wait = take_scan_slot(f"addr:{client_address(request)}", "registration")
    if not allowed:
        response = _render(
            request,
            event,
            {
                "state": "limited",
                "message": "Too many registrations from your network; "
                f"try again in {max(1, math.ceil(wait / 60))} minutes.",
            },
            429,
        )
        response["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    form = RegistrationForm(request.POST, page=page, questions=questions)
    try:
        if request.POST.get(HONEYPOT):
            raise BotSuspected("The form could not be accepted; reload the page and try again.")
        nonce = read_token(request.POST.get("form_token", ""), event.pk)
    except BotSuspected as exc:
        form.is_valid()
        form.add_error(None, str(exc))
        return _form_page(request, event, page, questions, form, 400)
    if not form.is_valid():
        return _form_page(request, event, page, questions, form, 400)
    data = form.cleaned_data
    try:
        registrant, _ = services.public_register(
            event_id=event.pk,
            nonce=nonce,
            name=data["name"],
            email=data["email"],
            company_name=data["company"],
            guest_type=data.get("guest_type") or form.default_guest_type,
            answers=form.answers(),
        )
    except ApplicationError as exc:
        if exc.code == "validation_error":
            form.add_service_error(exc.fields, exc.message)
            return _form_page(request, event, page, questions, form, 400)
        refused = {"event_full": PageState.FULL, "event_closed": PageState.EVENT_CLOSED}.get(
            exc.code
        )
        if refused is not None:
            return _closed_page(request, event, refused, page, 409)
        return _render(
            request, event, {"state": "refused", "message": exc.message}, http_status_for(exc.code)
        )
    token = signing.dumps(registrant.pk, salt=THANKS_SALT)
    return redirect(reverse("signup:thanks", args=[event.pk, token]), permanent=False)


@require_GET
def thanks(request, event_id: int, token: str):
    """The thank-you page after a registration (a signed link to it)."""
    try:
        registrant_id = signing.loads(token, salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
    except signing.BadSignature:
        raise Http404("This link is not valid any more.") from None
    registrant = get_object_or_404(
        Registrant.objects.select_related("event"), pk=registrant_id, event_id=event_id
    )
    context = {
        "state": "thanks",
        "registrant": registrant,
        "ticket_url": ticket_path(registrant),
        "waitlisted": registrant.status == Status.WAITLISTED,
        "position": waitlist.position(registrant),
    }
    return _render(request, registrant.event, context)


@require_GET
def company_suggestions(request, event_id: int):
    """Up to 8 company names starting like `q` (after normalisation, as a
    registration matches them), while the event's page is open."""
    event = get_object_or_404(Event, pk=event_id)
    if page_state(event, registration_page(event), timezone.now(), count_seats=False) not in (
        PageState.OPEN,
        PageState.FULL,
    ):
        raise Http404("This event has no open registration page.")
    # Bounded per address: walking every prefix would list every company.
    allowed, wait = take_scan_slot(f"addr:{client_address(request)}", "registration_lookup")
    if not allowed:
        response = JsonResponse({"companies": []}, status=429)
        response["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    key = normalize_company_name(request.GET.get("q", "")[:200])
    names: list[str] = []
    if len(key) >= 2:
        names = list(
            Company.objects.filter(normalized_name__startswith=key)
            .order_by("normalized_name")
            .values_list("name", flat=True)[:SUGGESTIONS]
        )
    return JsonResponse({"companies": names})
