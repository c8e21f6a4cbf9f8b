"""ASGI entry point of the image's `live` role: the live dashboards'
websockets (/ws/) and Django's HTTP for the health checks, nothing else.

nginx sends a live process only /ws/ (deploy/nginx/nginx.conf), so it needs
neither the door-scanner gateway nor the API scan nor the embedded webhook
sender that config.asgi starts: leaving FastAPI and pydantic unimported keeps
each live process's memory down while it holds its share of the sockets
(docs/decisions/0285-live-role-app.md). The websocket stack is config.asgi's
own, so a socket behaves the same on `web` and on `live`.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402  (needs Django set up)

from live.stack import websocket_app  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app()})
