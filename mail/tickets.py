"""The attendee's ticket link: a signed token that names the registrant and
is bound to their check-in code.

The token carries the registrant's id and a digest of the check-in code
(never the code itself: the token is readable, only its signature is
secret). Erasing a registrant replaces the code, so every link sent before
stops working; so does rotating SECRET_KEY. The token travels in the query
string (?t=), which the request log leaves out.
"""

from __future__ import annotations

import hashlib
import hmac

from django.core import signing
from django.urls import reverse

from registrants.models import Registrant

SALT = "mail.ticket"


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()[:32]


def ticket_token(registrant: Registrant) -> str:
    """The signed token of a registrant's ticket page."""
    return signing.dumps(
        {"r": registrant.pk, "k": _code_digest(registrant.check_in_code)}, salt=SALT, compress=True
    )


def ticket_path(registrant: Registrant) -> str:
    """The ticket page's path with its token."""
    return f"{reverse('mail:ticket')}?t={ticket_token(registrant)}"


def registrant_for_token(token: str) -> Registrant | None:
    """The registrant a token names, or None when the token is forged, the
    registrant is gone or erased, or their code changed since it was made."""
    try:
        payload = signing.loads(token, salt=SALT)
        registrant_id, digest = int(payload["r"]), str(payload["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    registrant = (
        Registrant.objects.select_related("event", "company")
        .filter(pk=registrant_id, erased_at__isnull=True)
        .first()
    )
    if registrant is None:
        return None
    if not hmac.compare_digest(digest, _code_digest(registrant.check_in_code)):
        return None
    return registrant
