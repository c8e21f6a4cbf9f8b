"""A bulk action run as a background job: its progress and its result.

The confirmed action becomes a job above BULK_JOB_THRESHOLD rows
(registrants.bulk_jobs); the panel polls the job's page (htmx) until it is
done and then shows the same result panel as the in-request path. The
progress is also a small JSON document. Both are read by whoever may use
the event's list, as the action itself.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from registrants import bulk_jobs, selectors
from registrants.api.errors import error_body
from registrants.lifecycle import Status
from registrants.models import BulkJob, Event
from registrants.pages import no_store, require_perms
from registrants.permissions import BULK_ACTIONS, P_VIEW_EVENT, P_VIEW_REGISTRANT
from registrants.services import BulkRowResult

from .common import is_htmx, json_refusal


def start_job(
    request, event: Event, *, ids: list[int], action: str, to_status: str, kinds, context
):
    """Create the job for a confirmed bulk action and answer with its panel."""
    job = bulk_jobs.bulk_job_create(
        event=event,
        actor=request.user,
        action=action,
        to_status=to_status,
        allowed_kinds=kinds,
        ids=ids,
    )
    return _answer(request, event, job, next_url=context["next"])


@require_GET
@require_perms(P_VIEW_EVENT, P_VIEW_REGISTRANT)
def bulk_job_page(request, event_id: int, job_id: int):
    """The job's panel: progress (polling itself) while it runs, the result
    panel once it is done."""
    event = get_object_or_404(Event, pk=event_id)
    job = get_object_or_404(BulkJob, pk=job_id, event_id=event.pk)
    # A job whose runner died is sent again when someone looks at it.
    bulk_jobs.bulk_job_requeue_if_stale(job)
    next_url = reverse("dashboard:registrants", args=[event.pk])
    return _answer(request, event, job, next_url=next_url)


@require_GET
def bulk_job_progress(request, event_id: int, job_id: int):
    """The job's progress as JSON (state and counts); refusals and 404 in
    the API's error shape, as for the other endpoints scripts read."""
    refusal = json_refusal(
        request,
        (P_VIEW_EVENT, P_VIEW_REGISTRANT),
        "Your role may not read this job.",
        event_id=event_id,
    )
    if refusal is not None:
        return refusal
    job = BulkJob.objects.filter(pk=job_id, event_id=event_id).first()
    if job is None:
        return JsonResponse(error_body("not_found", "No such job."), status=404)
    bulk_jobs.bulk_job_requeue_if_stale(job)
    return no_store(
        JsonResponse(
            {
                "id": job.pk,
                "state": job.state,
                "total": job.total,
                "processed": job.processed,
                "changed": job.changed,
                "unchanged": job.unchanged,
                "refused": job.refused,
                "message": job.message,
            }
        )
    )


def _answer(request, event: Event, job: BulkJob, *, next_url: str):
    _, _, label = BULK_ACTIONS.get(job.action, (job.to_status, "", job.action))
    context = {"event": event, "job": job, "label": label, "next": next_url}
    if not job.finished:
        template = "dashboard/partials/bulk_job_panel.html"
        if not is_htmx(request):
            template = "dashboard/bulk_job_page.html"
        return no_store(render(request, template, context))
    if job.state == BulkJob.State.FAILED:
        context["error"] = (
            f"{job.message} {job.processed} of {job.total} rows were handled: "
            f"{job.changed} changed, {job.unchanged} unchanged, {job.refused} refused."
        )
    else:
        context.update(_results(job))
    template = (
        "dashboard/partials/bulk_panel.html" if is_htmx(request) else "dashboard/bulk_page.html"
    )
    response = no_store(render(request, template, context))
    # The list below re-reads itself (see list.js) to show the new statuses.
    response["HX-Trigger"] = "registrants-changed"
    return response


def _results(job: BulkJob) -> dict:
    """The result panel's context, as the in-request path builds it."""
    listed = sorted(job.listed, key=lambda row: (row["ok"], row["pos"]))[: bulk_jobs.LISTED]
    listed.sort(key=lambda row: row["pos"])
    names = selectors.registrant_list().in_bulk([row["id"] for row in listed])
    return {
        "results": [
            {
                "registrant": names[row["id"]],
                "result": BulkRowResult(
                    row["id"],
                    ok=row["ok"],
                    changed=row["changed"],
                    status=row["status"],
                    error_code=row["code"],
                    message=row["message"],
                ),
                "status_label": Status(row["status"]).label if row["status"] else "",
            }
            for row in listed
            if row["id"] in names
        ],
        "not_listed": job.total - len(listed),
        "changed": job.changed,
        "unchanged": job.unchanged,
        "refused": job.refused,
    }
