"""ASGI entry point: HTTP (Django), the scanner gateway (FastAPI, under
/gateway/) and websockets (Channels) in one process.

`make run` serves this with uvicorn, so the embedded default stays a single
process. POST /api/v1/scan/ with a user's API token is answered by the
gateway's scan endpoint, before Django (gateway/api_scan.py: the API scan at
door rate, the same answers and writes). Websockets are authenticated by the session cookie and refused from
any origin but the site's own, port included, or CSRF_TRUSTED_ORIGINS
(cross-site websocket hijacking; live/origin.py).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from gateway import api_scan  # noqa: E402
from gateway.app import create_app as create_gateway_app  # noqa: E402
from live.origin import SameOriginValidator  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402
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
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
