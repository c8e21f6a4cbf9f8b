"""Row locks the writers take before they change a registrant."""

from __future__ import annotations

from .errors import ApplicationError
from .models import Registrant


def lock_registrant(registrant_id: int) -> Registrant:
    """The registrant, locked until the caller's transaction ends; raises
    not_found (404). Call inside transaction.atomic()."""
    try:
        return Registrant.objects.select_for_update().get(pk=registrant_id)
    except Registrant.DoesNotExist:
        raise ApplicationError("not_found", "No such registrant.") from None
