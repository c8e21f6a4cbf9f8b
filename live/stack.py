"""The live dashboards' websocket application, one definition for both
entry points (config.asgi and config.live_asgi)."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter

from .origin import SameOriginValidator
from .routing import websocket_urlpatterns


def websocket_app():
    """Websockets authenticated by the session cookie and refused from any
    origin but the site's own, port included, or CSRF_TRUSTED_ORIGINS
    (cross-site websocket hijacking; live/origin.py)."""
    return SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
