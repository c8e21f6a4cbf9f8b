"""The gateway as its own process:

    DJANGO_SETTINGS_MODULE=config.settings.production \
        uvicorn gateway.main:app --host 0.0.0.0 --port 8001 --workers 4

(docs/operations.md). In the embedded default, config.asgi serves the same
app under /gateway/ in the one process.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup()

import gc  # noqa: E402

from gateway.app import create_app  # noqa: E402  (needs Django set up)

app = create_app()
# Everything loaded so far (Django, the app) lives as long as the process:
# keep it out of the collector's full passes, whose pauses showed in p99.
gc.freeze()
