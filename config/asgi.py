"""ASGI entry point: HTTP (Django), the scanner gateway (FastAPI, under
/gateway/) and websockets (Channels) in one process.

`make run` serves this with uvicorn, so the embedded default stays a single
process. POST /api/v1/scan/ with a user's API token is answered by the
gateway's scan endpoint, before Django (gateway/api_scan.py: the API scan at
door rate, the same answers and writes). Websockets: live/stack.py. The
image's `live` role serves config.live_asgi instead: the websockets alone.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402  (needs Django set up)

from gateway import api_scan  # noqa: E402
from gateway.app import create_app as create_gateway_app  # noqa: E402
from live.stack import websocket_app  # noqa: E402
from webhooks.runner import start_embedded as start_webhook_sender  # noqa: E402

gateway_app = create_gateway_app()
# Without a broker this process sends the webhooks (a daemon thread).
start_webhook_sender()


async def http_app(scope, receive, send):
    """/gateway/... goes to the FastAPI gateway, an API scan with a token to
    the gateway's scan endpoint, everything else to Django."""
    if scope["path"].startswith("/gateway/"):
        await gateway_app(scope, receive, send)
    elif api_scan.takes(scope):
        await api_scan.serve(scope, receive, send)
    else:
        await django_asgi_app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_app,
        # The gateway's startup/shutdown (its connection pool); Django has none.
        "lifespan": gateway_app,
        "websocket": websocket_app(),
    }
)
