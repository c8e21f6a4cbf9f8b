"""Send the messages left queued (the sweep), for cron where no beat runs."""

from django.core.management.base import BaseCommand

from mail.dispatch import sweep


class Command(BaseCommand):
    help = "Send again the e-mails left queued (a lost hand-over, a retry whose task was lost)."

    def handle(self, *args, **options) -> None:
        ids = sweep()
        self.stdout.write(f"{len(ids)} queued messages handed to their sender.")
