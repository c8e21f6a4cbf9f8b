"""The Celery application: background jobs (imports) run by workers.

    celery -A config.celery_app worker -l info

Configuration comes from Django's settings, namespace CELERY (CELERY_BROKER_URL
is REDIS_URL when set). Without REDIS_URL there is no broker: tasks sent with
.delay() run eagerly in the sender, and the web process runs imports in a
background thread instead (imports/tasks.py, docs/decisions/0006-import-jobs.md).
"""

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from config import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("registrant_dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["imports", "registrants", "mail", "webhooks"])

# The sender's request id travels in the message's headers to the worker's
# log lines (config/logs.py).
before_task_publish.connect(logs.add_request_id_header, weak=False)
task_prerun.connect(logs.bind_task_request_id, weak=False)
task_postrun.connect(logs.unbind_task_request_id, weak=False)
