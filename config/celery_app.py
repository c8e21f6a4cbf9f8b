"""The Celery application: background jobs (imports) run by workers.

    celery -A config.celery_app worker -l info

Configuration comes from Django's settings, namespace CELERY (CELERY_BROKER_URL
is REDIS_URL when set). Without REDIS_URL there is no broker: tasks sent with
.delay() run eagerly in the sender, and the web process runs imports in a
background thread instead (imports/tasks.py, docs/decisions/0006-import-jobs.md).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("registrant_dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["imports"])
