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

from gateway.app import create_app  # noqa: E402  (needs Django set up)

app = create_app()
