"""The import page: upload a file, watch its progress, read the report.

Writes go through imports.services like the API's; the progress bar polls
job_progress (JSON) every second until the job is finished.
"""

from __future__ import annotations

from django import forms
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from registrants.errors import ApplicationError, http_status_for
from registrants.models import Event
from registrants.pages import require_perms
from registrants.permissions import P_ADD_REGISTRANT, P_VIEW_EVENT, capabilities

from . import services
from .models import ImportJob
from .serializers import ImportJobSerializer

P_IMPORT = P_ADD_REGISTRANT
RECENT_JOBS = 10
# Refusals the page answers with their API status (409, 503); a form
# problem re-renders the form with 200.
_REFUSALS = ("duplicate_import", "service_unavailable")


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet",
        help_text="CSV or XLSX with a header row: name, email, and optionally company and "
        "guest type. Up to 100,000 rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt,text/csv"}),
    )
    mode = forms.ChoiceField(
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
        label="If some rows have errors",
    )
    force = forms.BooleanField(
        required=False,
        label="Import it even if this file was imported before",
    )


@require_http_methods(["GET", "POST"])
@require_perms(P_VIEW_EVENT, P_IMPORT)
def import_page(request, event_id: int):
    event = get_object_or_404(Event, pk=event_id)
    form = UploadForm(request.POST or None, request.FILES or None)
    problem = None
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                event_id=event.pk,
                upload=form.cleaned_data["file"],
                actor=request.user,
                mode=form.cleaned_data["mode"],
                force=form.cleaned_data["force"],
            )
        except ApplicationError as exc:
            problem = exc
        else:
            return redirect("imports:job", job_id=job.pk)
    jobs = ImportJob.objects.filter(event=event).select_related("actor")[:RECENT_JOBS]
    return render(
        request,
        "imports/import_page.html",
        {
            "event": event,
            "form": form,
            "problem": problem,
            "jobs": jobs,
            "can": capabilities(request.user),
        },
        status=http_status_for(problem.code) if problem and problem.code in _REFUSALS else 200,
    )


@require_GET
@require_perms(P_VIEW_EVENT, P_IMPORT)
def job_page(request, job_id: int):
    job = get_object_or_404(ImportJob.objects.select_related("event", "actor"), pk=job_id)
    services.import_job_requeue_if_stale(job)
    data = ImportJobSerializer(job).data
    return render(
        request,
        "imports/job.html",
        {
            "event": job.event,
            "job": job,
            "data": data,
            "progress_url": reverse("imports:progress", args=[job.pk]),
            "errors_url": data["errors_url"],
            "can": capabilities(request.user),
        },
    )


@require_GET
def job_progress(request, job_id: int):
    """The job as the API shows it, for the page's progress bar (session auth)."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"error": {"code": "not_authenticated", "message": "Log in again.", "fields": {}}},
            status=401,
        )
    if not request.user.has_perms([P_VIEW_EVENT, P_IMPORT]):
        return JsonResponse(
            {
                "error": {
                    "code": "permission_denied",
                    "message": "Your role may not import.",
                    "fields": {},
                }
            },
            status=403,
        )
    job = get_object_or_404(ImportJob.objects.select_related("actor"), pk=job_id)
    services.import_job_requeue_if_stale(job)
    response = JsonResponse(ImportJobSerializer(job).data)
    response["Cache-Control"] = "no-store"
    return response
