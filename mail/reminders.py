"""An organiser's reminder to the registrant list's current selection (the
same filters as the list, its export and its badges).

A small selection is queued at once, every message in one transaction; a
larger one (over MAIL_REMINDER_JOB_THRESHOLD) becomes a ReminderJob that a
worker (or the embedded default's thread) writes in chunks. Each chunk is
its own transaction and a registrant gets one message per job (a unique
constraint), so a job run twice or resumed after a dead worker mails
nobody twice. The cancelled and the erased are never reminded.

Each run is one audit entry (`reminder_sent`: who asked, the event, the
filter, how many were queued), written with the messages of a small run and
when a job is done, once per job however often it runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from audit.models import Action, AuditEntry
from audit.services import filter_summary
from audit.services import record as audit_record
from config import jobs
from registrants import selectors as registrant_selectors
from registrants.errors import ApplicationError
from registrants.filters import RegistrantFilter
from registrants.lifecycle import Status
from registrants.models import Event, Registrant

from .compose import wording_for
from .models import JobState, Kind, Message, ReminderJob
from .services import message_build, messages_queue

CHUNK = 200
IGNORED_PARAMETERS = ("event", "ordering", "cursor", "page", "layout", "csrfmiddlewaretoken")


def _selection(event_id: int, params: QueryDict) -> QuerySet[Registrant]:
    """The registrants the list's filters select; validation_error if a
    filter is invalid."""
    data = params.copy()
    for key in IGNORED_PARAMETERS:
        data.pop(key, None)
    filterset = RegistrantFilter(
        data=data, queryset=registrant_selectors.registrant_list().filter(event_id=event_id)
    )
    if not filterset.is_valid():
        raise ApplicationError(
            "validation_error",
            "The list's filters are invalid.",
            fields={k: [str(e) for e in v] for k, v in filterset.errors.items()},
        )
    return (
        filterset.qs.filter(erased_at__isnull=True)
        .exclude(status=Status.CANCELLED)
        .order_by()
        .select_related("event")
    )


def _audit(
    *, actor: Any, event_id: int, params: QueryDict, selected: int, queued: int, job_id: int | None
) -> None:
    details: dict[str, Any] = {
        "queued": queued,
        "selected": selected,
        "filter": filter_summary(params, skip=IGNORED_PARAMETERS),
    }
    if job_id is not None:
        details["job"] = job_id
    audit_record(action=Action.REMINDER_SENT, actor=actor, event_id=event_id, details=details)


def selection_count(*, event_id: int, params: QueryDict) -> int:
    """How many registrants a reminder with these filters would reach."""
    return _selection(event_id, params).count()


def reminder_send(*, event: Event, params: QueryDict, actor: Any) -> tuple[int, ReminderJob | None]:
    """Remind the selection: (how many were queued now, None), or (its size,
    the job) when it is large. Raises validation_error."""
    selection = _selection(event.pk, params)
    total = selection.count()
    if total > settings.MAIL_REMINDER_JOB_THRESHOLD:
        with transaction.atomic():
            job = ReminderJob.objects.create(
                event=event, actor=actor, filters=dict(params.lists()), total=total
            )
            transaction.on_commit(lambda: start(job.pk))
        return total, job
    template = wording_for(event.pk, Kind.REMINDER)
    with transaction.atomic():
        queued = messages_queue(
            [
                message_build(registrant=registrant, kind=Kind.REMINDER, template=template)
                for registrant in selection.order_by("pk")
            ]
        )
        _audit(
            actor=actor,
            event_id=event.pk,
            params=params,
            selected=total,
            queued=len(queued),
            job_id=None,
        )
    return total, None


def start(job_id: int) -> bool:
    """Run the job on a worker or in a thread (config/jobs.py); False
    (logged) when the broker is unreachable: the job stays queued and
    requeue_stale starts it again (beat's sweep, or its page)."""
    from .tasks import run_reminder_job

    return jobs.redispatch(
        lambda pk: jobs.start(
            run_reminder_job, pk, run=lambda pk: reminder_job_run(job_id=pk), name="reminder"
        ),
        job_id,
        "reminder",
    )


def requeue_stale(event_id: int | None = None) -> list[int]:
    """Start again the jobs not finished whose runner said nothing for
    MAIL_LEASE_SECONDS (never handed over, or their runner died). A second
    run of a job mails nobody twice."""
    quiet_since = timezone.now() - timedelta(seconds=settings.MAIL_LEASE_SECONDS)
    stale = ReminderJob.objects.filter(
        state__in=[JobState.QUEUED, JobState.RUNNING], updated_at__lt=quiet_since
    )
    if event_id is not None:
        stale = stale.filter(event_id=event_id)
    ids = list(stale.values_list("id", flat=True)[:100])
    for job_id in ids:
        _touch(job_id)
        start(job_id)
    return ids


def _touch(job_id: int, **fields: Any) -> None:
    ReminderJob.objects.filter(pk=job_id).update(updated_at=timezone.now(), **fields)


def reminder_job_run(*, job_id: int) -> None:
    """Write the job's messages, CHUNK registrants per transaction, skipping
    those it already wrote; the job ends done (or failed, with why)."""
    job = ReminderJob.objects.filter(pk=job_id).exclude(state=JobState.DONE).first()
    if job is None:
        return
    _touch(job_id, state=JobState.RUNNING)
    params = QueryDict(mutable=True)
    for key, values in job.filters.items():
        params.setlist(key, values)
    try:
        selection = _selection(job.event_id, params)
    except ApplicationError as exc:
        _touch(job_id, state=JobState.FAILED, message=exc.message)
        return
    template = wording_for(job.event_id, Kind.REMINDER)
    last = 0
    while True:
        chunk = list(selection.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not chunk:
            break
        last = chunk[-1].pk
        done = set(
            Message.objects.filter(
                reminder_job_id=job_id, registrant_id__in=[r.pk for r in chunk]
            ).values_list("registrant_id", flat=True)
        )
        try:
            messages_queue(
                [
                    message_build(
                        registrant=registrant,
                        kind=Kind.REMINDER,
                        template=template,
                        reminder_job_id=job_id,
                    )
                    for registrant in chunk
                    if registrant.pk not in done
                ]
            )
        except IntegrityError:
            continue  # another run of this job wrote the chunk meanwhile
        queued = Message.objects.filter(reminder_job_id=job_id).count()
        _touch(job_id, queued=queued)
    _finish(job, params)


def _finish(job: ReminderJob, params: QueryDict) -> None:
    """The job is done: its count, and its audit entry unless a run of it
    already wrote one (the job's row lock orders two runs finishing at once)."""
    with transaction.atomic():
        ReminderJob.objects.select_for_update().filter(pk=job.pk).first()
        queued = Message.objects.filter(reminder_job_id=job.pk).count()
        _touch(job.pk, state=JobState.DONE, queued=queued)
        audited = AuditEntry.objects.filter(
            action=Action.REMINDER_SENT, event_id=job.event_id, details__job=job.pk
        ).exists()
        if not audited:
            _audit(
                actor=job.actor,
                event_id=job.event_id,
                params=params,
                selected=job.total,
                queued=queued,
                job_id=job.pk,
            )
