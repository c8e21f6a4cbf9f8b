"""The mail tasks: send one message (retried with backoff), the sweep
(beat, CELERY_BEAT_SCHEDULE) and the reminder job.

A task only names a message's id; the row holds its state, so a task
delivered twice sends once (the claim in mail/sending.py) and a lost task
is made good by the sweep.
"""

from __future__ import annotations

from config.celery_app import app

from . import dispatch, reminders, sending


@app.task(
    name="mail.send_message",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,  # the row counts attempts (MAIL_MAX_ATTEMPTS)
)
def send_message(self, message_id: int) -> None:
    """One attempt; a transient failure is retried after its backoff."""
    result = sending.attempt(message_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)


@app.task(name="mail.sweep", ignore_result=True)
def sweep() -> list[int]:
    """Send again what was left queued, and start again the reminder jobs
    left unfinished (for `celery beat`)."""
    reminders.requeue_stale()
    return dispatch.sweep()


@app.task(
    name="mail.run_reminder_job", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def run_reminder_job(job_id: int) -> None:
    """Queue a large reminder's messages (a no-op for a finished job)."""
    reminders.reminder_job_run(job_id=job_id)
