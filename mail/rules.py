"""Which history rows call for which message, and when an event wants it:
the one place both the single (post_save) and the bulk receivers ask."""

from __future__ import annotations

from registrants.models import Source, StatusChange

from .models import Kind, MailSettings

REGISTERED, CANCELLED = "registered", "cancelled"
# A ticket goes out when someone becomes registered: new, promoted from the
# waitlist, or reinstated.
TICKET_FROM = {"", "waitlisted", CANCELLED}


def kind_for(change: StatusChange) -> str | None:
    """The message a history row calls for, before any event setting."""
    if change.to_status == REGISTERED and change.from_status in TICKET_FROM:
        # An import registers thousands at once: the reminder is its mail.
        return None if change.source == Source.IMPORT else Kind.CONFIRMATION
    if change.to_status == CANCELLED:
        return Kind.CANCELLATION
    return None


def wanted(change: StatusChange, kind: str, chosen: MailSettings | None) -> bool:
    """Whether the event (its settings `chosen`, None when it has none)
    wants the `kind` message a history row calls for."""
    if chosen is not None and (
        chosen.confirmations if kind == Kind.CONFIRMATION else chosen.cancellations
    ):
        return True
    # Someone who registered on the public page asked for their ticket, and
    # someone promoted from the waitlist was e-mailed the offer: the ticket
    # reaches them whatever the setting (decision 0222).
    return kind == Kind.CONFIRMATION and (
        change.source == Source.REGISTRATION or change.from_status == "waitlisted"
    )
