"""Which pages may open a websocket: the site's own origin, port included.

Channels' AllowedHostsOriginValidator compares the Origin's host name with
ALLOWED_HOSTS and ignores its scheme and port, so a page served by another
program on the same host (http://127.0.0.1:9999, any port a user can open)
could open the dashboard's stream with the user's session cookie. The rule
here is Django's own for unsafe requests (CsrfViewMiddleware's origin
check): the Origin must be exactly the origin the request was made to,
scheme://Host with the port, the Host being one of ALLOWED_HOSTS; or one
of CSRF_TRUSTED_ORIGINS, which a deployment behind a proxy that rewrites
the Host (or a page served from another origin) lists already for its
forms. The scheme is https when the connection is TLS or when the proxy
header named by SECURE_PROXY_SSL_HEADER says so, as for Django's requests.
A missing Origin is refused (every browser sends one).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in; None if invalid."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return scheme, parts.hostname, port


def _parse_origin(value: str) -> tuple[str, str, int] | None:
    parts = urlsplit(value.strip().lower())
    if parts.scheme not in DEFAULT_PORTS or parts.path or parts.query:
        return None
    return _origin(parts.scheme, parts.netloc)


def _headers(scope: dict[str, Any]) -> dict[bytes, str]:
    found: dict[bytes, str] = {}
    for name, value in scope.get("headers", []):
        found.setdefault(name.lower(), value.decode("latin-1"))
    return found


def _is_secure(scope: dict[str, Any], headers: dict[bytes, str]) -> bool:
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if proxy:
        name, secure_value = proxy
        # Django's META name (HTTP_X_FORWARDED_PROTO) as the header's name.
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        if header in headers:
            return headers[header].split(",")[0].strip() == secure_value
    return scope.get("scheme") in ("wss", "https")


def own_origin(scope: dict[str, Any]) -> tuple[str, str, int] | None:
    """The origin this websocket request was made to, if its Host is allowed."""
    headers = _headers(scope)
    host = headers.get(b"host", "")
    if settings.USE_X_FORWARDED_HOST and b"x-forwarded-host" in headers:
        host = headers[b"x-forwarded-host"].split(",")[-1].strip()
    domain, _ = split_domain_port(host.lower())
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # as Django's get_host()
    if not domain or not validate_host(domain, allowed):
        return None
    return _origin("https" if _is_secure(scope, headers) else "http", host.lower())


def origin_allowed(scope: dict[str, Any]) -> bool:
    """Whether the page that opens this websocket may listen (see the module)."""
    value = _headers(scope).get(b"origin")
    origin = _parse_origin(value) if value else None
    if origin is None:
        return False
    if origin == own_origin(scope):
        return True
    return any(_matches(origin, trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS)


def _matches(origin: tuple[str, str, int], trusted: str) -> bool:
    """`origin` is the CSRF_TRUSTED_ORIGINS entry `trusted` (which may name
    subdomains as https://*.example.com, as Django allows)."""
    pattern = _parse_origin(trusted.replace("://*.", "://", 1))
    if pattern is None or origin[0::2] != pattern[0::2]:
        return False
    if "://*." in trusted:
        return is_same_domain(origin[1], "." + pattern[1])
    return origin[1] == pattern[1]


class SameOriginValidator:
    """ASGI middleware: websockets from another origin are refused before
    they reach the consumer (cross-site websocket hijacking)."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
