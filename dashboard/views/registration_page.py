"""An event's registration page settings and questions (organisers only).

Every write goes through signup.services with the logged-in organiser as
actor (the services audit it); a refusal is shown on the form with the HTTP
status the API would give.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from registrants.errors import ApplicationError, http_status_for
from registrants.models import Event
from registrants.pages import render_page, require_perms
from registrants.permissions import P_CHANGE_EVENT, P_VIEW_EVENT
from signup import services
from signup.models import Question
from signup.selectors import event_questions, page_state, registration_page

from ..registration_forms import QuestionForm, RegistrationPageForm

PERMS = (P_VIEW_EVENT, P_CHANGE_EVENT)


def _question_form(question: Question, data=None) -> QuestionForm:
    initial = {
        "label": question.label,
        "kind": question.kind,
        "choices": "\n".join(question.choices),
        "required": question.required,
    }
    return QuestionForm(data, initial=initial, prefix=f"q{question.pk}")


def _render(request, event: Event, *, page_form=None, new_form=None, edited=None, status=200):
    page = registration_page(event)
    if page_form is None:
        page_form = RegistrationPageForm(
            initial={
                "enabled": page.enabled,
                "opens_at": page.opens_at,
                "closes_at": page.closes_at,
                "guest_types": page.guest_types,
            }
        )
    questions = [
        (q, edited[1] if edited and edited[0] == q.pk else _question_form(q))
        for q in event_questions(event.pk)
    ]
    state = page_state(event, page, timezone.now())
    return render_page(
        request,
        "dashboard/registration_page.html",
        {
            "event": event,
            "page_form": page_form,
            "new_form": new_form or QuestionForm(prefix="new"),
            "questions": questions,
            "state": state.message(event, page),
            "public_url": request.build_absolute_uri(reverse("signup:register", args=[event.pk])),
            "enabled": page.enabled,
        },
        status=status,
    )


@require_perms(*PERMS)
def registration_settings(request, event_id: int):
    """The settings form (GET shows the page; POST saves the settings)."""
    event = get_object_or_404(Event, pk=event_id)
    if request.method != "POST":
        return _render(request, event)
    form = RegistrationPageForm(request.POST)
    if not form.is_valid():
        return _render(request, event, page_form=form, status=400)
    try:
        services.registration_page_update(
            event_id=event.pk, actor=request.user, **form.cleaned_data
        )
    except ApplicationError as exc:
        form.add_service_error(exc)
        return _render(request, event, page_form=form, status=http_status_for(exc.code))
    messages.success(request, "The registration page was saved.")
    return redirect("dashboard:registration_page", event.pk)


@require_POST
@require_perms(*PERMS)
def question_new(request, event_id: int):
    event = get_object_or_404(Event, pk=event_id)
    form = QuestionForm(request.POST, prefix="new")
    if not form.is_valid():
        return _render(request, event, new_form=form, status=400)
    try:
        services.question_create(event_id=event.pk, actor=request.user, **form.service_values())
    except ApplicationError as exc:
        form.add_service_error(exc)
        return _render(request, event, new_form=form, status=http_status_for(exc.code))
    messages.success(request, f"The question “{form.cleaned_data['label']}” was added.")
    return redirect("dashboard:registration_page", event.pk)


@require_POST
@require_perms(*PERMS)
def question_edit(request, event_id: int, question_id: int):
    event = get_object_or_404(Event, pk=event_id)
    question = get_object_or_404(Question, pk=question_id, event=event)
    form = _question_form(question, request.POST)
    if not form.is_valid():
        return _render(request, event, edited=(question.pk, form), status=400)
    try:
        services.question_update(
            question_id=question.pk, actor=request.user, **form.service_values()
        )
    except ApplicationError as exc:
        form.add_service_error(exc)
        return _render(request, event, edited=(question.pk, form), status=http_status_for(exc.code))
    messages.success(request, f"The question “{form.cleaned_data['label']}” was saved.")
    return redirect("dashboard:registration_page", event.pk)


@require_POST
@require_perms(*PERMS)
def question_delete(request, event_id: int, question_id: int):
    event = get_object_or_404(Event, pk=event_id)
    question = get_object_or_404(Question, pk=question_id, event=event)
    services.question_delete(question_id=question.pk, actor=request.user)
    messages.success(request, f"The question “{question.label}” and its answers were removed.")
    return redirect("dashboard:registration_page", event.pk)
