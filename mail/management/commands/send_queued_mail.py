"""Send the messages left queued (the sweep), for cron where no beat runs."""

from django.core.management.base import BaseCommand

from mail.dispatch import sweep
from mail.reminders import requeue_stale


class Command(BaseCommand):
    help = "Send again the e-mails left queued and start again unfinished reminder jobs."

    def handle(self, *args, **options) -> None:
        jobs = requeue_stale()
        ids = sweep()
        self.stdout.write(
            f"{len(ids)} queued messages handed to their sender; {len(jobs)} reminder jobs started again."
        )
