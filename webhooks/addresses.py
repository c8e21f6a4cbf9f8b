"""Where a webhook may be sent: never, by default, to this machine or its
private network (SSRF: an organiser's URL must not reach the metadata
service, the database or an internal admin page).

The host is resolved when the endpoint is saved and again before every
request, and the request goes to the address that was checked, so a name
that changes its answer between the check and the connection (DNS
rebinding) cannot slip through. WEBHOOK_ALLOW_PRIVATE_ADDRESSES turns the
rule off (tests; on-premise receivers).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from registrants.errors import ApplicationError

SCHEMES = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    """A checked destination: the URL's parts and the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _refused(message: str) -> ApplicationError:
    return ApplicationError("validation_error", message, fields={"url": [message]})


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL; validation_error otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused("Enter a valid http or https URL.") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise _refused("Enter a valid http or https URL.")
    if parts.username or parts.password:
        raise _refused("Put no user name or password in the URL; the signature authenticates.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, parts.hostname, port or SCHEMES[parts.scheme], path


def is_public(address: str) -> bool:
    """True for a globally routable unicast address (an IPv4-mapped IPv6
    address is judged as the IPv4 address it carries)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str) -> Target:
    """The URL's destination, checked: validation_error when it is not an
    http(s) URL, does not resolve, or resolves to any non-public address
    (loopback, private, link-local, ...) while those are not allowed."""
    scheme, host, port, path = split_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _refused(f"The host name {host} does not resolve.") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise _refused(f"The host name {host} does not resolve.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        private = [a for a in addresses if not is_public(a)]
        if private:
            raise _refused(
                f"{host} is a loopback, private or link-local address ({private[0]}); "
                "webhooks go to public addresses only."
            )
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
